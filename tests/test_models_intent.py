"""Purchase intent on the UCI Online Shoppers Purchasing Intention data (tests/data, SOURCE.md).

Sakar et al. (2019, Neural Comput & Applic 31:6893) report accuracy ≈ 0.88 with MLP/LSTM
models on this data; the issue asks for a 5-fold cross-validated ROC AUC ≥ 0.93, reported with
F1 and a calibration check.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import brier_score_loss, f1_score, roc_auc_score
from sklearn.model_selection import StratifiedKFold

from shopperlens.models import PurchaseIntent
from shopperlens.models.intent import reliability

DATA = (
    Path(__file__).parent / "data" / "online_shoppers_intention" / "online_shoppers_intention.csv"
)


@pytest.fixture(scope="module")
def cv_result() -> dict:
    d = pd.read_csv(DATA)
    y = d.pop("Revenue").astype(str).str.upper().eq("TRUE").astype(int).to_numpy()
    oof = np.zeros(len(d))
    aucs = []
    last = None
    for train, test in StratifiedKFold(5, shuffle=True, random_state=0).split(d, y):
        last = PurchaseIntent().fit(d.iloc[train], y[train])
        oof[test] = last.predict_proba(d.iloc[test])
        aucs.append(roc_auc_score(y[test], oof[test]))
    return {"X": d, "y": y, "oof": oof, "aucs": aucs, "model": last}


def test_uci_five_fold_roc_auc_is_at_least_0_93(cv_result: dict) -> None:
    """5-fold stratified CV (shuffled, seed 0): mean ROC AUC ≥ 0.93 (we measure 0.933)."""
    auc = float(np.mean(cv_result["aucs"]))
    f1 = f1_score(cv_result["y"], cv_result["oof"] >= 0.5)
    print(f"ROC AUC {auc:.4f} (folds {np.round(cv_result['aucs'], 4)}), F1@0.5 {f1:.3f}")
    assert auc >= 0.93
    assert f1 > 0.6  # measured 0.661 at the 0.5 threshold


def test_uci_probabilities_are_calibrated(cv_result: dict) -> None:
    """Brier score below the base-rate forecast's by a wide margin, and every reliability bin
    with ≥ 100 sessions within 0.06 of its observed purchase rate."""
    y, p = cv_result["y"], cv_result["oof"]
    brier = brier_score_loss(y, p)
    assert brier < 0.075 < brier_score_loss(y, np.full(len(y), y.mean()))
    table = reliability(y, p)
    big = table[table["rows"] >= 100]
    assert len(big) >= 6
    assert (abs(big["forecast"] - big["observed"]) < 0.06).all(), table


def test_reliability_counts_each_bin_by_hand() -> None:
    """Ten forecasts in four bins of width 0.25, shuffled: per bin the rows, the mean forecast
    and the share that bought, counted by hand (bins are [lower, upper), the last one [0.75, 1])."""
    proba = [0.9, 0.1, 0.45, 0.6, 1.0, 0.3, 0.2, 0.8, 0.4, 0.85]
    y = [1, 0, 1, 0, 1, 0, 1, 1, 0, 0]
    table = reliability(y, proba, bins=4)
    assert table["lower"].tolist() == [0.0, 0.25, 0.5, 0.75]
    assert table["upper"].tolist() == [0.25, 0.5, 0.75, 1.0]
    # [0, .25): 0.1 0.2 | [.25, .5): 0.45 0.3 0.4 | [.5, .75): 0.6 | [.75, 1]: 0.9 1 0.8 0.85
    assert table["rows"].tolist() == [2, 3, 1, 4]
    np.testing.assert_allclose(table["forecast"], [0.15, 1.15 / 3, 0.6, 3.55 / 4])
    np.testing.assert_allclose(table["observed"], [1 / 2, 1 / 3, 0 / 1, 3 / 4])


def test_drivers_explain_each_score(cv_result: dict) -> None:
    """Setting ``PageValues`` to its typical value (0) lowers the score of high-value sessions:
    it is their top driver, with a positive sign."""
    model, X = cv_result["model"], cv_result["X"]
    rows = X[X["PageValues"] > 50].head(20)
    drivers = model.top_drivers(rows)
    assert sum(d[0].startswith("PageValues +") for d in drivers if d) >= 15
    contrib = model.contributions(rows)
    assert list(contrib.columns) == model.feature_names_


def test_few_rows_are_calibrated_by_sigmoid_and_never_say_0_or_100_percent() -> None:
    """Planted: 400 visitors whose buying chance rises smoothly with one feature (a logistic
    curve, never certain). Isotonic steps on so few rows said exactly 0 and 1 for some;
    "auto" calibrates them by sigmoid, and the probabilities follow the planted curve."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=400)
    truth = 1 / (1 + np.exp(-(1.5 * x - 1.0)))
    y = (rng.random(400) < truth).astype(int)
    frame = pd.DataFrame({"x": x, "noise": rng.normal(size=400)})
    auto = PurchaseIntent().fit(frame, y)
    assert auto.calibration_ == "sigmoid"
    p = auto.predict_proba(frame)
    assert p.min() > 0 and p.max() < 1
    assert np.corrcoef(p, truth)[0, 1] > 0.8
    iso = PurchaseIntent(calibration="isotonic").fit(frame, y)
    assert iso.calibration_ == "isotonic"
    big = pd.concat([frame] * 8, ignore_index=True)  # 3,200 rows: 1,066 per calibration fold
    assert PurchaseIntent().fit(big, np.tile(y, 8)).calibration_ == "isotonic"
    assert PurchaseIntent().fit(big.head(2999), np.tile(y, 8)[:2999]).calibration_ == "sigmoid"
