"""Newton's method in the BG/NBD and Gamma-Gamma fits: its Hessians are the true second
derivatives, and it lands on the published CDNOW estimates; where it cannot (a non-concave
ridge) the fit falls back to L-BFGS-B and still finds the maximum."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shopperlens.models import BetaGeo, GammaGamma, simulate_bgnbd
from shopperlens.models._base import as_rfm, compress
from shopperlens.models.gammagamma import _Spend

CDNOW = Path(__file__).parent / "data" / "cdnow" / "cdnow_customers_summary_with_transactions.csv"


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return pd.read_csv(CDNOW)


def _numeric_hessian(model: object, params: np.ndarray, prep: object) -> np.ndarray:
    """Central differences of the analytic gradient (itself checked by the CDNOW fits)."""
    h = 1e-6 * params
    rows = [
        (model._value_and_grad(params + e, prep)[1] - model._value_and_grad(params - e, prep)[1])
        / (2 * e[i])
        for i, e in enumerate(np.diag(h))
    ]
    return np.array(rows)


def test_bgnbd_hessian_is_the_second_derivative(cdnow: pd.DataFrame) -> None:
    data = compress(as_rfm(cdnow["x"], cdnow["t_x"], cdnow["T"]))
    model = BetaGeo()
    prep = model._prepare(data, data.w)
    params = np.array([0.3, 4.0, 0.7, 2.0])
    hess = model._hessian(params, prep)
    np.testing.assert_allclose(hess, _numeric_hessian(model, params, prep), rtol=1e-6)


def test_gamma_gamma_hessian_is_the_second_derivative(cdnow: pd.DataFrame) -> None:
    rep = cdnow[cdnow["x"] > 0]
    data = _Spend(rep["x"].to_numpy(float), rep["zbar"].to_numpy(float))
    model = GammaGamma()
    prep = model._prepare(data, np.ones(len(rep)))
    params = np.array([6.0, 3.5, 15.0])
    hess = model._hessian(params, prep)
    np.testing.assert_allclose(hess, _numeric_hessian(model, params, prep), rtol=1e-6)


def test_newton_fits_reach_the_published_cdnow_estimates(cdnow: pd.DataFrame) -> None:
    bg = BetaGeo().fit(cdnow["x"], cdnow["t_x"], cdnow["T"])
    assert [round(bg.params_[k], 3) for k in ("r", "alpha", "a", "b")] == [
        0.243,
        4.414,
        0.793,
        2.426,
    ]  # FHL 2005
    rep = cdnow[cdnow["x"] > 0]
    gg = GammaGamma().fit(rep["x"], rep["zbar"])
    assert [round(gg.params_[k], 2) for k in ("p", "q", "v")] == [6.25, 3.74, 15.45]  # F&H 2013


def test_non_concave_ridge_falls_back_to_lbfgsb() -> None:
    """From the start (0.5, 5, 0.8, 2.5) this data set leads Newton along a non-concave ridge;
    the fit must still reach the maximum (its gradient vanishes there)."""
    rng = np.random.default_rng(3)
    rng.uniform(10, 60, 3000)  # the draws before this data set's, as in its discovery
    d = simulate_bgnbd(3000, r=1.5, alpha=20, a=0.3, b=3, T=rng.uniform(10, 60, 3000), seed=1)
    model = BetaGeo()
    assert model._newton(np.log([0.5, 5.0, 0.8, 2.5]), _prep(model, d), 3000.0) is None
    model.fit(d)
    data = compress(as_rfm(d, None, None))
    params = np.array(list(model.params_.values()))
    _, grad = model._value_and_grad(params, model._prepare(data, data.w))
    assert np.max(np.abs(grad * params)) / 3000 < 1e-5


def _prep(model: BetaGeo, d: pd.DataFrame) -> object:
    data = compress(as_rfm(d, None, None))
    return model._prepare(data, data.w)


def test_time_unit_changes_only_alpha(cdnow: pd.DataFrame) -> None:
    """The same customers in days instead of weeks: the likelihood is the same up to a
    constant, so r, a, b stay and alpha is 7 times larger. The start adapts to the unit (the
    repeat buyers' purchase rate): only its log alpha moves, by log 7, so Newton's path on the
    log scale is the same in both units."""
    weeks = BetaGeo().fit(cdnow["x"], cdnow["t_x"], cdnow["T"])
    days = BetaGeo().fit(cdnow["x"], 7 * cdnow["t_x"], 7 * cdnow["T"])
    for k in ("r", "a", "b"):
        assert days.params_[k] == pytest.approx(weeks.params_[k], rel=1e-6)
    assert days.params_["alpha"] == pytest.approx(7 * weeks.params_["alpha"], rel=1e-6)
    data = compress(as_rfm(cdnow["x"], cdnow["t_x"], cdnow["T"]))
    data_days = compress(as_rfm(cdnow["x"], 7 * cdnow["t_x"], 7 * cdnow["T"]))
    start, start_days = BetaGeo()._data_start(data), BetaGeo()._data_start(data_days)
    assert np.allclose(start_days - start, [0, np.log(7), 0, 0])
