"""Audience files for ad platforms and e-mail tools, with e-mails normalised and hashed.

Formats (one CSV each):

* ``csv`` — ``customer_id, type, <purpose>_consent, email`` (e-mail only when consented);
* ``meta`` — Meta Custom Audience customer list: one column ``email`` holding the SHA-256
  hex digest of the trimmed, lower-cased address (Meta's Conversions API customer
  information parameters: "John_Smith@gmail.com" → ``62a14e44…0f62f``);
* ``google`` — Google Ads Customer Match: one column ``Email`` holding SHA-256 of the trimmed,
  lower-cased address with, for ``gmail.com``/``googlemail.com`` only, every ``.`` before the
  ``@`` removed (Google's documented normalisation for those domains);
* ``mailchimp`` — Mailchimp's contact import: ``Email Address, Tags``;
* ``klaviyo`` — Klaviyo's list import: ``Email, Customer Type``.

Every address is first normalised as the store keeps it (:func:`normalise_email`), composed
(NFC) too: ``jürgen@…`` with a decomposed ``ü`` gets the digest of the composed address.

Only customers with marketing consent reach a marketing destination; the plain ``csv`` lists
everyone selected but leaves the e-mail empty for those without consent. No function here logs
an address.

An export is drawn by one consent purpose (:data:`PURPOSES`), ``marketing`` by default. A
case-study or referral audience is for the shop to write to personally: its plain ``csv``
carries the e-mail of those who gave that purpose's consent (the segment column
``<purpose>_consent``, so the same rule selects and writes them), and the marketing destinations
refuse it (:func:`purpose_refusal`): a case-study "yes" is no "yes" to ad targeting.
"""

from __future__ import annotations

import hashlib
import re

import pandas as pd

from shopperlens.emails import ONE_ADDRESS
from shopperlens.emails import normalise_email as _normalised

__all__ = [
    "CONSENT_WORDS",
    "DESTINATIONS",
    "MARKETING_DESTINATIONS",
    "PURPOSES",
    "addressed",
    "audience_frame",
    "consent_column",
    "export_target",
    "google_email",
    "normalise_email",
    "purpose_refusal",
    "sha256_hex",
]

DESTINATIONS: tuple[str, ...] = ("csv", "meta", "google", "mailchimp", "klaviyo")
MARKETING_DESTINATIONS: frozenset[str] = frozenset({"meta", "google", "mailchimp", "klaviyo"})
_GMAIL = ("gmail.com", "googlemail.com")
#: the consent purposes an export is drawn by; each is a segment column ``<purpose>_consent``
PURPOSES: tuple[str, ...] = ("marketing", "case_study", "referral")
#: each purpose's consent as a sentence names it ("12 without case-study consent")
CONSENT_WORDS: dict[str, str] = {
    "marketing": "marketing consent",
    "case_study": "case-study consent",
    "referral": "referral consent",
}


def consent_column(purpose: str) -> str:
    """The customer column holding ``purpose``'s consent (``case_study_consent``)."""
    return f"{purpose}_consent"


def purpose_refusal(purpose: str, destination: str) -> str | None:
    """Why an export drawn by ``purpose`` cannot go to ``destination``, or None when it can.

    The ad platforms and mailing tools are marketing uses: someone who agreed to be featured
    in a case study, or to hear about the referral programme, did not agree to be targeted
    with ads or put on a newsletter list, so only ``marketing`` goes there."""
    if purpose not in PURPOSES:
        return f"unknown purpose {str(purpose)[:40]!r}; choose {', '.join(PURPOSES)}"
    if purpose != "marketing" and destination in MARKETING_DESTINATIONS:
        return (
            f"purpose {purpose} exports only to csv: {', '.join(sorted(MARKETING_DESTINATIONS))}"
            " are marketing uses and receive only customers with marketing consent"
        )
    return None


def export_target(segment: str) -> tuple[str, str]:
    """The destination and purpose of the export a playbook prints for ``segment``.

    An audience drawn from one non-marketing consent (it names ``case_study_consent`` or
    ``referral_consent``) is for the shop to write to personally: the plain ``csv`` by that
    purpose. Any other audience is a marketing one, for an ad platform (``meta``)."""
    named = [p for p in PURPOSES[1:] if re.search(rf"\b{consent_column(p)}\b", segment)]
    return ("csv", named[0]) if len(named) == 1 else ("meta", "marketing")


def addressed(rows: pd.DataFrame, destination: str) -> int:
    """How many people of an audience file (:func:`audience_frame`) it gives an address for:
    each row of a marketing destination's file is one, the plain ``csv`` lists everyone
    selected and only some of them with an e-mail."""
    return int(rows["email"].notna().sum()) if destination == "csv" else len(rows)


#: one address (``emails.ONE_ADDRESS``, what imports accept) whose first character is none a
#: spreadsheet reads as the start of a formula (``=HYPERLINK(…)@x.com``, stored by older
#: versions): such a value is no address a platform can match
_ADDRESS = re.compile(rf"(?![=+\-]){ONE_ADDRESS}")


def normalise_email(email: str | None) -> str | None:
    """The address as the store keeps it (:func:`shopperlens.emails.normalise_email`: composed,
    trimmed, lower-cased; a decomposed ``ü`` hashed to another digest than the composed one a
    platform's user typed); None for an empty value or one that is not one plain address (see
    :data:`_ADDRESS`: such a value is no address a platform can match, and in a file opened in
    a spreadsheet it could run as a formula)."""
    if email is None or (isinstance(email, float) and email != email):
        return None
    e = _normalised(str(email))
    return e if _ADDRESS.fullmatch(e) and not e.endswith(".") else None


def google_email(email: str | None) -> str | None:
    """Google's Customer Match normalisation: also drop dots before ``@gmail.com``/googlemail."""
    e = normalise_email(email)
    if e is None:
        return None
    local, _, domain = e.rpartition("@")
    if domain in _GMAIL:
        local = local.replace(".", "")
    return f"{local}@{domain}"


def sha256_hex(value: str) -> str:
    """Lower-case hex SHA-256 of the UTF-8 bytes (no salt), as both platforms require."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def audience_frame(
    customers: pd.DataFrame, destination: str, purpose: str = "marketing"
) -> pd.DataFrame:
    """The rows of the file for ``destination``, drawn by ``purpose``'s consent.

    ``customers`` has ``customer_id, type, email`` and the purpose's consent column
    (:func:`consent_column`, bool). People are listed by customer id, so a file does not
    follow the order the customers were imported in. Duplicate addresses (after normalisation)
    are written once to a marketing destination, as the first of them by customer id; such a
    destination takes only ``marketing`` (:func:`purpose_refusal`).
    """
    if destination not in DESTINATIONS:
        raise ValueError(f"unknown destination {destination!r}; choose {', '.join(DESTINATIONS)}")
    refused = purpose_refusal(purpose, destination)
    if refused:
        raise ValueError(refused)
    c = customers.sort_values("customer_id", kind="stable").reset_index(drop=True)
    consent = c[consent_column(purpose)].fillna(False).astype(bool)
    if destination == "csv":
        email = c.email.map(normalise_email).where(consent, None)
        return pd.DataFrame(
            {
                "customer_id": c.customer_id,
                "type": c.type,
                consent_column(purpose): consent,
                "email": email,
            }
        ).reset_index(drop=True)
    c = c[consent]
    emails = c.email.map(google_email if destination == "google" else normalise_email)
    c = c.assign(_email=emails).dropna(subset=["_email"]).drop_duplicates("_email")
    if destination == "meta":
        return pd.DataFrame({"email": c._email.map(sha256_hex)}).reset_index(drop=True)
    if destination == "google":
        return pd.DataFrame({"Email": c._email.map(sha256_hex)}).reset_index(drop=True)
    if destination == "mailchimp":
        return pd.DataFrame({"Email Address": c._email, "Tags": c.type}).reset_index(drop=True)
    return pd.DataFrame({"Email": c._email, "Customer Type": c.type}).reset_index(drop=True)
