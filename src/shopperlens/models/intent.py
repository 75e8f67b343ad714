"""Purchase intent: how close a visitor is to buying, calibrated, with the reasons per score.

A gradient-boosted tree classifier (scikit-learn's ``HistGradientBoostingClassifier``, which
handles categorical columns and missing values natively) is wrapped in
``CalibratedClassifierCV`` so that a score of 0.3 means about 3 in 10 such sessions buy —
the raw boosted scores are over-confident. Each score is explained by *occlusion*: a feature's
contribution is how much the probability falls when that feature alone is set to a typical
value (the median, or the most common category). That costs one extra prediction per feature,
is exact for the fitted model and needs no extra dependency (SHAP values would be close but
need the ``shap`` package and are slower through the calibration wrapper).

References
----------
Sakar, C. O., Polat, S. O., Katircioglu, M. & Kastro, Y. (2019). Real-time prediction of
online shoppers' purchasing intention using multilayer perceptron and LSTM recurrent neural
networks. *Neural Computing and Applications* 31, 6893–6908.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits

from shopperlens.errors import InsufficientDataError, NotFittedError, ShopperlensError

#: calibration rows per fold (training rows / ``cv``) from which "auto" calibration is
#: isotonic (below: sigmoid)
ISOTONIC_MIN_ROWS = 1000


def auto_calibration(n_rows: int, cv: int) -> str:
    """The calibration "auto" picks for ``n_rows`` training rows in ``cv`` folds: isotonic
    when each fold calibrates on at least :data:`ISOTONIC_MIN_ROWS` rows, else sigmoid. A
    caller fitting several models of one ranking (out-of-fold scoring) picks once for all."""
    return "isotonic" if n_rows // max(cv, 1) >= ISOTONIC_MIN_ROWS else "sigmoid"


#: categories kept per categorical column (the rest become "other"): keeps the trees small
MAX_CATEGORIES = 30


class PurchaseIntent(BaseEstimator):
    """Calibrated P(purchase) for sessions or visitors, with per-row drivers.

    A scikit-learn estimator: ``__init__`` stores each parameter unchanged (so ``clone``,
    ``set_params`` and ``GridSearchCV`` work), ``fit`` returns ``self``, fitted state ends in
    ``_``. It has ``predict_proba`` but no ``predict``/``score`` and is not a scikit-learn
    classifier: give a search a callable scorer, e.g.
    ``lambda est, X, y: roc_auc_score(y, est.predict_proba(X))``.

    Parameters
    ----------
    max_iter, learning_rate, max_leaf_nodes :
        Passed to ``HistGradientBoostingClassifier``.
    calibration : {"auto", "isotonic", "sigmoid"}
        Calibration method of ``CalibratedClassifierCV``. ``"auto"`` (the default) is
        isotonic when each of the ``cv`` folds calibrates on at least
        :data:`ISOTONIC_MIN_ROWS` rows and sigmoid (Platt) below (:func:`auto_calibration`):
        with few rows isotonic regression overfits its steps (scikit-learn's user guide says
        so), and on a few hundred visitors it gave lookers exactly 0 % and 100 %.
    cv : int
        Folds used to calibrate.
    random_state : int
    n_threads : int or None
        OpenMP threads for the trees (None = all cores). Default 1: the data are small, and
        OpenMP threads spin-waiting on a busy machine can make a fit 50x slower.

    Attributes
    ----------
    feature_names_ : list of str
    categories_ : dict
        Column -> the categories seen in ``fit`` (numeric columns are absent).
    baseline_ : dict
        Column -> the "typical" value used to explain scores.
    model_ : CalibratedClassifierCV
    calibration_ : str
        The method used ("isotonic" or "sigmoid").
    base_rate_ : float
        Share of positive rows in the training data.
    """

    def __init__(
        self,
        max_iter: int = 200,
        learning_rate: float = 0.06,
        max_leaf_nodes: int = 15,
        calibration: str = "auto",
        cv: int = 3,
        random_state: int = 0,
        n_threads: int | None = 1,
    ) -> None:
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.calibration = calibration
        self.cv = cv
        self.random_state = random_state
        self.n_threads = n_threads

    def _threads(self) -> Any:
        return threadpool_limits(limits=self.n_threads, user_api="openmp")

    def __repr__(self) -> str:
        state = f", {len(self.feature_names_)} features" if hasattr(self, "model_") else ""
        return f"PurchaseIntent(calibration={self.calibration!r}{state})"

    # -- data preparation ---------------------------------------------------------------------
    def _frame(self, X: Any, *, fitting: bool = False) -> pd.DataFrame:
        if not isinstance(X, pd.DataFrame):
            raise ShopperlensError("PurchaseIntent expects a DataFrame of features")
        if fitting:
            self.feature_names_ = [str(c) for c in X.columns]
            self.categories_ = {}
            for col in X.columns:
                if not pd.api.types.is_numeric_dtype(X[col]) or X[col].dtype == bool:
                    counts = X[col].astype(str).value_counts()
                    self.categories_[str(col)] = sorted(counts.index[:MAX_CATEGORIES].tolist())
        missing = [c for c in self.feature_names_ if c not in X.columns]
        if missing:
            raise ShopperlensError(f"features missing: {', '.join(missing)}")
        out = {}
        for col in self.feature_names_:
            if col in self.categories_:
                cats = self.categories_[col]
                values = X[col].astype(str).where(X[col].astype(str).isin(cats), other=np.nan)
                out[col] = pd.Categorical(values, categories=cats)
            else:
                out[col] = pd.to_numeric(X[col], errors="coerce").astype(float)
        return pd.DataFrame(out, index=X.index)

    # -- estimator ----------------------------------------------------------------------------
    def fit(self, X: pd.DataFrame, y: Any) -> Self:
        """Fit on features ``X`` and outcomes ``y`` (1 = bought); returns ``self``."""
        frame = self._frame(X, fitting=True)
        target = np.asarray(y).astype(int)
        if len(np.unique(target)) < 2 or min(np.bincount(target)) < 2 * self.cv:
            raise InsufficientDataError(
                "purchase intent needs sessions that ended in a purchase and sessions that "
                f"did not (at least {2 * self.cv} of each)"
            )
        base = HistGradientBoostingClassifier(
            max_iter=self.max_iter,
            learning_rate=self.learning_rate,
            max_leaf_nodes=self.max_leaf_nodes,
            categorical_features="from_dtype",
            random_state=self.random_state,
        )
        # shuffled folds: session logs are usually sorted by date, and unshuffled folds would
        # calibrate on months the trees never saw
        folds = StratifiedKFold(self.cv, shuffle=True, random_state=self.random_state)
        with self._threads():
            self.calibration_ = (
                auto_calibration(len(frame), self.cv)
                if self.calibration == "auto"
                else self.calibration
            )
            self.model_ = CalibratedClassifierCV(base, method=self.calibration_, cv=folds).fit(
                frame, target
            )
        self.baseline_ = {
            col: (frame[col].mode().iloc[0] if col in self.categories_ else frame[col].median())
            for col in self.feature_names_
        }
        self.base_rate_ = float(target.mean())
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise NotFittedError(type(self).__name__)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Calibrated probability that each row ends in a purchase."""
        self._check_fitted()
        with self._threads():
            return self.model_.predict_proba(self._frame(X))[:, 1]

    def contributions(self, X: pd.DataFrame) -> pd.DataFrame:
        """Per-row, per-feature change in P(purchase) versus the feature at its typical value."""
        self._check_fitted()
        frame = self._frame(X)
        with self._threads():
            return self._contributions(frame, X.index)

    def _contributions(self, frame: pd.DataFrame, index: pd.Index) -> pd.DataFrame:
        score = self.model_.predict_proba(frame)[:, 1]
        out = {}
        for col in self.feature_names_:
            occluded = frame.copy()
            if col in self.categories_:
                occluded[col] = pd.Categorical(
                    [self.baseline_[col]] * len(frame), categories=self.categories_[col]
                )
            else:
                occluded[col] = self.baseline_[col]
            out[col] = score - self.model_.predict_proba(occluded)[:, 1]
        return pd.DataFrame(out, index=index)

    def top_drivers(self, X: pd.DataFrame, top: int = 3) -> list[list[str]]:
        """The ``top`` features moving each score most, as ``"feature +0.12"`` strings."""
        contrib = self.contributions(X)
        values = contrib.to_numpy()
        order = np.argsort(-np.abs(values), axis=1)[:, :top]
        names = np.array(contrib.columns)
        return [
            [f"{names[j]} {values[i, j]:+.2f}" for j in row if abs(values[i, j]) >= 0.005]
            for i, row in enumerate(order)
        ]


def reliability(y: Any, proba: Any, bins: int = 10) -> pd.DataFrame:
    """Calibration table: per probability bin, the mean forecast and the observed rate."""
    y_arr, p_arr = np.asarray(y, dtype=float), np.asarray(proba, dtype=float)
    edges = np.linspace(0, 1, bins + 1)
    idx = np.clip(np.digitize(p_arr, edges[1:-1]), 0, bins - 1)
    frame = pd.DataFrame({"bin": idx, "forecast": p_arr, "observed": y_arr})
    out = frame.groupby("bin").agg(
        rows=("observed", "size"), forecast=("forecast", "mean"), observed=("observed", "mean")
    )
    out.insert(0, "upper", edges[out.index + 1])
    out.insert(0, "lower", edges[out.index])
    return out.reset_index(drop=True)
