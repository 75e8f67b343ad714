"""Reading the small text files users hand over (analytics reports, interview notes).

Uploads arrive as whatever bytes the browser sent; a binary or empty file must be refused with
a message naming it, not surface as a ``UnicodeDecodeError`` or be stored as garbage.
(Imports of shop data have their own reader in ``shopperlens.ingest``.)
"""

from __future__ import annotations

from pathlib import Path

from shopperlens.errors import ShopperlensError


def decode_text(raw: bytes, name: str, *, what: str) -> str:
    """``raw`` as UTF-8 text (a leading BOM dropped), or a :class:`ShopperlensError` naming
    the file ``name`` when it is not UTF-8 text or holds no text. ``what`` says what the file
    should have been, for the message."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ShopperlensError(
            f"{name}: not a UTF-8 text file (binary data?); expected {what}"
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
