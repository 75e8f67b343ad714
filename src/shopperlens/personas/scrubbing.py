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
#: everyday words that are also first names or surnames (Will, Grace, Price, Love, Best, Fast…):
#: alone, such a word of a known name is taken for the word, not the name. Months and their
#: short forms are here too (Jan, May, June)
NAME_WORDS = frozenset({
    "will", "mark", "grace", "rose", "price", "best", "long", "love", "young", "fast", "bill",
    "may", "june", "july", "april", "august", "jan", "feb", "mar", "apr", "jun", "jul", "aug",
    "sep", "sept", "oct", "nov", "dec", "summer", "winter", "amber", "hope", "joy", "faith",
    "art", "guy", "frank", "bob", "sue", "pat", "max", "dean", "drew", "chase", "hunter", "king",
    "brown", "green", "white", "black", "grey", "gray", "fair", "rich", "bell", "hill", "wood",
    "stone", "field", "house", "ward", "page", "park", "lane", "street", "sharp", "short",
    "little", "small", "strong", "good", "free", "star", "cash", "penny", "gold", "silver",
    "baker", "cook",
})  # fmt: skip
#: words that end a review as a dash-and-capitals phrase would end a signature ("- Highly
#: Recommended", "Thanks Again"): never taken for a signature's name
REVIEW_WORDS = frozenset({
    "recommended", "recommend", "highly", "again", "thanks", "thank", "great", "good",
    "excellent", "happy", "customer", "customers", "service", "team", "everyone", "everybody",
    "all", "guys", "folks", "amazing", "awesome", "perfect", "fantastic", "wonderful",
    "brilliant", "super", "superb", "nice", "lovely", "top", "quality", "product", "products",
    "delivery", "shipping", "value", "definitely", "absolutely", "very", "satisfied",
    "recommendation", "stars", "five", "ok", "okay", "fine", "cool", "yes", "no", "love",
    "loved", "well", "done", "quick", "fast", "cheap", "worth", "buy",
})  # fmt: skip
#: words that follow "I'm" capitalised without being a name (I'm Dutch)
_NOT_NAMES = frozenset({
    "american", "australian", "belgian", "british", "canadian", "danish", "dutch", "english",
    "european", "french", "german", "irish", "italian", "polish", "scottish", "spanish",
    "swedish", "swiss", "very", "not", "so", "really", "just", "glad", "happy", "sorry",
})  # fmt: skip


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    """scikit-learn's English stop words (again, will, may, all, …), loaded when first needed."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)


def is_common_word(word: str) -> bool:
    """An everyday English word, which a capital letter does not make a name: a stop word of
    scikit-learn's list or one of :data:`NAME_WORDS`."""
    w = word.lower().strip("'’-.")
    return w in NAME_WORDS or w in _stop_words()


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
    rf"thanks|thank\s+you|cheers)(?P<comma>[,!]?)\s+)(?P<name>{_FULL_NAME}){_TAIL}"
)
#: "my name is pieter jansen": the word after the phrase whatever its case, then capitalised ones
_MY_NAME = re.compile(
    rf"(?P<lead>\b(?i:my\s+name\s+is|my\s+name[’']s)\s+)"
    rf"(?P<name>[^\W\d_][\w'’-]*(?:\s+(?:{_PARTICLE}\s+)*{_CAP}){{0,2}})"
)
#: "I'm Pieter", "I am Pieter Jansen": a capitalised word after the phrase
_I_AM = re.compile(rf"(?P<lead>\bI(?:'m|’m|\s+am)\s+)(?P<name>{_FULL_NAME})")


def _signature_name(m: re.Match[str]) -> bool:
    """A signature's words are a name when none is a word a review ends with ("- Highly
    Recommended", "Thanks Again") and, after a dash or a sign-off without a comma, the first is
    no everyday word ("- Best Price" stays, "- Anna Rose" is a name). After "Regards," or
    "Thanks," a word that is also a first name (Will, Grace) is taken for the name it most
    likely is there."""
    words = [w for w in m.group("name").split() if not re.fullmatch(_PARTICLE, w)]
    if any(w.lower() in REVIEW_WORDS for w in words):
        return False
    if m.group("comma"):
        return not any(w.lower() in _stop_words() and w.lower() not in NAME_WORDS for w in words)
    return not is_common_word(words[0])


def _i_am_name(name: str) -> str | None:
    """The name after "I'm"/"I am": its capitalised words up to the first everyday one; none
    when the first is an everyday word, a nationality or a single letter ("I am A regular")."""
    words = name.split()
    first = words[0]
    if len(first) < 2 or first.lower() in _NOT_NAMES or is_common_word(first):
        return None
    kept = [first]
    for w in words[1:]:
        if not re.fullmatch(_PARTICLE, w) and is_common_word(w):
            break
        kept.append(w)
    while kept and re.fullmatch(_PARTICLE, kept[-1]):
        kept.pop()
    return " ".join(kept)


def _mask_said_names(text: str) -> str:
    """Names a text says are names: a signature at its end, "my name is …", "I'm …"."""

    def signature(m: re.Match[str]) -> str:
        return m.group("lead") + "[name]" if _signature_name(m) else m.group(0)

    def my_name(m: re.Match[str]) -> str:
        if m.group("name").split()[0].lower() in _NOT_NAMES:
            return m.group(0)
        return m.group("lead") + "[name]"

    def i_am(m: re.Match[str]) -> str:
        name = _i_am_name(m.group("name"))
        if name is None:
            return m.group(0)
        return m.group("lead") + "[name]" + m.group("name")[len(name) :]

    text = _SIGNATURE.sub(signature, text)
    text = _MY_NAME.sub(my_name, text)
    return _I_AM.sub(i_am, text)


#: a title before a surname: "Mrs Green", "Mr. Price" name the person whatever the word
_TITLE_BEFORE = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof)\.?\s+$")


@lru_cache(maxsize=16)
def _known_names(names: frozenset[str]) -> re.Pattern[str] | None:
    """One pattern for the names the shop knows: a whole name in any case ("pieter jansen",
    group ``whole``), and each of its words of two letters or more when written capitalised,
    as a name is ("Jansen", not "jansen"; group ``word``, judged by :func:`_mask_known_names`)."""
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
    alternatives = []
    if by_length:
        alternatives.append("(?P<whole>(?i:" + "|".join(by_length) + "))")
    if caps:
        alternatives.append("(?P<word>" + "|".join(caps) + ")")
    return re.compile(r"(?<![\w])(?:" + "|".join(alternatives) + r")(?![\w])")


def _mask_known_names(text: str, names: Collection[str]) -> str:
    """The shop's names masked: a whole name always; one of its words alone when capitalised
    and no everyday word (:func:`is_common_word`: "Price was fair", "Fast delivery" stay), or
    an everyday one after a title ("Mrs Green")."""
    pattern = _known_names(frozenset(str(n) for n in names if n and str(n).strip()))
    if pattern is None:
        return text

    def replace(m: re.Match[str]) -> str:
        word = m.group(0)
        if m.lastgroup == "whole" or not is_common_word(word):
            return "[name]"
        return "[name]" if _TITLE_BEFORE.search(text, 0, m.start()) else word

    return pattern.sub(replace, text)


# -- street addresses -------------------------------------------------------------------------
_STREET_SUFFIX = r"(?:straat|str\.|strasse|straße|weg|laan|plein|gracht|kade|singel|dijk)"
#: street words that name nothing else (Street, Road, Avenue) and the ones that do (Dr. for a
#: doctor or a brand, St. for a saint, Drive, Way, Court for a verb or a noun): those count only
#: where an address ends — at the end, before punctuation or a number (a postcode), and the
#: short ones also before a lower-case word ("221B Baker St. please"), never before a
#: capitalised one ("3 Big Boxes Dr. Martens")
_STREET_WORD = r"(?:street|road|avenue|boulevard|blvd|lane|ln|rd|ave)\b\.?"
_STREET_SHORT = r"(?:st|dr)(?:\.|\b(?!\.))"
_STREET_AMBIGUOUS = r"(?:drive|way|close|court|place|crescent|square)\b"
_ADDRESS_END = r"(?=\s*(?:$|[,;:!?)\n]|\d)|\.(?:\s|$))"
_ADDRESS = re.compile(
    # Dorpsstraat 12, Hauptstr. 10, Kerkstraat 5a: a word ending in a street suffix, a number
    rf"(?i:\b[^\W\d_][\w'’-]*?{_STREET_SUFFIX}\s*\d{{1,4}}(?:\s?[a-z]\b)?)"
    # 12 Main Street, 221B Baker St.: a number, one to three capitalised words, a street word
    rf"|\b\d{{1,5}}[a-zA-Z]?\s+(?:{_CAP}\s+){{1,3}}(?:"
    rf"(?i:{_STREET_WORD})"
    rf"|(?i:{_STREET_SHORT})(?:{_ADDRESS_END}|(?=\s+[a-z]))"
    rf"|(?i:{_STREET_AMBIGUOUS}){_ADDRESS_END})"
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

    Everyday words stay, though a name may be spelt the same (:func:`is_common_word`): a known
    name whole is masked in any case ("will price"), but one of its words alone only when
    capitalised and no everyday word ("Jansen", not "Price was fair" or "Fast delivery" for
    customers called Will Price and Bill Fast) or after a title ("Mrs Green"); a signature or
    "I'm …" is no name when a word of it is an everyday or review word ("- Highly Recommended",
    "Thanks Again", "I am A regular"); and Dr., St., Drive or Way end an address only where an
    address ends ("3 Big Boxes Dr. Martens" stays).

    The limit: a name the shop does not know, written anywhere else in the text ("ask Pieter
    in the shop"), an address without a street word or number, a postcode or a city, and a
    local phone number without its area code are not recognised.
    """
    text = _mask_numbers(_EMAIL.sub("[e-mail]", text))
    text = _mask_addresses(text)
    text = _mask_known_names(text, names)
    text = _mask_said_names(text)
    return re.sub(rf"\[name\](?:\s+(?:{_PARTICLE}\s+)*\[name\])+", "[name]", text).strip()
