"""The demo shop: deterministic, and every planted type and persona behaves as MISSION.md says.

The demo is the project's planted truth, so these tests check the *data statistics* per planted
group against the behaviour the mission describes, not the output of any analysis.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shopperlens.demo import SURVEY_COLUMNS, DemoShop, generate, load, write_files
from shopperlens.errors import ShopperlensError
from shopperlens.service import demo as demo_service
from shopperlens.store import Store, connect

TYPES = {"need_based", "looker", "new", "loyal", "impulse"}


@pytest.fixture(scope="module")
def timed_demo() -> tuple[DemoShop, float]:
    started = time.perf_counter()
    shop = generate()
    return shop, time.perf_counter() - started


@pytest.fixture(scope="module")
def demo(timed_demo: tuple[DemoShop, float]) -> DemoShop:
    return timed_demo[0]


@pytest.fixture(scope="module")
def loaded(demo: DemoShop):  # type: ignore[no-untyped-def]
    store = connect(":memory:")
    load(store, demo)
    yield store
    store.close()


@pytest.fixture(scope="module")
def sessions(loaded: Store, demo: DemoShop) -> pd.DataFrame:
    """Derived sessions with the planted group of the person behind them (via identities)."""
    s = loaded.df(
        "SELECT s.*, coalesce(s.customer_id, i.customer_id) AS cid FROM sessions s "
        "LEFT JOIN identities i USING (visitor_id)"
    )
    s["who"] = s["cid"].fillna(s["visitor_id"])
    g = demo.truth_groups.assign(
        who=demo.truth_groups["customer_id"].fillna(demo.truth_groups["visitor_id"])
    )
    return s.merge(g[["who", "type", "group"]], on="who", how="left")


@pytest.fixture(scope="module")
def orders(demo: DemoShop) -> pd.DataFrame:
    """One row per order with its planted group."""
    o = demo.orders.groupby("order_id").agg(
        customer_id=("customer_id", "first"),
        ordered_at=("ordered_at", "min"),
        items=("quantity", "sum"),
        categories=("category", lambda c: frozenset(c)),
        code=("discount_code", lambda c: c.notna().any()),
    )
    return o.reset_index().merge(demo.truth_groups, on="customer_id").sort_values("ordered_at")


# -- determinism and size ---------------------------------------------------------------------
def test_same_seed_gives_identical_frames() -> None:
    a, b = generate(seed=3, n_customers=300), generate(seed=3, n_customers=300)
    for name in (
        "customers",
        "products",
        "orders",
        "events",
        "tickets",
        "returns",
        "consents",
        "survey_answers",
        "truth_types",
        "truth_personas",
        "truth_moves",
    ):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), obj=name)
    assert a.interview_notes == b.interview_notes
    c = generate(seed=4, n_customers=300)
    assert not a.events["timestamp"].equals(c.events["timestamp"])


def test_default_size_is_fast_and_complete(timed_demo: tuple[DemoShop, float]) -> None:
    shop, seconds = timed_demo
    assert seconds < 10  # ~1 s alone; the bound allows a machine shared by many test runs
    assert len(shop.truth_types) == 1500
    assert set(shop.truth_types["type"]) == TYPES
    assert shop.truth_types["type"].value_counts().min() >= 200  # meaningful numbers of each
    assert len(shop.products) == 60 and shop.products["category"].nunique() == 8
    assert len(shop.survey_answers) == 600
    assert 3 <= min(pd.Series(shop.truth_interviews["persona"]).value_counts()) <= 6


def test_refuses_too_small_a_shop() -> None:
    with pytest.raises(ShopperlensError, match="at least 100"):
        generate(n_customers=10)


def test_events_use_ga4_names_and_stitchable_identities(demo: DemoShop, loaded: Store) -> None:
    names = set(demo.events["event_name"])
    assert names == {
        "session_start",
        "page_view",
        "view_item",
        "view_search_results",
        "add_to_cart",
        "remove_from_cart",
        "begin_checkout",
        "purchase",
        "sign_up",
        "generate_lead",
    }
    # buyers browsed anonymously before logging in: their visitor ids link them to customers
    anonymous_of_buyers = loaded.scalar(
        "SELECT count(*) FROM events e JOIN identities i USING (visitor_id) "
        "WHERE e.customer_id IS NULL"
    )
    assert anonymous_of_buyers > 1000
    assert demo.events["event_id"].is_unique


# -- the five types ---------------------------------------------------------------------------
def test_need_based_search_for_the_product_and_go_straight_to_it(
    sessions: pd.DataFrame, orders: pd.DataFrame
) -> None:
    need, look = sessions[sessions.type == "need_based"], sessions[sessions.type == "looker"]
    assert need["page_views"].mean() < 0.4 * look["page_views"].mean()
    assert need["duration_s"].median() < 0.3 * look["duration_s"].median()
    search = lambda s: (s["utm_medium"].isin(["organic", "cpc"]) & s["utm_term"].notna()).mean()  # noqa: E731
    assert search(need) > 0.95 > 0.5 > search(look)
    assert need["searches"].gt(0).mean() > 0.3  # on-site search naming the product
    need_orders = orders[orders.type == "need_based"]
    assert need_orders["items"].max() <= 4 and need_orders["items"].mean() < 1.5
    cats_per_customer = need_orders.groupby("customer_id")["categories"].agg(
        lambda c: len(frozenset().union(*c))
    )
    assert (cats_per_customer == 1).all()
    assert need_orders.groupby("customer_id").size().max() <= 3


def test_need_based_search_terms_name_a_product(demo: DemoShop) -> None:
    names = [n.lower() for n in demo.products["product_name"]]
    need = demo.truth_groups.loc[demo.truth_groups.type == "need_based", "visitor_id"]
    terms = demo.events.loc[demo.events.visitor_id.isin(need), ["utm_term", "search_term"]]
    all_terms = pd.concat([terms["utm_term"], terms["search_term"]]).dropna()
    assert all_terms.map(lambda t: any(n in t for n in names)).all()


def test_lookers_browse_long_abandon_carts_and_never_buy(
    demo: DemoShop, sessions: pd.DataFrame, orders: pd.DataFrame
) -> None:
    look = sessions[sessions.type == "looker"]
    assert (orders.type == "looker").sum() == 0
    assert look["purchases"].sum() == 0
    assert look.groupby("who").size().median() >= 5  # they come back several times
    assert look["product_views"].mean() > 3
    assert look["add_to_carts"].gt(0).mean() > 0.3 and look["checkouts"].gt(0).sum() > 50
    assert set(look["utm_medium"].dropna()) >= {"social", "referral", "organic"}
    groups = demo.truth_groups[demo.truth_groups.type == "looker"]["group"].value_counts()
    assert groups["looker_anonymous"] > 2 * groups["looker_registered"] > 0


def test_new_customers_bought_first_recently_ever_or_in_a_category(
    demo: DemoShop, orders: pd.DataFrame
) -> None:
    end = pd.Timestamp(demo.end)
    new = orders[orders.type == "new"]
    first = new.groupby("customer_id")["ordered_at"].min()
    last = new.groupby("customer_id").tail(1).set_index("customer_id")
    assert ((end - last["ordered_at"]).dt.days < 45).all()
    category = new[new.group == "new_category"].groupby("customer_id")
    for _, history in category:
        before = frozenset().union(*history["categories"].iloc[:-1])
        assert len(history) >= 2 and not (history["categories"].iloc[-1] & before)
    firsts = first[new.groupby("customer_id")["group"].first() != "new_category"]
    assert ((end - firsts).dt.days < 45).all() and len(firsts) > 100
    # nobody of another type made a first purchase in the new-customer window
    others = orders[orders.type != "new"].groupby("customer_id")["ordered_at"].min()
    assert ((end - others).dt.days > 60).all()


def test_loyal_buy_again_and_again_at_regular_gaps(
    sessions: pd.DataFrame, orders: pd.DataFrame
) -> None:
    loyal = orders[orders.type == "loyal"]
    per = loyal.groupby("customer_id").size()
    assert per.min() >= 5
    gaps = loyal.groupby("customer_id")["ordered_at"].agg(
        lambda t: np.diff(t.to_numpy()).astype("timedelta64[s]").astype(float)
    )
    cv = gaps.map(lambda g: g.std() / g.mean())
    assert cv.median() < 0.35
    s = sessions[sessions.group == "loyal"]  # the movers browsed as lookers first
    from_home = (
        s["utm_medium"].isna()
        | s["utm_medium"].eq("email")
        | s["utm_term"].fillna("").str.contains("summitside")
    )
    assert from_home.mean() > 0.75


def test_impulse_buy_fast_in_campaigns_with_codes_and_need_support(
    demo: DemoShop, orders: pd.DataFrame
) -> None:
    imp, rest = orders[orders.type == "impulse"], orders[orders.type != "impulse"]
    assert imp["code"].mean() > 0.8 > 0.2 > rest["code"].mean()
    tickets = demo.tickets.merge(demo.truth_groups, on="customer_id")
    returns = demo.returns.merge(demo.truth_groups, on="customer_id")
    per_order = lambda df, t: (df.type == t).sum() / (orders.type == t).sum()  # noqa: E731
    for other in ("need_based", "loyal", "new"):
        assert per_order(tickets, "impulse") > 3 * per_order(tickets, other)
        assert per_order(returns, "impulse") > 2 * per_order(returns, other)
    ev = demo.events.merge(
        demo.truth_groups.loc[demo.truth_groups.type == "impulse", ["visitor_id"]], on="visitor_id"
    )
    buying = ev.groupby("session_id").filter(lambda s: (s.event_name == "purchase").any())
    minutes = buying.groupby("session_id")["timestamp"].agg(lambda t: t.max() - t.min())
    assert minutes.dt.total_seconds().median() < 600
    landing = buying[buying.event_name == "session_start"]
    assert landing["utm_campaign"].notna().all()
    assert landing["utm_medium"].isin(["paid_social", "display", "email"]).all()
    assert {"flash-sale", "black-friday"} <= set(landing["utm_campaign"])
    cats = imp.groupby("customer_id")["categories"].agg(lambda c: len(frozenset().union(*c)))
    assert cats.mean() > 2  # varied categories


def test_movers_go_from_looker_to_new_to_loyal(demo: DemoShop) -> None:
    moves = demo.truth_moves
    assert set(moves["type"]) == {"looker", "new", "loyal"}
    orders = demo.orders.groupby("order_id").agg(
        customer_id=("customer_id", "first"), at=("ordered_at", "min")
    )
    for cid, path in moves.groupby("customer_id"):
        kinds = list(path.sort_values("as_of")["type"])
        assert kinds in (["looker", "new", "loyal"], ["looker", "new"])
        mine = orders[orders.customer_id == cid]["at"]
        for as_of, kind in zip(path["as_of"], path["type"], strict=True):
            n = int((mine < as_of).sum())
            assert {"looker": n == 0, "new": n == 1, "loyal": n >= 5}[kind], (cid, kind, n)
    end_type = demo.truth_types.set_index("customer_id")["type"]
    last = moves.sort_values("as_of").groupby("customer_id")["type"].last()
    assert (end_type.loc[last.index] == last).all()


def test_consents_marketing_for_most_case_study_only_loyal(demo: DemoShop) -> None:
    c = demo.consents.merge(demo.truth_groups, on="customer_id")
    assert 0.6 < c[c.purpose == "marketing"]["granted"].mean() < 0.8
    study = c[c.purpose == "case_study"]
    assert len(study) > 50 and set(study["type"]) == {"loyal"} and not study["granted"].all()
    assert demo.customers["accepts_marketing"].mean() == pytest.approx(
        c[c.purpose == "marketing"]["granted"].mean()
    )


# -- personas ---------------------------------------------------------------------------------
def test_survey_has_exactly_the_shared_columns(demo: DemoShop) -> None:
    s = demo.survey_answers
    assert list(s.columns) == SURVEY_COLUMNS
    assert s["respondent"].is_unique
    linked = s["customer_id"].ne("")
    assert (
        0.7 < linked.mean() < 0.9
        and s.loc[linked, "customer_id"].isin(demo.customers["customer_id"]).all()
    )
    assert set(s["age_bracket"]) <= {"18-24", "25-34", "35-44", "45-54", "55-64", "65+"}
    ticks = {t for v in s["values"] for t in v.split(";")}
    assert ticks <= {"price", "quality", "sustainability", "convenience", "brand", "innovation"}
    assert s["novelty"].between(1, 5).all() and s["price_sensitivity"].between(1, 5).all()


def test_stated_income_overstates_the_true_one(demo: DemoShop) -> None:
    m = demo.survey_answers.merge(demo.truth_personas, on="respondent")
    ratio = m["income"] / m["true_income"]
    assert 1.1 < ratio.mean() < 1.3 and (ratio > 1).mean() > 0.9


def test_personas_answer_apart_and_follow_the_types(demo: DemoShop) -> None:
    m = demo.survey_answers.merge(demo.truth_personas, on="respondent")
    by = m.groupby("persona")
    assert by["novelty"].mean().idxmax() == "trendy"
    assert by["price_sensitivity"].mean().idxmax() == "frugal"
    assert by["true_income"].median().idxmax() == "busy"
    assert by["true_income"].median().idxmin() == "frugal"

    def share(col: str, opt: str) -> pd.Series:
        return by[col].agg(lambda v: v.str.split(";").map(lambda x: opt in x).mean())

    assert share("values", "sustainability")["eco"] > 0.8
    assert share("channels", "tiktok")["trendy"] > 0.7
    assert share("spending_habit", "spontaneous")["trendy"] > 0.6
    assert m[m.persona == "trendy"]["age_bracket"].isin(["18-24", "25-34"]).mean() > 0.8
    # persona correlates with the planted type (frugal with need-based, trendy with impulse)
    linked = m[m.customer_id != ""].merge(
        demo.truth_groups, on="customer_id", suffixes=("", "_person")
    )
    assert (linked["persona"] == linked["persona_person"]).all()
    mix = pd.crosstab(linked["type"], linked["persona"], normalize="index")
    assert mix.loc["impulse"].idxmax() == "trendy"
    assert mix.loc["need_based"].idxmax() == "frugal"
    assert mix.loc["need_based", ["frugal", "busy"]].sum() > 0.7
    assert mix.loc["loyal", ["eco", "busy"]].sum() > 0.6
    assert len(set(" ".join(m["why_buy"]).split(", "))) >= 4 and m["why_buy"].str.len().min() > 5


def test_write_files_writes_every_file(demo: DemoShop, tmp_path: Path) -> None:
    paths = write_files(demo, tmp_path)
    for name in (
        "customers.csv",
        "products.csv",
        "orders.csv",
        "events.csv.gz",
        "tickets.csv",
        "returns.csv",
        "consents.csv",
        "survey_demo-profile.csv",
        "truth_types.csv",
        "truth_personas.csv",
        "truth_moves.csv",
    ):
        assert (tmp_path / name).stat().st_size > 0, name
    assert len(list((tmp_path / "interviews").glob("*.md"))) == len(demo.interview_notes)
    survey = pd.read_csv(paths["survey"], keep_default_na=False)
    assert list(survey.columns) == SURVEY_COLUMNS
    orders = pd.read_csv(paths["orders"])
    assert list(orders.columns[:9]) == [
        "order_id",
        "customer_id",
        "ordered_at",
        "product_id",
        "product_name",
        "category",
        "quantity",
        "unit_price",
        "discount_code",
    ]


# -- the demo run -----------------------------------------------------------------------------
def test_run_demo_reports_a_failing_step_and_goes_on(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran: list[str] = []

    def boom(*, store: Store) -> None:
        raise RuntimeError("no model today")

    def fine(*, store: Store, demo: DemoShop) -> None:
        ran.append(demo.shop_name)

    monkeypatch.setattr(
        demo_service,
        "discover_steps",
        lambda: [("boom", boom, ""), ("fine", fine, ""), ("gone", None, "x")],
    )
    result = demo_service.run_demo(store=store, out_dir=tmp_path / "r", n_customers=150)
    assert [(s.name, s.status) for s in result.steps] == [
        ("boom", "failed"),
        ("fine", "ok"),
        ("gone", "failed"),
    ]
    assert "no model today" in result.steps[0].message and ran == ["Summitside"]
    assert store.count("orders") == result.generated["orders"]
    assert store.count("consents") > 0 and store.count("imports") >= 6
    html = (tmp_path / "r" / "index.html").read_text()
    assert "Demo run" in html and "no model today" in html
    with pytest.raises(ShopperlensError, match="already holds"):
        demo_service.run_demo(store=store, out_dir=tmp_path / "r2", n_customers=150)


def test_every_discovered_step_is_a_service_demo_step() -> None:
    for name, fn, error in demo_service.discover_steps():
        assert fn is None or fn.__name__ == "demo_step", name
        assert fn is not None or error


@pytest.mark.slow
def test_cli_demo_writes_the_report(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """``make demo`` as it runs: the default shop size (a failure that only a shop of the
    default size met, on the report's types page, was missed by a 120-customer run)."""
    out = tmp_path / "report"
    result = cli("demo", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert (out / "index.html").exists() and (out / "data" / "events.csv.gz").exists()
    assert "report:" in result.output
    assert "Summitside" in (out / "index.html").read_text()


def test_front_page_of_an_empty_store_says_what_to_do(store: Store, tmp_path: Path) -> None:
    from shopperlens.reports import write_report

    html = write_report(store, tmp_path).read_text()
    assert "shopperlens demo" in html and "Demo run" not in html
