"""Reading the small text files users hand over (analytics reports, interview notes), and
checking the paths results are written to (``--out``).

Uploads arrive as whatever bytes the browser sent; a binary or empty file must be refused with
a message naming it, not surface as a ``UnicodeDecodeError`` or be stored as garbage.
(Imports of shop data have their own reader in ``shopperlens.ingest``.) An output path whose
folder is missing is refused with one message rather than created.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from shopperlens.errors import ShopperlensError


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


def output_file(path: str | Path) -> Path:
    """``path`` as a file to write, refused in one line when its folder does not exist.

    The folder is never created: a typo in ``--out`` must not quietly make a tree of folders
    somewhere (as root, anywhere on the disk). When a parent on the way is a file, the message
    says so, since "does not exist" would send the user looking for the wrong thing.
    """
    out = Path(path)
    if out.is_dir():
        raise ShopperlensError(f"cannot use that path: {out} is a folder, not a file")
    parent = out.parent
    if parent.is_dir():
        return out
    blocker = _file_on_the_way(parent)
    if blocker is not None:
        raise ShopperlensError(f"cannot use that path: {out}: {blocker} is a file, not a folder")
    raise ShopperlensError(f"cannot use that path: {out}: the folder {parent} does not exist")


def output_folder(path: str | Path) -> Path:
    """``path`` as a folder to write files into: made when missing, but only inside a folder
    that exists (its missing parents are refused as :func:`output_file` refuses them). A file
    of that name is left to ``mkdir`` to refuse (``FileExistsError``, an ``OSError`` every
    face reports as a path it cannot use)."""
    out = Path(path)
    if out.is_dir():
        return out
    if not out.exists():
        output_file(out)
    out.mkdir()
    return out


def _file_on_the_way(folder: Path) -> Path | None:
    """The first existing path on the way down to ``folder`` that is not a folder, if any."""
    for step in reversed([folder, *folder.parents]):
        if step.exists() and not step.is_dir():
            return step
    return None
