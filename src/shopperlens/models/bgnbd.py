"""BG/NBD and MBG/NBD: how often customers buy, and when they silently stop.

While alive a customer buys at rate λ ~ Gamma(r, α); after every purchase she drops out with
probability p ~ Beta(a, b) (Fader, Hardie & Lee 2005). The MBG/NBD variant (Batislam, Denizel
& Filiztekin 2007) lets her also drop out right after the first purchase, which stops the
BG/NBD from calling every one-time buyer certainly alive.

References
----------
Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers" the easy way:
an alternative to the Pareto/NBD model. *Marketing Science* 24(2), 275–284.
Batislam, E. P., Denizel, M. & Filiztekin, A. (2007). Empirical validation and comparison of
models for customer base analysis. *International Journal of Research in Marketing* 24(3).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self

import numpy as np
import pandas as pd
from scipy.special import digamma, expit, gammaln, hyp1f1, hyp2f1, polygamma

from shopperlens.errors import ShopperlensError
from shopperlens.models._base import (
    ArrayLike,
    Compressed,
    TransactionModel,
    as_rfm,
    no_repeat_buyers_check,
    wdot,
)


def bgnbd_loglik(
    r: Any, alpha: Any, a: Any, b: Any, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> np.ndarray:
    """Per-customer BG/NBD log-likelihood (FHL 2005, eq. 6), vectorised.

    ``ln L = ln Γ(r+x) − ln Γ(r) + r ln α + ln B(a, b+x) − ln B(a, b) − (r+x) ln(α+T)
    + ln[1 + 1{x>0} a/(b+x−1) ((α+T)/(α+t_x))^(r+x)]``, the last term added in log space.
    """
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    log_at = np.log(alpha + T)
    a3 = -(r + x) * log_at
    a4 = np.log(a) - np.log(b + np.maximum(x, 1) - 1) - (r + x) * np.log(alpha + t_x)
    return a1 + a2 + np.where(x > 0, np.logaddexp(a3, a4), a3)


def mbgnbd_loglik(
    r: Any, alpha: Any, a: Any, b: Any, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> np.ndarray:
    """Per-customer MBG/NBD log-likelihood (Batislam et al. 2007): dropout possible at 0 too."""
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x + 1) - gammaln(b) - gammaln(a + b + x + 1)
    a3 = -(r + x) * np.log(alpha + T)
    a4 = np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    return a1 + a2 + a3 + np.logaddexp(0.0, a4)


def forecast_bracket(shape: Any, scale: Any, b: Any, c: Any, t: Any) -> np.ndarray:
    """``1 − (S/(S+t))^A · ₂F₁(A, B; C; t/(S+t))`` with ``A = shape``, ``S = scale``: the
    bracket of every (M)BG/NBD purchase forecast (A = r + x, S = α + T, or r and α).

    When the customers buy at about the same rate the fit sends r and α off together (the
    Gamma's Poisson limit, r/α fixed), and from A in the thousands scipy's ₂F₁ returns NaN:
    every expected purchase and CLV came out NaN. There the bracket's own limit A → ∞ at
    fixed A/S is used, ``1 − ₁F₁(C − B; C; −A·t/S)`` (the Beta mean of e^(−λpt) at the
    posterior rate λ = A/S): about 1e-4 off the exact value, relatively, at A = 3,000, and
    less as A grows (the error falls as 1/A).
    """
    with np.errstate(all="ignore"):
        exact = 1 - (scale / (scale + t)) ** shape * hyp2f1(shape, b, c, t / (scale + t))
    if np.all(np.isfinite(exact)):
        return np.asarray(exact, dtype=float)
    poisson = 1 - hyp1f1(c - b, c, -shape * t / scale)
    return np.where(np.isfinite(exact), exact, poisson)


@dataclass(frozen=True)
class _Prepared:
    """Sufficient sums for the BG/NBD likelihood: per distinct x, per distinct T, repeat rows."""

    n: float
    ux: np.ndarray
    wx: np.ndarray
    uT: np.ndarray
    wT: np.ndarray
    wxT: np.ndarray
    utx: np.ndarray
    rx: np.ndarray
    rw: np.ndarray
    rix: np.ndarray
    riT: np.ndarray
    ritx: np.ndarray

    @classmethod
    def build(cls, data: Compressed, w: np.ndarray) -> _Prepared:
        ix, ux = pd.factorize(data.x)  # hash-based: no sort of the (many) distinct rows
        iT, uT = pd.factorize(data.T)
        itx, utx = pd.factorize(data.t_x)
        ux, uT, utx = np.asarray(ux), np.asarray(uT), np.asarray(utx)
        rep = data.x > 0
        return cls(
            n=float(w.sum()),
            ux=ux,
            wx=np.bincount(ix, weights=w, minlength=len(ux)),
            uT=uT,
            wT=np.bincount(iT, weights=w, minlength=len(uT)),
            wxT=np.bincount(iT, weights=w * data.x, minlength=len(uT)),
            utx=utx,
            rx=data.x[rep],
            rw=w[rep],
            rix=ix[rep],
            riT=iT[rep],
            ritx=itx[rep],
        )


class BetaGeo(TransactionModel):
    """The BG/NBD model (Fader, Hardie & Lee 2005) as a scikit-learn-style estimator.

    Parameters
    ----------
    penalizer : float
        L2 penalty on the parameters (0 = plain maximum likelihood, as in the paper).

    Attributes
    ----------
    params_ : dict
        ``r`` and ``alpha`` (α) of the Gamma purchase-rate mixing distribution, ``a`` and ``b``
        of the Beta dropout-probability distribution.
    log_likelihood_ : float
    n_customers_ : int

    Examples
    --------
    >>> m = BetaGeo().fit(frequency, recency, T)        # doctest: +SKIP
    >>> m.predict_alive(frequency, recency, T)           # doctest: +SKIP
    """

    _param_names = ("r", "alpha", "a", "b")
    _start = (0.25, 5.0, 0.8, 2.5)
    _loglik_fn = staticmethod(bgnbd_loglik)

    _analytic = True

    def _loglik(self, params: np.ndarray, data: Compressed) -> np.ndarray:
        r, alpha, a, b = params
        return self._loglik_fn(r, alpha, a, b, data.x, data.t_x, data.T)

    def _data_start(self, data: Compressed) -> np.ndarray | None:
        """Start with the mean purchase rate ``r/α`` at the repeat buyers' ``Σx / ΣT``.

        α carries the time unit (weeks in CDNOW, days in a shop's orders): a fixed start
        sits a factor of 7 off in one of them, and Newton's first steps go to undoing that.
        """
        repeat = data.x > 0
        rate = float(data.w[repeat] @ data.x[repeat]) / float(data.w[repeat] @ data.T[repeat])
        r, _, a, b = self._start
        if not (np.isfinite(rate) and rate > 0):
            return None
        return np.log([r, r / rate, a, b])

    def _prepare(self, data: Any, weights: np.ndarray) -> _Prepared | None:
        if not self._analytic:
            return None
        return _Prepared.build(data, weights)

    def _value_and_grad(self, params: np.ndarray, prep: _Prepared) -> tuple[float, np.ndarray]:
        """FHL 2005 eq. 6 summed over customers, with its gradient (for L-BFGS-B).

        Terms that depend on x only or T only are summed per distinct value; only the
        ``ln(1 + e^d)`` term needs one pass over the distinct (x, t_x, T) rows of repeat buyers.
        """
        r, alpha, a, b = params
        ux, wx, uT, wT, wxT, k = prep.ux, prep.wx, prep.uT, prep.wT, prep.wxT, len(prep.ux)
        # one gammaln and one digamma call over every argument (each call costs more than
        # the arithmetic on these few dozen values): r+x, b+x, a+b+x, then r, a+b, b
        args = np.concatenate([ux + r, ux + b, ux + (a + b), (r, a + b, b)])
        lg, dg = gammaln(args), digamma(args)
        lg_rx, lg_bx, lg_abx = lg[:k], lg[k : 2 * k], lg[2 * k : 3 * k]
        dg_rx, dg_bx, dg_abx = dg[:k], dg[k : 2 * k], dg[2 * k : 3 * k]
        lg_r, lg_ab, lg_b = lg[3 * k :]
        dg_r, dg_ab, dg_b = dg[3 * k :]
        log_alpha = np.log(alpha)
        inv_aT = 1.0 / (alpha + uT)
        log_aT = np.log(alpha + uT)
        s_log_aT = wdot(wT, log_aT)
        ll = (
            wdot(wx, lg_rx + lg_bx - lg_abx)
            + prep.n * (-lg_r + r * log_alpha + lg_ab - lg_b)
            - r * s_log_aT
            - wdot(wxT, log_aT)
        )
        g_r = wdot(wx, dg_rx) + prep.n * (log_alpha - dg_r) - s_log_aT
        g_alpha = prep.n * r / alpha - wdot(r * wT + wxT, inv_aT)
        psi_abx = wdot(wx, dg_abx)
        g_a = prep.n * dg_ab - psi_abx
        g_b = prep.n * (dg_ab - dg_b) + wdot(wx, dg_bx) - psi_abx
        # the repeat buyers' ln(1 + exp(d)) term: transcendentals per distinct value, gathered
        x, w = prep.rx, prep.rw
        latx_u = np.log(alpha + prep.utx)
        log_ratio = log_aT[prep.riT] - latx_u[prep.ritx]
        log_b = np.log(b + ux - 1)
        d = (np.log(a) - log_b)[prep.rix] + (r + x) * log_ratio
        e = np.exp(-np.abs(d))
        ll += wdot(w, np.maximum(d, 0.0) + np.log1p(e))
        sw = w * np.where(d >= 0, 1.0, e) / (1.0 + e)
        g_r += wdot(sw, log_ratio)
        inv_diff = inv_aT[prep.riT] - (1.0 / (alpha + prep.utx))[prep.ritx]
        g_alpha += wdot(sw, (r + x) * inv_diff)
        g_a += sw.sum() / a
        g_b -= np.bincount(prep.rix, weights=sw, minlength=k) @ (1.0 / (b + ux - 1))
        return float(ll), np.array([g_r, g_alpha, g_a, g_b])

    def _hessian(self, params: np.ndarray, prep: Any) -> np.ndarray | None:
        """Second derivatives of FHL 2005 eq. 6 summed over customers (for Newton's method).

        ``σ = s(1 − s)`` with ``s = expit(d)`` is the curvature of the repeat buyers'
        ``ln(1 + e^d)`` term; ``L`` and ``D`` are d's derivatives in r and α, over (r + x).
        """
        if not isinstance(prep, _Prepared):
            return None
        r, alpha, a, b = params
        ux, wx, uT, wT, wxT, n = prep.ux, prep.wx, prep.uT, prep.wT, prep.wxT, prep.n
        k = len(ux)
        tri = polygamma(1, np.concatenate([ux + r, ux + b, ux + (a + b), (r, a + b, b)]))
        t_rx, t_bx, t_abx = tri[:k], tri[k : 2 * k], tri[2 * k : 3 * k]
        t_r, t_ab, t_b = tri[3 * k :]
        inv_aT = 1.0 / (alpha + uT)
        inv_atx = 1.0 / (alpha + prep.utx)
        s_t_abx = wdot(wx, t_abx)
        h_rr = wdot(wx, t_rx) - n * t_r
        h_ra_ = n / alpha - wdot(wT, inv_aT)  # r–α, without the repeat-buyer term
        h_aa_ = -n * r / alpha**2 + wdot(r * wT + wxT, inv_aT**2)
        h_a = n * t_ab - s_t_abx  # a–a and a–b share it
        h_bb = n * (t_ab - t_b) + wdot(wx, t_bx) - s_t_abx
        x, w = prep.rx, prep.rw
        big_l = np.log(alpha + uT)[prep.riT] - np.log(alpha + prep.utx)[prep.ritx]
        big_d = inv_aT[prep.riT] - inv_atx[prep.ritx]
        d_prime = -(inv_aT**2)[prep.riT] + (inv_atx**2)[prep.ritx]
        inv_b = (1.0 / (b + ux - 1))[prep.rix]
        d = (np.log(a) - np.log(b + ux - 1))[prep.rix] + (r + x) * big_l
        sv = expit(d)
        ws, wsig = w * sv, w * sv * (1.0 - sv)
        rxd = (r + x) * big_d
        h_rr += wdot(wsig, big_l * big_l)
        h_ral = h_ra_ + wdot(wsig, big_l * rxd) + wdot(ws, big_d)
        h_alal = h_aa_ + wdot(wsig, rxd * rxd) + wdot(ws, (r + x) * d_prime)
        h_r_a = wsig @ big_l / a
        h_r_b = -wdot(wsig * big_l, inv_b)
        h_al_a = wdot(wsig, rxd) / a
        h_al_b = -wdot(wsig * rxd, inv_b)
        h_a_a = h_a + (wsig.sum() - ws.sum()) / a**2
        h_a_b = h_a - wdot(wsig, inv_b) / a
        h_b_b = h_bb + wdot(wsig + ws, inv_b * inv_b)
        return np.array(
            [
                [h_rr, h_ral, h_r_a, h_r_b],
                [h_ral, h_alal, h_al_a, h_al_b],
                [h_r_a, h_al_a, h_a_a, h_a_b],
                [h_r_b, h_al_b, h_a_b, h_b_b],
            ]
        )

    def _row_params(self, rfm: Any, covariates: ArrayLike | None) -> tuple[Any, Any, Any, Any]:
        if covariates is not None:
            raise TypeError(f"{type(self).__name__} takes no covariates (see BetaGeoCovariates)")
        p = self.params_
        return p["r"], p["alpha"], p["a"], p["b"]

    def _alpha(self, rfm: Any) -> Any:
        return self.params_["alpha"]

    # -- predictions --------------------------------------------------------------------------
    def predict_alive(
        self,
        frequency: ArrayLike,
        recency: ArrayLike | None = None,
        T: ArrayLike | None = None,
        *,
        covariates: ArrayLike | None = None,
    ) -> np.ndarray:
        """P(alive | x, t_x, T): the probability the customer has not dropped out (FHL eq. 11)."""
        rfm = self._rfm(frequency, recency, T)
        r, alpha, a, b = self._row_params(rfm, covariates)
        return self._alive(r, alpha, a, b, rfm)

    def _alive(self, r: Any, alpha: Any, a: Any, b: Any, rfm: Any) -> np.ndarray:
        x, t_x, big_t = rfm.x, rfm.t_x, rfm.T
        log_odds = (
            np.log(a)
            - np.log(b + np.maximum(x, 1) - 1)
            + (r + x) * (np.log(alpha + big_t) - np.log(alpha + t_x))
        )
        return np.where(x > 0, expit(-log_odds), 1.0)

    def predict_purchases(
        self,
        frequency: ArrayLike,
        recency: ArrayLike | None = None,
        T: ArrayLike | None = None,
        *,
        t: float,
        covariates: ArrayLike | None = None,
    ) -> np.ndarray:
        """E[Y(t) | x, t_x, T]: expected purchases in the next ``t`` time units (FHL eq. 10)."""
        rfm = self._rfm(frequency, recency, T)
        r, alpha, a, b = self._row_params(rfm, covariates)
        x, big_t = rfm.x, rfm.T
        bracket = forecast_bracket(r + x, alpha + big_t, b + x, a + b + x - 1, t)
        term = (a + b + x - 1) / (a - 1) * bracket
        return term * self._alive(r, alpha, a, b, rfm)

    def expected_purchases(self, t: ArrayLike) -> np.ndarray:
        """E[X(t)]: expected repeat purchases of a new customer in her first ``t`` (FHL eq. 9)."""
        self._check_fitted()
        r, alpha, a, b = (self.params_[k] for k in ("r", "alpha", "a", "b"))
        t = np.asarray(t, dtype=float)
        return (a + b - 1) / (a - 1) * forecast_bracket(r, alpha, b, a + b - 1, t)


class ModifiedBetaGeo(BetaGeo):
    """The MBG/NBD model (Batislam et al. 2007): BG/NBD with dropout possible at time zero.

    Same parameters (``r, alpha, a, b``) and methods as :class:`BetaGeo`.
    """

    _loglik_fn = staticmethod(mbgnbd_loglik)
    _analytic = False

    def _alive(self, r: Any, alpha: Any, a: Any, b: Any, rfm: Any) -> np.ndarray:
        x, t_x, big_t = rfm.x, rfm.t_x, rfm.T
        log_odds = (
            np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + big_t) - np.log(alpha + t_x))
        )
        return expit(-log_odds)

    def predict_purchases(
        self,
        frequency: ArrayLike,
        recency: ArrayLike | None = None,
        T: ArrayLike | None = None,
        *,
        t: float,
        covariates: ArrayLike | None = None,
    ) -> np.ndarray:
        """E[Y(t) | x, t_x, T] under the MBG/NBD (Batislam et al. 2007, eq. 8)."""
        rfm = self._rfm(frequency, recency, T)
        r, alpha, a, b = self._row_params(rfm, covariates)
        x, big_t = rfm.x, rfm.T
        bracket = forecast_bracket(r + x, alpha + big_t, b + x + 1, a + b + x, t)
        return (a + b + x) / (a - 1) * bracket * self._alive(r, alpha, a, b, rfm)

    def expected_purchases(self, t: ArrayLike) -> np.ndarray:
        """E[X(t)] under the MBG/NBD (Batislam et al. 2007, eq. 7)."""
        self._check_fitted()
        r, alpha, a, b = (self.params_[k] for k in ("r", "alpha", "a", "b"))
        t = np.asarray(t, dtype=float)
        return b / (a - 1) * forecast_bracket(r, alpha, b + 1, a + b, t)


@dataclass(frozen=True)
class _CovData:
    x: np.ndarray
    t_x: np.ndarray
    T: np.ndarray
    X: np.ndarray


def _as_matrix(covariates: ArrayLike, n: int) -> tuple[np.ndarray, list[str]]:
    if isinstance(covariates, pd.DataFrame):
        names = [str(c) for c in covariates.columns]
        matrix = covariates.to_numpy(dtype=float)
    else:
        matrix = np.asarray(covariates, dtype=float)
        if matrix.ndim == 1:
            matrix = matrix[:, None]
        names = [f"x{i}" for i in range(matrix.shape[1])]
    if matrix.shape[0] != n:
        raise ShopperlensError("covariates must have one row per customer")
    if not np.all(np.isfinite(matrix)):
        raise ShopperlensError("covariates have missing values")
    return matrix, names


class BetaGeoCovariates(BetaGeo):
    """BG/NBD with time-invariant covariates (Fader & Hardie 2007).

    Each customer's parameters depend on her covariates ``z`` (acquisition channel, first
    category, device … coded as numbers or 0/1 dummies)::

        α_i = α0 · exp(−γ1ᵀ z_i)      (γ1 > 0: buys more often)
        a_i = a0 · exp(γ2ᵀ z_i)
        b_i = b0 · exp(γ3ᵀ z_i)       (mean dropout probability a/(a+b))

    so a shop can see which channels bring customers who buy often and stay. ``params_``
    holds ``r, alpha, a, b`` (the baseline for z = 0) and one coefficient per covariate and
    parameter, keyed ``"alpha:<name>"``, ``"a:<name>"``, ``"b:<name>"``; ``coef_`` shows the
    coefficients as a table. Prediction methods take the same ``covariates=`` as ``fit``.

    References
    ----------
    Fader, P. S. & Hardie, B. G. S. (2007). Incorporating time-invariant covariates into the
    Pareto/NBD and BG/NBD models. http://brucehardie.com/notes/019/
    """

    def _n_log(self, theta: np.ndarray) -> int:
        return 4

    def _split(self, params: np.ndarray) -> tuple[float, float, float, float, np.ndarray]:
        r, alpha0, a0, b0 = params[:4]
        gammas = params[4:].reshape(3, -1)
        return r, alpha0, a0, b0, gammas

    def _prepare(self, data: Any, weights: np.ndarray) -> tuple[_CovData, np.ndarray]:
        return data, weights

    def _value_and_grad(
        self, params: np.ndarray, prep: tuple[_CovData, np.ndarray]
    ) -> tuple[float, np.ndarray]:
        """FHL 2005 eq. 6 with per-customer α_i, a_i, b_i, and its gradient (chain rule)."""
        data, w = prep
        r, alpha0, a0, b0, g = self._split(params)
        z, x, t_x, big_t = data.X, data.x, data.t_x, data.T
        alpha = alpha0 * np.exp(-z @ g[0])
        a = a0 * np.exp(z @ g[1])
        b = b0 * np.exp(z @ g[2])
        ll = bgnbd_loglik(r, alpha, a, b, x, t_x, big_t)
        log_ratio = np.log(alpha + big_t) - np.log(alpha + t_x)
        d = np.log(a) - np.log(b + np.maximum(x, 1) - 1) + (r + x) * log_ratio
        s = np.where(x > 0, expit(d), 0.0)
        d_r = digamma(r + x) - digamma(r) + np.log(alpha) - np.log(alpha + big_t) + s * log_ratio
        d_alpha = (
            r / alpha
            - (r + x) / (alpha + big_t)
            + s * (r + x) * (1 / (alpha + big_t) - 1 / (alpha + t_x))
        )
        psi_ab, psi_abx = digamma(a + b), digamma(a + b + x)
        d_a = psi_ab - psi_abx + s / a
        d_b = psi_ab + digamma(b + x) - digamma(b) - psi_abx - s / (b + np.maximum(x, 1) - 1)
        wa, wa_, wb = w * d_alpha * alpha, w * d_a * a, w * d_b * b
        grad = np.concatenate(
            [
                [wdot(w, d_r), wa.sum() / alpha0],
                [wa_.sum() / a0, wb.sum() / b0],
                -(wa @ z),
                wa_ @ z,
                wb @ z,
            ]
        )
        return wdot(w, ll), grad

    def _loglik(self, params: np.ndarray, data: _CovData) -> np.ndarray:
        r, alpha0, a0, b0, g = self._split(params)
        alpha = alpha0 * np.exp(-data.X @ g[0])
        a = a0 * np.exp(data.X @ g[1])
        b = b0 * np.exp(data.X @ g[2])
        return bgnbd_loglik(r, alpha, a, b, data.x, data.t_x, data.T)

    def fit(  # type: ignore[override]
        self,
        frequency: ArrayLike,
        recency: ArrayLike | None = None,
        T: ArrayLike | None = None,
        covariates: ArrayLike | None = None,
        *,
        weights: ArrayLike | None = None,
    ) -> Self:
        """Fit by maximum likelihood; starts from the plain BG/NBD fit with zero coefficients."""
        if covariates is None:
            raise ShopperlensError("BetaGeoCovariates needs covariates (one row per customer)")
        rfm = as_rfm(frequency, recency, T)
        no_repeat_buyers_check(rfm)
        matrix, names = _as_matrix(covariates, len(rfm.x))
        w = np.ones(len(rfm.x)) if weights is None else np.asarray(weights, dtype=float)
        rows = np.column_stack([rfm.x, rfm.t_x, rfm.T, matrix])
        uniq, inverse = np.unique(rows, axis=0, return_inverse=True)
        counts = np.bincount(inverse.ravel(), weights=w, minlength=len(uniq))
        data = _CovData(uniq[:, 0], uniq[:, 1], uniq[:, 2], uniq[:, 3:])
        base = BetaGeo(penalizer=self.penalizer).fit(rfm.x, rfm.t_x, rfm.T, weights=w)
        start = np.concatenate(
            [np.log([base.params_[k] for k in self._param_names]), np.zeros(3 * len(names))]
        )
        keys = [*self._param_names] + [f"{p}:{n}" for p in ("alpha", "a", "b") for n in names]
        self._maximise(data, counts, start=start, names=keys)
        self.covariate_names_ = names
        self.coef_ = pd.DataFrame(
            self._split(np.array(list(self.params_.values())))[4].T,
            index=pd.Index(names, name="covariate"),
            columns=["alpha", "a", "b"],
        )
        self.n_customers_ = int(round(counts.sum()))
        return self

    def _row_params(self, rfm: Any, covariates: ArrayLike | None) -> tuple[Any, Any, Any, Any]:
        if covariates is None:
            raise ShopperlensError("pass covariates= (one row per customer) to predict")
        matrix, _ = _as_matrix(covariates, len(rfm.x))
        r, alpha0, a0, b0, g = self._split(np.array(list(self.params_.values())))
        return (
            r,
            alpha0 * np.exp(-matrix @ g[0]),
            a0 * np.exp(matrix @ g[1]),
            b0 * np.exp(matrix @ g[2]),
        )

    def predict_next_order_days(  # type: ignore[override]
        self,
        frequency: ArrayLike,
        recency: ArrayLike | None = None,
        T: ArrayLike | None = None,
        *,
        covariates: ArrayLike | None = None,
    ) -> np.ndarray:
        """Median time to the next purchase if alive, with each customer's own α_i."""
        rfm = self._rfm(frequency, recency, T)
        r, alpha, _, _ = self._row_params(rfm, covariates)
        return (alpha + rfm.T) * (2.0 ** (1.0 / (r + rfm.x)) - 1.0)
