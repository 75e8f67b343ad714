"""What every buy-till-you-die estimator shares: input validation, compression, fitting.

The models only need each customer's *sufficient statistics* (frequency ``x``, recency ``t_x``,
age ``T``), so a million customers usually reduce to far fewer distinct triples. :func:`compress`
finds them, and the log-likelihood is evaluated once per triple and weighted by its count: the
fit cost grows with the number of distinct triples, not with the number of customers.

Parameters are optimised on the log scale (they are all positive): by Newton's method where a
model supplies an analytic Hessian (BG/NBD, Gamma-Gamma), else or on failure by L-BFGS-B. Standard
errors come from the numerically differentiated Hessian of the log-likelihood at the optimum
(the observed information), mapped back with the delta method; confidence intervals are
computed on the log scale and exponentiated so they never cross zero. A parameter the data do
not pin down — stopped at the optimiser's bound, or on a ridge where the likelihood has no
curvature (BG/NBD's ``a`` and ``b`` growing together when nobody seems to drop out) — gets no
standard error and no interval, and a ``note`` saying why: a zero-width interval around such
an estimate would claim a precision the fit does not have.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import numpy as np
import pandas as pd
import scipy
from scipy import optimize, stats
from sklearn.base import BaseEstimator
from threadpoolctl import LibController, OpenBLASController, ThreadpoolController

from shopperlens.errors import InsufficientDataError, NotFittedError, ShopperlensError

ArrayLike = Any

#: log-parameters are kept within ±LOG_BOUND by the optimiser (see ``_maximise``) …
LOG_BOUND = 25.0
#: … and one within this distance of it counts as stopped at the bound
NEAR_BOUND = 0.5
#: a log-parameter whose standard error (log scale) exceeds this is not pinned down either:
#: its 95 % interval would span more than a factor of 10^5
MAX_LOG_SE = 3.0
#: why a parameter has no interval (``summary()``'s ``note`` column)
NOTE_AT_BOUND = "at the optimiser's bound: not identified by this data, no interval"
NOTE_FLAT = "no curvature in the likelihood here (a ridge or the edge of the fit): no interval"

#: documented minimum-data gate (see :func:`check_minimum_data`)
MIN_CUSTOMERS = 100
MIN_REPEAT_BUYERS = 20
MIN_REPEAT_SHARE = 0.02
MIN_HISTORY_FACTOR = 3.0


@dataclass(frozen=True)
class RFM:
    """Validated customer statistics: frequency ``x``, recency ``t_x`` and age ``T``."""

    x: np.ndarray
    t_x: np.ndarray
    T: np.ndarray


@dataclass(frozen=True)
class Compressed:
    """Distinct ``(x, t_x, T)`` triples with how many customers share each (``w``)."""

    x: np.ndarray
    t_x: np.ndarray
    T: np.ndarray
    w: np.ndarray


def wdot(a: np.ndarray, b: np.ndarray) -> float:
    """Weighted sum ``a · b`` (fits run under :func:`one_blas_thread`)."""
    return float(np.dot(a, b))


_blas: list[LibController] | None = None
# OpenBLAS splits a dot product across threads only from about 10,000 elements on, and the
# fits' matrices are at most a few parameters wide: below this many distinct customers the
# thread limit has nothing to limit and looking up the BLAS copies (~1 ms) is pure cost
_BLAS_THREADING_MIN = 10_000


def _bundled_blas() -> list[LibController]:
    """The OpenBLAS copies numpy and scipy wheels ship (in ``numpy.libs`` / ``scipy.libs``).

    Looked up directly: ``ThreadpoolController()`` resolves the path of every shared library
    in the process (~8 ms with pandas loaded, more than a whole CDNOW fit). Other installs
    (conda, system BLAS) fall back to that full scan. Built once per process.
    """
    global _blas
    if _blas is None:
        found = []
        for module in (np, scipy):
            libs = Path(module.__file__).parent.parent / f"{module.__name__}.libs"
            for path in sorted(libs.glob("lib*openblas*.so*")):
                prefix = path.name.split("-")[0]
                try:  # opened with RTLD_NOLOAD: only copies already loaded count
                    found.append(OpenBLASController(filepath=str(path), prefix=prefix))
                except OSError:
                    continue
        if not found:
            found = ThreadpoolController().select(user_api="blas").lib_controllers
        _blas = found
    return _blas


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run the block with BLAS limited to one thread, restoring the previous limits after.

    A fit has a handful of parameters: BLAS threads only add overhead, and OpenBLAS threads
    spin-waiting on a busy machine made L-BFGS-B's tiny matrix steps 40x slower (130 ms
    instead of 3 ms for CDNOW) and a 350k-element weighted sum take 16 ms.
    """
    controllers = _bundled_blas()
    before = [c.get_num_threads() for c in controllers]
    for c in controllers:
        c.set_num_threads(1)
    try:
        yield
    finally:
        for c, n in zip(controllers, before, strict=True):
            c.set_num_threads(n)


def _column(obj: Any, name: str) -> np.ndarray:
    try:
        return np.asarray(obj[name], dtype=float)
    except KeyError as exc:
        raise ShopperlensError(f"the data has no column {name!r}") from exc


def as_rfm(frequency: ArrayLike, recency: ArrayLike | None, T: ArrayLike | None) -> RFM:
    """Turn array-likes (or one frame with ``frequency, recency, T`` columns) into an :class:`RFM`.

    Raises domain errors: negative values, non-integer frequencies, ``recency > T``, a recency
    for a customer without repeat purchases.
    """
    if recency is None and T is None:
        frame = frequency
        frequency, recency, T = (_column(frame, c) for c in ("frequency", "recency", "T"))
    if recency is None or T is None:
        raise ShopperlensError("pass frequency, recency and T (or one frame with those columns)")
    x = np.atleast_1d(np.asarray(frequency, dtype=float))
    t_x = np.atleast_1d(np.asarray(recency, dtype=float))
    big_t = np.atleast_1d(np.asarray(T, dtype=float))
    if not (x.shape == t_x.shape == big_t.shape) or x.ndim != 1:
        raise ShopperlensError("frequency, recency and T must be 1-d and of the same length")
    for name, arr in (("frequency", x), ("recency", t_x), ("T", big_t)):
        if not np.all(np.isfinite(arr)):
            raise ShopperlensError(f"{name} has missing or infinite values")
        if np.any(arr < 0):
            raise ShopperlensError(f"{name} cannot be negative")
    if np.any(x != np.round(x)):
        raise ShopperlensError("frequency must be a whole number of repeat purchases")
    if np.any(t_x > big_t + 1e-9):
        raise ShopperlensError("recency cannot be greater than T")
    if np.any((x == 0) & (t_x > 0)):
        raise ShopperlensError("recency must be 0 for customers with no repeat purchases")
    return RFM(x, t_x, big_t)


def compress(rfm: RFM, weights: ArrayLike | None = None) -> Compressed:
    """Group identical ``(x, t_x, T)`` triples; each keeps the summed weight of its customers.

    Hash-based (``pandas.factorize``), so it is linear in the number of customers: each column
    is coded, the three codes are packed into one integer key, and the distinct keys are
    unpacked back into values.
    """
    w = np.ones_like(rfm.x) if weights is None else np.asarray(weights, dtype=float)
    coded = [pd.factorize(a) for a in (rfm.x, rfm.t_x, rfm.T)]
    s1, s2 = len(coded[1][1]), len(coded[2][1])
    key = (coded[0][0].astype(np.int64) * s1 + coded[1][0]) * s2 + coded[2][0]
    inverse, keys = pd.factorize(key)
    counts = np.bincount(inverse, weights=w, minlength=len(keys))
    c2, rest = keys % s2, keys // s2
    c1, c0 = rest % s1, rest // s1
    return Compressed(
        np.asarray(coded[0][1])[c0],
        np.asarray(coded[1][1])[c1],
        np.asarray(coded[2][1])[c2],
        counts,
    )


def check_minimum_data(
    frequency: ArrayLike,
    recency: ArrayLike | None = None,
    T: ArrayLike | None = None,
    *,
    min_customers: int = MIN_CUSTOMERS,
    min_repeat_buyers: int = MIN_REPEAT_BUYERS,
    min_repeat_share: float = MIN_REPEAT_SHARE,
    min_history_factor: float = MIN_HISTORY_FACTOR,
) -> None:
    """The minimum-data gate: refuse to fit a model the data cannot support.

    Below these thresholds the maximum-likelihood estimates are dominated by noise (the
    dropout parameters in particular are identified only by repeat buyers who then went
    quiet). The gate asks for

    * at least ``min_customers`` buyers (default 100),
    * at least ``min_repeat_buyers`` of them with a repeat purchase (default 20) and at least
      ``min_repeat_share`` of all buyers (default 2 %),
    * a history long enough to see repeat behaviour: the oldest customer's age ``T`` is at
      least ``min_history_factor`` (default 3) times the median time between purchases of
      the repeat buyers (``recency / frequency``).

    Raises :class:`~shopperlens.errors.InsufficientDataError` naming what is missing.
    """
    rfm = as_rfm(frequency, recency, T)
    n, repeat = len(rfm.x), int(np.sum(rfm.x > 0))
    problems = []
    if n < min_customers:
        problems.append(f"{n} buyer{'s' * (n != 1)} (need {min_customers})")
    if repeat < min_repeat_buyers or repeat < min_repeat_share * n:
        need = max(min_repeat_buyers, int(np.ceil(min_repeat_share * n)))
        problems.append(f"{repeat} repeat buyer{'s' * (repeat != 1)} (need {need})")
    if repeat:
        gap = float(np.median(rfm.t_x[rfm.x > 0] / rfm.x[rfm.x > 0]))
        if float(rfm.T.max()) < min_history_factor * gap:
            problems.append(
                f"history of {rfm.T.max():.0f} time units (need {min_history_factor:g} x the "
                f"median gap between purchases, {min_history_factor * gap:.0f})"
            )
    if problems:
        raise InsufficientDataError(
            "not enough purchase history for lifetime-value models: " + "; ".join(problems)
        )


def numerical_hessian(f: Callable[[np.ndarray], float], x0: np.ndarray) -> np.ndarray:
    """Central-difference Hessian of ``f`` at ``x0`` (step scaled to each coordinate)."""
    k = len(x0)
    h = 1e-4 * np.maximum(np.abs(x0), 1.0)
    hess = np.empty((k, k))
    f0 = f(x0)
    for i in range(k):
        ei = np.zeros(k)
        ei[i] = h[i]
        hess[i, i] = (f(x0 + ei) - 2 * f0 + f(x0 - ei)) / h[i] ** 2
        for j in range(i):
            ej = np.zeros(k)
            ej[j] = h[j]
            val = (f(x0 + ei + ej) - f(x0 + ei - ej) - f(x0 - ei + ej) + f(x0 - ei - ej)) / (
                4 * h[i] * h[j]
            )
            hess[i, j] = hess[j, i] = val
    return hess


class BaseModel(BaseEstimator):
    """Shared estimator machinery; subclasses define ``_param_names`` and ``_loglik``.

    Hyper-parameters only in ``__init__`` (scikit-learn's contract); fitted state ends in ``_``.
    Inheriting ``BaseEstimator`` gives ``get_params``/``set_params`` read from the ``__init__``
    signature, so ``sklearn.base.clone``, ``GridSearchCV`` and ``Pipeline`` accept every model:
    that is why ``__init__`` stores each argument unchanged under its own name and derives
    nothing (``set_params`` and ``clone`` bypass it).
    """

    _param_names: tuple[str, ...] = ()
    _start: tuple[float, ...] = ()

    def __init__(self, penalizer: float = 0.0) -> None:
        self.penalizer = penalizer

    # -- to implement -------------------------------------------------------------------------
    def _loglik(self, params: np.ndarray, data: Any) -> np.ndarray:
        """Per-row log-likelihood (one value per distinct row of ``data``)."""
        raise NotImplementedError

    # -- fitting ------------------------------------------------------------------------------
    def _transform(self, theta: np.ndarray) -> np.ndarray:
        """Unconstrained optimiser vector -> model parameters (the first ``_n_log`` are logs)."""
        out = theta.copy()
        out[: self._n_log(theta)] = np.exp(theta[: self._n_log(theta)])
        return out

    def _n_log(self, theta: np.ndarray) -> int:
        return len(theta)

    def _objective(self, data: Any, weights: np.ndarray) -> Callable[[np.ndarray], float]:
        """Mean negative log-likelihood (plus penalty) of the optimiser vector."""
        total = float(weights.sum())

        def negll(theta: np.ndarray) -> float:
            params = self._transform(theta)
            with np.errstate(all="ignore"):
                ll = wdot(weights, self._loglik(params, data)) / total
            if not np.isfinite(ll):
                return 1e10
            n_log = self._n_log(theta)
            return -ll + self.penalizer * float(np.sum(params[:n_log] ** 2))

        return negll

    def _prepare(self, data: Any, weights: np.ndarray) -> Any:
        """Precompute what an analytic gradient needs (None: use numerical gradients)."""
        return None

    def _value_and_grad(self, params: np.ndarray, prepared: Any) -> tuple[float, np.ndarray]:
        """Weighted total log-likelihood and its gradient in the natural parameters."""
        raise NotImplementedError

    def _objective_with_grad(
        self, prepared: Any, total: float, n_log: int
    ) -> Callable[[np.ndarray], tuple[float, np.ndarray]]:
        """Mean negative log-likelihood and its gradient in the optimiser vector.

        Called ~20 times per fit, so it stays lean: the caller sets ``np.errstate`` once
        around the whole optimisation instead of per call.
        """
        penalizer = self.penalizer

        def fun(theta: np.ndarray) -> tuple[float, np.ndarray]:
            params = theta.copy()
            params[:n_log] = np.exp(theta[:n_log])
            ll, grad = self._value_and_grad(params, prepared)
            if not (np.isfinite(ll) and np.isfinite(grad).all()):
                return 1e10, np.zeros_like(theta)
            # chain rule: d param / d theta is the param itself on the log scale, 1 otherwise
            jac = np.ones_like(params)
            jac[:n_log] = params[:n_log]
            if not penalizer:
                return -ll / total, -grad / total * jac
            penalty = np.zeros_like(params)
            penalty[:n_log] = params[:n_log]
            value = -ll / total + penalizer * float(penalty @ penalty)
            return value, (-grad / total + 2 * penalizer * penalty) * jac

        return fun

    def _hessian(self, params: np.ndarray, prepared: Any) -> np.ndarray | None:
        """Hessian of the weighted total log-likelihood in the natural parameters, if known."""
        return None

    def _newton(
        self, theta0: np.ndarray, prepared: Any, total: float
    ) -> optimize.OptimizeResult | None:
        """Damped Newton on the log scale, for models with an analytic Hessian.

        From a reasonable start it converges in a handful of steps where L-BFGS-B needs
        20–80 evaluations; where the log-likelihood is not concave the Hessian is shifted
        until it is (Levenberg). Returns None (the caller then runs L-BFGS-B) as soon as
        anything is off: no Hessian, a step that does not improve, no convergence within 20
        steps (a non-concave ridge, where shifted steps crawl: L-BFGS-B is better there).
        Converged means the same criterion as L-BFGS-B's ``gtol``: every component of the
        mean log-likelihood's gradient (log scale) below 1e-9.
        """
        if type(self)._hessian is BaseModel._hessian or self._n_log(theta0) != len(theta0):
            return None
        theta = np.asarray(theta0, dtype=float).copy()
        params = np.exp(theta)
        ll, grad = self._value_and_grad(params, prepared)
        for _ in range(20):
            g_t = grad * params
            if not (np.isfinite(ll) and np.isfinite(g_t).all()):
                return None
            if np.max(np.abs(g_t)) / total < 1e-9:
                return optimize.OptimizeResult(x=theta, fun=-ll / total, success=True)
            hess = self._hessian(params, prepared)
            if hess is None or not np.isfinite(hess).all():
                return None
            h_t = params[:, None] * hess * params[None, :] + np.diag(g_t)
            eig = np.linalg.eigvalsh(h_t)
            if eig[-1] >= 0:  # not concave here: shift the Hessian (Levenberg) to climb anyway
                h_t -= (eig[-1] + 1e-2 * abs(eig[0]) + 1e-12) * np.eye(len(theta))
            try:
                step = np.linalg.solve(h_t, -g_t)
            except np.linalg.LinAlgError:
                return None
            slope = float(g_t @ step)
            if not slope > 0:  # not an ascent direction: the Hessian is not negative definite
                return None
            t = 1.0
            while True:
                new = theta + t * step
                if np.all(np.abs(new) <= LOG_BOUND):
                    new_params = np.exp(new)
                    new_ll, new_grad = self._value_and_grad(new_params, prepared)
                    # Armijo, with room for rounding once the gains reach machine precision
                    if np.isfinite(new_ll) and new_ll >= ll + 1e-4 * t * slope - 1e-13 * abs(ll):
                        break
                t /= 2
                if t < 1e-6:
                    return None
            theta, params, ll, grad = new, new_params, new_ll, new_grad
        return None

    def _maximise(
        self,
        data: Any,
        weights: np.ndarray,
        start: np.ndarray | None = None,
        names: list[str] | None = None,
    ) -> None:
        # BLAS stays single-threaded on vectors shorter than this anyway
        small = len(weights) < _BLAS_THREADING_MIN
        with contextlib.nullcontext() if small else one_blas_thread():
            self._maximise_single_thread(data, weights, start, names)

    def _maximise_single_thread(
        self,
        data: Any,
        weights: np.ndarray,
        start: np.ndarray | None,
        names: list[str] | None,
    ) -> None:
        negll = self._objective(data, weights)
        theta0 = np.log(np.asarray(self._start, dtype=float)) if start is None else start
        prepared = self._prepare(data, weights)
        options = {"maxiter": 5000, "gtol": 1e-9, "ftol": 1e-15}
        # log-parameters stay within e^±25: data without dropout push a → 0, b → ∞, and the
        # likelihood is flat out there; the bound stops the search instead of wandering off
        bounds = [(-LOG_BOUND, LOG_BOUND)] * self._n_log(theta0) + [(None, None)] * (
            len(theta0) - self._n_log(theta0)
        )
        res = None
        if prepared is not None and not self.penalizer:
            with np.errstate(all="ignore"):
                res = self._newton(theta0, prepared, float(weights.sum()))
        if res is not None:
            pass
        elif prepared is not None:
            fun = self._objective_with_grad(prepared, float(weights.sum()), self._n_log(theta0))
            with np.errstate(all="ignore"):
                res = optimize.minimize(
                    fun, theta0, jac=True, method="L-BFGS-B", bounds=bounds, options=options
                )
        else:
            res = optimize.minimize(
                negll, theta0, method="L-BFGS-B", bounds=bounds, options=options
            )
        if not np.isfinite(res.fun) or res.fun >= 1e10:
            # the start can sit where the likelihood underflows: a bounded simplex does not
            # need gradients there
            nm = optimize.minimize(
                negll, theta0, method="Nelder-Mead", bounds=bounds, options={"maxiter": 4000}
            )
            res = optimize.minimize(negll, nm.x, method="L-BFGS-B", bounds=bounds, options=options)
        if not np.isfinite(res.fun) or res.fun >= 1e10:
            raise ShopperlensError(f"{type(self).__name__} did not converge on this data")
        self._theta = res.x
        # the data, not the objective built on it: a closure cannot be pickled, and a fitted
        # model that ``pickle``/``joblib`` refuse is no model to keep (see :attr:`_negll`)
        self._fit_data = (data, weights)
        self.__dict__["_negll_cache"] = negll
        self._n_obs = float(weights.sum())
        values = self._transform(res.x)
        keys = names or list(self._param_names)
        self.params_ = dict(zip(keys, values.tolist(), strict=True))
        self.log_likelihood_ = -res.fun * self._n_obs

    @property
    def _negll(self) -> Any:
        """The fitted data's negative mean log-likelihood (for the Hessian of :meth:`summary`),
        built again from the data after unpickling."""
        negll = self.__dict__.get("_negll_cache")
        if negll is None:
            negll = self.__dict__["_negll_cache"] = self._objective(*self._fit_data)
        return negll

    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())
        state.pop("_negll_cache", None)
        return state

    # -- explaining ---------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "params_"):
            raise NotFittedError(type(self).__name__)

    def summary(self, level: float = 0.95) -> pd.DataFrame:
        """Parameters with standard errors and ``level`` confidence intervals.

        Standard errors are the square roots of the inverse observed information (the
        Hessian of the negative log-likelihood), taken on the log scale and mapped back with
        the delta method; the interval is ``exp(log θ ± z · se_log)``. A parameter at the
        optimiser's bound or without curvature gets NaN ``se``/``lower``/``upper`` and a
        ``note`` (empty for the others, whose errors treat the flagged ones as fixed).
        """
        self._check_fitted()
        names = list(self.params_)
        est = np.array(list(self.params_.values()))
        theta = self._theta
        is_log = np.arange(len(theta)) < self._n_log(theta)
        at_bound = is_log & (np.abs(theta) >= LOG_BOUND - NEAR_BOUND)
        with one_blas_thread():
            hess = numerical_hessian(lambda p: self._negll(p) * self._n_obs, theta)
            se_t, flat = _standard_errors(hess, at_bound, is_log)
        z = stats.norm.ppf(0.5 + level / 2)
        return pd.DataFrame(
            {
                "coef": est,
                "se": np.where(is_log, est * se_t, se_t),
                "lower": np.where(is_log, np.exp(theta - z * se_t), theta - z * se_t),
                "upper": np.where(is_log, np.exp(theta + z * se_t), theta + z * se_t),
                "note": np.where(at_bound, NOTE_AT_BOUND, np.where(flat, NOTE_FLAT, "")),
            },
            index=pd.Index(names, name="param"),
        )

    def __repr__(self) -> str:
        name = type(self).__name__
        if not hasattr(self, "params_"):
            return f"{name}(penalizer={self.penalizer})"
        shown = ", ".join(f"{k}={v:.3f}" for k, v in self.params_.items())
        return f"{name}({shown}, fitted on {self._n_obs:,.0f} customers)"

    def fit(self, *args: Any, **kwargs: Any) -> Self:  # pragma: no cover - overridden
        raise NotImplementedError


def _standard_errors(
    hess: np.ndarray, fixed: np.ndarray, is_log: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Standard errors from the observed information, and which parameters have none.

    ``fixed`` parameters (at the optimiser's bound) are left out. A parameter whose variance
    comes out zero, negative or not finite has no curvature to measure (the old code clipped
    that to a standard error of 0: a zero-width interval), and a log-parameter whose standard
    error exceeds :data:`MAX_LOG_SE` almost none; they are left out too, and the rest
    are recomputed from their own block of the Hessian (their errors given the others). Returns
    ``(se, flat)``: NaN for every parameter left out, and which were left out for flatness.
    """
    k = len(hess)
    out = np.zeros(k, dtype=bool)
    out[:] = fixed
    se = np.full(k, np.nan)
    for _ in range(k + 1):  # each round either ends or leaves out at least one more
        free = np.flatnonzero(~out)
        if not len(free):
            break
        try:
            var = np.diag(np.linalg.inv(hess[np.ix_(free, free)]))
        except np.linalg.LinAlgError:
            var = np.full(len(free), np.nan)
        bad = ~np.isfinite(var) | (var <= 0) | (is_log[free] & (var > MAX_LOG_SE**2))
        if not bad.any():
            se[free] = np.sqrt(var)
            break
        out[free[bad]] = True
    return se, out & ~fixed


def no_repeat_buyers_check(rfm: RFM) -> None:
    """Transaction models learn the purchase rate from repeat purchases: they need some."""
    if not np.any(rfm.x > 0):
        raise InsufficientDataError(
            "no repeat buyers: every customer bought once, so the purchase and dropout rates "
            "cannot be estimated"
        )


class TransactionModel(BaseModel):
    """A model of *when* customers buy and *whether they are still customers*.

    Input, in the time unit of your choice (days, weeks): frequency (``x`` in Fader, Hardie &
    Lee 2005: the number of repeat purchases), recency (``t_x``: age at the last purchase,
    measured from the first) and ``T`` (age at the end of the observation period).
    """

    def fit(
        self,
        frequency: ArrayLike,
        recency: ArrayLike | None = None,
        T: ArrayLike | None = None,
        *,
        weights: ArrayLike | None = None,
    ) -> Self:
        """Maximum-likelihood fit; returns ``self``.

        ``frequency`` may be a frame with ``frequency, recency, T`` columns instead.
        ``weights`` counts how many customers each row stands for (default 1).
        """
        rfm = as_rfm(frequency, recency, T)
        no_repeat_buyers_check(rfm)
        data = compress(rfm, weights)
        self._maximise(data, data.w, start=self._data_start(data))
        self.n_customers_ = int(round(data.w.sum()))
        return self

    def _data_start(self, data: Compressed) -> np.ndarray | None:
        """Log-scale starting point fitted to the data's time unit, or None for ``_start``."""
        return None

    # -- predictions shared by every transaction model -----------------------------------------
    def _rfm(self, frequency: ArrayLike, recency: ArrayLike | None, T: ArrayLike | None) -> RFM:
        self._check_fitted()
        return as_rfm(frequency, recency, T)

    def predict_next_order_days(
        self, frequency: ArrayLike, recency: ArrayLike | None = None, T: ArrayLike | None = None
    ) -> np.ndarray:
        """Median time from ``T`` to the next purchase, *if the customer is still alive*.

        Given that a customer is alive at ``T``, the posterior of the purchase rate λ is
        Gamma(r + x, α + T) in both BG/NBD and Pareto/NBD, so the waiting time has survival
        ``((α+T)/(α+T+t))^(r+x)`` and median ``(α+T)(2^(1/(r+x)) − 1)``. Weigh it with
        :meth:`predict_alive`: a customer unlikely to be alive will probably never order again.
        Returned in the model's time unit (days when fitted on days).
        """
        rfm = self._rfm(frequency, recency, T)
        r, alpha = self.params_["r"], self._alpha(rfm)
        return (alpha + rfm.T) * (2.0 ** (1.0 / (r + rfm.x)) - 1.0)

    def _alpha(self, rfm: RFM) -> np.ndarray | float:
        return self.params_["alpha"]
