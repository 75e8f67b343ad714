"""Pareto/NBD: purchases at rate λ ~ Gamma(r, α) until an unseen dropout at rate μ ~ Gamma(s, β).

Unlike the BG/NBD, a customer can drop out at any moment, not only right after a purchase.
The likelihood contains a Gauss hypergeometric function; it is evaluated with the numerically
stable formulation of Fader & Hardie (2005, eq. 21–24): the series argument is always
``|α − β| / (max(α, β) + t)`` in [0, 1), and the difference of two powers is taken in log space.

References
----------
Schmittlein, D. C., Morrison, D. G. & Colombo, R. (1987). Counting your customers: who are
they and what will they do next? *Management Science* 33(1), 1–24.
Fader, P. S. & Hardie, B. G. S. (2005). A note on deriving the Pareto/NBD model and related
expressions. http://brucehardie.com/notes/009/
Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). RFM and CLV: using iso-value curves for
customer base analysis. *Journal of Marketing Research* 42(4), 415–430.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import expit, gammaln, hyp2f1

from shopperlens.models._base import ArrayLike, Compressed, TransactionModel


def _log_a0(
    r: float, alpha: float, s: float, beta: float, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> np.ndarray:
    """ln A0 of Fader & Hardie (2005, note 009), with the hypergeometric argument in [0, 1)."""
    if alpha >= beta:
        big, small_param = alpha, s + 1.0
    else:
        big, small_param = beta, r + x
    diff = abs(alpha - beta)
    rsx = r + s + x
    q1, q2 = big + t_x, big + T
    p1 = hyp2f1(rsx, small_param, rsx + 1.0, diff / q1)
    p2 = hyp2f1(rsx, small_param, rsx + 1.0, diff / q2)
    # ln(p1 / q1^rsx − p2 / q2^rsx), with the second term always the smaller one
    first = np.log(p1) - rsx * np.log(q1)
    second = np.log(p2) - rsx * np.log(q2)
    return first + np.log1p(-np.exp(second - first))


def paretonbd_loglik(
    r: float, alpha: float, s: float, beta: float, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> np.ndarray:
    """Per-customer Pareto/NBD log-likelihood (Fader & Hardie 2005, eq. 22), vectorised."""
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    alive_term = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    dead_term = np.log(s) - np.log(r + s + x) + _log_a0(r, alpha, s, beta, x, t_x, T)
    return a1 + np.logaddexp(alive_term, dead_term)


class ParetoNBD(TransactionModel):
    """The Pareto/NBD model (Schmittlein, Morrison & Colombo 1987) as an estimator.

    Parameters
    ----------
    penalizer : float
        L2 penalty on the parameters (0 = plain maximum likelihood).

    Attributes
    ----------
    params_ : dict
        ``r``, ``alpha`` (α) of the Gamma purchase-rate distribution; ``s``, ``beta`` (β) of the
        Gamma dropout-rate distribution.
    """

    _param_names = ("r", "alpha", "s", "beta")
    _start = (0.5, 10.0, 0.5, 10.0)

    def _loglik(self, params: np.ndarray, data: Compressed) -> np.ndarray:
        r, alpha, s, beta = params
        return paretonbd_loglik(r, alpha, s, beta, data.x, data.t_x, data.T)

    def _parts(self, rfm: Any) -> tuple[float, float, float, float, np.ndarray]:
        r, alpha, s, beta = (self.params_[k] for k in self._param_names)
        with np.errstate(divide="ignore"):
            log_a0 = _log_a0(r, alpha, s, beta, rfm.x, rfm.t_x, rfm.T)
        log_odds_dead = (
            np.log(s)
            - np.log(r + s + rfm.x)
            + (r + rfm.x) * np.log(alpha + rfm.T)
            + s * np.log(beta + rfm.T)
            + log_a0
        )
        return r, alpha, s, beta, log_odds_dead

    def predict_alive(
        self, frequency: ArrayLike, recency: ArrayLike | None = None, T: ArrayLike | None = None
    ) -> np.ndarray:
        """P(alive | x, t_x, T) (Fader & Hardie 2005, eq. 18)."""
        rfm = self._rfm(frequency, recency, T)
        *_, log_odds_dead = self._parts(rfm)
        return expit(-log_odds_dead)

    def predict_purchases(
        self,
        frequency: ArrayLike,
        recency: ArrayLike | None = None,
        T: ArrayLike | None = None,
        *,
        t: float,
    ) -> np.ndarray:
        """E[Y(t) | x, t_x, T] (Fader & Hardie 2005, eq. 20): P(alive) × expected if alive."""
        rfm = self._rfm(frequency, recency, T)
        r, alpha, s, beta, log_odds_dead = self._parts(rfm)
        big_t = rfm.T
        if abs(s - 1.0) < 1e-9:
            horizon = (beta + big_t) * np.log((beta + big_t + t) / (beta + big_t))
        else:
            horizon = (
                (beta + big_t) / (s - 1) * (1 - ((beta + big_t) / (beta + big_t + t)) ** (s - 1))
            )
        return expit(-log_odds_dead) * (r + rfm.x) / (alpha + big_t) * horizon

    def expected_purchases(self, t: ArrayLike) -> np.ndarray:
        """E[X(t)] for a new customer: ``rβ/(α(s−1)) · [1 − (β/(β+t))^(s−1)]``."""
        self._check_fitted()
        r, alpha, s, beta = (self.params_[k] for k in self._param_names)
        t = np.asarray(t, dtype=float)
        if abs(s - 1.0) < 1e-9:
            return r * beta / alpha * np.log((beta + t) / beta)
        return r * beta / (alpha * (s - 1)) * (1 - (beta / (beta + t)) ** (s - 1))
