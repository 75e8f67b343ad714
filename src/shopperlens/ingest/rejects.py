"""Rejected rows: what a check is, how checks become SQL, and how rejects are reported.

Validation runs inside DuckDB, never row by row in Python: a staged file gets one ``_reject``
column, a ``STRUCT(column, value, reason)`` that is NULL for a good row and names the *first*
failed check otherwise. That keeps validation a single streaming pass however large the file.
Every other concern that validates input (surveys, for one) reuses :class:`Check`,
:func:`reject_struct_sql`, :class:`Reject` and :func:`write_rejects`.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from shopperlens.plain import spreadsheet_cell

#: how many rejects an error message lists before "… and N more"
SHOWN_REJECTS = 10

REJECT_COLUMNS: tuple[str, ...] = ("file", "line", "column", "value", "reason")
#: an import's rejects file: ``column`` as the file names it (``Kundennummer``, Shopify's
#: ``Email``), ``canonical_column`` the column it was read as (``customer_id``, ``email``): what
#: decides whether a value is personal, and what ``erase`` finds a person's rows by
IMPORT_REJECT_COLUMNS: tuple[str, ...] = (*REJECT_COLUMNS, "canonical_column")

#: columns holding personal data (or free text that may): messages name them without their
#: value (a conflict with the store shows neither the stored nor the new one). The rejects
#: file beside the store keeps every value, so the shop can correct the row.
PERSONAL: frozenset[str] = frozenset(
    ("email", "name", "city", "birth_year", "gender", "subject", "body", "search_term", "reason")
)
#: the column of a row that could not be split into columns: its value is the whole line
ROW = "(row)"
#: how the reason of a row that could not be read starts ("malformed row: …", "malformed JSON")
MALFORMED = "malformed "
#: what messages show instead of a personal value or a whole line
WITHHELD = "(value in the rejects file)"
#: an e-mail address anywhere in a value shown in a message (a customer id, a respondent …)
_EMAIL = re.compile(r"[^\s@,;:<>()\"']+@[^\s@,;:<>()\"']+")


@dataclass(frozen=True)
class Reject:
    """One rejected row: where it is (file, line), what is wrong (column, value, reason).

    ``column`` is the file's name for the column; ``canonical`` the column it was read as, when
    that differs or is known (a mapped ``Geburtsjahr`` is ``birth_year``, personal data)."""

    file: str
    line: int
    column: str
    value: str | None
    reason: str
    canonical: str | None = None

    @property
    def withheld(self) -> bool:
        """Whether the value is one messages leave out: personal data or a whole line (a
        malformed row is named by the column the reader stopped at, its value is the line)."""
        whole_line = self.column == ROW or self.reason.startswith(MALFORMED)
        personal = (self.canonical or self.column) in PERSONAL
        return self.value is not None and (personal or whole_line)

    def public_value(self) -> str | None:
        """The value as messages show it (CLI, HTTP, job status): clipped, its e-mail
        addresses masked; a personal value or a whole line as ``(value in the rejects file)``.
        The rejects file has every value."""
        if self.value is None:
            return None
        if self.withheld:
            return WITHHELD
        return _clip(_EMAIL.sub("<e-mail>", self.value))

    def public_reason(self) -> str:
        """The reason as messages show it: e-mail addresses masked (a conflict names the stored
        customer id, a session id the visitor who holds it, and either may be an e-mail)."""
        return _EMAIL.sub("<e-mail>", self.reason)

    def __str__(self) -> str:
        """The reject as messages show it (see :meth:`public_value`, :meth:`public_reason`)."""
        value = self.public_value()
        shown = "" if value is None else f" {value}" if self.withheld else f"={value!r}"
        return f"{Path(self.file).name}:{self.line} {self.column}{shown}: {self.public_reason()}"


@dataclass(frozen=True)
class Check:
    """A row check evaluated in SQL.

    ``bad`` is a SQL boolean expression that is TRUE when the row must be rejected; ``value``
    is the SQL expression reported as the offending value (usually the raw text of ``column``).
    """

    column: str
    bad: str
    reason: str
    value: str | None = None
    #: SQL giving the reason of a row that fails (``reason`` then names it for readers)
    reason_sql: str | None = None


def sql_str(text: str) -> str:
    """A SQL string literal (single quotes doubled)."""
    return "'" + text.replace("'", "''") + "'"


def ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def reject_struct_sql(checks: Sequence[Check]) -> str:
    """``CASE`` producing ``{column, value, reason}`` for the first failed check, else NULL."""
    if not checks:
        return "NULL::STRUCT(column VARCHAR, value VARCHAR, reason VARCHAR)"
    arms = []
    for c in checks:
        value = c.value if c.value is not None else "NULL"
        arms.append(
            f"WHEN ({c.bad}) THEN {{'column': {sql_str(c.column)}, "
            f"'value': CAST({value} AS VARCHAR), 'reason': {c.reason_sql or sql_str(c.reason)}}}"
        )
    return "CASE " + " ".join(arms) + " END"


def required_check(column: str, raw: str) -> Check:
    """The value must be present (not NULL, not blank)."""
    return Check(column, f"{raw} IS NULL OR trim(CAST({raw} AS VARCHAR)) = ''", "missing value")


#: the characters no id may hold: C0 controls (NUL, tab, line breaks, escape …) and DEL, which
#: CSV tools and terminals take for structure, not text
CONTROL_CHARS = "[\\x00-\\x1f\\x7f]"
#: the ids checked for them: those naming a person, a visitor, an order and a product, which
#: every file, link, recommendation and line of output shows (orders, events, returns and the
#: products file alike)
CONTROL_CHECKED = frozenset({"customer_id", "order_id", "visitor_id", "product_id"})
#: the reason an id holding one is refused (the value is shown escaped: ``'c\\x001'``)
CONTROL_IN_ID = "holds a control character"


def control_check(column: str, raw: str, typed: str) -> Check:
    """An id holding a control character (:data:`CONTROL_CHARS`) is rejected, the reason
    naming its code point (``holds a control character U+0000``): it was stored as given and
    broke every CSV file, terminal and link that showed it."""
    found = f"regexp_extract({typed}, '{CONTROL_CHARS}')"
    return Check(
        column,
        f"{typed} IS NOT NULL AND regexp_matches({typed}, '{CONTROL_CHARS}')",
        CONTROL_IN_ID,
        raw,
        reason_sql=f"{sql_str(CONTROL_IN_ID + ' ')} || printf('U+%04X', ord({found}))",
    )


def cast_check(column: str, raw: str, typed: str, what: str) -> Check:
    """A present value that did not convert (``typed`` is NULL) is rejected as not ``what``."""
    return Check(
        column,
        f"{raw} IS NOT NULL AND trim(CAST({raw} AS VARCHAR)) <> '' AND {typed} IS NULL",
        f"not {what}",
        raw,
    )


def write_rejects(rejects: Iterable[Reject], path: Path) -> Path:
    """Write rejects as CSV (file, line, column, value, reason), replacing an older file; a
    text cell a spreadsheet would run as a formula (a value ``=HYPERLINK(…)``) starts with
    ``'`` (:func:`~shopperlens.plain.spreadsheet_cell`), every other one is as given."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(REJECT_COLUMNS)
        for r in rejects:
            value = "" if r.value is None else r.value
            w.writerow([spreadsheet_cell(c) for c in (r.file, r.line, r.column, value, r.reason)])
    return path


def describe(rejects: Sequence[Reject], total: int) -> str:
    """The first rejects, one per line, then how many more there are."""
    lines = [f"  {r}" for r in rejects[:SHOWN_REJECTS]]
    if total > len(lines):
        lines.append(f"  … and {total - len(lines)} more")
    return "\n".join(lines)


def _clip(value: str, width: int = 60) -> str:
    return value if len(value) <= width else value[: width - 1] + "…"
