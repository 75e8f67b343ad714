"""Opening an input file as a DuckDB relation, without ever loading it whole.

DuckDB's own readers (``read_csv``, ``read_parquet``, ``read_json``) stream the file in
parallel chunks; this module only decides which reader and options to use, checks the cheap
things first (the file exists, is a regular file, is not empty, is UTF-8) so each gets one
clear message, and computes the checksum the imports ledger keys idempotency on.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import json
import re
import stat
from collections.abc import Collection, Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import duckdb

from shopperlens.errors import ShopperlensError
from shopperlens.ingest.rejects import sql_str
from shopperlens.store.connection import write_failure

#: file layouts recognised from the file name (``.gz`` may follow any text layout)
LAYOUTS: dict[str, str] = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}

_PROBE_BYTES = 1 << 20


@dataclass(frozen=True)
class Source:
    """One input file and the SQL that reads it."""

    path: Path
    layout: str  # csv | tsv | parquet | jsonl
    gzipped: bool
    columns: tuple[str, ...]
    relation: str  # a table function call, e.g. read_csv('…', …)
    lenient: bool = False  # malformed CSV rows are skipped and recorded (see lenient())

    @property
    def name(self) -> str:
        return self.path.name


def layout_of(path: Path) -> tuple[str, bool]:
    """The layout of ``path`` from its suffixes (``orders.csv.gz`` -> ``("csv", True)``)."""
    suffixes = [s.lower() for s in path.suffixes]
    gz = bool(suffixes) and suffixes[-1] in (".gz", ".gzip")
    if gz:
        suffixes = suffixes[:-1]
    ext = suffixes[-1] if suffixes else ""
    if ext not in LAYOUTS:
        raise ShopperlensError(
            f"{path.name}: unknown file type {ext or '(no extension)'!r}; expected one of "
            ".csv, .tsv, .parquet, .jsonl (optionally .gz)"
        )
    return LAYOUTS[ext], gz


def checksum(path: Path) -> str:
    """sha256 of the file's bytes, read in 4 MiB blocks (the ledger's identity of a file)."""
    _refuse_not_regular(path)
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(4 << 20):
            h.update(block)
    return h.hexdigest()


@dataclass(frozen=True)
class FileScan:
    """What one read of a file's bytes tells: its checksum and, for a plain (not gzipped) text
    file whose line ends are all LF or CRLF, how many physical lines it has.

    A CSV row ends at a line end, so such a file holds at most ``lines - 1`` rows after its
    header. The optimistic import compares the rows it inserted with that bound: equal means
    no row was rejected (see ``loading.fast_load``); anything else sends the call to the exact
    path. ``lines`` is None when the bound does not hold (a lone CR may end a row)."""

    digest: str
    lines: int | None
    #: the line of the file's first NUL byte (None: none), for :func:`check_is_text`
    nul_line: int | None = None
    #: the line and code point of the file's first C1 control character (see :data:`C1`)
    c1: tuple[int, int] | None = None


def scan_file(path: Path) -> FileScan:
    """sha256 and line count in one pass over the bytes (4 MiB blocks, C-speed counts).

    A pipe is refused before it is opened: this pass would drain what DuckDB must read (and
    opening one that nobody writes to would wait for ever)."""
    _refuse_not_regular(path)
    h = hashlib.sha256()
    nl = cr = crlf = 0
    nul_line = None
    c1: tuple[int, int] | None = None
    last = b""
    with path.open("rb") as fh:
        while block := fh.read(4 << 20):
            h.update(block)
            if nul_line is None and b"\x00" in block:  # (memchr: no cost to a clean file)
                nul_line = nl + block.count(b"\n", 0, block.index(b"\x00")) + 1
            if c1 is None:
                c1 = _first_c1(block, nl, last)
            nl += block.count(b"\n")
            if b"\r" in block:
                cr += block.count(b"\r")
                crlf += block.count(b"\r\n")
            if last == b"\r" and block[:1] == b"\n":  # a CRLF split between two blocks
                crlf += 1
            last = block[-1:]
    lines = nl + (1 if last not in (b"", b"\n") else 0)
    return FileScan(h.hexdigest(), lines if cr == crlf else None, nul_line, c1)


#: a C1 control character (U+0080 to U+009F) in UTF-8: no text holds one, but a Windows-1252
#: file converted as Latin-1 (``iconv -f latin1``) turns its „ “ € – … into them
C1 = re.compile(b"\xc2[\x80-\x9f]")


def _first_c1(block: bytes, lines_before: int, last: bytes = b"") -> tuple[int, int] | None:
    """The line and code point of ``block``'s first C1 control character (``last``: the byte
    before the block, which may start one), or None. Its lead byte ``\\xc2`` is found by
    memchr: a file without one (an ASCII export) costs nothing more."""
    if last == b"\xc2" and block[:1] and 0x80 <= block[0] <= 0x9F:
        return lines_before + 1, block[0]
    if b"\xc2" not in block:
        return None
    found = C1.search(block)
    if found is None:
        return None
    return lines_before + block.count(b"\n", 0, found.start()) + 1, block[found.start() + 1]


def check_is_text(source: Source, scan: FileScan) -> None:
    """Refuse a plain text file holding a NUL byte or a C1 control character anywhere
    (:func:`check_file` looks at the first MiB, which is also all it sees of a gzipped one):
    no text file holds either, and one past the first MiB was stored inside a value as
    written."""
    if source.layout == "parquet" or source.gzipped:
        return
    if scan.nul_line is not None:
        raise ShopperlensError(_nul_message(source.path.name, scan.nul_line))
    if scan.c1 is not None:
        raise ShopperlensError(c1_message(source.path.name, *scan.c1))


def c1_message(name: str, line: int, code: int) -> str:
    """Why a file holding a C1 control character is refused, and how to convert it anew."""
    return (
        f"{name}: the file holds a C1 control character (U+{code:04X} on line {line}), which "
        "no text holds: a Windows-1252 file converted as Latin-1 turns „ “ € – into them; "
        f"convert the original file with {_CP1252}"
    )


def refuse_c1_text(text: str, name: str) -> None:
    """Refuse decoded ``text`` (a survey export) holding a C1 control character, as
    :func:`check_is_text` refuses an import's file."""
    found = re.search("[\x80-\x9f]", text)
    if found is not None:
        line = text.count("\n", 0, found.start()) + 1
        raise ShopperlensError(c1_message(name, line, ord(found.group())))


#: how a file from Windows is saved as UTF-8: Windows-1252 (a superset of Latin-1 in text
#: files) is what Excel and Windows programs write; ``latin1`` would make „ “ € – control codes
_CP1252 = "`iconv -f cp1252 -t utf-8`"


def semicolon_separated(source: Source) -> bool:
    """Whether a CSV file separates its values with ``;``: how a spreadsheet writes a CSV
    where the comma is the decimal mark (Excel in German, French …). Read from the header."""
    if source.layout != "csv":
        return False
    try:
        return delimiter(source, header_line(source)) == ";"
    except (OSError, UnicodeDecodeError):
        return False


def row_bound(con: duckdb.DuckDBPyConnection, source: Source, scan: FileScan) -> int | None:
    """The most rows ``source`` can hold, found without reading its values, or None.

    A plain (not gzipped) CSV/TSV row ends at a line end and follows a header line: at most
    ``lines - 1`` rows. A JSON Lines record is one line (a JSON string cannot hold a raw line
    break): at most ``lines``. Parquet states its row count in its metadata. An import that
    inserts exactly this many rows has read every row and rejected none (see
    ``loading.direct_check``); blank lines only make the bound miss, which costs a second read.
    """
    if source.layout == "parquet":
        return int(con.execute(f"SELECT count(*) FROM {source.relation}").fetchall()[0][0])
    if source.gzipped or scan.lines is None:
        return None
    return scan.lines - 1 if source.layout in ("csv", "tsv") else scan.lines


def delimiter(source: Source, header: str) -> str | None:
    """The delimiter that splits ``header`` into the number of columns DuckDB found."""
    for sep in ("\t",) if source.layout == "tsv" else (",", ";", "\t", "|"):
        if len(next(csv.reader([header], delimiter=sep), [])) == len(source.columns):
            return sep
    return None


def _text(path: Path, gzipped: bool) -> TextIO:
    """A text file (or its gzip) as UTF-8, a leading BOM dropped, line ends as written; a
    byte that is not UTF-8 reads as U+FFFD (these passes count lines: DuckDB's reader says
    which rows are not UTF-8)."""
    opener: Any = gzip.open if gzipped else open
    return opener(path, "rt", encoding="utf-8-sig", newline="", errors="replace")


def header_line(source: Source) -> str:
    """The first line of a CSV/TSV file that is not Excel's ``sep=;`` hint."""
    return _header(source)[0]


def _header(source: Source) -> tuple[str, int]:
    """The header line, and how many lines come before it (1 after Excel's ``sep=;``)."""
    return _header_at(source.path, source.gzipped)


def _header_at(path: Path, gzipped: bool) -> tuple[str, int]:
    with _text(path, gzipped) as fh:
        line = fh.readline()
        return (fh.readline(), 1) if _is_sep_hint(line) else (line, 0)


def _is_sep_hint(line: str) -> bool:
    return line.rstrip("\r\n").lower().startswith("sep=") and len(line.strip()) == 5


def lines_shifted(source: Source, scan: FileScan, rows: int) -> bool:
    """True when a text file's rows are not one per line after the header (blank lines,
    values spanning lines, Excel's ``sep=`` line), or when the bytes cannot tell (gzip): its
    rows' numbers are then not their lines (see :func:`row_lines`)."""
    if source.layout == "parquet":
        return False
    if source.gzipped or scan.lines is None:
        return True
    return scan.lines - (1 if source.layout in ("csv", "tsv") else 0) != rows


def row_lines(
    source: Source, numbers: Iterable[int], first: int, skipped: Collection[int] = ()
) -> dict[int, int]:
    """The physical line each row starts on, for rows numbered ``first``, ``first + 1`` …
    in reading order (DuckDB's readers skip blank lines; a quoted CSV value may span lines;
    ``skipped``: the lines of malformed rows a lenient read left out, see :func:`lenient`).

    A pass over the text in Python: it runs only for the rows an import rejects, and only when
    :func:`lines_shifted` says their numbers are off.
    """
    starts = (line for line, blank in _record_starts(source) if not blank)
    if skipped:
        starts = (line for line in starts if line not in skipped)
    return _pick(starts, numbers, first)


def record_lines(source: Source, records: Iterable[int]) -> dict[int, int]:
    """The physical line each CSV record starts on, by DuckDB's record number: the rejects
    of a lenient read count every record from the top of the file, the header, Excel's
    ``sep=`` line and blank lines included, where a value spanning lines is one record."""
    return _pick((line for line, _ in _record_starts(source, rows_only=False)), records, 1)


def _pick(starts: Iterable[int], numbers: Iterable[int], first: int) -> dict[int, int]:
    """``{number: starts[number - first]}`` for the wanted numbers, in one pass."""
    wanted = sorted(set(numbers))
    out: dict[int, int] = {}
    if not wanted:
        return out
    pending = iter(wanted)
    target = next(pending)
    for k, line in enumerate(starts):
        while target == first + k:
            out[target] = line
            target = next(pending, None)  # type: ignore[arg-type]
            if target is None:
                return out
    return out


def _record_starts(source: Source, *, rows_only: bool = True) -> Iterator[tuple[int, bool]]:
    """(physical line, is blank) of each record of a CSV/TSV/JSON Lines file, in order:
    the data rows only, or (``rows_only=False``, CSV) every record from the first line."""
    with _text(source.path, source.gzipped) as fh:
        if source.layout not in ("csv", "tsv"):
            for n, line in enumerate(fh, start=1):
                yield n, not line.strip()
            return
        header, before = _header(source)
        for _ in range(before + 1):  # the header, and Excel's sep= hint
            fh.readline()
        if not rows_only:
            yield from ((n, False) for n in range(1, before + 2))
        before += 1
        reader = csv.reader(fh, delimiter=delimiter(source, header) or ",")
        done = 0
        with suppress(csv.Error):  # (an unterminated quote runs to the end: nothing follows)
            for row in reader:
                start, done = before + done + 1, reader.line_num
                yield start, not row  # a blank line is no row


class EmptyFileError(ShopperlensError):
    """A file with no content at all (no bytes, a UTF-8 BOM or blank lines alone): a day's
    JSON Lines export without events, or an export that failed before it wrote anything."""


def check_file(path: Path) -> None:
    """Fail with one clear message for a missing, not regular (a pipe), empty or non-UTF-8 text
    file (UTF-16 with or without its byte order mark, NUL bytes, C1 control characters)."""
    if not path.exists():
        raise ShopperlensError(f"{path}: no such file")
    if path.is_dir():
        raise ShopperlensError(f"{path}: is a directory, not a file")
    _refuse_not_regular(path)  # (a pipe's size is 0: it would be called empty)
    if path.stat().st_size == 0:
        raise EmptyFileError(f"{path.name}: the file is empty")
    layout, gz = layout_of(path)
    if layout == "parquet":
        return
    try:
        with gzip.open(path, "rb") if gz else path.open("rb") as fh:
            head = fh.read(_PROBE_BYTES)
            # (a BOM alone is no content); blank beyond the probe too, to its end: a file
            # whose rows follow a megabyte of blank lines is not empty
            blank = not head.removeprefix(codecs.BOM_UTF8).strip()
            while blank and (block := fh.read(_PROBE_BYTES)):
                blank = not block.strip()
    except (OSError, EOFError) as exc:
        raise ShopperlensError(f"{path.name}: cannot read it as gzip ({exc})") from None
    if blank:
        raise EmptyFileError(f"{path.name}: the file is empty")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ShopperlensError(
            f"{path.name}: the file is UTF-16 encoded (with a byte order mark); save it as "
            "UTF-8 (e.g. `iconv -f utf-16 -t utf-8`)"
        )
    utf16 = _utf16_without_bom(head)
    if utf16:
        order = "little" if utf16 == "utf-16le" else "big"
        raise ShopperlensError(
            f"{path.name}: the file is UTF-16 encoded ({order}-endian, without a byte order "
            f"mark); save it as UTF-8 (e.g. `iconv -f {utf16} -t utf-8`)"
        )
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not merely a character cut at the probe's end
            raise ShopperlensError(_not_utf8(path, head, exc.start)) from None
    if b"\x00" in head:  # UTF-8 allows them, but no text file holds one
        raise ShopperlensError(_nul_bytes(path, head))
    c1 = _first_c1(head, 0)
    if c1 is not None:
        raise ShopperlensError(c1_message(path.name, *c1))


def _refuse_not_regular(path: Path) -> None:
    """Refuse a path that is no regular file: a pipe (``import orders <(cat orders.csv)``
    gives ``/dev/fd/63``), a FIFO or a device. Its bytes can be read once, where an import
    reads a file twice (its checksum, then DuckDB's reader); ``stat`` waits for no writer."""
    if not stat.S_ISREG(path.stat().st_mode):
        raise ShopperlensError(
            f"{path}: not a regular file (a pipe or device): save it to a file and import that"
        )


def _utf16_without_bom(head: bytes) -> str | None:
    """``utf-16le`` or ``utf-16be`` when ``head`` is UTF-16 text without a byte order mark,
    else None. Such text holds NUL bytes (the high byte of every ASCII character) at odd
    offsets (little-endian) or even ones (big-endian) and hardly any at the others, decodes as
    UTF-16 and holds no U+0000: a UTF-8 file with a stray NUL, or binary data, does not."""
    even, odd = head[0::2].count(0), head[1::2].count(0)
    pairs = len(head) // 2
    for name, high, low in (("utf-16le", odd, even), ("utf-16be", even, odd)):
        if high and high * 4 >= pairs and low * 10 <= high:
            try:
                text = codecs.getincrementaldecoder(name)().decode(head, final=False)
            except UnicodeDecodeError:
                return None
            return None if "\x00" in text else name
    return None


def _not_utf8(path: Path, head: bytes, pos: int) -> str:
    line = head.count(b"\n", 0, pos) + 1
    return (
        f"{path.name}: the file is not UTF-8 encoded (byte 0x{head[pos]:02x} on line {line}); "
        "save it as UTF-8 (a file from Windows in Western Europe is usually Windows-1252: "
        f"{_CP1252})"
    )


def _nul_bytes(path: Path, head: bytes) -> str:
    return _nul_message(path.name, head.count(b"\n", 0, head.index(b"\x00")) + 1)


def _nul_message(name: str, line: int) -> str:
    return (
        f"{name}: the file holds NUL bytes (byte 0x00 on line {line}), which no text "
        "file holds (another encoding, or binary data?); save it as UTF-8"
    )


def open_source(con: duckdb.DuckDBPyConnection, path: Path, *, json_columns: str = "") -> Source:
    """Check ``path`` and return how to read it; ``json_columns`` fixes a JSON schema."""
    check_file(path)
    layout, gz = layout_of(path)
    p = sql_str(str(path))
    if layout in ("csv", "tsv"):
        delim = ", delim='\\t'" if layout == "tsv" else ""
        # comment='': DuckDB's sniffer may take '#' for a comment mark (Shopify order names
        # start with it) and silently drop every row that starts with one
        relation = (
            f"read_csv({p}, header=true, all_varchar=true, sample_size=20480, comment=''{delim})"
        )
    elif layout == "parquet":
        relation = f"read_parquet({p})"
    else:
        cols = f", columns={json_columns}" if json_columns else ""
        relation = f"read_json({p}, format='newline_delimited'{cols})"
    try:
        columns = _describe(con, relation)
    except duckdb.Error as exc:
        if layout == "parquet" or layout == "jsonl":
            columns = _json_fields_past_errors(path, gz) if layout == "jsonl" else ()
            if not columns:
                _refuse_json_array(path, gz)
                raise ShopperlensError(explain(path, exc)) from None
        else:
            columns = ()
    if layout == "jsonl" and not json_columns and columns == ("json",):
        # records that are not all objects (an array among them) make DuckDB read each line
        # as one JSON value: the fields are the objects' keys, the odd records rejects
        columns = _json_fields_past_errors(path, gz) or columns
        if columns == ("json",):  # not one object among them
            _refuse_json_array(path, gz)
    if layout == "jsonl" and not json_columns and columns:
        _refuse_json_array(path, gz, objects=True)
        relation = _json_as_text(p, columns)
    if layout in ("csv", "tsv") and not _sniffed_header(path, gz, layout, columns):
        # the sniffer gave up or took a data row for the header (a malformed row in its
        # sample, one wider than the header): read with the header's own dialect so the bad
        # row is named by the error instead of the file looking odd
        relation, columns = _plain_csv(con, path, gz, layout) or (relation, columns)
    return Source(path=path, layout=layout, gzipped=gz, columns=columns, relation=relation)


#: DuckDB's temporary tables of the rows a lenient read skipped (see :func:`lenient`)
CSV_ERRORS, CSV_SCANS = "_sl_csv_errors", "_sl_csv_scans"


def is_malformed(source: Source, exc: Exception) -> bool:
    """True for DuckDB's error on a CSV row it cannot split into the header's columns (too
    many or too few values, a quote left open) or a JSON Lines record that is not JSON: a
    lenient read can reject that row alone."""
    text = str(exc)
    if source.layout == "jsonl":
        return "Malformed JSON" in text or (
            "JSON transform error" in text and "Expected OBJECT" in text
        )
    return (
        source.layout in ("csv", "tsv")
        and "CSV Error on Line" in text
        and "invalid unicode" not in text.lower()
    )


def lenient(source: Source) -> Source:
    """``source`` read so that malformed rows do not stop it.

    CSV/TSV: malformed rows are skipped and recorded in :data:`CSV_ERRORS` (DuckDB's
    ``ignore_errors`` with ``store_rejects``), so they become rejects like any other. The dialect
    is spelled out (the header's delimiter, RFC 4180 quotes), not sniffed: a sniffer that reads
    past malformed rows may settle on a dialect the file does not use. JSON Lines: a record that
    is not JSON is read as a row of NULLs in its place (see :func:`malformed_json`).
    """
    if source.layout == "jsonl":
        relation = source.relation[:-1] + ", ignore_errors=true)"
        return Source(source.path, source.layout, source.gzipped, source.columns, relation, True)
    header, before = _header(source)
    sep = _separator(source, header)
    options = (
        f", ignore_errors=true, store_rejects=true, rejects_table='{CSV_ERRORS}', "
        f"rejects_scan='{CSV_SCANS}'"
    )
    relation = _explicit_csv(source.path, sep, before, source.columns, options)
    return Source(source.path, source.layout, source.gzipped, source.columns, relation, True)


def _separator(source: Source, header: str) -> str:
    """The delimiter a lenient read splits rows with: the header's, else a comma."""
    return "\t" if source.layout == "tsv" else (delimiter(source, header) or ",")


def values_in(source: Source, texts: Iterable[str], column: str) -> list[str | None]:
    """``column``'s value in each text of a CSV/TSV row a lenient read skipped (None where the
    row stops short of it).

    DuckDB could not split such a row into the header's columns, but the values before the
    fault are still where the header puts them: split as the lenient read splits (the
    header's delimiter, RFC 4180 quotes), a row's order id can be told even when a later
    value is missing (see ``loading.reject_whole_orders``).
    """
    texts = list(texts)
    if not texts or source.layout not in ("csv", "tsv") or column not in source.columns:
        return [None] * len(texts)
    index, sep = source.columns.index(column), _separator(source, header_line(source))
    rows = (next(csv.reader(io.StringIO(t), delimiter=sep), []) for t in texts)
    return [row[index] if index < len(row) else None for row in rows]


@dataclass(frozen=True)
class BadRecord:
    """A JSON Lines record that is not a JSON object: its row number among the file's records
    (blank lines are no records), physical line, text and what is wrong."""

    row: int
    line: int
    text: str
    why: str


#: why a JSON record Python's parser gives up on (its recursion limit) is rejected
NESTED_TOO_DEEPLY = "nested too deeply"


def malformed_json(source: Source) -> tuple[int, list[BadRecord]]:
    """How many records a JSON Lines file has, and those that are not JSON objects.

    A pass in Python, run only after DuckDB met a malformed record: DuckDB's lenient reader
    gives such a record a row of NULLs in its place, which this pass tells from ``{}``.
    """
    bad: list[BadRecord] = []
    rows = 0
    with _text(source.path, source.gzipped) as fh:
        for n, text in enumerate(fh, start=1):
            if not text.strip():
                continue
            rows += 1
            try:
                value = json.loads(text)
                why = "" if isinstance(value, dict) else f"{_json_kind(value)}, not an object"
            except ValueError as exc:  # "Expecting value: line 1 column 9 (char 8)"
                why = re.sub(r"( starting)? at$", "", str(exc).split(": line", 1)[0]).lower()
            except RecursionError:  # (arrays or objects nested thousands deep)
                why = NESTED_TOO_DEEPLY
            if why:
                bad.append(BadRecord(rows, n, text.strip(), f"malformed JSON: {why}"))
    return rows, bad


def _json_fields_past_errors(path: Path, gzipped: bool, sample: int = 20_480) -> tuple[str, ...]:
    """The fields of a JSON Lines file whose first records hold a malformed one (DuckDB's
    schema detection then fails): the keys of the objects among the first ``sample`` records,
    in order of appearance. The read itself then meets the bad record (see :func:`lenient`)."""
    keys: dict[str, None] = {}
    with _text(path, gzipped) as fh:
        for n, text in enumerate(fh):
            if n >= sample:
                break
            try:
                value = json.loads(text) if text.strip() else None
            except (ValueError, RecursionError):
                continue
            if isinstance(value, dict):
                keys.update(dict.fromkeys(map(str, value)))
    return tuple(keys)


def _refuse_json_array(path: Path, gzipped: bool, *, objects: bool = False) -> None:
    """A file that is one JSON array (``[{…}, {…}]``, on one line or many) where JSON Lines
    are expected: one message, not the reader's. It starts with ``[``, and either no record
    of its first ones is an object (``objects`` False) or its first line opens an array that
    goes on (a lone ``[``, or one ending with a comma). A JSON Lines file whose first record
    is an array (``[1, 2]``) is not one: that record is rejected like any malformed one."""
    with _text(path, gzipped) as fh:
        start = fh.read(4096).lstrip()
    first = start.split("\n", 1)[0].rstrip()
    if start.startswith("[") and (not objects or first == "[" or first.endswith(",")):
        raise ShopperlensError(
            f"{path.name}: a JSON array, not JSON Lines: one object per line expected"
        )


#: how many records DuckDB reads to learn a JSON Lines file's fields (its ``sample_size``)
JSON_SAMPLE = 20_480


def with_all_json_fields(con: duckdb.DuckDBPyConnection, source: Source) -> Source:
    """``source`` (generic JSON Lines, read with the fields DuckDB's sample saw) reading every
    field any record has.

    DuckDB learns a JSON Lines file's fields from its first :data:`JSON_SAMPLE` records; a
    field that first appears later would be silently left out. A file longer than that gets
    one more streaming pass (DuckDB's ``json_keys`` over each record, lines that are not JSON
    skipped), about three bare reads of the file: for 1M events (200 MB) 0.5–0.65 CPU-s more
    on an import of 3.2 CPU-s. A file of at most that many records costs one read of them.
    """
    if source.layout != "jsonl" or not source.columns:
        return source
    objects = (
        f"read_json_objects({sql_str(str(source.path))}, format='newline_delimited', "
        "ignore_errors=true)"
    )
    try:
        with con.cursor() as cur:
            records = cur.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM {objects} LIMIT {JSON_SAMPLE + 1})"
            ).fetchone()[0]  # type: ignore[index]
            if records <= JSON_SAMPLE:
                return source
            # (json_keys of an array or a string is empty; a line that is not JSON is NULL)
            keys = cur.execute(f"SELECT DISTINCT unnest(json_keys(json)) FROM {objects}")
            found = {str(k[0]) for k in keys.fetchall()}
    except duckdb.Error as exc:  # (e.g. a byte that is not UTF-8 past the first MiB)
        raise ShopperlensError(explain(source.path, exc)) from None
    extra = sorted(found - set(source.columns))
    if not extra:
        return source
    columns = (*source.columns, *extra)
    relation = _json_as_text(sql_str(str(source.path)), columns)
    return Source(source.path, source.layout, source.gzipped, columns, relation, source.lenient)


def _json_kind(value: object) -> str:
    """What a JSON value is, in JSON's words ("an array", not Python's "list")."""
    kinds = {list: "an array", str: "a string", bool: "true/false", type(None): "null"}
    return kinds.get(type(value), "a number")


def _json_as_text(p: str, columns: tuple[str, ...]) -> str:
    """``read_json`` with every field read as text, exactly as the file writes it.

    Left to detect types, DuckDB reads a field holding both strings and numbers as JSON (whose
    text keeps the quotes: ``"abc"``) and offsets as ``TIMESTAMPTZ`` (whose text is in the
    machine's time zone); the import's own conversions then see what the file said.
    """
    cols = "{" + ", ".join(f"{sql_str(c)}: 'VARCHAR'" for c in columns) + "}"
    return f"read_json({p}, format='newline_delimited', records=true, columns={cols})"


def _sniffed_header(path: Path, gz: bool, layout: str, columns: tuple[str, ...]) -> bool:
    """True when DuckDB's columns are the file's header line: as many fields, the first named
    alike. (The sniffer reads past a malformed row in its sample by other means: one column,
    a data row as the header, or the widest row's width.)"""
    if len(columns) <= 1:
        return False
    try:
        header, _ = _header_at(path, gz)
    except OSError:
        return True
    source = Source(path=path, layout=layout, gzipped=gz, columns=columns, relation="")
    sep = delimiter(source, header)
    if sep is None:
        return False
    first = next(csv.reader([header], delimiter=sep), [""])[0]
    return first.strip() == columns[0].strip()


def _describe(con: duckdb.DuckDBPyConnection, relation: str) -> tuple[str, ...]:
    """The column names ``relation`` reads, asked on a cursor of its own: a sniffer that
    fails must not abort the import's transaction (a TSV with a malformed row did)."""
    with con.cursor() as cur:
        described = cur.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
    return tuple(str(r[0]) for r in described)


def _plain_csv(
    con: duckdb.DuckDBPyConnection, path: Path, gz: bool, layout: str
) -> tuple[str, tuple[str, ...]] | None:
    """A ``read_csv`` without sniffing: delimiter and column names from the header line."""
    header, before = _header_at(path, gz)
    if layout == "tsv":
        sep = "\t"
    else:
        counts = {d: header.count(d) for d in (",", ";", "|", "\t")}
        sep = max(counts, key=lambda d: counts[d])
        if not counts[sep]:
            return None
    names = _unique(
        [n or f"column{i}" for i, n in enumerate(next(csv.reader([header], delimiter=sep)))]
    )
    relation = _explicit_csv(path, sep, before, names)
    try:
        return relation, _describe(con, relation)
    except duckdb.Error as exc:
        raise ShopperlensError(explain(path, exc)) from None


def _unique(names: list[str]) -> list[str]:
    """Column names made unique as DuckDB makes them (a second ``quantity`` is
    ``quantity_1``), so a header naming a column twice reaches the check that says so."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        n = seen.get(name, 0)
        seen[name] = n + 1
        out.append(name if n == 0 else f"{name}_{n}")
    return out


def _explicit_csv(path: Path, sep: str, skip: int, names: Iterable[str], options: str = "") -> str:
    """``read_csv`` with the dialect spelled out: a header after ``skip`` lines, ``sep``
    between values, RFC 4180 quotes, every column text."""
    cols = "{" + ", ".join(f"{sql_str(n)}: 'VARCHAR'" for n in names) + "}"
    return (
        f"read_csv({sql_str(str(path))}, header=true, skip={skip}, auto_detect=false, "
        f"delim={sql_str(sep)}, quote='\"', escape='\"', comment='', columns={cols}{options})"
    )


def _json_line(path: Path, record: int) -> int:
    """The physical line of a JSON Lines file's ``record``-th record (1-based).

    DuckDB's "Malformed JSON … in line N" counts records, not lines, and one too many: N is the
    bad record's number plus one, whatever blank lines come before it.
    """
    try:
        layout, gz = layout_of(path)
        source = Source(path=path, layout=layout, gzipped=gz, columns=(), relation="")
        return row_lines(source, [record], 1).get(record, record)
    except (OSError, UnicodeDecodeError, ShopperlensError):
        return record


def _mixed_line_endings(path: Path, limit: int = 64 << 20) -> bool:
    """Whether the file's first ``limit`` bytes (unpacked) end lines both with CR LF and with
    a bare LF."""
    import gzip

    try:
        opener = gzip.open if path.suffix.lower() == ".gz" else open
        with opener(path, "rb") as fh:
            data = fh.read(limit)
    except OSError:
        return False
    crlf = data.count(b"\r\n")
    return 0 < crlf < data.count(b"\n")


def explain(path: Path, exc: Exception) -> str:
    """A DuckDB reader error as one line a shop owner can act on."""
    text = str(exc)
    written = write_failure(exc)  # the store's disk, not the file read
    if written:
        return written
    if "invalid unicode" in text.lower():
        return (
            f"{path.name}: the file is not UTF-8 encoded; save it as UTF-8 (a file from "
            f"Windows in Western Europe is usually Windows-1252: {_CP1252})"
        )
    lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
    bad_json = re.search(r"Malformed JSON in file .*?, at byte (\d+) in line (\d+): ([^\n]*)", text)
    if bad_json:
        byte, record, why = bad_json.group(1), int(bad_json.group(2)), bad_json.group(3)
        line = _json_line(path, record - 1)
        return f"{path.name}: malformed JSON on line {line} (character {byte}): {why.strip(' .')}"
    csv_line = re.search(r"CSV Error on Line: (\d+)", text)
    if csv_line:
        why = next(
            (ln for ln in lines[1:] if not ln.startswith(("Original Line", "Possible", "*"))),
            "",
        )
        return f"{path.name}: malformed row on line {csv_line.group(1)}: {why}".rstrip(": ")
    if "state machine reached an invalid state" in text and _mixed_line_endings(path):
        return (
            f"{path.name}: the file mixes Windows (CR LF) and Unix (LF) line endings, which "
            "the CSV reader cannot follow (lines added in another editor do this); save it "
            "with one kind of line ending and import it again"
        )
    head = lines[0] if lines else text
    first = re.sub(r"\s*LINE \d+:.*$", "", re.sub(r"^[A-Za-z ]+ Error: ", "", head))
    if head.startswith(("Invalid Input", "IO Error", "Conversion", "Binder")):
        return f"{path.name}: cannot read the file: {first}"
    return f"{path.name}: import failed: {first}"
