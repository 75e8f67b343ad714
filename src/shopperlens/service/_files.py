"""Reading the small text files users hand over (analytics reports, interview notes), and
checking the paths results are written to (``--out``).

Uploads arrive as whatever bytes the browser sent; a binary or empty file must be refused with
a message naming it, not surface as a ``UnicodeDecodeError`` or be stored as garbage.
(Imports of shop data have their own reader in ``shopperlens.ingest``.) An output path whose
folder is missing is refused with one message rather than created, and a file is written in the
format its name ends in, or refused: ``clv --out x.parquet`` wrote CSV under that name, which
failed only when it was read.
"""

from __future__ import annotations

import codecs
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from shopperlens.errors import ShopperlensError

if TYPE_CHECKING:
    import pandas as pd

#: the endings a table of results is written in (``types``, ``clv``, ``intent``, persona
#: members): see :func:`write_table`
TABLE_FORMATS = (".csv", ".parquet", ".json")


def decode_text(raw: bytes, name: str, *, what: str) -> str:
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
    if not text.strip():
        raise ShopperlensError(f"{name}: the file is empty; expected {what}")
    return text


def read_text_file(path: Path, *, what: str) -> str:
    """The text of ``path`` checked as :func:`decode_text` does; ``OSError`` (missing,
    unreadable) is left to the caller, which knows how to word it."""
    return decode_text(path.read_bytes(), path.name, what=what)


def output_file(path: str | Path, formats: Sequence[str] = ()) -> Path:
    """``path`` as a file to write, refused in one line when its folder does not exist or,
    given ``formats`` (endings such as ``".csv"``), when its name ends in none of them.

    The folder is never created: a typo in ``--out`` must not quietly make a tree of folders
    somewhere (as root, anywhere on the disk). When a parent on the way is a file, the message
    says so, since "does not exist" would send the user looking for the wrong thing.
    """
    out = Path(path)
    if formats and out.suffix.lower() not in formats:
        raise ShopperlensError(
            f"cannot write {out.name}: the file's name must end in {_either(formats)}"
        )
    if out.is_dir():
        raise ShopperlensError(f"cannot use that path: {out} is a folder, not a file")
    parent = out.parent
    if parent.is_dir():
        return out
    blocker = _file_on_the_way(parent)
    if blocker is not None:
        raise ShopperlensError(f"cannot use that path: {out}: {blocker} is a file, not a folder")
    raise ShopperlensError(f"cannot use that path: {out}: the folder {parent} does not exist")


def write_table(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` to ``path`` in the format its name ends in (:data:`TABLE_FORMATS`),
    checked first as :func:`output_file` checks it: CSV with text cells made spreadsheet-safe,
    Parquet, or JSON (a list of records, dates in ISO 8601). The frame's run metadata
    (``attrs``) is not part of the file. Returns the path written."""
    from shopperlens.plain import spreadsheet_safe

    out = output_file(path, TABLE_FORMATS)
    frame = frame.copy()
    frame.attrs = {}
    suffix = out.suffix.lower()
    if suffix == ".parquet":
        frame.to_parquet(out, index=False)
    elif suffix == ".json":
        frame.to_json(out, orient="records", indent=2, date_format="iso")
    else:
        spreadsheet_safe(frame).to_csv(out, index=False)
    return out


def output_folder(path: str | Path) -> Path:
    """``path`` as a folder to write files into: made when missing, but only inside a folder
    that exists (its missing parents are refused as :func:`output_file` refuses them). A file
    of that name is refused as such: ``mkdir``'s "File exists" did not say what was wrong, and
    reached Python and HTTP as a bare ``FileExistsError``."""
    out = Path(path)
    if out.is_dir():
        return out
    if out.exists():
        raise ShopperlensError(f"cannot use that path: {out} is a file, not a folder")
    output_file(out)
    out.mkdir()
    return out


def _either(words: Sequence[str]) -> str:
    """``.csv, .parquet or .json``: the choices in one phrase."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def _file_on_the_way(folder: Path) -> Path | None:
    """The first existing path on the way down to ``folder`` that is not a folder, if any."""
    for step in reversed([folder, *folder.parents]):
        if step.exists() and not step.is_dir():
            return step
    return None
