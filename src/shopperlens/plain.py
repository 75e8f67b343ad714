"""Results as plain JSON-ready data, for every face that writes JSON (CLI ``--json``, the
report's ``*.json`` files).

Models, dataclasses and frames become dicts and lists all the way down: a dict holding models
or frames (``clv-report``) must not print as their ``repr`` strings. A missing number is
``None``: JSON has no NaN, and a bare ``NaN`` from ``json.dumps`` is rejected by strict parsers
and by browsers' ``JSON.parse``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from typing import Any


def plain(obj: Any, *, drop_private: bool = False) -> Any:
    """``obj`` as dicts, lists, strings, numbers, booleans and ``None``; other values (dates)
    are left for ``json.dumps(default=json_value)``. ``drop_private`` leaves out dict keys starting
    with ``_`` (a report page's presentation-only context)."""

    def go(o: Any) -> Any:
        if hasattr(o, "model_dump"):
            return go(o.model_dump(mode="json"))
        if dataclasses.is_dataclass(o) and not isinstance(o, type):
            return go(dataclasses.asdict(o))
        if hasattr(o, "to_dict") and hasattr(o, "columns"):
            return go(o.to_dict(orient="records"))
        if isinstance(o, dict):
            return {
                str(k): go(v) for k, v in o.items() if not (drop_private and str(k).startswith("_"))
            }
        if isinstance(o, list | tuple):
            return [go(v) for v in o]
        if hasattr(o, "item") and hasattr(o, "dtype"):  # a NumPy scalar
            return go(o.item())
        if isinstance(o, float) and not math.isfinite(o):
            return None
        if type(o).__name__ == "NaTType":  # pandas' missing time
            return None
        return o

    return go(obj)


def json_value(value: Any) -> Any:
    """What JSON cannot hold as it is, for ``json.dumps(default=…)``: a date or time in ISO 8601
    (``2025-04-06T00:00:00``), anything else as text. ``str`` wrote a pandas timestamp as
    ``2025-04-06 00:00:00``, so one report file held both forms beside the models' ISO dates."""
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


#: a cell starting with one of these is read as a formula by Excel, LibreOffice and Sheets
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(frame: Any) -> Any:
    """``frame`` for a CSV file, with every text cell a spreadsheet would run as a formula
    (imported data such as a customer id ``=HYPERLINK(…)``) prefixed with ``'``, as OWASP
    advises: the cell then shows as the text it is. Numbers are left alone."""
    out = frame.copy()
    for col in out.columns:
        if _may_hold_text(out[col].dtype):
            out[col] = out[col].map(spreadsheet_cell)
    return out


def spreadsheet_cell(value: Any) -> Any:
    """One cell as :func:`spreadsheet_safe` writes it: text a spreadsheet would run as a
    formula gets a leading ``'``; anything else is left as it is."""
    return "'" + value if isinstance(value, str) and value.startswith(_FORMULA_START) else value


def spreadsheet_cell_sql(expr: str) -> str:
    """:func:`spreadsheet_cell` in SQL, for a file DuckDB writes itself (``COPY``)."""
    starts = ", ".join(f"chr({ord(c)})" for c in _FORMULA_START)
    return f"CASE WHEN left({expr}, 1) IN ({starts}) THEN '''' || {expr} ELSE {expr} END"


def unprotected(cell: str) -> str:
    """A cell :func:`spreadsheet_cell` wrote, as the value it protects (``'=1+1`` is ``=1+1``),
    for reading such a file again; any other cell as it is."""
    return cell[1:] if cell[:1] == "'" and cell[1:].startswith(_FORMULA_START) else cell


def _may_hold_text(dtype: Any) -> bool:
    """Whether a column of ``dtype`` can hold text: Python objects, pandas' and Arrow's
    strings (``str``, ``string``, ``large_string[pyarrow]``) and categories, whose labels a
    CSV writes as they are (a categorical ``=1+1`` was written unprefixed)."""
    kind = str(dtype)
    return kind in ("object", "str", "category") or "string" in kind
