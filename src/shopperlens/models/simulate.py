"""Draw customers from the models' own generative stories (planted truth for tests, benchmarks).

Every draw is vectorised: a customer's number of purchases in [0, T] is Poisson, her number of
purchases before dropping out is geometric (BG/NBD) or set by an exponential lifetime
(Pareto/NBD), and the time of the x-th of n uniform purchase times is ``T · Beta(x, n − x + 1)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from shopperlens.models._base import ArrayLike


def _last_purchase(
    rng: np.random.Generator, x: np.ndarray, n: np.ndarray, window: np.ndarray
) -> np.ndarray:
    """Time of the x-th of n uniform event times in [0, window] (0 when x = 0)."""
    pos = x > 0
    out = np.zeros_like(window, dtype=float)
    out[pos] = window[pos] * rng.beta(x[pos], n[pos] - x[pos] + 1)
    return out


def simulate_bgnbd(
    n: int,
    *,
    r: float,
    alpha: ArrayLike,
    a: ArrayLike,
    b: ArrayLike,
    T: ArrayLike,
    modified: bool = False,
    seed: int | None = None,
) -> pd.DataFrame:
    """``n`` customers from the BG/NBD (or MBG/NBD with ``modified=True``).

    ``alpha``, ``a``, ``b`` and ``T`` may be scalars or one value per customer (covariates).
    Returns ``frequency, recency, T`` plus the latent ``lam`` (purchase rate) and ``p``.
    """
    rng = np.random.default_rng(seed)
    big_t = np.broadcast_to(np.asarray(T, dtype=float), (n,)).copy()
    lam = rng.gamma(r, 1.0 / np.broadcast_to(np.asarray(alpha, dtype=float), (n,)))
    p = rng.beta(np.broadcast_to(a, (n,)), np.broadcast_to(b, (n,)))
    # purchases made before dropping out: geometric on {1, 2, …} (BG) or {0, 1, …} (MBG)
    before_death = rng.geometric(p) - (1 if modified else 0)
    in_window = rng.poisson(lam * big_t)
    x = np.minimum(before_death, in_window)
    return pd.DataFrame(
        {
            "frequency": x.astype(float),
            "recency": _last_purchase(rng, x, in_window, big_t),
            "T": big_t,
            "lam": lam,
            "p": p,
        }
    )


def simulate_paretonbd(
    n: int, *, r: float, alpha: float, s: float, beta: float, T: ArrayLike, seed: int | None = None
) -> pd.DataFrame:
    """``n`` customers from the Pareto/NBD: ``frequency, recency, T`` and latent ``lam, mu``."""
    rng = np.random.default_rng(seed)
    big_t = np.broadcast_to(np.asarray(T, dtype=float), (n,)).copy()
    lam = rng.gamma(r, 1.0 / alpha, n)
    mu = rng.gamma(s, 1.0 / beta, n)
    window = np.minimum(rng.exponential(1.0 / mu), big_t)
    x = rng.poisson(lam * window)
    return pd.DataFrame(
        {
            "frequency": x.astype(float),
            "recency": _last_purchase(rng, x, x, window),
            "T": big_t,
            "lam": lam,
            "mu": mu,
        }
    )


def simulate_spend(
    frequency: ArrayLike, *, p: float, q: float, v: float, seed: int | None = None
) -> np.ndarray:
    """Mean repeat-order value for customers with ``frequency`` repeat orders (Gamma-Gamma).

    ν ~ Gamma(q, rate v) per customer; the sum of x orders is Gamma(px, rate ν). Customers
    with no repeat order get 0.
    """
    rng = np.random.default_rng(seed)
    x = np.asarray(frequency, dtype=float)
    nu = rng.gamma(q, 1.0 / v, len(x))
    out = np.zeros(len(x))
    pos = x > 0
    out[pos] = rng.gamma(p * x[pos], 1.0 / nu[pos]) / x[pos]
    return out
