"""The playbooks' session look-up (``visits.among``) answers as ``Series.isin`` does, whether
Arrow looks the ids up or pandas does: missing ids, ids of another type, plain iterables."""

from __future__ import annotations

import pandas as pd

from shopperlens.playbooks.visits import among


def _same(column: pd.Series, wanted: object) -> None:
    expected = column.isin(wanted if isinstance(wanted, pd.Series | pd.Index) else set(wanted))
    got = among(column, wanted)  # type: ignore[arg-type]
    pd.testing.assert_series_equal(got, expected)


def test_text_ids_by_arrow_match_isin_missing_ids_included() -> None:
    ids = pd.Series(["s1", None, "s3", "s2"], index=[10, 11, 12, 13], dtype="string[pyarrow]")
    _same(ids, pd.Series(["s2", "s3", "s3"], dtype="string[pyarrow]"))
    _same(ids, pd.Series(["s1", None], dtype="string[pyarrow]"))
    _same(ids, pd.Index(pd.array(["s1"], dtype="string[pyarrow]")))
    _same(ids, pd.Series([], dtype="string[pyarrow]"))


def test_other_types_and_iterables_go_to_isin() -> None:
    ids = pd.Series(["s1", "s2", None], dtype="string[pyarrow]")
    _same(ids, ["s2"])
    _same(ids, {"s1", "s9"})
    _same(ids, pd.Series(["s1"], dtype=object))
    numbers = pd.Series([1, 2, 3])
    _same(numbers, pd.Series([2, 5]))
    _same(numbers, (3,))
