"""One normalisation of e-mail addresses, the same in SQL and in Python.

Imports key customers by their e-mail (``email_key_sql``) in DuckDB, while erase, survey
answers and the public routes normalise what a person types in Python. The two used to differ:
DuckDB's ``trim`` removes spaces only (an address ending in a tab kept it) and its ``lower``
maps ``İ`` to ``i`` where Python's gives ``i`` and a combining dot, so ``erase --email`` found
neither such customer nor the tickets keyed by their address. Both sides now strip the same
characters (Python's whitespace) and lower-case the same way: DuckDB's ``lower`` is the simple
per-character mapping, which Python's ``lower`` equals on every code point but ``İ``.

Both sides also put an address in Unicode's composed form (NFC) before and after
lower-casing it. ``jürgen@example.de`` typed on a Mac or pasted from some programs arrives
decomposed (``u`` and a combining diaeresis), another export composed (``ü``): the two look
alike, yet were stored as two addresses, keyed two customers (``e-<hash>`` differs) and gave
``erase --email`` and the audiences' hashes only one of them. NFC is the form RFC 6532 and the
ad platforms expect. It runs again after lower-casing, which can make a pair that composes
(``J`` and a combining caron is ``J̌``, lower-cased ``ǰ``).
"""

from __future__ import annotations

import unicodedata

#: every character Python's ``str.strip()`` removes (Unicode whitespace; a test checks it)
SPACE: str = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


#: the characters no one sees in an address, as the body of a regex class that RE2 and
#: Python read alike: the control characters (Unicode's ``Cc``, U+0000-U+001F and
#: U+007F-U+009F, written as escapes: a SQL string cannot hold a NUL) and the format
#: characters (``Cf`` as of Unicode 14: the soft hyphen U+00AD, the zero-width space U+200B,
#: the direction marks U+200E/U+200F, U+FEFF …; a test checks the list), except the zero-width
#: non-joiner and joiner U+200C/U+200D, which Persian and Indic script addresses need. An
#: address holding one was stored as written while people type it without, so ``erase
#: --email`` and the audiences' hashes never matched it: imports reject it
INVISIBLE: str = (
    "\\x00-\\x1f\\x7f-\\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    "\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f"
)

#: a character of either side of one address: none of those that separate or quote addresses
#: (``a@b.com;c@d.com`` is two, ``Name <a@b.com>`` a display name), no whitespace, the
#: characters of :data:`SPACE` listed: ``\\s`` is ASCII whitespace in DuckDB's RE2 and all of
#: Unicode's in Python, so an address holding a no-break space passed the import and failed
#: the export (the same class now in both), and none of :data:`INVISIBLE`
ADDRESS_CHAR = "[^@" + SPACE + INVISIBLE + ',;:<>()\\[\\]"\\\\]'
#: one address: such characters, one ``@``, such characters (imports reject anything else)
ONE_ADDRESS = f"{ADDRESS_CHAR}+@{ADDRESS_CHAR}+"


def nfc(text: str) -> str:
    """``text`` in Unicode's composed form (NFC), as :func:`nfc_sql` gives it in DuckDB."""
    return unicodedata.normalize("NFC", text)


def normalise_email(email: str) -> str:
    """An e-mail as the store keeps it: composed (NFC), without whitespace at either end,
    lower-cased character by character and composed again (as :func:`email_sql` does in
    DuckDB). Every comparison, id and hash of an address goes through this function or its
    SQL twin."""
    trimmed = nfc(email).strip(SPACE)
    return nfc("".join("i" if ch == "\u0130" else ch.lower() for ch in trimmed))


def trim_sql(value: str) -> str:
    """SQL: ``value`` without whitespace at either end (the characters of :data:`SPACE`)."""
    return f"trim({value}, '{SPACE}')"


def nfc_sql(value: str) -> str:
    """SQL: ``value`` in Unicode's composed form (NFC), as :func:`nfc` gives it.

    DuckDB's ``nfc_normalize`` drops everything after a NUL character of a value it has to
    change (``"u\u0308@x.de\x00evil"`` came back as ``"ü@x.de"``, an address the import's
    checks would pass), so each part between NULs is composed on its own: a NUL composes
    with nothing, which makes that the whole value's NFC."""
    return (
        f"array_to_string(list_transform(string_split({value}, chr(0)), "
        "lambda part: nfc_normalize(part)), chr(0))"
    )


def email_sql(value: str) -> str:
    """SQL: ``value`` normalised as :func:`normalise_email` does it."""
    return nfc_sql(f"lower({trim_sql(nfc_sql(value))})")


def unwrap_sql(value: str) -> str:
    """SQL: the address of ``value`` (an e-mail as :func:`email_sql` gives it) written as
    ``Name <a@x.org>`` (help desks and mail clients export requesters so) or
    ``mailto:a@x.org``; any other value as it is."""
    inside = f"trim(regexp_extract({value}, '<([^<>]*)>', 1), '{SPACE}')"
    return (
        f"CASE WHEN regexp_full_match({value}, '[^<>]*<[^<>]*>') THEN {inside} "
        f"WHEN starts_with({value}, 'mailto:') THEN substr({value}, 8) ELSE {value} END"
    )


def invisible_sql(value: str) -> str:
    """SQL: ``U+200B`` for the first character of :data:`INVISIBLE` in ``value``, else ''."""
    first = f"regexp_extract({value}, '[{INVISIBLE}]')"
    return f"CASE WHEN {first} = '' THEN '' ELSE printf('U+%04X', ord({first})) END"


#: the domains of one mail service, Gmail: ``googlemail.com`` is the same mailbox as ``gmail.com``
GMAIL_DOMAINS: tuple[str, ...] = ("gmail.com", "googlemail.com")


def inbox_key(email: str) -> str:
    """The inbox an address delivers to, as the consent rule and "who shares an address"
    compare addresses: :func:`normalise_email`, and for Gmail (``gmail.com`` and
    ``googlemail.com``, written ``gmail.com``) without the dots and the ``+tag`` of the local
    part. Gmail delivers ``jane.doe@gmail.com``, ``janedoe+shop@gmail.com`` and
    ``janedoe@googlemail.com`` to one inbox, and Google treats them as one account, so a
    refusal under one spelling is the inbox owner's refusal under every spelling. Other
    domains decide themselves what dots and ``+`` mean: only normalised. (Google's Customer
    Match hash has its own rule: ``playbooks.audience.google_email``.) The same as
    :func:`inbox_key_sql` in DuckDB."""
    address = normalise_email(email)
    local, at, domain = address.rpartition("@")
    if not at or domain not in GMAIL_DOMAINS:
        return address
    return (local.split("+", 1)[0].replace(".", "") or local) + "@" + GMAIL_DOMAINS[0]


def inbox_key_sql(value: str) -> str:
    """SQL: ``value`` as :func:`inbox_key` gives it (NULL for NULL)."""
    domains = "|".join(d.replace(".", "[.]") for d in GMAIL_DOMAINS)
    local = "regexp_extract(a, '^(.*)@', 1)"
    bare = f"replace(split_part({local}, '+', 1), '.', '')"
    return (
        f"list_transform([{email_sql(value)}], lambda a: CASE WHEN "
        f"regexp_matches(a, '@({domains})$') THEN coalesce(nullif({bare}, ''), {local}) "
        f"|| '@{GMAIL_DOMAINS[0]}' ELSE a END)[1]"
    )
