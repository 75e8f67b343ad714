"""Predictions on a grid against ``lifetimes`` (the oracle most users know), same parameters.

``lifetimes`` is only in the ``bench`` extra: without it these tests are skipped.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from shopperlens.models import BetaGeo, ModifiedBetaGeo, ParetoNBD

lifetimes = pytest.importorskip("lifetimes")

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
