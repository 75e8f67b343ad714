"""One normalisation of e-mail addresses, the same in SQL and in Python.

Imports key customers by their e-mail (``email_key_sql``) in DuckDB, while erase, survey
answers and the public routes normalise what a person types in Python. The two used to differ:
DuckDB's ``trim`` removes spaces only (an address ending in a tab kept it) and its ``lower``
maps ``İ`` to ``i`` where Python's gives ``i`` and a combining dot, so ``erase --email`` found
neither such customer nor the tickets keyed by their address. Both sides now strip the same
characters (Python's whitespace) and lower-case the same way: DuckDB's ``lower`` is the simple
per-character mapping, which Python's ``lower`` equals on every code point but ``İ``.
"""

from __future__ import annotations

#: every character Python's ``str.strip()`` removes (Unicode whitespace; a test checks it)
SPACE: str = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


#: a character of either side of one address: none of those that separate or quote addresses
#: (``a@b.com;c@d.com`` is two, ``Name <a@b.com>`` a display name) and no whitespace, the
#: characters of :data:`SPACE` listed: ``\\s`` is ASCII whitespace in DuckDB's RE2 and all of
#: Unicode's in Python, so an address holding a no-break space passed the import and failed
#: the export (the same class now in both)
ADDRESS_CHAR = "[^@" + SPACE + ',;:<>()\\[\\]"\\\\]'
#: one address: such characters, one ``@``, such characters (imports reject anything else)
ONE_ADDRESS = f"{ADDRESS_CHAR}+@{ADDRESS_CHAR}+"


def normalise_email(email: str) -> str:
    """An e-mail as the store keeps it: without whitespace at either end, lower-cased
    character by character (as :func:`email_sql` does in DuckDB)."""
    return "".join("i" if ch == "\u0130" else ch.lower() for ch in email.strip(SPACE))


def trim_sql(value: str) -> str:
    """SQL: ``value`` without whitespace at either end (the characters of :data:`SPACE`)."""
    return f"trim({value}, '{SPACE}')"


def email_sql(value: str) -> str:
    """SQL: ``value`` normalised as :func:`normalise_email` does it."""
    return f"lower({trim_sql(value)})"


def unwrap_sql(value: str) -> str:
    """SQL: the address of ``value`` (an e-mail as :func:`email_sql` gives it) written as
    ``Name <a@x.org>`` (help desks and mail clients export requesters so) or
    ``mailto:a@x.org``; any other value as it is."""
    inside = f"trim(regexp_extract({value}, '<([^<>]*)>', 1), '{SPACE}')"
    return (
        f"CASE WHEN regexp_full_match({value}, '[^<>]*<[^<>]*>') THEN {inside} "
        f"WHEN starts_with({value}, 'mailto:') THEN substr({value}, 8) ELSE {value} END"
    )
