"""Free text made fit to quote: e-mail addresses, phone numbers, names and street addresses
masked before an answer reaches a persona card, a theme or a report.

Masking is by pattern, so it has limits, said plainly in :func:`scrub`: it catches what a
pattern or a known name can catch, not every way a person can be identified.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from functools import lru_cache

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")

# -- phone numbers ------------------------------------------------------------------------------
#: a date (12.03.2024, 2024-03-12, 1/3/24): kept, although it is digits and separators. The
#: separators must agree, and a two-digit year must end the run (06.12.34.56.78 is a number)
_DATE = r"""
    (?<![\d.])(?:
        \d{1,2}(?P<sep>[./-])\d{1,2}(?P=sep)(?:\d{4}(?![./-]?\d)|\d{2}(?![\s./-]?\d))
      | \d{4}(?P<iso>[./-])\d{1,2}(?P=iso)\d{1,2}(?![./-]?\d)
    )
"""
#: an amount after a currency sign or code (EUR 125 000 000): kept
_MONEY = r"(?:[€$£]|\b(?:eur|usd|gbp|chf)\b)\s?\d+(?:[\s.,]\d{3})*(?:[.,]\d{1,2})?(?!\d)"
#: digits in groups joined by spaces, dots, dashes, slashes or parentheses, optionally with a
#: leading + or (: +31 (0)6-1234 5678, 06.12.34.56.78, (020) 123 4567. Not glued to a letter,
#: so a size (45l) or an ordinal is no candidate
_DIGITS = r"(?<!\w)(?:\+|\()?\d(?:[ .\-/()]{0,3}\d)*\)?(?![\w])"
_CANDIDATE = re.compile(
    rf"(?P<date>{_DATE})|(?P<money>{_MONEY})|(?P<digits>{_DIGITS})",
    re.IGNORECASE | re.VERBOSE,
)
#: an amount's currency after the number (125 000 000 euro): kept
_CURRENCY_AFTER = re.compile(r"\s?(?:[€$£]|(?:eur|euros?|usd|dollars?|gbp|pounds?)\b)", re.I)


def _is_phone(digits: str, after: str) -> bool:
    """Digits that make a phone number: 9 or more of them (a national number with its area
    code; more is an international one, two numbers written together or a card number, all to
    be masked), or 8 when it starts with + or 0 (a short national number). Fewer — a price, a
    year, a year range (2019-2024: 8 digits, starting with 2), a local number without its area
    code — are left alone, as is an amount whose currency follows it."""
    count = sum(ch.isdigit() for ch in digits)
    if _CURRENCY_AFTER.match(after):
        return False
    return count >= 9 or (count == 8 and digits.lstrip("(").startswith(("+", "0")))


def _mask_numbers(text: str) -> str:
    """Phone numbers masked as ``[number]``; dates and amounts of money kept as written."""

    def replace(m: re.Match[str]) -> str:
        found = m.group("digits")
        if found and _is_phone(found, text[m.end() :]):
            return "[number]"
        return m.group(0)

    return _CANDIDATE.sub(replace, text)


# -- names ----------------------------------------------------------------------------------------
#: a capitalised word (a name): Pieter, O'Brien, Anne-Marie, Željko
_CAP = r"[A-ZÀ-ÖØ-Þ][\w'’-]*"
#: the small words inside surnames: Pieter van der Berg, Jean de la Fontaine
_PARTICLE = r"(?:van|von|der|den|de|la|le|du|da|di|ter|ten|te|op|in\s+'t)"
_FULL_NAME = rf"{_CAP}(?:\s+(?:{_PARTICLE}\s+)*{_CAP}){{0,2}}"
#: what may follow a signature at the end of a text: punctuation and masked numbers or e-mails
_TAIL = r"(?=[\s,.;:!]*(?:\[(?:number|e-mail)\][\s,.;:!]*)*$)"
#: a signature: "- Pieter Jansen" or "Regards, Pieter" at the end of the text
_SIGNATURE = re.compile(
    rf"(?:(?<=\s)|^)(?P<lead>[-–—~]\s*|(?i:(?:kind\s+|best\s+)?regards|groeten|greetings|"
    rf"thanks|thank\s+you|cheers)[,!]?\s+)(?P<name>{_FULL_NAME}){_TAIL}"
)
#: "my name is pieter jansen": the word after the phrase whatever its case, then capitalised ones
_MY_NAME = re.compile(
    rf"(?P<lead>\b(?i:my\s+name\s+is|my\s+name[’']s)\s+)"
    rf"(?P<name>[^\W\d_][\w'’-]*(?:\s+(?:{_PARTICLE}\s+)*{_CAP}){{0,2}})"
)
#: words that follow "I'm" capitalised without being a name (I'm Dutch)
_NOT_NAMES = frozenset({
    "american", "australian", "belgian", "british", "canadian", "danish", "dutch", "english",
    "european", "french", "german", "irish", "italian", "polish", "scottish", "spanish",
    "swedish", "swiss", "very", "not", "so", "really", "just", "glad", "happy", "sorry",
})  # fmt: skip
#: "I'm Pieter", "I am Pieter Jansen": a capitalised word after the phrase
_I_AM = re.compile(rf"(?P<lead>\bI(?:'m|’m|\s+am)\s+)(?P<name>{_FULL_NAME})")


def _mask_said_names(text: str) -> str:
    """Names a text says are names: a signature at its end, "my name is …", "I'm …"."""

    def replace(m: re.Match[str]) -> str:
        name = m.group("name")
        if name.split()[0].lower() in _NOT_NAMES:
            return m.group(0)
        return m.group("lead") + "[name]"

    for pattern in (_SIGNATURE, _MY_NAME, _I_AM):
        text = pattern.sub(replace, text)
    return text


@lru_cache(maxsize=16)
def _known_names(names: frozenset[str]) -> re.Pattern[str] | None:
    """One pattern for the names the shop knows: a whole name in any case ("pieter jansen"),
    and each of its words of two letters or more when written capitalised, as a name is
    ("Jansen", but not "green" for a customer called Green)."""
    whole, words = set(), set()
    for name in names:
        parts = [w for w in re.split(r"\s+", name.strip()) if w]
        if len(parts) > 1:
            whole.add(r"\s+".join(re.escape(p) for p in parts))
        words |= {p for p in parts if len(p) >= 2 and p[0].isalpha()}
    if not whole and not words:
        return None
    by_length = sorted(whole, key=len, reverse=True)
    spelt = {form for w in words for form in (w[0].upper() + w[1:], w.capitalize())}
    caps = sorted((re.escape(w) for w in spelt), key=len, reverse=True)
    alternatives = [f"(?i:{w})" for w in by_length] + caps
    return re.compile(r"(?<![\w])(?:" + "|".join(alternatives) + r")(?![\w])")


def _mask_known_names(text: str, names: Collection[str]) -> str:
    pattern = _known_names(frozenset(str(n) for n in names if n and str(n).strip()))
    return pattern.sub("[name]", text) if pattern is not None else text


# -- street addresses -------------------------------------------------------------------------
_STREET_SUFFIX = r"(?:straat|str\.|strasse|straße|weg|laan|plein|gracht|kade|singel|dijk)"
_STREET_WORD = (
    r"(?:street|st|road|rd|avenue|ave|lane|ln|drive|dr|boulevard|blvd|way|close|court|place)"
)
_ADDRESS = re.compile(
    # Dorpsstraat 12, Hauptstr. 10, Kerkstraat 5a: a word ending in a street suffix, a number
    rf"(?i:\b[^\W\d_][\w'’-]*?{_STREET_SUFFIX}\s*\d{{1,4}}(?:\s?[a-z]\b)?)"
    # 12 Main Street, 221B Baker St.: a number, capitalised words, a street word
    rf"|\b\d{{1,5}}[a-zA-Z]?\s+(?:{_CAP}\s+){{1,3}}(?i:{_STREET_WORD})\b\.?"
)


def _mask_addresses(text: str) -> str:
    return _ADDRESS.sub("[address]", text)


def scrub(text: str, names: Collection[str] = ()) -> str:
    """Free text without what would identify its writer, so it can be quoted.

    Masked: e-mail addresses (``[e-mail]``); phone numbers written with spaces, dots, dashes,
    slashes or parentheses (``[number]``, see :func:`_is_phone`: prices, years, dates and
    sizes stay); street addresses of a street word and a number (``Dorpsstraat 12``, ``12 Main
    Street``: ``[address]``); and names (``[name]``): the ``names`` the shop knows (its
    customers' names, given by the caller), a signature at the end (``- Pieter Jansen``,
    ``Regards, Pieter``), and the name after "my name is" or "I'm"/"I am".

    The limit: a name the shop does not know, written anywhere else in the text ("ask Pieter
    in the shop"), an address without a street word or number, a postcode or a city, and a
    local phone number without its area code are not recognised.
    """
    text = _mask_numbers(_EMAIL.sub("[e-mail]", text))
    text = _mask_addresses(text)
    text = _mask_known_names(text, names)
    text = _mask_said_names(text)
    return re.sub(r"\[name\](?:\s+\[name\])+", "[name]", text).strip()
