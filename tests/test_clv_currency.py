"""Customer value in the shop's currency only, and the other CLV findings, on planted shops.

1. Order values in another currency are not averaged with the shop's: moving 9 customers'
   orders to SEK (at 11× the price) leaves every EUR customer's expected spend and CLV as they
   were, and the SEK customers get the population's mean order value; purchase counts (and so
   P(alive)) still use every order.
2. ``clv-report --by category`` takes the first *purchase*'s category (a cancelled first order
   does not decide it), and every level is read from the data up to the run's ``as_of``.
3. ``--horizon 12m`` is a year (365 days), as ``1y`` is.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

from shopperlens.cli.clv import parse_days
from shopperlens.errors import InsufficientDataError
from shopperlens.service import clv
from shopperlens.store import Store, connect

#: the planted Gamma-Gamma: spend rate ν ~ Gamma(q, rate v), each order ~ Gamma(p, rate ν);
#: the population's mean order value is p·v/(q − 1) = 300
P, Q, V = 6.0, 4.0, 150.0
START = pd.Timestamp("2024-01-01")
#: the customers whose orders are moved to SEK; c004 keeps some EUR repeat orders (mixed)
MOVED = [f"c{i:03d}" for i in range(10, 19)]
MIXED = "c004"
SEK_RATE = 11.0


def planted_orders(n: int = 400, seed: int = 7) -> pd.DataFrame:
    """``n`` customers over a year, 1–8 purchase days each, values from the planted
    Gamma-Gamma; one order (one line) per day: ``order_id, customer_id, ordered_at, value``."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(n):
        nu = rng.gamma(Q, 1 / V)
        first = int(rng.integers(0, 200))
        k = int(rng.integers(1, 9)) if c % 3 else 1
        days = sorted({first, *rng.integers(first + 1, 365, size=k - 1).tolist()})
        for d in days:
            rows.append({"customer_id": f"c{c:03d}", "day": d, "value": rng.gamma(P, 1 / nu)})
    out = pd.DataFrame(rows)
    out["order_id"] = [f"o{k}" for k in range(len(out))]
    out["ordered_at"] = START + pd.to_timedelta(out["day"], unit="D") + pd.Timedelta(hours=12)
    return out.drop(columns="day")


def _load(store: Store, orders: pd.DataFrame) -> Store:
    """Orders (with ``currency`` and ``status``) and one line each at ``value``."""
    frame = orders.assign(
        currency=orders.get("currency", "EUR"), status=orders.get("status", "paid")
    )
    with store.transaction() as con:
        con.register("_o", frame)
        con.execute(
            "INSERT INTO customers (customer_id) SELECT DISTINCT customer_id FROM _o "
            "WHERE customer_id IS NOT NULL"
        )
        con.execute(
            "INSERT INTO orders (order_id, customer_id, ordered_at, currency, status) "
            "SELECT order_id, customer_id, ordered_at, currency, status FROM _o"
        )
        con.execute(
            "INSERT INTO order_lines (order_id, line_no, product_id, quantity, unit_price, "
            "category) SELECT order_id, 1, 'P1', 1, value, "
            f"{'category' if 'category' in frame.columns else 'NULL'} FROM _o"
        )
        con.unregister("_o")
    return store


def _in_sek(orders: pd.DataFrame, rate: float) -> pd.DataFrame:
    """The moved customers' orders in SEK at ``rate`` × the EUR price; of the mixed customer's
    orders only the second (a repeat purchase)."""
    out = orders.copy()
    mixed = out.index[out["customer_id"] == MIXED][1:2]
    moved = out["customer_id"].isin(MOVED) | out.index.isin(mixed)
    out["currency"] = np.where(moved, "SEK", "EUR")
    out.loc[moved, "value"] = (out.loc[moved, "value"] * rate).round(2)
    return out


@pytest.fixture(scope="module")
def orders() -> pd.DataFrame:
    return planted_orders()


@pytest.fixture(scope="module")
def scored(orders: pd.DataFrame) -> Iterator[dict[str, pd.DataFrame]]:
    """Customer values of the all-EUR shop and of the shop with SEK orders at 11× and 1×."""
    shops = {"eur": orders, "sek11": _in_sek(orders, SEK_RATE), "sek1": _in_sek(orders, 1.0)}
    out = {}
    for name, frame in shops.items():
        with connect(":memory:") as store:
            _load(store, frame)
            out[name] = clv.customer_value(store=store).set_index("customer_id").sort_index()
            if name == "sek11":
                out["fitted"] = clv.fit_models(store=store)  # type: ignore[assignment]
    yield out


def test_other_currency_amounts_change_no_eur_customers_value(
    orders: pd.DataFrame,
    scored: dict,  # type: ignore[type-arg]
) -> None:
    eur, sek11, sek1 = scored["eur"], scored["sek11"], scored["sek1"]
    others = ~eur.index.isin([*MOVED, MIXED])
    assert others.sum() > 380
    # SEK prices, whatever they are, do not reach any EUR customer's spend or CLV
    for col in ("expected_spend", "clv", "monetary_value"):
        np.testing.assert_allclose(sek11.loc[others, col], sek1.loc[others, col], rtol=1e-9)
    assert sek11["clv"].sum() == pytest.approx(sek1["clv"].sum(), rel=1e-9)
    # purchase counts use every order: P(alive) and expected purchases as in the EUR shop
    for col in ("frequency", "recency", "T", "p_alive", "expected_purchases"):
        np.testing.assert_allclose(sek11[col], eur[col], rtol=1e-9)
    # the total stays in EUR: near the all-EUR shop's (11× prices raised it 31 %)
    assert abs(sek11["clv"].sum() / eur["clv"].sum() - 1) < 0.02
    # as on the overview, an order naming no currency (or " eur ") is in the shop's
    unnamed = orders.assign(currency=np.where(np.arange(len(orders)) % 3 == 0, None, " eur "))
    with connect(":memory:") as store:
        got = clv.customer_value(store=_load(store, unnamed)).set_index("customer_id")
    np.testing.assert_allclose(got.sort_index()["clv"], eur["clv"], rtol=1e-9)


def test_customers_without_eur_repeat_orders_get_the_population_mean(scored: dict) -> None:  # type: ignore[type-arg]
    sek11, fitted = scored["sek11"], scored["fitted"]
    p, q, v = (fitted.spend.params_[k] for k in ("p", "q", "v"))
    prior = p * v / (q - 1)
    # planted truth: the population mean order value is 300
    assert prior == pytest.approx(P * V / (Q - 1), rel=0.15)
    repeat = sek11.loc[MOVED, "frequency"] > 0
    assert repeat.sum() >= 5
    np.testing.assert_allclose(sek11.loc[MOVED, "expected_spend"], prior, rtol=1e-9)
    assert (sek11.loc[MOVED, "monetary_value"] == 0).all()
    # the mixed customer: Gamma-Gamma on her EUR repeat orders only
    spend = fitted.spend_rfm.loc[MIXED]
    assert spend["frequency"] == sek11.loc[MIXED, "frequency"] - 1
    expected = fitted.spend.predict_spend(spend["frequency"], spend["monetary_value"])[0]
    assert sek11.loc[MIXED, "expected_spend"] == pytest.approx(expected, rel=1e-9)


def test_first_category_is_the_first_purchases_and_levels_stop_at_as_of(
    orders: pd.DataFrame,
) -> None:
    """Each customer's first purchase is 'shoes' or 'hats' (by customer), but a third of them
    had a cancelled 'bags' order the day before; every customer visits twice after ``as_of``
    on a tablet from the newsletter, and only half visited before it (desktop, Google). As of
    then, the half who had not visited have no device or source: they are left out of the
    comparison (not a level "(unknown)"), and the rest all share one, so there is nothing to
    compare — the later tablet and newsletter visits are not counted."""
    first = orders.groupby("customer_id")["ordered_at"].transform("min") == orders["ordered_at"]
    even = orders["customer_id"].str[-1].astype(int) % 2 == 0
    frame = orders.assign(category=np.where(first, np.where(even, "shoes", "hats"), "misc"))
    cancelled = (
        frame[first]
        .iloc[::3]
        .assign(
            order_id=lambda d: d["order_id"] + "x",
            ordered_at=lambda d: d["ordered_at"] - pd.Timedelta(days=1),
            status="cancelled",
            category="bags",
        )
    )
    ids = sorted(frame["customer_id"].unique())
    early = ids[::2]
    as_of = START + pd.Timedelta(days=300)
    after = as_of + pd.Timedelta(days=2)
    visits = [(c, START, "desktop", "google") for c in early]
    visits += [(c, after, "tablet", "newsletter") for c in ids for _ in range(2)]
    sessions = pd.DataFrame(visits, columns=["customer_id", "started_at", "device", "utm_source"])
    sessions = sessions.assign(session_id=[f"s{i}" for i in range(len(sessions))], origin="events")
    with connect(":memory:") as store:
        _load(store, pd.concat([frame, cancelled], ignore_index=True))
        by_category = clv.channel_effects(store=store, by="category").set_index("category")
        store.con.register("_s", sessions)
        store.con.execute("INSERT INTO sessions BY NAME SELECT * FROM _s")
        store.con.unregister("_s")
        for by, seen in (("device", "desktop"), ("source", "google")):
            levels = clv._levels(store, by, as_of)
            assert levels.value_counts().to_dict() == {seen: len(early)}, by
            with pytest.raises(InsufficientDataError, match=f"with a known {by} has the same"):
                clv.channel_effects(store=store, by=by, as_of=as_of)
    shoes = int(pd.Series(ids).str[-1].astype(int).mod(2).eq(0).sum())
    assert by_category["customers"].to_dict() == {"shoes": shoes, "hats": len(ids) - shoes}


def test_months_are_a_twelfth_of_a_year() -> None:
    """``12m`` is ``1y`` (it was 360 days); a month is 365/12 days rounded half up."""
    given = ["12m", "1y", "1m", "3m", "6m", "24m", "52w", "365d"]
    assert [parse_days(t) for t in given] == [365, 365, 30, 91, 183, 730, 364, 365]
