"""Predictions on a grid against ``lifetimes`` (the oracle most users know), same parameters.

``lifetimes`` is only in the ``bench`` extra: without it these tests are skipped.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shopperlens.models import BetaGeo, GammaGamma, ModifiedBetaGeo, ParetoNBD

lifetimes = pytest.importorskip("lifetimes")

CDNOW = Path(__file__).parent / "data" / "cdnow"

GRID = pd.DataFrame(
    [(x, tx, T) for T in (10.0, 39.0, 80.0) for tx in (0.0, 5.0, 9.5) for x in (0, 1, 3, 12)],
    columns=["frequency", "recency", "T"],
)
GRID = GRID[(GRID["recency"] <= GRID["T"]) & ((GRID["frequency"] > 0) | (GRID["recency"] == 0))]


@pytest.mark.parametrize(
    ("ours", "theirs", "params"),
    [
        (BetaGeo, "BetaGeoFitter", {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}),
        (
            ModifiedBetaGeo,
            "ModifiedBetaGeoFitter",
            {"r": 0.525, "alpha": 6.18, "a": 0.89, "b": 1.6},
        ),
        (ParetoNBD, "ParetoNBDFitter", {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}),
    ],
)
def test_predictions_match_lifetimes_on_a_grid(ours, theirs, params) -> None:  # type: ignore[no-untyped-def]
    model = ours()
    model.params_ = dict(params)
    peer = getattr(lifetimes, theirs)()
    peer.params_ = pd.Series(params)
    x, tx, T = GRID["frequency"], GRID["recency"], GRID["T"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        alive = peer.conditional_probability_alive(x, tx, T)
        purchases = peer.conditional_expected_number_of_purchases_up_to_time(20, x, tx, T)
        population = peer.expected_number_of_purchases_up_to_time(np.array([1.0, 20.0, 100.0]))
    np.testing.assert_allclose(model.predict_alive(GRID), alive, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(model.predict_purchases(GRID, t=20), purchases, rtol=1e-6)
    np.testing.assert_allclose(
        model.expected_purchases(np.array([1.0, 20.0, 100.0])), population, rtol=1e-6
    )


def test_gammagamma_spend_matches_lifetimes_on_cdnow_repeat_buyers() -> None:
    """E[M | x, m̄] (Fader & Hardie 2013, eq. 5) for each of the 946 CDNOW repeat buyers,
    against ``lifetimes``' ``conditional_expected_average_profit`` at the published
    parameters p = 6.25, q = 3.74, γ = 15.44 (note 025)."""
    spend = pd.read_csv(CDNOW / "cdnow_customers_summary_with_transactions.csv")
    repeat = spend[spend["x"] > 0]
    assert len(repeat) == 946
    params = {"p": 6.25, "q": 3.74, "v": 15.44}
    model = GammaGamma()
    model.params_ = dict(params)
    peer = lifetimes.GammaGammaFitter()
    peer.params_ = pd.Series(params)
    theirs = peer.conditional_expected_average_profit(repeat["x"], repeat["zbar"])
    np.testing.assert_allclose(model.predict_spend(repeat["x"], repeat["zbar"]), theirs, rtol=1e-9)


def test_bgnbd_standard_errors_and_intervals_match_lifetimes_on_cdnow() -> None:
    """Standard errors of the CDNOW BG/NBD fit against ``lifetimes``' ``standard_errors_``
    (both from the observed information; they differ by numerical Hessians, so rtol 1e-3), and
    the 95 % interval built as ``summary`` documents: exp(log θ ± z · se/θ), with z the 97.5 %
    standard normal quantile, 1.959964 (published to more digits as 1.959963984540 at
    https://en.wikipedia.org/wiki/1.96), not scipy's own value."""
    data = pd.read_csv(CDNOW / "cdnow_customers_summary.csv")
    peer = lifetimes.BetaGeoFitter().fit(data["frequency"], data["recency"], data["T"])
    table = BetaGeo().fit(data).summary()
    names = ["r", "alpha", "a", "b"]
    np.testing.assert_allclose(table.loc[names, "coef"], peer.params_[names], rtol=1e-3)
    np.testing.assert_allclose(table.loc[names, "se"], peer.standard_errors_[names], rtol=1e-3)
    z = 1.959964
    coef, se = table["coef"], table["se"]
    np.testing.assert_allclose(table["lower"], np.exp(np.log(coef) - z * se / coef), rtol=1e-6)
    np.testing.assert_allclose(table["upper"], np.exp(np.log(coef) + z * se / coef), rtol=1e-6)
