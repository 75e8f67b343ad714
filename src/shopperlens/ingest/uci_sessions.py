"""The UCI "Online Shoppers Purchasing Intention" file -> sessions rows (origin ``import``).

Sakar et al. (2019), UCI dataset #468: 12,330 session-level aggregates of a real online shop
(page counts and durations per page group, Google-Analytics bounce/exit rates and page value,
month, visitor type, whether the session bought). It has no ids and no timestamps, so a
session's id is ``uci-<line>`` (stable: the file is fixed) and started_at stays NULL.
"""

from __future__ import annotations

from shopperlens.errors import ShopperlensError
from shopperlens.ingest.generic import line_sql
from shopperlens.ingest.kinds import KINDS
from shopperlens.ingest.reading import Source
from shopperlens.ingest.rejects import ident

#: UCI column -> sessions column
COLUMNS: dict[str, str] = {
    "Administrative": "administrative",
    "Administrative_Duration": "administrative_duration",
    "Informational": "informational",
    "Informational_Duration": "informational_duration",
    "ProductRelated": "product_related",
    "ProductRelated_Duration": "product_related_duration",
    "BounceRates": "bounce_rate",
    "ExitRates": "exit_rate",
    "PageValues": "page_value",
    "SpecialDay": "special_day",
    "Month": "month",
    "OperatingSystems": "operating_system",
    "Browser": "browser",
    "Region": "region",
    "TrafficType": "traffic_type",
    "VisitorType": "visitor_type",
    "Weekend": "weekend",
    "Revenue": "revenue",
}
#: sessions column -> the UCI column a reject names
FILE_COLUMNS: dict[str, str] = {canonical: uci for uci, canonical in COLUMNS.items()}
SIGNATURE: tuple[str, ...] = ("Administrative", "ProductRelated_Duration", "Revenue")


def looks_like(columns: tuple[str, ...]) -> bool:
    return set(SIGNATURE) <= set(columns)


def raw_select(source: Source) -> str:
    """``_line`` + ``_r_<sessions column>`` text columns from the UCI file."""
    missing = [c for c in COLUMNS if c not in source.columns]
    if missing:
        raise ShopperlensError(
            f"{source.name}: not the UCI Online Shoppers file, missing {', '.join(missing)}"
        )
    fields = {canonical: ident(uci) for uci, canonical in COLUMNS.items()}
    fields["session_id"] = "'uci-' || lpad(CAST(_line AS VARCHAR), 6, '0')"
    # derived counts the analyses share with event-derived sessions
    fields["page_views"] = (
        f"TRY_CAST({ident('Administrative')} AS INT) + TRY_CAST({ident('Informational')} AS INT)"
        f" + TRY_CAST({ident('ProductRelated')} AS INT)"
    )
    fields["product_views"] = ident("ProductRelated")
    fields["duration_s"] = (
        f"TRY_CAST({ident('Administrative_Duration')} AS DOUBLE)"
        f" + TRY_CAST({ident('Informational_Duration')} AS DOUBLE)"
        f" + TRY_CAST({ident('ProductRelated_Duration')} AS DOUBLE)"
    )
    fields["purchases"] = f"CASE WHEN upper({ident('Revenue')}) = 'TRUE' THEN 1 ELSE 0 END"
    cols = ", ".join(
        f"CAST({fields.get(c.name, 'NULL')} AS VARCHAR) AS {ident('_r_' + c.name)}"
        for c in KINDS["sessions"].columns
    )
    return (
        f"SELECT _line, {cols} FROM (SELECT {line_sql(source)} AS _line, * FROM {source.relation})"
    )
