"""The generic format: CSV, TSV, Parquet or JSON Lines (optionally gzip) with canonical columns.

Column names are matched case-insensitively (``Customer ID`` = ``customer_id``); other names
are mapped with ``--map their=canonical`` or a mapping file (YAML or JSON, either a flat
``{their: canonical}`` object or ``{"columns": {their: canonical}}``). Unknown columns are
ignored, missing optional ones are NULL, missing required ones stop the import.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from os import PathLike
from pathlib import Path

import duckdb
import yaml

from shopperlens._yaml import load_text as yaml_text
from shopperlens._yaml import problem as yaml_problem
from shopperlens.errors import ShopperlensError
from shopperlens.ingest.kinds import KINDS, KindSpec, no_value_sql
from shopperlens.ingest.reading import Source, delimiter, header_line
from shopperlens.ingest.rejects import ident
from shopperlens.textfiles import parse_json

MappingArg = Mapping[str, str] | str | Path | None


#: spellings of a canonical column common enough in exports to be read as it (``E-mail``)
HEADER_ALIASES: dict[str, str] = {"e_mail": "email"}


def normalise_header(name: str) -> str:
    """``" Customer ID "`` -> ``customer_id``: how headers are compared with canonical names
    (``E-mail``, see :data:`HEADER_ALIASES`, is ``email``)."""
    norm = re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")
    return HEADER_ALIASES.get(norm, norm)


def load_mapping(mapping: MappingArg) -> dict[str, str]:
    """A ``{their_column: canonical_column}`` dict from a dict or a YAML/JSON file."""
    if mapping is None:
        return {}
    if isinstance(mapping, Mapping):
        return {str(k): str(v) for k, v in mapping.items()}
    if not isinstance(mapping, str | PathLike):  # (a list gave TypeError from Path())
        raise ShopperlensError(
            "a mapping is {their_name: canonical_name} or the path of a YAML/JSON mapping file, "
            f"not a {type(mapping).__name__}"
        )
    path = Path(mapping)
    if not path.is_file():
        raise ShopperlensError(f"mapping file {path} does not exist")
    try:
        text = path.read_text("utf-8")
    except UnicodeDecodeError:
        raise ShopperlensError(f"mapping file {path.name} is not UTF-8 text") from None
    name = f"mapping file {path.name}"
    data = parse_json(text, name) if path.suffix.lower() == ".json" else _yaml_mapping(text, name)
    if isinstance(data, dict) and isinstance(data.get("columns"), dict):
        data = data["columns"]
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise ShopperlensError(
            f"mapping file {path.name} must map column names to canonical names "
            "(their_name: canonical_name)"
        )
    return {str(k): v for k, v in data.items()}


def _yaml_mapping(text: str, name: str) -> object:
    """A YAML mapping file's content, or refused in one line with the error's place (a JSON
    one is refused by :func:`~shopperlens.textfiles.parse_json`)."""
    try:
        return yaml_text(text)
    except yaml.YAMLError as exc:
        raise ShopperlensError(f"{name} is not valid YAML/JSON: {yaml_problem(exc)}") from None


def parse_map_options(items: list[str] | None) -> dict[str, str]:
    """``["Their Name=customer_id", …]`` (the CLI's ``--map``) -> a mapping dict."""
    out: dict[str, str] = {}
    for item in items or []:
        their, sep, canonical = item.partition("=")
        if not sep or not their.strip() or not canonical.strip():
            raise ShopperlensError(f"--map expects their_name=canonical_name, got {item!r}")
        their, canonical = their.strip(), canonical.strip()
        if their in out and out[their] != canonical:
            raise ShopperlensError(
                f"--map gives {their!r} twice ({out[their]} and {canonical}); map it once"
            )
        out[their] = canonical
    return out


def first_line(source: Source) -> int:
    """The line number of the file's first row: CSV counts the header line; JSON Lines and
    Parquet count rows."""
    return 2 if source.layout in ("csv", "tsv") else 1


def line_sql(source: Source) -> str:
    """The row's line in the file (see :func:`first_line`), numbered while reading."""
    return f"(row_number() OVER () + {first_line(source) - 1})"


def match_columns(source: Source, spec: KindSpec, mapping: Mapping[str, str]) -> dict[str, str]:
    """``{canonical: file column}`` for the spec's columns found in the file."""
    unknown = sorted(set(mapping.values()) - set(spec.names))
    if unknown:
        raise ShopperlensError(
            f"--map targets {', '.join(unknown)} are not {spec.kind} columns; "
            f"canonical columns are: {', '.join(spec.names)}"
        )
    _refuse_mapped_twice(source, mapping)
    found: dict[str, str] = {}
    by_norm = {normalise_header(c): c for c in source.columns}
    _refuse_repeated(source, spec, set(mapping.values()))
    for their, canonical in mapping.items():
        col = their if their in source.columns else by_norm.get(normalise_header(their))
        if col is None:
            raise ShopperlensError(f"{source.name}: --map names column {their!r}, not in the file")
        found[canonical] = col
    for name in spec.names:
        if name not in found and name in by_norm and by_norm[name] not in mapping:
            found[name] = by_norm[name]
    return found


def _refuse_mapped_twice(source: Source, mapping: Mapping[str, str]) -> None:
    """Two columns mapped to one canonical column stop the import (the last would win)."""
    sources: dict[str, list[str]] = {}
    for their, canonical in mapping.items():
        sources.setdefault(canonical, []).append(their)
    for canonical, theirs in sources.items():
        if len(theirs) > 1:
            shown = " and ".join(repr(t) for t in theirs)
            raise ShopperlensError(
                f"{source.name}: the mapping gives {canonical} from {len(theirs)} columns "
                f"({shown}); map one"
            )


def header_names(source: Source) -> tuple[str, ...]:
    """The column names as the file's header writes them.

    DuckDB renames a repeated name (a second ``quantity`` becomes ``quantity_1``); the header
    line itself, split on the delimiter that gives DuckDB's number of columns, shows the
    repeat. JSON Lines and Parquet name each column once.
    """
    if source.layout not in ("csv", "tsv"):
        return source.columns
    try:
        line = header_line(source)
    except (OSError, UnicodeDecodeError):
        return source.columns
    sep = delimiter(source, line)
    return tuple(next(csv.reader([line], delimiter=sep))) if sep else source.columns


def _refuse_repeated(source: Source, spec: KindSpec, mapped: set[str]) -> None:
    """Two columns naming one canonical column (``customer_id`` and ``Customer ID``, or
    ``quantity`` twice) stop the import: which one holds the data is the shop's call."""
    named: dict[str, list[str]] = {}
    for name in header_names(source):
        named.setdefault(normalise_header(name), []).append(name)
    for canonical in spec.names:
        names = named.get(canonical, [])
        if len(names) < 2 or canonical in mapped:
            continue
        if len(set(names)) == 1:
            raise ShopperlensError(
                f"{source.name}: the header names {names[0]!r} {len(names)} times; keep one "
                "of those columns"
            )
        shown = " and ".join(repr(n) for n in names)
        raise ShopperlensError(
            f"{source.name}: columns {shown} both give {canonical}; remove one, or pick one "
            f"with --map their_name={canonical}"
        )


def _refuse_other_kind(source: Source, spec: KindSpec) -> None:
    """A file that is plainly another kind stops the import (an orders file imported as
    customers would otherwise add customers from it).

    Plainly: it has every column that other kind requires, and more of that kind's columns
    than of this one's, so a customers file that carries a ``product_id`` still imports.
    """
    norm = {normalise_header(c) for c in source.columns}
    mine = len(norm & set(spec.names))
    likely = [
        (len(norm & set(other.names)), kind)
        for kind, other in KINDS.items()
        if kind != spec.kind and other.header_required and set(other.header_required) <= norm
    ]
    best, kind = max(likely, default=(0, ""))
    if best > mine:
        raise ShopperlensError(
            f"{source.name}: this looks like a file of {kind} (it has "
            f"{', '.join(KINDS[kind].header_required)}), not of {spec.kind}; use "
            f"`shopperlens import {kind}`, or --map to say which columns are {spec.kind} columns"
        )


def raw_select(
    source: Source, spec: KindSpec, mapping: Mapping[str, str], con: duckdb.DuckDBPyConnection
) -> str:
    """The generic format's raw select: ``_line`` and ``_r_<canonical>`` text columns
    (``con``: the import's connection, on which :func:`float_ids` reads the id columns)."""
    found = match_columns(source, spec, mapping)
    missing = [c for c in spec.header_required if c not in found]
    if missing:
        raise ShopperlensError(missing_columns_message(source, spec, missing))
    if not mapping:  # a --map says what the file is
        _refuse_other_kind(source, spec)
    ids = set(id_columns(spec))
    floats = float_ids(con, source, {c: found[c] for c in sorted(ids) if c in found})
    cols = [
        f"{_as_text(ident(found[c.name]), source, c.name in ids, c.name in floats)} "
        f"AS {ident('_r_' + c.name)}"
        if c.name in found
        else f"NULL::VARCHAR AS {ident('_r_' + c.name)}"
        for c in spec.columns
    ]
    return f"SELECT {line_sql(source)} AS _line, {', '.join(cols)} FROM {source.relation}"


def id_columns(spec: KindSpec) -> tuple[str, ...]:
    """The kind's id columns: its key (``ticket_id``, ``event_id`` …) and the ids rows refer
    to by (typed ``id``: ``customer_id``, ``order_id``, ``product_id`` …)."""
    return tuple(c.name for c in spec.columns if c.type == "id" or c.name in spec.key)


def _as_text(column: str, source: Source, is_id: bool, float_id: bool = False) -> str:
    """SQL: a column's values as the text the staging reads.

    An id in a Parquet column of floats is written without its ``.0``: pandas stores a column
    of ids with one missing as floats, and customer ``7`` became a second customer ``7.0``.
    ``float_id``: an id column of a CSV/TSV or JSON Lines file that :func:`float_ids` found
    written as floats loses its ``.0`` alike (see :func:`whole_id_sql`).
    """
    text = f"CAST({column} AS VARCHAR)"
    if float_id:
        return whole_id_sql(text)
    if source.layout != "parquet" or not is_id:
        return text
    return (
        f"CASE WHEN typeof({column}) IN ('DOUBLE', 'FLOAT') "
        f"THEN regexp_replace({text}, '\\.0$', '') ELSE {text} END"
    )


#: an id as a float writes it: a whole number with a ``.0`` fraction (``7.0``, ``-3.0``), no
#: leading zero, no exponent, no space around it. pandas (``to_csv``) and DuckDB's JSON reader
#: write every whole float below 10^16 so; ``7.00``, ``07.0``, ``7.`` or ``7e0`` no float
#: writes
FLOAT_ID = r"(0|-?[1-9][0-9]*)\.0"

#: 2^53: every whole number up to it is a float of its own; above it a float stands for two
#: or more (``9007199254740993`` is stored as ``…992``), so its digits may not be the id
EXACT_FLOAT = 2**53

#: how many rows :func:`float_ids` looks at before reading a whole file
PROBE_ROWS = 20_480


def whole_id_sql(value: str) -> str:
    """SQL: the values of a column :func:`float_ids` found written as floats, each without its
    ``.0`` (``7.0`` -> ``7``). Blanks and words for no id stay as written, and so does a number
    beyond ±2^53 (:data:`EXACT_FLOAT`): its float may stand for another id than its digits say.

    In such a column a value ending in ``.0`` is :data:`FLOAT_ID`, so a ``LIKE`` tells it (at
    half a pattern's cost); up to 17 characters it has at most 15 digits, below 2^53."""
    exact = f"TRY_CAST({value} AS BIGINT) BETWEEN -{EXACT_FLOAT} AND {EXACT_FLOAT}"
    return (
        f"CASE WHEN {value} LIKE '%.0' AND (length({value}) <= 17 OR {exact}) "
        f"THEN left({value}, -2) ELSE {value} END"
    )


def float_ids(
    con: duckdb.DuckDBPyConnection, source: Source, columns: Mapping[str, str]
) -> set[str]:
    """The canonical id columns (of ``columns``: ``{canonical: file column}``) that a CSV/TSV
    or JSON Lines file writes as floats: every value is :data:`FLOAT_ID` (``7.0``, ``-3.0``)
    or blank (or a word for no id: ``nan``, ``NULL`` …), and one at least is a number.
    (JSON Lines fields are read as text: a JSON number ``7.0`` reads ``7.0``, and so does
    the string ``"7.0"``.)

    pandas stores a column of whole numbers with one missing as floats and writes ``7.0``
    (``to_csv``, ``to_json``), where the customers file said ``7``. A column holding any other
    value (``7``, ``7.5``, ``A7.0``, ``v1.0``) is text the file means as written, and is kept.

    Decided over the whole file, in SQL: the first :data:`PROBE_ROWS` rows, then, only for the
    columns they leave in doubt, one streaming pass over those columns. For 1M order lines
    that is 0.05–0.08 CPU-s when no id column is written as floats (the first rows decide; most
    of it is DuckDB's sniffer), and 0.33–0.40 CPU-s (a 47 MB CSV) or 0.42–0.47 (127 MB of JSON
    Lines) when one is, on an import of 3.1–3.4 CPU-s. The file is read in statements of
    their own, on a cursor of ``con`` (a connection of its own: a failed read does not abort
    the import's transaction): the import's select must stay one plain scan of the file, whose
    rows keep the file's order (``loading.stage`` numbers them by position), and a subquery in
    it would be a join, which DuckDB does not promise to keep in order. A file DuckDB cannot
    read here is left as written: the import's own read says what is wrong with it.
    """
    if source.layout not in ("csv", "tsv", "jsonl") or not columns:
        return set()
    names = list(columns)
    try:
        with con.cursor() as cur:
            n, seen = _judge(cur, source, columns, names, limit=PROBE_ROWS + 1)
            doubt = [c for c in names if seen[c] is not False]
            if n <= PROBE_ROWS or not doubt:  # (the probe read every row)
                return {c for c in names if seen[c]}
            _, seen = _judge(cur, source, columns, doubt)
            return {c for c in doubt if seen[c]}
    except duckdb.Error:
        return set()


def _judge(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    columns: Mapping[str, str],
    names: list[str],
    limit: int | None = None,
) -> tuple[int, dict[str, bool | None]]:
    """Rows read, and for each of ``names``: True (every value a float id, one at least),
    False (a value that is none), None (no value at all)."""
    picked, aggs = [], []
    for k, name in enumerate(names):
        v, m = f"v{k}", f"m{k}"
        text = f"CAST({ident(columns[name])} AS VARCHAR)"
        picked.append(f"{text} AS {v}, regexp_full_match({text}, '{FLOAT_ID}') AS {m}")
        aggs.append(f"bool_and({v} IS NULL OR {m} OR {no_value_sql(f'trim({v})')})")
        aggs.append(f"bool_or({m})")
    limited = f" LIMIT {limit}" if limit else ""
    rows = f"(SELECT {', '.join(picked)} FROM {source.relation}{limited})"
    got = con.execute(f"SELECT count(*), {', '.join(aggs)} FROM {rows}").fetchone()
    assert got is not None  # (an aggregate gives one row)
    verdict: dict[str, bool | None] = {}
    for k, name in enumerate(names):
        ok, any_ = got[1 + 2 * k], got[2 + 2 * k]
        verdict[name] = False if ok is False else (True if any_ else None)
    return int(got[0]), verdict


def missing_columns_message(source: Source, spec: KindSpec, missing: list[str]) -> str:
    """Missing required columns, with a hint when the file looks like another kind."""
    msg = (
        f"{source.name}: missing required {spec.kind} column(s) {', '.join(missing)} "
        f"(the file has: {', '.join(source.columns[:20])}"
        f"{' …' if len(source.columns) > 20 else ''})"
    )
    # another kind is suggested only when even this kind's key is absent
    others = guess_kinds(source.columns, exclude=spec.kind) if spec.key[0] in missing else []
    if others:
        msg += f"; it looks like a {others[0]} file: use `shopperlens import {others[0]}`"
    else:
        msg += "; rename columns with --map their_name=canonical_name"
    return msg


def guess_kinds(columns: tuple[str, ...], exclude: str = "") -> list[str]:
    """Kinds whose required columns the file has (wrong-kind hints)."""
    norm = {normalise_header(c) for c in columns}
    return [
        k
        for k, spec in KINDS.items()
        if k != exclude and spec.header_required and set(spec.header_required) <= norm
    ]
