"""Checking the paths results are written to (``--out``); the small text files users hand
over are read by :mod:`shopperlens.textfiles`.

An output path whose folder is missing is refused with one message rather than created, and a
file is written in the format its name ends in, or refused: ``clv --out x.parquet`` wrote CSV
under that name, which failed only when it was read.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from shopperlens.errors import ShopperlensError

if TYPE_CHECKING:
    import pandas as pd

#: the endings a table of results is written in (``types``, ``clv``, ``intent``, persona
#: members): see :func:`write_table`
TABLE_FORMATS = (".csv", ".parquet", ".json")


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


#: what starts a CSV file of results with ``SHOPPERLENS_CSV_BOM`` on: UTF-8's byte order mark
BOM = "\ufeff"


def csv_encoding(bom: bool) -> str:
    """The encoding a CSV file of results is written in: UTF-8 after :data:`BOM` when ``bom``
    (the ``csv_bom`` setting). Excel on Windows reads a UTF-8 file without the mark, opened
    with a double-click, as the system's code page (``MÃ¼ller``); pandas, DuckDB, LibreOffice
    and Google Sheets read either."""
    return "utf-8-sig" if bom else "utf-8"


def write_table(frame: pd.DataFrame, path: str | Path, *, bom: bool = False) -> Path:
    """Write ``frame`` to ``path`` in the format its name ends in (:data:`TABLE_FORMATS`),
    checked first as :func:`output_file` checks it: CSV with text cells made spreadsheet-safe
    (starting with :data:`BOM` when ``bom``: :func:`csv_encoding`), Parquet, or JSON (a list
    of records, dates in ISO 8601). The frame's run metadata (``attrs``) is not part of the
    file. Returns the path written."""
    from shopperlens.plain import spreadsheet_safe

    out = output_file(path, TABLE_FORMATS)
    frame = frame.copy()
    frame.attrs = {}
    suffix = out.suffix.lower()
    if suffix == ".parquet":
        _empty_text_as_text(frame).to_parquet(out, index=False)
    elif suffix == ".json":
        frame.to_json(out, orient="records", indent=2, date_format="iso")
    else:
        safe = spreadsheet_safe(_lists_as_text(frame))
        safe.to_csv(out, index=False, encoding=csv_encoding(bom))
    return out


def _empty_text_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with each column of Python objects that holds no value (the ``customer_id`` of
    persona members none of whom is linked, of intent's anonymous lookers) as pandas' string
    dtype: Parquet stored such a column with Arrow's ``null`` type (DuckDB's ``NULL``), so an
    id column's type in the file depended on the data, and a table made from one file did not
    take the next."""
    import pandas as pd

    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object and out[col].isna().all():
            out[col] = out[col].astype(pd.StringDtype())
    return out


#: what joins the items of a list cell in a CSV file (``days_since_first +0.29; duration_s +0.08``)
LIST_SEPARATOR = "; "


def _lists_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with each list cell (intent's ``top_drivers``) as its items joined by
    :data:`LIST_SEPARATOR`: a CSV cell is text, and pandas wrote the list as Python shows it
    (``['days_since_first +0.29', …]``), which a spreadsheet shows with brackets and quotes.
    Parquet and JSON keep the lists."""

    def joined(v: object) -> object:
        if _is_list(v):
            return LIST_SEPARATOR.join("" if x is None else str(x) for x in v)  # type: ignore[attr-defined]
        return v

    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object and out[col].map(_is_list).any():
            out[col] = out[col].map(joined)
    return out


def _is_list(v: object) -> bool:
    import numpy as np

    return isinstance(v, list | tuple | np.ndarray)


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
