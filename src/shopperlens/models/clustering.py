"""Mixed-data clustering of survey respondents into personas.

Survey answers mix numbers (income, 1–5 scales), single choices (education) and multi-select
answers (channels used). Gower distance with k-medoids treats them evenly but costs O(n²) memory,
which rules out 100,000 respondents. We use the encoding behind factor analysis of mixed data
(FAMD, Pagès 2004) instead and run k-means in that space:

* a number is standardised (median-imputed, so a missing answer sits at the centre); a
  non-negative right-skewed number (spend, purchase counts; skewness > 1) is compared on a
  ``log1p`` scale first, so a few big spenders do not become personas of their own;
* a single choice becomes one-hot indicator columns (a missing answer is all zeros);
* a multi-select answer becomes one binary indicator column per option;
* every question (column of the input frame) is one *block*, scaled so that the block's total
  variance is 1. Each question therefore weighs the same whatever its number of options, the
  way Gower's distance averages per-variable dissimilarities.

With ``reduce=True`` (the default) k-means runs on the principal components of that encoding
whose eigenvalue exceeds the mean (Kaiser's rule), i.e. on the FAMD factors: the questions on
which nobody differs (noise for persona purposes) then no longer blur the distances.

The number of personas is chosen from the data. For every k in ``k_range`` we fit k-means and
score it by the mean silhouette (Rousseeuw 1987, on a seeded subsample) times its stability
under resampling: k-means is refitted on bootstrap samples and compared with the full fit by
the adjusted Rand index (Ben-Hur et al. 2002; Hennig 2007). Silhouette alone prefers merging
two personas that share most answers when the survey also holds many questions on which
nobody differs (gender, say); such a merge does not reproduce across resamples, a real split
does. Profiles are meant to be few ("sketch 3–4 ideal customers"), so the best k inside
``prefer`` (3–4) wins unless the best k outside it scores more than ``tolerance`` (0.1)
higher. Real customer data is mostly a continuum on which the score falls steadily with k
(on the Customer Personality Analysis file: 0.42 at k=2, 0.35 at k=3); a difference under 0.1
is not a structural reason to give the owner fewer or more profiles than the method asks for,
a larger one is. ``stability_`` reports the chosen k's mean bootstrap ARI and, per persona, the
mean best Jaccard overlap (Hennig's clusterwise stability; above 0.75 is a stable persona).

References
----------
Pagès, J. (2004). Analyse factorielle de données mixtes. Revue de Statistique Appliquée 52(4).
Rousseeuw, P. J. (1987). Silhouettes. J. Comput. Appl. Math. 20, 53–65.
Ben-Hur, A., Elisseeff, A., Guyon, I. (2002). A stability based method for discovering
structure in clustered data. Pacific Symposium on Biocomputing 7, 6–17.
Hennig, C. (2007). Cluster-wise assessment of cluster stability. CSDA 52(1), 258–271.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import adjusted_rand_score, silhouette_score
from threadpoolctl import threadpool_limits

from shopperlens.errors import InsufficientDataError, NotFittedError

Kind = Literal["numeric", "categorical", "multi", "ignore"]

#: a categorical column with more distinct answers than this is free text, not a choice
MAX_CATEGORIES = 30
#: columns that identify a respondent and never describe one
ID_COLUMNS = frozenset({"respondent", "customer_id", "submitted_at", "visitor_id", "email"})


def split_multi(value: Any) -> list[str]:
    """A multi-select answer as a list: accepts lists, tuples, sets, arrays and ``a;b`` text."""
    if value is None:
        return []
    if isinstance(value, str):
        return [p.strip() for p in value.split(";") if p.strip()]
    if isinstance(value, Iterable):
        return [str(v).strip() for v in value if v is not None and str(v).strip()]
    if isinstance(value, float) and np.isnan(value):
        return []
    return [str(value)]


def _is_listy(v: Any) -> bool:
    return isinstance(v, list | tuple | set | frozenset | np.ndarray)


def token_pairs(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Every ticked option of a multi-select column as (row position, option) pairs."""
    lists = [v if isinstance(v, list) else split_multi(v) for v in s.to_numpy(dtype=object)]
    ex = pd.Series(lists, dtype=object).explode().dropna()
    tokens = ex.astype(str).str.strip()
    keep = (tokens != "").to_numpy()
    return ex.index.to_numpy()[keep], tokens.to_numpy(dtype=object)[keep]


def multi_matrix(s: pd.Series, levels: Sequence[str]) -> np.ndarray:
    """0/1 matrix: one row per answer, one column per option of ``levels``."""
    rows, tokens = token_pairs(s)
    codes = np.asarray(pd.Categorical(tokens, categories=list(levels)).codes)
    mat = np.zeros((len(s), len(levels)))
    ok = codes >= 0
    mat[rows[ok], codes[ok]] = 1.0
    return mat


def infer_kinds(frame: pd.DataFrame, *, max_categories: int = MAX_CATEGORIES) -> dict[str, Kind]:
    """How each column enters the clustering.

    Numbers (and booleans) are ``numeric``; columns holding lists, or ``;``-joined text over a
    small vocabulary, are ``multi``; short text (median under 25 characters) with at most
    ``max_categories`` distinct values is ``categorical``; identifiers, dates and free text
    (sentences: never clustered, never shown as a figure) are ``ignore``.
    """
    kinds: dict[str, Kind] = {}
    for col in frame.columns:
        s = frame[col]
        if col in ID_COLUMNS or pd.api.types.is_datetime64_any_dtype(s):
            kinds[col] = "ignore"
        elif pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            kinds[col] = "numeric"
        else:
            present = s.dropna()
            if present.empty:
                kinds[col] = "ignore"
            elif present.iloc[:1000].map(_is_listy).any():
                kinds[col] = "multi"
            else:
                text = present.astype(str)
                has_sep = text.str.contains(";", regex=False).mean() > 0.05
                vocab = {t for v in text[:2000] for t in split_multi(v)} if has_sep else set()
                if has_sep and len(vocab) <= max_categories:
                    kinds[col] = "multi"
                elif text.nunique() <= max_categories and text.str.len().median() < 25:
                    kinds[col] = "categorical"
                else:
                    kinds[col] = "ignore"
    return kinds


class MixedEncoder(BaseEstimator):
    """FAMD-style encoding of a mixed frame into a numeric matrix (fit once, transform many).

    ``kinds`` overrides :func:`infer_kinds` per column. After ``fit``, ``kinds_`` holds the kind
    of every column used and ``feature_names_`` name the matrix columns as ``question``
    (numbers) or ``question=answer`` (choices and options). A scikit-learn estimator with
    ``fit``/``transform``: ``__init__`` only stores ``kinds``, so ``clone`` and ``Pipeline``
    work and an unfitted encoder has no fitted state.
    """

    def __init__(self, kinds: dict[str, Kind] | None = None) -> None:
        self.kinds = kinds

    def fit(self, frame: pd.DataFrame, y: Any = None) -> MixedEncoder:
        """Learn each column's kind, centre, scale and levels from ``frame``; returns self.

        ``y`` is ignored (it is there so that a ``Pipeline`` can pass it along).
        """
        kinds = infer_kinds(frame)
        kinds.update({k: v for k, v in (self.kinds or {}).items() if k in frame.columns})
        self.kinds_ = {c: k for c, k in kinds.items() if k != "ignore"}
        self._params, self.feature_names_ = {}, []
        for col, kind in self.kinds_.items():
            raw = self._indicators(frame[col], kind, None)
            if kind == "numeric":
                log = _skewed(raw)
                raw = np.log1p(np.clip(raw, 0, None)) if log else raw
                med = float(np.nanmedian(raw)) if np.isfinite(raw).any() else 0.0
                filled = np.where(np.isnan(raw), med, raw)
                sd = float(filled.std()) or 1.0
                self._params[col] = (med, sd, log)
                self.feature_names_.append(col)
            else:
                levels = sorted(raw)
                mat = self._indicator_matrix(frame[col], kind, levels)
                var = float(mat.var(axis=0).sum()) or 1.0
                self._params[col] = (levels, np.sqrt(var))
                self.feature_names_.extend(f"{col}={lv}" for lv in levels)
        if not self.kinds_:
            raise InsufficientDataError("no usable answer columns to build personas from")
        return self

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """Encode ``frame`` with what ``fit`` learnt (same columns as the fitted frame)."""
        if not getattr(self, "kinds_", None):
            raise NotFittedError(type(self).__name__)
        blocks = []
        for col, kind in self.kinds_.items():
            if kind == "numeric":
                med, sd, log = self._params[col]
                raw = self._indicators(frame[col], kind, None)
                raw = np.log1p(np.clip(raw, 0, None)) if log else raw
                blocks.append(((np.where(np.isnan(raw), med, raw) - med) / sd)[:, None])
            else:
                levels, scale = self._params[col]
                blocks.append(self._indicator_matrix(frame[col], kind, levels) / scale)
        return np.hstack(blocks).astype(np.float64)

    def fit_transform(self, frame: pd.DataFrame, y: Any = None) -> np.ndarray:
        """``fit`` then ``transform`` the same frame."""
        return self.fit(frame).transform(frame)

    @staticmethod
    def _indicators(s: pd.Series, kind: Kind, _: Any) -> Any:
        """Numbers as a float array, or the set of answers seen (choices and options)."""
        if kind == "numeric":
            return pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        if kind == "categorical":
            return {str(v) for v in s.dropna().unique()}
        return set(token_pairs(s)[1].tolist())

    @staticmethod
    def _indicator_matrix(s: pd.Series, kind: Kind, levels: Sequence[str]) -> np.ndarray:
        if kind == "categorical":
            text = s.astype(object).where(s.notna(), None)
            cat = pd.Categorical([None if v is None else str(v) for v in text], categories=levels)
            codes = np.asarray(cat.codes)
            mat = np.zeros((len(s), len(levels)))
            ok = codes >= 0
            mat[np.flatnonzero(ok), codes[ok]] = 1.0
            return mat
        return multi_matrix(s, levels)


def _by_size(labels: np.ndarray, k: int) -> np.ndarray:
    """Renumber clusters by size, largest first, so labels do not depend on k-means' order."""
    order = np.argsort(-np.bincount(labels, minlength=k), kind="stable")
    remap = np.empty(k, dtype=int)
    remap[order] = np.arange(k)
    return remap[labels]


def _skewed(values: np.ndarray) -> bool:
    """A non-negative, right-skewed number (spend, counts): compared on a log scale."""
    v = values[np.isfinite(values)]
    if len(v) < 3 or v.min() < 0 or v.std() == 0:
        return False
    skew = float(np.mean(((v - v.mean()) / v.std()) ** 3))
    return skew > 1.0


def encode_mixed(frame: pd.DataFrame, kinds: dict[str, Kind] | None = None) -> np.ndarray:
    """The pure-function twin of :class:`MixedEncoder`: encode ``frame`` in one call."""
    return MixedEncoder(kinds=kinds).fit_transform(frame)


class PersonaClustering(ClusterMixin, BaseEstimator):
    """Cluster respondents (one row each, mixed answer columns) into personas.

    A scikit-learn clusterer: ``__init__`` stores each parameter unchanged (so ``clone``,
    ``set_params`` and ``GridSearchCV`` work), ``fit`` returns ``self`` and fitted state ends
    in ``_``.

    Parameters
    ----------
    n_personas : "auto" or int
        Number of personas; ``"auto"`` picks it from ``k_range`` by silhouette (see module doc).
    random_state : int
        Seed for k-means, the silhouette subsample and the bootstrap: same data, same personas.
    k_range : (int, int)
        Smallest and largest number of personas tried by ``"auto"`` (default 2–6).
    prefer : (int, int)
        The range preferred when silhouettes are close (default 3–4, as the mission asks).
    tolerance : float
        How much higher (absolute score) a k outside ``prefer`` must score to win.
    min_cluster_size : int
        ``"auto"`` rejects a k that leaves a persona smaller than this (privacy threshold).
    n_resamples : int
        Bootstrap refits for ``stability_`` (0 skips it).
    kinds : dict
        Override the inferred kind of a column (``numeric``/``categorical``/``multi``/``ignore``).
    reduce : bool
        Cluster on the principal components of the encoding whose eigenvalue is above the mean
        (Kaiser's rule; FAMD proper) instead of the full encoding. Survey questions on which no
        group differs are then dropped as noise instead of blurring the personas.
    n_threads : int or None
        OpenMP/BLAS threads for k-means (None: all cores). One by default: on a shared or
        busy machine k-means' spinning worker threads made a fit twenty times slower.
    min_samples : int
        Fewer respondents than this raise :class:`~shopperlens.errors.InsufficientDataError`.

    Attributes
    ----------
    labels_ : ndarray of int
        Persona of each row, numbered by size (0 is the largest persona).
    n_personas_ : int
    scores_ : dict
        Selection score per k tried: silhouette × bootstrap ARI (``nan`` for a k rejected by
        ``min_cluster_size``); ``silhouettes_`` and ``stabilities_`` hold the two parts.
    stability_ : dict
        ``ari`` (mean bootstrap adjusted Rand index), ``jaccard`` (per persona), ``n_resamples``.
    cluster_centers_ : ndarray
        Persona centres in the clustering space (``n_components_`` FAMD factors);
        ``distances_`` is each row's distance to its centre.
    """

    def __init__(
        self,
        n_personas: int | Literal["auto"] = "auto",
        *,
        random_state: int = 0,
        k_range: tuple[int, int] = (2, 6),
        prefer: tuple[int, int] = (3, 4),
        tolerance: float = 0.1,
        min_cluster_size: int = 5,
        n_resamples: int = 20,
        kinds: dict[str, Kind] | None = None,
        min_samples: int = 20,
        silhouette_sample: int = 3000,
        stability_sample: int = 4000,
        reduce: bool = True,
        n_threads: int | None = 1,
    ) -> None:
        self.n_personas = n_personas
        self.random_state = random_state
        self.k_range = k_range
        self.prefer = prefer
        self.tolerance = tolerance
        self.min_cluster_size = min_cluster_size
        self.n_resamples = n_resamples
        self.kinds = kinds
        self.min_samples = min_samples
        self.silhouette_sample = silhouette_sample
        self.stability_sample = stability_sample
        self.reduce = reduce
        self.n_threads = n_threads

    def __repr__(self) -> str:
        fitted = f", n_personas_={self.n_personas_}" if hasattr(self, "n_personas_") else ""
        return (
            f"PersonaClustering(n_personas={self.n_personas!r}, "
            f"random_state={self.random_state}{fitted})"
        )

    # -- fitting ----------------------------------------------------------------------------
    def fit(self, frame: pd.DataFrame, y: Any = None) -> PersonaClustering:
        """Encode ``frame``, choose the number of personas, label every row; returns self."""
        with threadpool_limits(self.n_threads):
            return self._fit(frame)

    def _fit(self, frame: pd.DataFrame) -> PersonaClustering:
        n = len(frame)
        if n < self.min_samples:
            raise InsufficientDataError(
                f"personas need at least {self.min_samples} survey responses; got {n}. "
                "Collect more answers (e-mail customers, add an on-site pop-up) and rerun."
            )
        self.encoder_ = MixedEncoder(kinds=self.kinds).fit(frame)
        x = self._project(self.encoder_.transform(frame), fit=True)
        self.feature_names_ = list(self.encoder_.feature_names_)
        self.kinds_ = dict(self.encoder_.kinds_)
        rng = np.random.default_rng(self.random_state)
        sil_idx = rng.choice(n, size=min(n, self.silhouette_sample), replace=False)
        if self.n_personas == "auto":
            lo, hi = self.k_range
            ks = [k for k in range(max(2, lo), hi + 1) if k < n]
        else:
            k = int(self.n_personas)
            if not 1 <= k < n:
                raise InsufficientDataError(f"cannot form {k} personas from {n} responses")
            ks = [k]
        fits: dict[int, np.ndarray] = {}
        self.silhouettes_: dict[int, float] = {}
        self.stabilities_: dict[int, dict[str, Any]] = {}
        self.scores_: dict[int, float] = {}
        for k in ks:
            km = KMeans(n_clusters=k, n_init=4, random_state=self.random_state).fit(x)
            labels = _by_size(km.labels_, k)
            fits[k] = labels
            sizes = np.bincount(labels, minlength=k)
            too_small = self.n_personas == "auto" and sizes.min() < self.min_cluster_size
            if k == 1 or too_small or len(set(labels[sil_idx])) < 2:
                self.silhouettes_[k] = self.scores_[k] = float("nan")
                continue
            self.silhouettes_[k] = float(silhouette_score(x[sil_idx], labels[sil_idx]))
            self.stabilities_[k] = self._stability(x, labels, k)
            ari = self.stabilities_[k]["ari"]
            self.scores_[k] = self.silhouettes_[k] * (1.0 if np.isnan(ari) else ari)
        best_k = self._choose_k(ks, x)
        self.labels_ = fits[best_k]
        self.cluster_centers_ = np.vstack(
            [x[self.labels_ == c].mean(axis=0) for c in range(best_k)]
        )
        self.n_personas_ = best_k
        self.n_samples_ = n
        self.distances_ = np.linalg.norm(x - self.cluster_centers_[self.labels_], axis=1)
        self.silhouette_ = self.silhouettes_.get(best_k, float("nan"))
        self.stability_ = self.stabilities_.get(best_k) or self._stability(x, self.labels_, best_k)
        return self

    def _project(self, x: np.ndarray, *, fit: bool = False) -> np.ndarray:
        """FAMD: principal components of the encoding, those above the mean eigenvalue."""
        if not self.reduce:
            return x
        if fit:
            self.pca_ = PCA(svd_solver="full").fit(x)
            ev = self.pca_.explained_variance_
            self.n_components_ = max(2, int((ev > ev.mean()).sum()))
        return self.pca_.transform(x)[:, : self.n_components_]

    def _choose_k(self, ks: list[int], x: np.ndarray) -> int:
        valid = {k: s for k, s in self.scores_.items() if not np.isnan(s)}
        if not valid:
            if self.n_personas != "auto":
                return ks[0]
            raise InsufficientDataError(self._no_split(x))
        best = max(valid, key=lambda k: (valid[k], -k))
        lo, hi = self.prefer
        preferred = {k: s for k, s in valid.items() if lo <= k <= hi}
        if preferred:
            best_pref = max(preferred, key=lambda k: (preferred[k], -k))
            if valid[best] - preferred[best_pref] <= self.tolerance:
                return best_pref
        return best

    def _no_split(self, x: np.ndarray) -> str:
        """Why no number of personas fits: too few people, or most of them answering alike
        (39 identical answers and one other are not helped by "more responses" alone)."""
        m = self.min_cluster_size
        said = f"the answers do not split into personas of at least {m} people each"
        same = int(np.unique(np.round(x, 9), axis=0, return_counts=True)[1].max())
        if 2 * same > len(x):
            return (
                f"{said}: {same} of {len(x)} respondents gave the same answers, and the others "
                "are too few for a persona of their own; collect answers from other customers, "
                "who answer differently"
            )
        return f"{said}; collect more responses"

    def _stability(self, x: np.ndarray, labels: np.ndarray, k: int) -> dict[str, Any]:
        """Bootstrap refits of k-means: mean ARI with ``labels`` and best Jaccard per persona."""
        n = len(x)
        rng = np.random.default_rng([self.random_state, k])
        if self.n_resamples <= 0 or k < 2:
            return {"ari": float("nan"), "jaccard": [float("nan")] * k, "n_resamples": 0}
        m = min(n, self.stability_sample)
        aris, jac = [], np.zeros((self.n_resamples, k))
        for b in range(self.n_resamples):
            idx = np.unique(rng.choice(n, size=m, replace=True))
            km = KMeans(n_clusters=k, n_init=2, random_state=self.random_state + b + 1)
            boot = km.fit(x[idx]).labels_
            orig = labels[idx]
            aris.append(adjusted_rand_score(orig, boot))
            for c in range(k):
                a = orig == c
                if not a.any():
                    continue
                inter = np.array([(a & (boot == d)).sum() for d in range(k)])
                union = np.array([(a | (boot == d)).sum() for d in range(k)])
                jac[b, c] = float((inter / np.maximum(union, 1)).max())
        return {
            "ari": float(np.mean(aris)),
            "jaccard": [float(v) for v in jac.mean(axis=0)],
            "n_resamples": self.n_resamples,
        }

    # -- using the fit ----------------------------------------------------------------------
    def _check(self) -> None:
        if not hasattr(self, "labels_"):
            raise NotFittedError(type(self).__name__)

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Nearest persona for new respondents (same columns as the fitted frame)."""
        self._check()
        x = self._project(self.encoder_.transform(frame))
        d = ((x[:, None, :] - self.cluster_centers_[None, :, :]) ** 2).sum(axis=2)
        return d.argmin(axis=1)

    def fit_predict(self, frame: pd.DataFrame, y: Any = None) -> np.ndarray:
        return self.fit(frame).labels_

    def summary(self) -> pd.DataFrame:
        """One row per persona: size, share and bootstrap Jaccard stability."""
        self._check()
        sizes = np.bincount(self.labels_, minlength=self.n_personas_)
        return pd.DataFrame(
            {
                "persona": np.arange(self.n_personas_),
                "size": sizes,
                "share": sizes / sizes.sum(),
                "jaccard": self.stability_["jaccard"],
            }
        )
