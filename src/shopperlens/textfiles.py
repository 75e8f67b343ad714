"""Reading the small text files users hand over: analytics reports, interview notes, consent
records, survey definitions and e-mail templates, the types config, basket files.

Such a file arrives as whatever bytes an editor, a spreadsheet or a browser wrote; one that is
not UTF-8 text (a Windows file in cp1252, UTF-16 from Excel, binary data) must be refused with
a message naming it and the way to convert it, not surface as a ``UnicodeDecodeError`` — over
HTTP a 500 — or be stored as garbage. (Imports of shop data have their own reader in
``shopperlens.ingest``.)
"""

from __future__ import annotations

import codecs
import io
import json
import re
from pathlib import Path
from typing import Any

from shopperlens.errors import ShopperlensError


def decode_text(raw: bytes, name: str, *, what: str, allow_empty: bool = False) -> str:
    """``raw`` as UTF-8 text (a leading BOM dropped), or a :class:`ShopperlensError` naming
    the file ``name`` when it is not UTF-8 text or holds no text: UTF-16 is named as such, and
    another encoding by its first byte that is not UTF-8 and that byte's line. ``what`` says
    what the file should have been, for the message."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ShopperlensError(
            f"{name}: the file is UTF-16 encoded; save it as UTF-8 (e.g. "
            f"`iconv -f utf-16 -t utf-8`; expected {what})"
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ShopperlensError(
            f"{name}: not a UTF-8 text file (byte 0x{raw[exc.start]:02x} on line {line} is not "
            f"UTF-8: another encoding, or binary data? A file from Windows or Excel in Western "
            f"Europe converts with `iconv -f cp1252 -t utf-8`); expected {what}"
        ) from None
    if "\x00" in text:  # decodes as UTF-8, but no text file holds NUL bytes
        raise ShopperlensError(f"{name}: not a text file (it holds binary data); expected {what}")
    if not text.strip() and not allow_empty:
        raise ShopperlensError(f"{name}: the file is empty; expected {what}")
    return text


def read_text_file(path: Path, *, what: str, allow_empty: bool = False) -> str:
    """The text of ``path`` checked as :func:`decode_text` does (an empty file passes with
    ``allow_empty``: a config file that changes nothing); ``OSError`` (missing, unreadable) is
    left to the caller, which knows how to word it."""
    return decode_text(path.read_bytes(), path.name, what=what, allow_empty=allow_empty)


def parse_json(text: str | bytes, name: str) -> Any:
    """``text`` read as JSON, or a :class:`ShopperlensError` "NAME is not valid JSON: WHY".

    ``json`` fails in more ways than ``JSONDecodeError``: ``RecursionError`` for lists nested
    past Python's recursion limit, a bare ``ValueError`` for a number of more than 4,300
    digits, ``UnicodeDecodeError`` for bytes that are not UTF-8. Each reached the user as
    Python's own words (or a traceback) wherever only some were caught; here every file and
    body is refused alike. ``name`` says what was read ("mapping file m.json", "the body")."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ShopperlensError(f"{name} is not valid JSON: {_json_problem(exc)}") from None


def _json_problem(exc: ValueError | RecursionError) -> str:
    """Why ``json.loads`` gave up, in one line of the user's words."""
    if isinstance(exc, RecursionError):
        return "lists or objects nested too deeply"
    if isinstance(exc, UnicodeDecodeError):
        return "it holds bytes that are not UTF-8 text"
    if "integer string conversion" in str(exc):
        return "a number has more than 4,300 digits"
    return " ".join(str(exc).split())


#: a line ending as spreadsheets write them: Windows ``\r\n``, Unix ``\n``, and the bare ``\r``
#: of Excel for Mac's "CSV (Macintosh)"
_LINE_END = re.compile(r"\r\n|\r|\n")


def first_line(text: str) -> str:
    """The first line of ``text`` (a CSV's header), whichever line ending the file uses."""
    return _LINE_END.split(text.lstrip("\ufeff"), maxsplit=1)[0]


def csv_stream(text: str) -> io.StringIO:
    """``text`` for ``csv.reader``, which ends lines at ``\r``, ``\n`` or ``\r\n`` only when
    given the text unsplit (``newline=""``): split at ``\n`` alone, a file whose lines end in
    a bare ``\r`` failed with "new-line character seen in unquoted field"."""
    return io.StringIO(text.lstrip("\ufeff"), newline="")
