"""Audience files for ad platforms and e-mail tools, with e-mails normalised and hashed.

Formats (one CSV each):

* ``csv`` — ``customer_id, type, <purpose>_consent, email`` (e-mail only when consented);
* ``meta`` — Meta Custom Audience customer list: one column ``email`` holding the SHA-256
  hex digest of the trimmed, lower-cased address (Meta's Conversions API customer
  information parameters: "John_Smith@gmail.com" → ``62a14e44…0f62f``);
* ``google`` — Google Ads Customer Match: one column ``Email`` holding SHA-256 of the trimmed,
  lower-cased address with, for ``gmail.com``/``googlemail.com`` only, every ``.`` before the
  ``@`` removed (Google's documented normalisation for those domains);
* ``mailchimp`` — Mailchimp's contact import: ``Email Address, Tags``, without the addresses
  it refuses (an accented letter before the ``@``: :func:`mailchimp_takes`);
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
from dataclasses import dataclass

import pandas as pd

from shopperlens.emails import ONE_ADDRESS, inbox_key
from shopperlens.emails import normalise_email as _normalised

__all__ = [
    "CONSENT_WORDS",
    "DESTINATIONS",
    "LEFT_OUT",
    "MARKETING_DESTINATIONS",
    "PURPOSES",
    "REFUSED_ADDRESSES",
    "LeftOut",
    "addressed",
    "audience",
    "consent_column",
    "export_target",
    "google_email",
    "mailchimp_takes",
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
    """How many people of an audience file (the rows :func:`audience` gives) it gives an
    address for: each row of a marketing destination's file is one, the plain ``csv`` lists
    everyone selected and only some of them with an e-mail."""
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


#: why a selected customer has no address in a file (:func:`audience`), in the order decided
LEFT_OUT: tuple[str, ...] = ("consent", "email", "shared", "mailchimp")


@dataclass(frozen=True)
class LeftOut:
    """How many of the customers selected for a file it gives no address for, and why: each
    selected customer is counted once, so ``selected`` less these is the people it addresses.

    ``without_consent`` lack the purpose's consent; ``without_email`` have no usable address
    (:func:`normalise_email`: none, or none a platform can match); ``shared_email`` have the
    address of a customer listed before them, written once (a marketing destination);
    ``not_importable`` have one the destination's import refuses (:func:`mailchimp_takes`)."""

    without_consent: int = 0
    without_email: int = 0
    shared_email: int = 0
    not_importable: int = 0


#: why a destination's import refuses an address :func:`normalise_email` keeps, per destination
#: that refuses some (:func:`mailchimp_takes`)
REFUSED_ADDRESSES: dict[str, str] = {
    "mailchimp": "Mailchimp does not take accented letters before the @",
}


def mailchimp_takes(email: str) -> bool:
    """Whether Mailchimp's contact import takes the (normalised) address: it supports
    international characters such as ``ñ`` or ``é`` only after the ``@``
    (https://mailchimp.com/help/format-guidelines-for-your-import-file/), so ``jürgen@x.de`` is
    refused where ``info@bücher.de`` is not. Meta, Google and Klaviyo take UTF-8 addresses."""
    return email.rpartition("@")[0].isascii()


def _consented(c: pd.DataFrame, purpose: str) -> pd.Series:
    """Whether each customer gave the consent ``purpose`` draws the file by (none: no)."""
    return c[consent_column(purpose)].fillna(False).astype(bool)


def _reasons(c: pd.DataFrame, destination: str, purpose: str) -> tuple[pd.Series, pd.Series]:
    """Each customer's address as ``destination`` takes it, and why the file gives none for
    them (one of :data:`LEFT_OUT`, None when it does): the one rule the file and its counts
    (:class:`LeftOut`) are drawn by."""
    consent = _consented(c, purpose)
    email = c.email.map(google_email if destination == "google" else normalise_email)
    why = pd.Series(None, index=c.index, dtype=object).mask(~consent, "consent")
    why = why.mask(why.isna() & email.isna(), "email")
    if destination in MARKETING_DESTINATIONS:
        listed = email[why.isna()]
        # one row per inbox: jane.doe@gmail.com and janedoe+shop@gmail.com are one person's
        why.loc[listed.index[listed.map(inbox_key).duplicated().to_numpy()]] = "shared"
    if destination == "mailchimp":
        listed = email[why.isna()]
        why.loc[listed.index[~listed.map(mailchimp_takes).to_numpy(dtype=bool)]] = "mailchimp"
    return email, why


def audience(
    customers: pd.DataFrame, destination: str, purpose: str = "marketing"
) -> tuple[pd.DataFrame, LeftOut]:
    """The rows of the file for ``destination``, drawn by ``purpose``'s consent, and who of
    ``customers`` it gives no address for (:class:`LeftOut`).

    ``customers`` has ``customer_id, type, email`` and the purpose's consent column
    (:func:`consent_column`, bool). People are listed by customer id, so a file does not
    follow the order the customers were imported in. Duplicate addresses (after normalisation, one
    Gmail inbox however spelt: :func:`~shopperlens.emails.inbox_key`) are written once to a
    marketing destination, as the first of them by customer id; such a
    destination takes only ``marketing`` (:func:`purpose_refusal`). The plain ``csv`` lists
    everyone selected, with the e-mail empty for those it gives no address for.
    """
    if destination not in DESTINATIONS:
        raise ValueError(f"unknown destination {destination!r}; choose {', '.join(DESTINATIONS)}")
    refused = purpose_refusal(purpose, destination)
    if refused:
        raise ValueError(refused)
    c = customers.sort_values("customer_id", kind="stable").reset_index(drop=True)
    email, why = _reasons(c, destination, purpose)
    counts = why.value_counts()
    left = LeftOut(*(int(counts.get(reason, 0)) for reason in LEFT_OUT))
    return _file_rows(c, destination, purpose, email, why), left


def _file_rows(
    c: pd.DataFrame, destination: str, purpose: str, email: pd.Series, why: pd.Series
) -> pd.DataFrame:
    """The file's columns for ``destination`` (see :func:`audience`)."""
    if destination == "csv":
        return pd.DataFrame(
            {
                "customer_id": c.customer_id,
                "type": c.type,
                consent_column(purpose): _consented(c, purpose),
                "email": email.where(why.isna(), None),
            }
        ).reset_index(drop=True)
    kept = why.isna()
    c, email = c[kept], email[kept]
    if destination == "meta":
        return pd.DataFrame({"email": email.map(sha256_hex)}).reset_index(drop=True)
    if destination == "google":
        return pd.DataFrame({"Email": email.map(sha256_hex)}).reset_index(drop=True)
    if destination == "mailchimp":
        return pd.DataFrame({"Email Address": email, "Tags": c.type}).reset_index(drop=True)
    return pd.DataFrame({"Email": email, "Customer Type": c.type}).reset_index(drop=True)
