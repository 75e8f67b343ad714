"""Gamma-Gamma: what a customer spends per order, and her lifetime value.

Each order of customer *i* is worth z ~ Gamma(p, ν_i), and ν_i ~ Gamma(q, γ) across customers,
so a customer's true mean spend is pν_i⁻¹. The model is fitted on repeat buyers only, from the
number of repeat orders ``x`` and their mean value ``m`` (x and m̄ in Fader & Hardie 2013). It
assumes spend is independent of the purchase frequency; check that correlation before use.

References
----------
Fader, P. S. & Hardie, B. G. S. (2013). The Gamma-Gamma model of monetary value.
http://brucehardie.com/notes/025/
Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). RFM and CLV: using iso-value curves for
customer base analysis. *Journal of Marketing Research* 42(4), 415–430.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Self

import numpy as np
import pandas as pd
from scipy.special import digamma, gammaln, polygamma

from shopperlens.errors import InsufficientDataError, ShopperlensError
from shopperlens.models._base import ArrayLike, BaseModel, TransactionModel, _column, wdot

#: ``summary()``'s note on ``q`` when the fit has no mean spend (``GammaGamma.mean_exists_``)
NOTE_NO_MEAN = (
    "q ≤ 1: the mean order value p·v/(q−1) does not exist (it is infinite); predict_spend "
    "is NaN where p·x + q ≤ 1, e.g. for every customer without a repeat order"
)


@dataclass(frozen=True)
class _Spend:
    x: np.ndarray
    m: np.ndarray


def _as_spend(frequency: ArrayLike, monetary_value: ArrayLike | None) -> _Spend:
    if monetary_value is None:
        frame = frequency
        frequency, monetary_value = _column(frame, "frequency"), _column(frame, "monetary_value")
    x = np.atleast_1d(np.asarray(frequency, dtype=float))
    m = np.atleast_1d(np.asarray(monetary_value, dtype=float))
    if x.shape != m.shape:
        raise ShopperlensError("frequency and monetary_value must have the same length")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(m))):
        raise ShopperlensError("frequency or monetary_value has missing values")
    if np.any(x < 0):
        raise ShopperlensError("frequency cannot be negative")
    if np.any(m < 0):
        raise ShopperlensError("monetary_value cannot be negative")
    return _Spend(x, m)


class GammaGamma(BaseModel):
    """The Gamma-Gamma spend model (Fader & Hardie 2013) as an estimator.

    Parameters
    ----------
    penalizer : float
        L2 penalty on the parameters (0 = plain maximum likelihood, as in the paper).

    Attributes
    ----------
    params_ : dict
        ``p`` (shape of each order's spend), ``q`` and ``v`` (γ in the paper: shape and scale
        of the customers' spend-rate distribution).
    mean_exists_ : bool
        Whether the population mean spend ``pv/(q−1)`` exists: only when ``q > 1``. With
        ``q ≤ 1`` the customers' spend rates ν have so much mass near zero that E[1/ν], and
        with it the mean order value of a customer drawn at random, is infinite. The formula
        then gives a negative (or infinite) number, which is no spend at all: such a fit says
        the model does not describe this shop's order values.
    n_customers_ : int
        Repeat buyers with a positive spend the model was fitted on.
    """

    _param_names = ("p", "q", "v")
    _start = (1.0, 1.0, 1.0)

    def _loglik(self, params: np.ndarray, data: _Spend) -> np.ndarray:
        """Fader & Hardie (2013, eq. 3) for one customer's mean spend m̄ over x orders."""
        p, q, v = params
        x, m = data.x, data.m
        return (
            gammaln(p * x + q)
            - gammaln(p * x)
            - gammaln(q)
            + q * np.log(v)
            + (p * x - 1) * np.log(m)
            + p * x * np.log(x)
            - (p * x + q) * np.log(x * m + v)
        )

    def _prepare(self, data: _Spend, weights: np.ndarray) -> dict[str, Any]:
        ux, ix = np.unique(data.x, return_inverse=True)
        logm = np.log(data.m)
        return {
            "n": float(weights.sum()),
            "ux": ux,
            "wx": np.bincount(ix, weights=weights, minlength=len(ux)),
            "w": weights,
            "xw": data.x * weights,
            "xm": data.x * data.m,
            "s_logm": float(wdot(weights, logm)),
            "s_xlogm": float(wdot((data.x * weights), logm)),
            "s_xlogx": wdot(data.x * weights, np.log(data.x)),
        }

    def _value_and_grad(self, params: np.ndarray, prep: dict[str, Any]) -> tuple[float, np.ndarray]:
        """Eq. 3 summed over customers, with its gradient; x-only terms summed per distinct x."""
        p, q, v = params
        n, ux, wx, w, xw = prep["n"], prep["ux"], prep["wx"], prep["w"], prep["xw"]
        log_xmv = np.log(prep["xm"] + v)
        inv_xmv = 1.0 / (prep["xm"] + v)
        a_sum, b_sum = wdot(xw, log_xmv), wdot(w, log_xmv)
        ll = (
            wdot(wx, (gammaln(p * ux + q) - gammaln(p * ux)))
            + n * (q * np.log(v) - gammaln(q))
            + p * prep["s_xlogm"]
            - prep["s_logm"]
            + p * prep["s_xlogx"]
            - p * a_sum
            - q * b_sum
        )
        psi_pq = digamma(p * ux + q)
        g_p = wdot(wx, ux * (psi_pq - digamma(p * ux))) + prep["s_xlogm"] + prep["s_xlogx"] - a_sum
        g_q = wdot(wx, psi_pq) + n * (np.log(v) - digamma(q)) - b_sum
        g_v = n * q / v - (p * wdot(xw, inv_xmv) + q * wdot(w, inv_xmv))
        return float(ll), np.array([g_p, g_q, g_v])

    def _hessian(self, params: np.ndarray, prep: dict[str, Any]) -> np.ndarray:
        """Second derivatives of eq. 3 summed over customers (for Newton's method)."""
        p, q, v = params
        n, ux, wx, w, xw = prep["n"], prep["ux"], prep["wx"], prep["w"], prep["xw"]
        inv = 1.0 / (prep["xm"] + v)
        tri_pq = polygamma(1, p * ux + q)
        s_xw, s_w = wdot(xw, inv), wdot(w, inv)
        inv2 = inv * inv
        h_pp = wdot(wx, ux * ux * (tri_pq - polygamma(1, p * ux)))
        h_pq = wdot(wx, ux * tri_pq)
        h_qq = wdot(wx, tri_pq) - n * float(polygamma(1, q))
        h_pv = -s_xw
        h_qv = n / v - s_w
        h_vv = -n * q / v**2 + p * wdot(xw, inv2) + q * wdot(w, inv2)
        return np.array([[h_pp, h_pq, h_pv], [h_pq, h_qq, h_qv], [h_pv, h_qv, h_vv]])

    def fit(
        self, frequency: ArrayLike, monetary_value: ArrayLike | None = None, *, weights: Any = None
    ) -> Self:
        """Fit on the repeat buyers (``frequency > 0``); others are ignored.

        ``frequency`` may be a frame with ``frequency, monetary_value`` columns instead.
        """
        data = _as_spend(frequency, monetary_value)
        keep = (data.x > 0) & (data.m > 0)
        if keep.sum() < 2:
            raise InsufficientDataError(
                "no repeat buyers with a spend: the Gamma-Gamma model needs customers with at "
                "least one repeat order of positive value"
            )
        w = np.ones(len(data.x)) if weights is None else np.asarray(weights, dtype=float)
        # start where the population mean spend p·v/(q−1) already equals the data's mean
        # (p = 2, q = 4); Newton's method then needs a handful of steps (see ``_newton``)
        mean = float(np.average(data.m[keep], weights=w[keep]))
        start = np.log([2.0, 4.0, 1.5 * mean])
        self._maximise(_Spend(data.x[keep], data.m[keep]), w[keep], start=start)
        self.n_customers_ = int(keep.sum())
        self.mean_exists_ = bool(self.params_["q"] > 1.0)
        return self

    @property
    def mean_exists(self) -> bool:
        """Deprecated: :attr:`mean_exists_`, the name fitted state has in scikit-learn."""
        warnings.warn(
            "GammaGamma.mean_exists is now mean_exists_", DeprecationWarning, stacklevel=2
        )
        return self.mean_exists_

    def predict_spend(
        self, frequency: ArrayLike, monetary_value: ArrayLike | None = None
    ) -> np.ndarray:
        """E[M | x, m̄]: expected mean order value (Fader & Hardie 2013, eq. 5).

        A weighted average of the population mean ``pv/(q−1)`` and the customer's own mean,
        so one-time buyers (x = 0) get the population mean. The posterior mean exists only
        where ``p·x + q > 1``; elsewhere — every one-time buyer when the fitted ``q ≤ 1``, see
        :attr:`mean_exists_` — the result is NaN, never the formula's negative value.
        """
        self._check_fitted()
        data = _as_spend(frequency, monetary_value)
        p, q, v = (self.params_[k] for k in self._param_names)
        # E[1/ν | x, m̄] = (v + x·m̄)/(px + q − 1): ν's posterior is Gamma(px + q, v + x·m̄),
        # and the mean of 1/ν is finite only when that shape exceeds 1
        denominator = p * data.x + q - 1
        with np.errstate(divide="ignore", invalid="ignore"):
            spend = p * (v + data.x * data.m) / denominator
        return np.where(denominator > 0, spend, np.nan)

    def summary(self, level: float = 0.95) -> pd.DataFrame:
        """Parameters with standard errors and intervals (see ``BaseModel.summary``); with
        ``q ≤ 1`` the ``q`` row's note says that the mean spend does not exist."""
        table = super().summary(level)
        if not self.mean_exists_ and not table.loc["q", "note"]:
            table.loc["q", "note"] = NOTE_NO_MEAN
        return table

    def clv(
        self,
        transaction_model: TransactionModel,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,
        monetary_value: ArrayLike,
        *,
        horizon: float,
        step: float,
        discount_rate: float = 0.0,
        margin: float = 1.0,
    ) -> np.ndarray:
        """Discounted value of each customer's expected purchases over ``horizon``.

        The horizon is cut into periods of length ``step`` (model time units); period *k*
        contributes ``(E[Y(k·step)] − E[Y((k−1)·step)]) · E[M] · margin / (1 + d)^k``, with
        ``d = discount_rate`` per period (the discrete form used by Fader, Hardie & Lee 2005).
        Customers whose expected spend does not exist (NaN from :meth:`predict_spend`, see
        :attr:`mean_exists_`) get NaN.
        """
        self._check_fitted()
        spend = self.predict_spend(frequency, monetary_value) * margin
        return customer_lifetime_value(
            transaction_model, frequency, recency, T, spend,
            horizon=horizon, step=step, discount_rate=discount_rate,
        )  # fmt: skip


def customer_lifetime_value(
    transaction_model: TransactionModel,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    spend: ArrayLike,
    *,
    horizon: float,
    step: float,
    discount_rate: float = 0.0,
) -> np.ndarray:
    """Discounted expected value over ``horizon`` given each customer's expected order value."""
    if horizon <= 0 or step <= 0:
        raise ShopperlensError("horizon and step must be positive")
    edges = np.append(np.arange(step, horizon, step), horizon)
    spend = np.asarray(spend, dtype=float)
    total = np.zeros_like(spend)
    previous = np.zeros_like(spend)
    for k, edge in enumerate(edges, start=1):
        cumulative = transaction_model.predict_purchases(frequency, recency, T, t=float(edge))
        total += (cumulative - previous) * spend / (1 + discount_rate) ** k
        previous = cumulative
    return total
