"""How numbers written as text are read: with a decimal point (the default) or, when a file
says so, with a decimal comma (``1.234,50``), and which values are refused as ambiguous.

``1.250`` is 1.25 in an English file (a Kuwaiti dinar price has three decimals) and 1250 in a
German one, where the dot groups thousands. A number is never guessed:

- by default the decimal mark is the point; a value shaped as dot-grouped thousands
  (:data:`DOT_GROUPED`: ``1.250``, ``12.500``) is refused as ambiguous where the file shows
  European number writing (see :class:`NumberStyle`), and a value with a decimal comma
  (``12,50``) is not a number, the reason hinting at the option;
- with ``decimal_comma`` every number is in the format :data:`DECIMAL_COMMA`: the comma is the
  decimal mark and a dot may only group thousands (``1.234,50`` = 1234.5, ``1.250`` = 1250,
  ``12,5`` = 12.5); ``12.5``, whose dot groups no thousands, is refused.

The imports read numbers in SQL (``kinds.stage_sql`` calls the ``*_sql`` functions here, which
leave the default conversion exactly as it was). Survey answers, typed by people, are read in
Python by :func:`read_number`: an answer has no file around it to tell how it was meant, so
the ambiguous shapes (``2.500``, ``2,500``) are always refused, and a decimal comma that cannot
be a thousands separator (``2500,50``) is read as one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from shopperlens.ingest.rejects import Check, sql_str

#: value types that are numbers (see ``kinds._TYPES``)
NUMERIC_TYPES = ("int", "count", "float", "money")

#: dot-grouped thousands: ``1.250``, ``12.500``, ``1.000.000`` (a first group of one to three
#: digits not starting with 0, then groups of three). Read with a decimal point, the one-dot
#: values are numbers too (1.25): such a value is ambiguous
DOT_GROUPED = r"[+-]?[1-9][0-9]{0,2}(\.[0-9]{3})+"
#: of those, the ones a decimal point also reads (one dot)
_ONE_DOT = r"[+-]?[1-9][0-9]{0,2}\.[0-9]{3}"
#: comma-grouped thousands (``2,500``, ``1,000,000``): 2500 in English, 2.5 in German
COMMA_GROUPED = r"[+-]?[1-9][0-9]{0,2}(,[0-9]{3})+"
#: the decimal-comma format: digits, or dot-grouped thousands (a first group not starting with
#: 0: ``0.500`` groups no thousands, it is a decimal point), then an optional decimal comma and
#: digits (``1234``, ``1.234``, ``1234,5``, ``1.234,50``)
DECIMAL_COMMA = r"[+-]?([1-9][0-9]{0,2}(\.[0-9]{3})+|[0-9]+)(,[0-9]+)?"
#: a value that has a decimal comma (in that format)
HAS_COMMA = r"[+-]?([1-9][0-9]{0,2}(\.[0-9]{3})+|[0-9]+),[0-9]+"
#: comma-grouped thousands and a decimal point (``1,234.50``): unambiguous, the English way
_POINT_AFTER_COMMAS = r"[+-]?[1-9][0-9]{0,2}(,[0-9]{3})+\.[0-9]+"

#: the option as the reasons name it (the rejects file's words; the README gives the other faces')
OPTION = "--decimal-comma"
#: what a value the decimal-comma format does not read is called (after "not a number")
NOT_DECIMAL_COMMA = "in the decimal-comma format (1.234,50 or 1234,5)"


@dataclass(frozen=True)
class NumberStyle:
    """How one file's numbers are read, and the other import options that say how the file
    writes its values (they reach the staging SQL together).

    ``decimal_comma``: the file writes numbers as ``1.234,50`` (the import option).
    ``ambiguous``: the canonical columns in which a one-dot value shaped as thousands
    (``1.250``) is refused rather than read as 1.25: those of a file that shows European
    number writing (``;``-separated, or the column holds a value with a decimal comma).
    ``dates``: the order of a date written before its year (``--dates``: ``day-first`` or
    ``month-first``; ``year-first`` reads only dates whose year comes first, see
    ``kinds.ts_sql``). ``currency``: the code an order none of whose lines names a
    currency is given (``--currency``, see ``loading.stage``), or None. ``negative_lines``:
    what an orders file's line with a negative quantity is (``--negative-lines``: ``reject``,
    or ``returns``, see ``ingest.negatives``)."""

    decimal_comma: bool = False
    ambiguous: frozenset[str] = field(default_factory=frozenset)
    dates: str = "year-first"
    currency: str | None = None
    negative_lines: str = "reject"


#: the default: a decimal point, nothing refused as ambiguous
POINT = NumberStyle()


# -- SQL ------------------------------------------------------------------------------------------
def as_point_sql(raw: str, style: NumberStyle) -> str:
    """SQL: the text the number casts read. The raw text itself by default (the conversion the
    imports always had, unchanged); with a decimal comma, a value in :data:`DECIMAL_COMMA`
    rewritten with a decimal point and no thousands dots (``1.234,50`` -> ``1234.50``), and
    NULL for any other value (``12.5``), which the cast then rejects."""
    if not style.decimal_comma:
        return raw
    v = f"trim({raw})"
    return (
        f"CASE WHEN regexp_full_match({v}, '{DECIMAL_COMMA}') "
        f"THEN replace(replace({v}, '.', ''), ',', '.') END"
    )


def ambiguous_check(column: str, raw: str) -> Check:
    """A one-dot value shaped as thousands (``1.250``) is refused: 1250 or 1.25? The reason
    gives both readings (``'1.250' may be 1250 with a thousands dot or 1.25: write 1250 or
    1.25, or import with --decimal-comma``)."""
    v = f"trim({raw})"
    grouped, pointed = f"replace({v}, '.', '')", f"rtrim(rtrim({v}, '0'), '.')"
    reason = (
        f"'''' || {v} || ''' may be ' || {grouped} || ' with a thousands dot or ' || {pointed} "
        f"|| ': write ' || {grouped} || ' or ' || {pointed} || "
        f"{sql_str(f', or import with {OPTION}')}"
    )
    bad = f"{raw} IS NOT NULL AND regexp_full_match({v}, '{_ONE_DOT}')"
    return Check(
        column, bad, "may be a number with a thousands dot or a decimal point", raw, reason
    )


def _hint_sql(v: str) -> str:
    """SQL: what a number that did not convert may have been, as `` (…)`` after the reason
    (or ''): a decimal comma, thousands separators. Evaluated for rejected values only."""
    hints = (
        (
            COMMA_GROUPED,
            "a thousands comma, or a decimal comma? write the number without a thousands "
            f"separator, or import with {OPTION}",
        ),
        (HAS_COMMA, f"a decimal comma? import with {OPTION}"),
        (_POINT_AFTER_COMMAS, "a thousands comma? write the number without one"),
        (DOT_GROUPED, f"a thousands dot? import with {OPTION}"),
    )
    arms = " ".join(
        f"WHEN regexp_full_match({v}, '{shape}') THEN {sql_str(f' ({hint})')}"
        for shape, hint in hints
    )
    return f"CASE {arms} ELSE '' END"


def cast_check(column: str, raw: str, typed: str, what: str, style: NumberStyle) -> Check:
    """A present number that did not convert is rejected as not ``what`` (``a number``, ``a
    whole number``): by default with a hint when it looks written the European way
    (``not a number (a decimal comma? import with --decimal-comma)``), with a decimal comma as
    not in that format."""
    bad = f"{raw} IS NOT NULL AND trim(CAST({raw} AS VARCHAR)) <> '' AND {typed} IS NULL"
    v = f"trim({raw})"
    if style.decimal_comma:  # (``1,5`` is in the format, and still no whole number)
        reason = f"not {what} {NOT_DECIMAL_COMMA}"
        reason_sql = (
            f"CASE WHEN regexp_full_match({v}, '{DECIMAL_COMMA}') THEN {sql_str(f'not {what}')} "
            f"ELSE {sql_str(reason)} END"
        )
        return Check(column, bad, reason, raw, reason_sql)
    reason_sql = f"{sql_str(f'not {what}')} || {_hint_sql(v)}"
    return Check(column, bad, f"not {what}", raw, reason_sql)


# -- Python ---------------------------------------------------------------------------------------
class AmbiguousNumber(ValueError):
    """A number written with a thousands separator that another reading takes for a decimal
    mark (``2.500``: 2500 or 2.5?). ``str()`` is what a person filling in a form is told;
    :attr:`in_file` what an import of a file says of the value."""

    def __init__(self, text: str) -> None:
        self.text = text
        digits = re.sub(r"[.,]", "", text)
        super().__init__(f"write the number without a thousands separator (such as {digits})")
        mark = "dot" if "." in text else "comma"
        if text.count(text[-4]) == 1:  # one separator: it may also be the decimal mark
            other = text.replace(",", ".").rstrip("0").rstrip(".")
            self.in_file = (
                f"{text!r} may be {digits} with a thousands {mark} or {other}: write {digits} "
                f"or {other}, or import with {OPTION}"
            )
        else:
            self.in_file = (
                f"{text!r} has thousands {mark}s: write {digits}, or import with {OPTION}"
            )


def read_number(text: str, *, decimal_comma: bool = False) -> float:
    """A number typed as text (a survey answer), by the rules of this module.

    Default: a decimal point or a decimal comma (``2500.50``, ``2500,50``, ``1.234,50``,
    ``1,234.50``; anything else Python's ``float`` reads); a value shaped as thousands grouped
    by one separator alone (``2.500``, ``2,500``, ``1.000.000``) raises
    :class:`AmbiguousNumber`: nothing tells 2500 from 2.5. ``decimal_comma``: the value must be
    in :data:`DECIMAL_COMMA` (``2.500`` = 2500, ``2500,5``), else ``ValueError``. Whether the
    result is finite is the caller's check."""
    v = text.strip()
    if decimal_comma:
        if not re.fullmatch(DECIMAL_COMMA, v):
            raise ValueError(f"not a number {NOT_DECIMAL_COMMA}")
        return float(v.replace(".", "").replace(",", "."))
    if re.fullmatch(DOT_GROUPED, v) or re.fullmatch(COMMA_GROUPED, v):
        raise AmbiguousNumber(v)
    if re.fullmatch(HAS_COMMA, v):
        return float(v.replace(".", "").replace(",", "."))
    if re.fullmatch(_POINT_AFTER_COMMAS, v):
        return float(v.replace(",", ""))
    return float(v)
