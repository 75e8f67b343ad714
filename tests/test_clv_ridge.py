"""Parameters the data pins down only as a ratio get no interval: the BG/NBD's a and b when the
customers' chance of leaving after an order hardly varies, Gamma-Gamma's q and v when their mean
order values do not. A 150-person shop's model table showed a = 115,232 in [30,531; 434,917] and
q = 5,756,093 with intervals, which read as measures of something."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from shopperlens.models import BetaGeo, GammaGamma, simulate_bgnbd, simulate_spend
from shopperlens.service.clv import _estimates, no_dropout

CDNOW = Path(__file__).parent / "data" / "cdnow" / "cdnow_customers_summary_with_transactions.csv"


def _table(rows: dict[str, tuple[float, float]]) -> pd.DataFrame:
    """A model summary: coef and se per parameter, the interval on the log scale."""
    frame = pd.DataFrame(rows, index=["coef", "se"]).T
    frame["lower"], frame["upper"] = frame["coef"] / 4, frame["coef"] * 4
    frame["note"] = ""
    return frame


def test_bgnbd_a_and_b_on_their_ridge_keep_only_their_ratio() -> None:
    """a + b = 4.8 million: the Beta of the customers' dropout has a spread of 0.007 percentage
    points, one chance for everyone, a/(a+b) = 2.4 %."""
    table = _table({"r": (1.288, 0.31), "alpha": (114.3, 30.5), "a": (115_232.0, 78_089.0),
                    "b": (4_681_349.0, 3_451_704.0)})  # fmt: skip
    by = {e.param: e for e in _estimates("BG/NBD", table)}
    for name in ("a", "b"):
        assert (by[name].se, by[name].lower, by[name].upper) == (None, None, None)
        assert by[name].note.startswith("at the edge of the fit — no interval: a and b grow")
        assert "a/(a+b) = 2.4%" in by[name].note
    assert by["r"].lower is not None and by["r"].note == ""
    assert no_dropout(by.values()) is None  # 2.4 % is a dropout, not none


def test_published_cdnow_fits_keep_every_interval() -> None:
    """CDNOW's BG/NBD (a = 0.793, b = 2.426: FHL 2005) and Gamma-Gamma (p = 6.25, q = 3.74,
    v = 15.44: Fader & Hardie 2013) are estimates with intervals."""
    cdnow = pd.read_csv(CDNOW)
    bg = BetaGeo().fit(cdnow["x"], cdnow["t_x"], cdnow["T"])
    rep = cdnow[cdnow["x"] > 0]
    gg = GammaGamma().fit(rep["x"], rep["zbar"])
    for name, model in (("BG/NBD", bg), ("Gamma-Gamma", gg)):
        for estimate in _estimates(name, model.summary()):
            assert estimate.lower is not None and estimate.note == "", estimate


def test_gamma_gamma_with_one_mean_order_value_for_all_keeps_only_that_mean() -> None:
    """Planted: every customer's orders vary around the same mean, p·v/(q−1) = 50 (q = 10⁷)."""
    people = simulate_bgnbd(2000, r=1.3, alpha=100.0, a=0.8, b=2.5, T=365.0, seed=4)
    frequency = people.loc[people["frequency"] > 0, "frequency"]
    spend = simulate_spend(frequency, p=2.0, q=1e7, v=25e7, seed=5)
    gg = GammaGamma().fit(frequency, spend)
    by = {e.param: e for e in _estimates("Gamma-Gamma", gg.summary())}
    for name in ("q", "v"):
        assert (by[name].se, by[name].lower, by[name].upper) == (None, None, None)
        assert "q and v grow together without limit" in by[name].note
    mean = by["p"].coef * by["v"].coef / (by["q"].coef - 1)
    assert mean == pytest.approx(50, rel=0.02)
    assert f"p·v/(q−1) = {mean:,.2f}" in by["q"].note
    assert by["p"].lower is not None
