"""Every public estimator in ``shopperlens.models`` is a scikit-learn estimator: ``clone``,
``get_params``/``set_params``, ``GridSearchCV`` and ``Pipeline`` accept it.

scikit-learn's own checks are used where they apply (``check_no_attributes_set_in_init``,
``check_get_params_invariance``, ``check_parameters_default_constructible``); the full
``check_estimator`` suite assumes ``fit(X, y)`` on numeric arrays, which the buy-till-you-die
models (frequency, recency, T) and the mixed-answer persona models are not.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.cluster import KMeans
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.utils.estimator_checks import (
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
)

from shopperlens.models import (
    BetaGeo,
    BetaGeoCovariates,
    GammaGamma,
    MixedEncoder,
    ModifiedBetaGeo,
    ParetoNBD,
    PersonaClustering,
    PurchaseIntent,
    simulate_bgnbd,
    simulate_spend,
)
from test_models_conformance import _intent_data

# planted BG/NBD truth (the conformance suite's): r, alpha, a, b
PLANTED = {"r": 0.4, "alpha": 5.0, "a": 0.8, "b": 2.5}

#: each public estimator with non-default parameters, so a clone that fell back to the
#: defaults would be caught
ESTIMATORS: dict[str, Callable[[], Any]] = {
    "BetaGeo": lambda: BetaGeo(penalizer=0.01),
    "BetaGeoCovariates": lambda: BetaGeoCovariates(penalizer=0.01),
    "GammaGamma": lambda: GammaGamma(penalizer=0.01),
    "ModifiedBetaGeo": lambda: ModifiedBetaGeo(penalizer=0.01),
    "ParetoNBD": lambda: ParetoNBD(penalizer=0.01),
    "PurchaseIntent": lambda: PurchaseIntent(max_iter=20, calibration="sigmoid", cv=2),
    "PersonaClustering": lambda: PersonaClustering(
        3, random_state=7, k_range=(2, 5), kinds={"channel": "categorical"}, n_resamples=2
    ),
    "MixedEncoder": lambda: MixedEncoder(kinds={"channel": "categorical"}),
}


def _rfm() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return simulate_bgnbd(1500, **PLANTED, T=rng.uniform(10, 60, 1500), seed=1)


def _spend() -> tuple[pd.Series, np.ndarray]:
    x = _rfm()["frequency"]
    return x, simulate_spend(x, p=5, q=3, v=20, seed=0)


def _survey(seed: int = 0) -> pd.DataFrame:
    """Three planted groups of 40 respondents: spend around 20, 60 and 150, one channel each."""
    rng = np.random.default_rng(seed)
    groups = [(20.0, "shop"), (60.0, "web"), (150.0, "app")]
    rows = [
        {"spend": rng.normal(mean, mean / 10), "channel": channel}
        for mean, channel in groups
        for _ in range(40)
    ]
    return pd.DataFrame(rows)


def _fitted_attributes(est: Any) -> set[str]:
    return {k for k in vars(est) if k.endswith("_") and not k.startswith("_")}


def _norm(params: dict[str, float]) -> float:
    return float(np.sqrt(sum(v * v for v in params.values())))


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_clone_keeps_the_parameters(name: str) -> None:
    """``clone`` (what ``GridSearchCV`` and ``cross_validate`` call) rebuilds the estimator
    from ``get_params``: it only works when ``__init__`` stores each argument unchanged."""
    est = ESTIMATORS[name]()
    copy = clone(est)
    assert copy is not est
    assert type(copy) is type(est)
    assert copy.get_params() == est.get_params()


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_scikit_learn_init_and_params_checks(name: str) -> None:
    """scikit-learn's own checks: nothing but the parameters is set in ``__init__``, shallow
    ``get_params`` is part of the deep one, and the defaults are plain values."""
    est = ESTIMATORS[name]()
    check_no_attributes_set_in_init(name, est)
    check_get_params_invariance(name, est)
    check_parameters_default_constructible(name, est)
    assert not _fitted_attributes(type(est)())


CLV_FITS: dict[str, tuple[Callable[[], Any], Callable[[Any], Any]]] = {
    "BetaGeo": (BetaGeo, lambda m: m.fit(_rfm())),
    "ModifiedBetaGeo": (ModifiedBetaGeo, lambda m: m.fit(_rfm())),
    "ParetoNBD": (ParetoNBD, lambda m: m.fit(_rfm())),
    "BetaGeoCovariates": (
        BetaGeoCovariates,
        lambda m: m.fit(_rfm(), covariates=pd.DataFrame({"paid": np.arange(1500) % 2})),
    ),
    "GammaGamma": (GammaGamma, lambda m: m.fit(*_spend())),
}


@pytest.mark.parametrize("name", sorted(CLV_FITS))
def test_set_params_penalizer_reaches_the_fit(name: str) -> None:
    """On planted BG/NBD data (and planted Gamma-Gamma spend), ``set_params(penalizer=…)`` on
    a clone of a fitted model gives an unfitted model whose fit is shrunk by the L2 penalty
    (smaller parameter norm); the original fit is untouched, and a clone with the same
    penalizer refits to the same parameters."""
    factory, fit = CLV_FITS[name]
    plain = fit(factory())
    again = clone(plain)
    assert not _fitted_attributes(again), "a clone is unfitted"
    np.testing.assert_allclose(list(fit(again).params_.values()), list(plain.params_.values()))
    shrunk = clone(plain).set_params(penalizer=0.01)
    assert shrunk.get_params()["penalizer"] == 0.01
    fit(shrunk)
    assert _norm(shrunk.params_) < 0.9 * _norm(plain.params_)
    assert plain.penalizer == 0.0


def test_unpenalised_clone_recovers_the_planted_bgnbd_parameters() -> None:
    """A clone of ``BetaGeo(penalizer=0.5)`` reset to ``penalizer=0`` by ``set_params`` is
    plain maximum likelihood again: within 25 % of the planted r, α, a, b on 1,500 simulated
    customers (the sampling error at this size is about 10–15 %)."""
    est = clone(BetaGeo(penalizer=0.5)).set_params(penalizer=0.0).fit(_rfm())
    for key, truth in PLANTED.items():
        assert est.params_[key] == pytest.approx(truth, rel=0.25), key


def test_set_params_n_personas_reaches_the_fit() -> None:
    """Three planted groups: ``"auto"`` finds 3, and ``set_params(n_personas=2)`` gives 2."""
    survey = _survey()
    est = PersonaClustering(random_state=0, n_resamples=2, kinds={"channel": "categorical"})
    assert est.fit(survey).n_personas_ == 3
    two = clone(est).set_params(n_personas=2)
    assert two.fit(survey).n_personas_ == 2
    assert est.n_personas == "auto"


def test_set_params_kinds_reaches_the_encoder() -> None:
    """``kinds`` set after construction is what ``fit`` uses: an ignored column is not encoded."""
    survey = _survey()
    enc = MixedEncoder()
    assert "channel=web" in enc.fit(survey).feature_names_
    enc.set_params(kinds={"channel": "ignore"})
    assert enc.fit(survey).feature_names_ == ["spend"]
    assert enc.transform(survey).shape == (len(survey), 1)


def test_set_params_calibration_reaches_the_fit() -> None:
    """``"auto"`` calibrates 600 rows in 3 folds with sigmoid (below 1,000 rows a fold);
    ``set_params(calibration="isotonic")`` overrides that."""
    X, y = _intent_data()
    est = PurchaseIntent(max_iter=20)
    assert est.fit(X, y).calibration_ == "sigmoid"
    assert clone(est).set_params(calibration="isotonic").fit(X, y).calibration_ == "isotonic"


def test_grid_search_over_a_pipeline_with_the_encoder() -> None:
    """``GridSearchCV`` clones the pipeline for every candidate, the encoder included."""
    pipe = Pipeline([("encode", MixedEncoder()), ("cluster", KMeans(n_init=2, random_state=0))])
    search = GridSearchCV(pipe, {"cluster__n_clusters": [2, 3]}, cv=2).fit(_survey())
    assert search.best_params_["cluster__n_clusters"] in (2, 3)
    assert search.best_estimator_.named_steps["encode"].feature_names_[0] == "spend"


def test_grid_search_over_purchase_intent_with_a_probability_scorer() -> None:
    """PurchaseIntent has no ``score``; a callable scorer on ``predict_proba`` drives a search
    (the recipe its docstring gives)."""
    X, y = _intent_data()

    def auc(est: PurchaseIntent, X: pd.DataFrame, y: np.ndarray) -> float:
        return float(roc_auc_score(y, est.predict_proba(X)))

    search = GridSearchCV(
        PurchaseIntent(max_iter=20, cv=2), {"max_leaf_nodes": [3, 7]}, scoring=auc, cv=2
    ).fit(X, y)
    assert search.best_params_["max_leaf_nodes"] in (3, 7)
    assert search.best_score_ > 0.7


@pytest.mark.parametrize(("q", "exists"), [(0.8, False), (3.0, True)])
def test_gammagamma_mean_exists_is_a_fitted_attribute(q: float, exists: bool) -> None:
    """``mean_exists_`` (q > 1) is fitted state: absent before ``fit``, and on planted spend it
    tells a planted q = 0.8 (no mean spend) from a planted q = 3."""
    est = GammaGamma()
    assert "mean_exists_" not in vars(est)
    rng = np.random.default_rng(0)
    x = rng.integers(1, 6, size=3000).astype(float)
    m = simulate_spend(x, p=5.0, q=q, v=50.0, seed=1)
    assert est.fit(x, m).mean_exists_ is exists


@pytest.mark.parametrize("name", sorted(CLV_FITS))
def test_a_fitted_model_pickles_with_its_summary(name: str) -> None:
    """A fitted model is kept with ``pickle`` (or ``joblib``): it held its objective as a
    closure, which pickle refuses. After a round trip the parameters, the predictions and
    the standard errors (whose Hessian needs the objective) are the same."""
    import pickle

    factory, fit = CLV_FITS[name]
    model = fit(factory())
    back = pickle.loads(pickle.dumps(model))
    assert back.params_ == model.params_
    pd.testing.assert_frame_equal(back.summary(), model.summary())
