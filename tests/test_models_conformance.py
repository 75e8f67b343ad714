"""One conformance suite for every estimator in ``shopperlens.models`` (scikit-learn's contract),
and the rule that the models package stays pure (no store, no web, no CLI imports)."""

from __future__ import annotations

import ast
import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import shopperlens.models as models
from shopperlens.errors import NotFittedError
from shopperlens.models import (
    BetaGeo,
    BetaGeoCovariates,
    GammaGamma,
    ModifiedBetaGeo,
    ParetoNBD,
    PurchaseIntent,
    simulate_bgnbd,
    simulate_spend,
)

FORBIDDEN = {"duckdb", "ibis", "fastapi", "typer", "rich", "starlette", "uvicorn"}


def _rfm() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return simulate_bgnbd(1500, r=0.4, alpha=5, a=0.8, b=2.5, T=rng.uniform(10, 60, 1500), seed=1)


def _covariates(n: int) -> pd.DataFrame:
    return pd.DataFrame({"paid": np.arange(n) % 2})


def _intent_data() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {"views": rng.poisson(5, 600).astype(float), "device": rng.choice(["m", "d"], 600)}
    )
    y = (X["views"] + rng.normal(0, 2, 600) > 6).astype(int).to_numpy()
    return X, y


# each case: (estimator factory, fit, predict)
CASES: dict[str, tuple[Callable[[], Any], Callable[[Any], Any], Callable[[Any], Any]]] = {
    "BetaGeo": (BetaGeo, lambda m: m.fit(_rfm()), lambda m: m.predict_alive(_rfm())),
    "ModifiedBetaGeo": (
        ModifiedBetaGeo,
        lambda m: m.fit(_rfm()),
        lambda m: m.predict_purchases(_rfm(), t=10),
    ),
    "ParetoNBD": (ParetoNBD, lambda m: m.fit(_rfm()), lambda m: m.predict_alive(_rfm())),
    "BetaGeoCovariates": (
        BetaGeoCovariates,
        lambda m: m.fit(_rfm(), covariates=_covariates(1500)),
        lambda m: m.predict_alive(_rfm(), covariates=_covariates(1500)),
    ),
    "GammaGamma": (
        GammaGamma,
        lambda m: m.fit(
            _rfm()["frequency"], simulate_spend(_rfm()["frequency"], p=5, q=3, v=20, seed=0)
        ),
        lambda m: m.predict_spend(2, 30.0),
    ),
    "PurchaseIntent": (
        PurchaseIntent,
        lambda m: m.fit(*_intent_data()),
        lambda m: m.predict_proba(_intent_data()[0]),
    ),
}


def _fitted_attributes(est: Any) -> set[str]:
    return {k for k in vars(est) if k.endswith("_") and not k.startswith("_")}


@pytest.mark.parametrize("name", sorted(CASES))
def test_estimator_contract(name: str) -> None:
    factory, fit, predict = CASES[name]
    est = factory()
    params_before = copy.deepcopy(vars(est))
    assert not _fitted_attributes(est), "no fitted (trailing _) attributes before fit"
    with pytest.raises(NotFittedError, match="call .fit first"):
        predict(est)
    assert fit(est) is est, "fit returns self"
    assert _fitted_attributes(est)
    for key, value in params_before.items():
        assert vars(est)[key] == value, f"fit must not change the hyper-parameter {key}"
    first = np.asarray(predict(est))
    again = np.asarray(predict(fit(est)))  # refit on the same data
    fresh = np.asarray(predict(fit(factory())))
    np.testing.assert_allclose(again, first, rtol=1e-6)
    np.testing.assert_allclose(fresh, first, rtol=1e-6)
    assert name in repr(est)


@pytest.mark.parametrize("name", sorted(set(CASES) - {"PurchaseIntent"}))
def test_params_round_trip(name: str) -> None:
    """``params_`` and ``summary()`` agree, and parameters copied into a new estimator predict
    the same (the fitted state is the parameters, nothing hidden)."""
    factory, fit, predict = CASES[name]
    est = fit(factory())
    table = est.summary()
    assert list(table.index) == list(est.params_)
    np.testing.assert_allclose(table["coef"], list(est.params_.values()))
    clone = factory()
    clone.params_ = dict(est.params_)
    if hasattr(est, "covariate_names_"):
        clone.covariate_names_ = est.covariate_names_
    np.testing.assert_allclose(np.asarray(predict(clone)), np.asarray(predict(est)))


def test_public_models_are_exported() -> None:
    for name in ("BetaGeo", "ParetoNBD", "GammaGamma", "ModifiedBetaGeo", "rfm_summary"):
        assert name in models.__all__


def test_models_package_imports_no_store_web_or_cli() -> None:
    """House rule 7: ``models/`` is pure numpy/scipy/pandas/sklearn, checked on every module's
    import statements (importing the package itself pulls in ``shopperlens/__init__``)."""
    root = Path(models.__file__).parent
    offenders = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top in FORBIDDEN or name.startswith(
                    (
                        "shopperlens.store",
                        "shopperlens.web",
                        "shopperlens.cli",
                        "shopperlens.service",
                    )
                ):
                    offenders.append(f"{path.name}: {name}")
    assert not offenders, offenders
