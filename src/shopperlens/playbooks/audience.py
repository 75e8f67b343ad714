"""Audience files for ad platforms and e-mail tools, with e-mails normalised and hashed.

Formats (one CSV each):

* ``csv`` — ``customer_id, type, marketing_consent, email`` (e-mail only when consented);
* ``meta`` — Meta Custom Audience customer list: one column ``email`` holding the SHA-256
  hex digest of the trimmed, lower-cased address (Meta's Conversions API customer
  information parameters: "John_Smith@gmail.com" → ``62a14e44…0f62f``);
* ``google`` — Google Ads Customer Match: one column ``Email`` holding SHA-256 of the trimmed,
  lower-cased address with, for ``gmail.com``/``googlemail.com`` only, every ``.`` before the
  ``@`` removed (Google's documented normalisation for those domains);
* ``mailchimp`` — Mailchimp's contact import: ``Email Address, Tags``;
* ``klaviyo`` — Klaviyo's list import: ``Email, Customer Type``.

Only customers with marketing consent reach a marketing destination; the plain ``csv`` lists
everyone selected but leaves the e-mail empty for those without consent. No function here logs
an address.
"""

from __future__ import annotations

import hashlib
import re

import pandas as pd

from shopperlens.emails import ONE_ADDRESS

__all__ = [
    "DESTINATIONS",
    "MARKETING_DESTINATIONS",
    "audience_frame",
    "google_email",
    "normalise_email",
    "sha256_hex",
]

DESTINATIONS: tuple[str, ...] = ("csv", "meta", "google", "mailchimp", "klaviyo")
MARKETING_DESTINATIONS: frozenset[str] = frozenset({"meta", "google", "mailchimp", "klaviyo"})
_GMAIL = ("gmail.com", "googlemail.com")


#: one address (``emails.ONE_ADDRESS``, what imports accept) whose first character is none a
#: spreadsheet reads as the start of a formula (``=HYPERLINK(…)@x.com``, stored by older
#: versions): such a value is no address a platform can match
_ADDRESS = re.compile(rf"(?![=+\-]){ONE_ADDRESS}")


def normalise_email(email: str | None) -> str | None:
    """Trimmed and lower-cased; None for an empty value or one that is not one plain address
    (see :data:`_ADDRESS`: such a value is no address a platform can match, and in a file
    opened in a spreadsheet it could run as a formula)."""
    if email is None or (isinstance(email, float) and email != email):
        return None
    e = str(email).strip().lower()
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


def audience_frame(customers: pd.DataFrame, destination: str) -> pd.DataFrame:
    """The rows of the file for ``destination``.

    ``customers`` has ``customer_id, type, email, marketing_consent`` (bool). Duplicate
    addresses (after normalisation) are written once.
    """
    if destination not in DESTINATIONS:
        raise ValueError(f"unknown destination {destination!r}; choose {', '.join(DESTINATIONS)}")
    c = customers.copy()
    consent = c.marketing_consent.fillna(False).astype(bool)
    if destination == "csv":
        email = c.email.map(normalise_email).where(consent, None)
        return pd.DataFrame(
            {
                "customer_id": c.customer_id,
                "type": c.type,
                "marketing_consent": consent,
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
