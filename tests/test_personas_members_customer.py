"""The members file names the customer a respondent is linked to (empty otherwise), so a
persona joins the types file and audience exports by ``customer_id`` — on every face, and
still without an e-mail or a name."""

from __future__ import annotations

import pandas as pd
import pytest

import shopperlens
from _demo_data import demo_shop

COLUMNS = ["respondent", "persona", "customer_id"]


@pytest.fixture(scope="module")
def answers() -> pd.DataFrame:
    """The demo survey's answers: 600 respondents, 480 of them linked to a customer."""
    return demo_shop().survey_answers


def _linked(answers: pd.DataFrame) -> dict[str, str]:
    """Each respondent's customer id as the answers give it ("" for none)."""
    ids = answers["customer_id"].fillna("").astype(str).str.strip()
    return dict(zip(answers["respondent"], ids, strict=True))


@pytest.mark.parametrize("ending", [".csv", ".json", ".parquet"])
def test_cli_members_file_has_the_customer_id(cli, db_path, tmp_path, answers, ending):  # type: ignore[no-untyped-def]
    with shopperlens.open(db_path) as shop:
        shop.personas_build(frame=answers)
    out = tmp_path / f"members{ending}"
    res = cli("personas", "members", "--out", str(out))
    assert res.exit_code == 0, res.output
    df = {
        ".csv": lambda: pd.read_csv(out, dtype=str, keep_default_na=False),
        ".json": lambda: pd.read_json(out, dtype=str),
        ".parquet": lambda: pd.read_parquet(out),
    }[ending]()
    assert list(df.columns) == COLUMNS
    got = dict(zip(df["respondent"], df["customer_id"].fillna("").replace("None", ""), strict=True))
    assert got == _linked(answers)
    assert 0 < sum(1 for v in got.values() if v) < len(got)  # linked ones, and empty ones
    assert not df.apply(lambda col: col.astype(str).str.contains("@")).any().any()


def test_http_members_have_the_customer_id(client, shop, answers) -> None:  # type: ignore[no-untyped-def]
    shop.personas_build(frame=answers)
    members = client.get("/api/personas/members", params={"limit": 1_000}).json()
    assert all(list(m) == COLUMNS for m in members)
    linked = {k: v or None for k, v in _linked(answers).items()}
    assert {m["respondent"]: m["customer_id"] for m in members} == linked


def test_python_members_have_the_customer_id(shop, answers) -> None:  # type: ignore[no-untyped-def]
    from shopperlens.service.personas import MEMBER_COLUMNS

    shop.personas_build(frame=answers)
    df = shop.personas_members()
    assert list(MEMBER_COLUMNS) == COLUMNS and set(COLUMNS) <= set(df.columns)
    got = dict(zip(df["respondent"], df["customer_id"].fillna(""), strict=True))
    assert got == _linked(answers)


def test_a_persona_is_a_segment_of_its_linked_customers(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """``persona == 'NAME'`` selects the customers the latest run puts in that persona (through
    their answers), and nobody who answered nothing; before any run it selects nobody."""
    from shopperlens.demo import load
    from shopperlens.store import connect

    data = demo_shop()
    path = tmp_path / "demo.duckdb"
    with connect(path) as store:
        load(store, data)
    with shopperlens.open(path) as shop:
        first = shop.audience(segment="persona == 'Frugal Fred'", to="csv")
        assert len(first) == 0  # no persona run yet
        shop.personas_build(frame=data.survey_answers)
        members = shop.personas_members()
        linked = members.dropna(subset=["customer_id"])
        assert linked.customer_id.is_unique  # one answer per customer in the demo
        for name, group in linked.groupby("persona"):
            got = shop.audience(segment=f"persona == '{name}'", to="csv")
            assert set(got.customer_id) == set(group.customer_id), name
        others = shop.audience(segment="persona != 'nobody'", to="csv")
        assert set(others.customer_id) == set(linked.customer_id)  # unknown is never selected
