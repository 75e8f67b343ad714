"""Free text made fit to quote: e-mail addresses, phone numbers, IBANs, names and street
addresses masked before an answer reaches a persona card, a theme or a report.

Masking is by pattern, so it has limits, said plainly in :func:`scrub`: it catches what a
pattern or a known name can catch, not every way a person can be identified.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from functools import lru_cache

#: what :func:`scrub` writes in place of what it masks: words in brackets, never a person's.
#: A theme of free-text answers leaves them out (they are no word of the answer).
MASKS = ("[e-mail]", "[number]", "[address]", "[name]")

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")

# -- bank accounts --------------------------------------------------------------------------------
#: an IBAN (ISO 13616): a country code, two check digits and 11 to 30 letters and digits, written
#: whole (DE89370400440532013000) or in groups of four (DE89 3704 0044 0532 0130 00). Masked
#: whole, before the phone numbers: its digit groups alone read as one and left "DE89 [number]"
_IBAN = re.compile(
    r"\b[A-Z]{2}\d{2}(?:[A-Z0-9]{11,30}|(?:[ \u00a0][A-Z0-9]{4}){2,7}(?:[ \u00a0][A-Z0-9]{1,4})?)"
    r"(?![A-Za-z0-9])"
)


def _mask_ibans(text: str) -> str:
    """IBANs masked as ``[number]`` when their 11–30 characters after the check digits add up
    (four-letter groups of capitals and digits that make fewer or more are another thing)."""

    def replace(m: re.Match[str]) -> str:
        account = re.sub(r"\s", "", m.group(0))[4:]
        return "[number]" if 11 <= len(account) <= 30 else m.group(0)

    return _IBAN.sub(replace, text)


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
def _upper_letters() -> str:
    """Every upper- and title-case letter (Unicode categories Lu and Lt) as the ranges of a
    regex character class: Python's ``re`` has no ``\\p{Lu}``, and Latin-1 capitals alone
    left "- Łukasz Wójcik", "- Şule Yılmaz" and "- Иван Петров" unmasked. Built once, at
    import. Cased scripts all lie below U+20000 (the planes above hold ideographs and symbols)."""
    ranges: list[tuple[int, int]] = []
    for code in range(0x20000):
        if unicodedata.category(chr(code)) in ("Lu", "Lt"):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    return "".join(f"\\U{a:08x}" if a == b else f"\\U{a:08x}-\\U{b:08x}" for a, b in ranges)


#: an upper-case letter of any script: Ł, Ş, Č, И, Ω as well as A
_UPPER = f"[{_upper_letters()}]"
#: a capitalised word (a name): Pieter, O'Brien, Anne-Marie, Željko, Łukasz, Иван
_CAP = rf"{_UPPER}[\w'’-]*"
#: the small words inside surnames: Pieter van der Berg, Jean de la Fontaine, Maria dos Santos
_PARTICLE = r"(?:van|von|zu|der|den|de|la|le|du|da|di|del|della|dos|af|ter|ten|te|op|in\s+'t)"
_FULL_NAME = rf"{_CAP}(?:\s+(?:{_PARTICLE}\s+)*{_CAP}){{0,2}}"
#: what may follow a signature at the end of a text: punctuation and masked numbers or e-mails
_TAIL = r"(?=[\s,.;:!]*(?:\[(?:number|e-mail)\][\s,.;:!]*)*$)"
#: the last word of a sign-off before a name, in the languages of European shops: English
#: (regards, thanks, cheers), Dutch (groeten, groet), German (Grüße, Gruß, Danke), French
#: (cordialement, salutations, merci), Spanish (saludos, atentamente, gracias), Italian (saluti,
#: grazie), Portuguese (cumprimentos, obrigado), Swedish (hälsningar, tack), Danish and
#: Norwegian (hilsen, takk), Polish (pozdrawiam, z poważaniem). "Mit freundlichen Grüßen" ends in
#: one of them, so the whole phrase need not be listed.
_SIGN_OFF = r"""(?i:
    (?:kind\s+|best\s+|warm\s+)?regards|greetings|thanks|thank\s+you|cheers|best\s+wishes
  | groeten|groet
  | gr(?:ü|ue|u)(?:ß|ss)(?:e|en)?|danke(?:sch(?:ö|oe)n)?|vielen\s+dank|tsch(?:ü|ue)ss?
  | cordialement|amicalement|salutations|bien\s+à\s+vous|bises
  | saludos?|atentamente|cordialmente|gracias|abrazos?
  | saluti|saluto|grazie
  | cumprimentos|atenciosamente|obrigad[oa]|abraços
  | hälsningar|hälsning
  | hilsen|hilsner|takk
  | pozdrawiam|pozdrowienia|poważaniem|dziękuję
)"""
#: sign-offs written as capitals (LG = liebe Grüße, VG, MfG, mvh, mvg): only at the start of
#: the text, a line or a sentence, and before a name not in capitals, so a brand ("bei LG
#: Electronics", "Samsung, LG Electronics", "LG OLED") is not read as one
_SIGN_OFF_SHORT = r"(?:^|(?<=\n)|(?<=[.!?]\s))(?i:lg|vg|mfg|mvh|mvg)"
#: no name nor street is written in capitals alone (UK, EU, DHL, OLED: sizes, brands, carriers)
_NOT_ACRONYM = r"(?![A-Z0-9]{2,}\b)"
#: a signature: "- Pieter Jansen", "Regards, Pieter", "Viele Grüße\nKäthe" at the end of a text
#: (never a second sign-off: "danke! Gruß Jonas" signs Jonas, not "Gruß Jonas")
_SIGNATURE = re.compile(
    rf"(?:(?<=\s)|^)(?P<lead>[-–—~]\s*|{_SIGN_OFF}[,!]?\s+)"
    rf"(?!{_SIGN_OFF}[,!.]?\s)(?P<name>{_FULL_NAME}){_TAIL}",
    re.VERBOSE,
)
_SHORT_SIGNATURE = re.compile(
    rf"(?P<lead>{_SIGN_OFF_SHORT}[,!]?\s+){_NOT_ACRONYM}(?P<name>{_FULL_NAME}){_TAIL}",
    re.VERBOSE,
)
#: a phrase giving one's name: "my name is", "mein Name ist", "ich heiße", "je m'appelle",
#: "me llamo", "mi chiamo", "jag heter" … ("ich bin", "je suis", "soy" are left out: "ich bin
#: Stammkunde", "je suis Parisienne" say what someone is far more often than who)
_NAME_PHRASE = r"""(?i:
    my\s+name\s+is|my\s+name['’]s
  | mijn\s+naam\s+is|ik\s+heet
  | mein\s+name\s+ist|ich\s+hei(?:ß|ss)e
  | je\s+m['’]appelle|mon\s+nom\s+est
  | me\s+llamo|mi\s+nombre\s+es
  | mi\s+chiamo|il\s+mio\s+nome\s+è
  | meu\s+nome\s+é|me\s+chamo|chamo-me
  | jag\s+heter|mitt\s+namn\s+är
  | jeg\s+hedder|jeg\s+heter|mi(?:t|tt)\s+navn\s+er
  | nazywam\s+się|mam\s+na\s+imię
)"""
#: "my name is pieter jansen": the word after the phrase whatever its case, then capitalised ones
_MY_NAME = re.compile(
    rf"(?P<lead>\b{_NAME_PHRASE}\s+)"
    rf"(?P<name>[^\W\d_][\w'’-]*(?:\s+(?:{_PARTICLE}\s+)*{_CAP}){{0,2}})",
    re.VERBOSE,
)
#: words that follow "I'm" capitalised without being a name (I'm Dutch), or a name phrase
#: without being one ("ich heiße Sie willkommen", "mein Name ist nicht wichtig")
_NOT_NAMES = frozenset({
    "american", "australian", "belgian", "british", "canadian", "danish", "dutch", "english",
    "european", "french", "german", "irish", "italian", "polish", "scottish", "spanish",
    "swedish", "swiss", "very", "not", "so", "really", "just", "glad", "happy", "sorry",
    "sie", "euch", "dich", "alle", "u", "jullie", "iedereen", "nicht", "egal", "unwichtig",
    "niet", "pas", "inte", "ikke", "la", "el", "mucho", "muy",
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

    for pattern in (_SIGNATURE, _SHORT_SIGNATURE, _MY_NAME, _I_AM):
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
#: the endings of a one-word street name, then its number: Dutch (Dorpsstraat 12, Kerkplein 3),
#: German (Hauptstr. 10, Hauptstr 10, Königsallee 27, Marktplatz 1, Judengasse 4, Kurfürstendamm
#: 21, Mainufer 2), Swedish (Storgatan 5, Kungsvägen 3), Danish (Nørregade 7, Østerbrovej 3),
#: Norwegian (Storgata 5, Trondheimsveien 2). No English word ends so
_STREET_SUFFIX = r"""(?:
    straat|weg|laan|plein|gracht|kade|singel|dijk
  | str\.|str(?=\s)|strasse|straße|allee|platz|gasse|damm|ufer|chaussee|steig|pfad
  | gatan|gata|vägen|gränd|torget
  | (?<!bri)(?<!rene)gade|vej|allé|plads|torv|stræde|veien|vei|vegen
)"""
#: German -ring streets (Kaiserring 5, Ostring 3) apart: capitalised, three letters or more
#: before "ring" and no vowel right before it, so Bring, String, Spring, During and Offering,
#: followed by a number ("During 3 weeks"), are no address
_RING = rf"{_UPPER}[^\W\d_]{{2,}}(?<![aeiouyäöüAEIOUY])ring"
_STREET_WORD = (
    r"(?:street|st|road|rd|avenue|ave|lane|ln|drive|dr|boulevard|blvd|way|close|court|place)"
)
#: a street named by its word first, then its number: French and Belgian (rue de la Paix 3),
#: Spanish (calle, C/, avenida, plaza, paseo), Catalan (carrer), Italian (via, viale, piazza,
#: corso), Portuguese (rua, avenida, praça), Polish (ul.)
_STREET_FIRST = r"""(?i:
    rue|avenue|av\.|boulevard|bd\.|impasse|quai|chemin|allée
  | calle|c/|avenida|avda\.|plaza|paseo|camino|carrer|passeig|plaça
  | (?-i:Via)|viale|piazza|piazzale|corso|vicolo|largo
  | rua|travessa|praça
  | ul\.
)(?:(?<=[./])\s*|\s+)"""
#: the French street words written after the number (12 rue de la Paix, 5, avenue Foch)
_STREET_AFTER_NUMBER = (
    r"(?i:rue|avenue|av\.|boulevard|bd\.?|impasse|quai|chemin|allée|place"
    r"|route(?=\s+(?:de|du|des|d['’])))"
)
#: a word of a street's name after its street word: capitalised, after the small words that
#: join them (rue de la Paix, Via dei Mille, Calle de Alcalá, rue d'Alésia)
_STREET_PART = (
    r"(?:(?i:de|du|des|la|le|les|del|della|delle|dei|degli|di|da|do|dos|das|el|los|las)\s+"
    rf"|(?i:l|d)['’])*{_CAP}"
)
_STREET_NAME = rf"{_STREET_PART}(?:[\s-]+{_STREET_PART}){{0,3}}"
#: a house number: 5, 12a, 7 bis, 3-5
_HOUSE = r"\d{1,4}(?:\s?(?:bis|ter)\b|[a-zA-Z]\b|\s?[-/]\s?\d{1,4})?"
#: where an address written street word first ends: the end of the text or sentence, a
#: postcode, or "in"/"a"/"à"/"en" and a place ("Via Roma 12 a Milano"); "via DHL 3 times" or
#: "Am Montag 3 Zelte" go on with words and are no address
_ADDRESS_END = rf"(?=\s*(?:$|[,.;:!?)\n]|\d{{4,5}}\b|(?:in|a|à|en|i)\s+{_CAP}))"
#: German streets named with a preposition (Am Markt 5, An der Alster 12, Unter den Linden 77),
#: never a day, month or time of day ("am Montag 3.")
_GERMAN_PREPOSITION = (
    r"(?:[Aa]m|[Ii]m|[Zz]um|[Zz]ur|[Aa]n\s+der|[Aa]n\s+den|[Aa]uf\s+der|[Aa]uf\s+dem"
    r"|[Ii]n\s+der|[Ii]n\s+den|[Uu]nter\s+den|[Hh]inter\s+der|[Hh]inter\s+dem|[Vv]or\s+dem)"
)
_NOT_STREETS = (
    r"(?:Montag|Dienstag|Mittwoch|Donnerstag|Freitag|Samstag|Sonnabend|Sonntag|Wochenende"
    r"|Januar|Jänner|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November"
    r"|Dezember|Jahr|Monat|Tag|Morgen|Mittag|Abend|Anfang|Ende|Schnitt|Test|Moment)\b"
)
_ADDRESS = re.compile(
    # Dorpsstraat 12, Hauptstr. 10, Königsallee 27, Storgatan 5a: a street suffix, a number
    rf"(?i:\b[^\W\d_][\w'’-]*?{_STREET_SUFFIX}\s*{_HOUSE})"
    rf"|\b{_RING}\s*{_HOUSE}{_ADDRESS_END}"
    # Karl Johans gate 5, Drottning Kristinas väg 3: a name in the genitive, a street word
    rf"|\b(?:{_CAP}\s+){{0,2}}{_CAP}s\s+(?:gate|gata|gatan|vei|veg|vej|väg|vägen|gade)\s+{_HOUSE}"
    # 12 Main Street, 221B Baker St.: a number, capitalised words, a street word
    rf"|\b\d{{1,5}}[a-zA-Z]?\s+(?:{_CAP}\s+){{1,3}}(?i:{_STREET_WORD})\b\.?"
    # 12 rue de la Paix, 5, avenue Foch: a number, a street word, a name
    rf"|\b{_HOUSE},?\s+{_STREET_AFTER_NUMBER}\s+{_STREET_NAME}"
    # Calle Mayor 5, Via Roma 12, rue de la Paix 3, ul. Długa 5: a street word, a name, a number
    rf"|(?<!\w){_STREET_FIRST}{_NOT_ACRONYM}{_STREET_NAME},?\s+(?:n[º°o]\.?\s*)?{_HOUSE}"
    rf"{_ADDRESS_END}"
    # Am Markt 5, An der Alster 12
    rf"|\b{_GERMAN_PREPOSITION}\s+(?!{_NOT_STREETS}){_NOT_ACRONYM}{_CAP}(?:[\s-]+{_CAP}){{0,2}}\s+"
    rf"\d{{1,3}}[a-z]?\b{_ADDRESS_END}",
    re.VERBOSE,
)


def _mask_addresses(text: str) -> str:
    return _ADDRESS.sub("[address]", text)


def scrub(text: str, names: Collection[str] = ()) -> str:
    """Free text without what would identify its writer, so it can be quoted.

    Masked (the masks are :data:`MASKS`): e-mail addresses (``[e-mail]``); IBANs, with or
    without spaces, and phone numbers written with spaces, dots, dashes, slashes or parentheses
    (``[number]``, see :func:`_is_phone`: prices, years, dates and sizes stay); street
    addresses of a street word and a number as European shops' customers write them
    (``Dorpsstraat 12``, ``Königsallee 27``, ``Am Markt 5``, ``Storgatan 12``, ``12 rue de la
    Paix``, ``Via Roma 12``, ``12 Main Street``: ``[address]``); and names (``[name]``), of any
    alphabet: the ``names`` the shop knows (its customers' names, given by the caller), a
    signature at the end (``- Łukasz Wójcik``, ``Regards, Pieter``, ``Mit freundlichen Grüßen,
    Jürgen``, ``Cordialement, Marie``, ``LG Anna``), and the name after "my name is", "I'm"/"I
    am", "ich heiße", "mein Name ist", "je m'appelle", "me llamo", "mi chiamo", "jag heter" and
    their kin (:data:`_NAME_PHRASE`).

    The limit: a name the shop does not know, written anywhere else in the text ("ask Pieter
    in the shop", "ich bin Anna": "ich bin" is far more often "ich bin zufrieden" or "ich bin
    Stammkunde"), an address without a street word or number, a postcode or a city, and a
    local phone number without its area code are not recognised.
    """
    text = _mask_numbers(_mask_ibans(_EMAIL.sub("[e-mail]", text)))
    text = _mask_addresses(text)
    text = _mask_known_names(text, names)
    text = _mask_said_names(text)
    return re.sub(r"\[name\](?:\s+\[name\])+", "[name]", text).strip()
