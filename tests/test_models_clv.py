"""Buy-till-you-die models against published CDNOW numbers and planted truth.

CDNOW data: ``tests/data/cdnow`` (see its SOURCE.md), the 2,357-customer sample of Fader,
Hardie & Lee (2005) with a 39-week calibration period.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shopperlens.errors import InsufficientDataError, ShopperlensError
from shopperlens.models import (
    BetaGeo,
    BetaGeoCovariates,
    GammaGamma,
    ModifiedBetaGeo,
    ParetoNBD,
    calibration_holdout,
    check_minimum_data,
    cumulative_forecast,
    forecast_by_frequency,
    rfm_summary,
    simulate_bgnbd,
    simulate_spend,
)
from shopperlens.models._base import as_rfm, compress
from shopperlens.models.bgnbd import bgnbd_loglik

CDNOW = __import__("pathlib").Path(__file__).parent / "data" / "cdnow"


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return pd.read_csv(CDNOW / "cdnow_customers_summary.csv", index_col="ID")


@pytest.fixture(scope="module")
def cdnow_spend() -> pd.DataFrame:
    return pd.read_csv(CDNOW / "cdnow_customers_summary_with_transactions.csv", index_col="ID")


@pytest.fixture(scope="module")
def cdnow_tx() -> pd.DataFrame:
    tx = pd.read_csv(
        CDNOW / "CDNOW_sample.txt",
        sep=r"\s+",
        header=None,
        names=["master_id", "customer_id", "date", "cds", "value"],
        dtype={"date": str},
    )
    tx["date"] = pd.to_datetime(tx["date"], format="%Y%m%d")
    return tx


@pytest.fixture(scope="module")
def bgf(cdnow: pd.DataFrame) -> BetaGeo:
    return BetaGeo().fit(cdnow["frequency"], cdnow["recency"], cdnow["T"])


# -- published numbers ---------------------------------------------------------------------------
def test_bgnbd_matches_fader_hardie_lee_2005(bgf: BetaGeo) -> None:
    """FHL (2005), Marketing Science 24(2), section 5: r = 0.243, α = 4.414, a = 0.793,
    b = 2.426 and LL = −9582.4 on the CDNOW sample. Tolerance: ±0.0005 (3 decimals)."""
    expected = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    for name, value in expected.items():
        assert bgf.params_[name] == pytest.approx(value, abs=5e-4), name
    assert bgf.log_likelihood_ == pytest.approx(-9582.4, abs=0.05)


def test_bgnbd_conditional_expectation_matches_hardie_spreadsheet(bgf: BetaGeo) -> None:
    """Hardie's BG/NBD spreadsheet (also the FHL 2005 worked example): a customer with x = 2,
    t_x = 30.43, T = 38.86 weeks is expected to buy 1.226 times in the next 39 weeks."""
    assert bgf.predict_purchases(2, 30.43, 38.86, t=39)[0] == pytest.approx(1.226, abs=5e-4)
    assert bgf.predict_purchases(0, 0, 0, t=39)[0] == pytest.approx(bgf.expected_purchases(39))


def test_bgnbd_accepts_a_frame_and_explains_itself(bgf: BetaGeo, cdnow: pd.DataFrame) -> None:
    again = BetaGeo().fit(cdnow)
    assert again.params_ == pytest.approx(bgf.params_, rel=1e-6)
    table = bgf.summary()
    assert list(table.index) == ["r", "alpha", "a", "b"]
    assert (table["se"] > 0).all()
    assert ((table["lower"] < table["coef"]) & (table["coef"] < table["upper"])).all()
    assert "r=0.243" in repr(bgf) and "2,357 customers" in repr(bgf)


def test_paretonbd_matches_fader_hardie_2005(cdnow: pd.DataFrame) -> None:
    """Pareto/NBD on CDNOW: r = 0.553, α = 10.578, s = 0.606, β = 11.669, LL = −9595.0
    (Fader, Hardie & Lee 2005, JMR 42(4) "RFM and CLV"; Fader & Hardie 2005, note 009).

    Tolerance ±0.0015 (``lifetimes``' "3 decimals"): β is weakly identified (its standard error
    is ≈ 6) and the shipped summary rounds recency and T to 2 decimals, which moves the
    optimum of β in the fourth digit (we reach 11.6679; Hardie's Excel solver stopped at 11.669).
    """
    m = ParetoNBD().fit(cdnow)
    expected = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
    for name, value in expected.items():
        assert m.params_[name] == pytest.approx(value, abs=1.5e-3), name
    assert m.log_likelihood_ == pytest.approx(-9595.0, abs=0.05)
    alive = m.predict_alive(cdnow)
    assert ((alive >= 0) & (alive <= 1)).all()
    # a customer seen at her first purchase (x = t_x = T = 0) is any new customer
    assert m.predict_purchases(0, 0, 0, t=39)[0] == pytest.approx(m.expected_purchases(39))


def test_gammagamma_matches_fader_hardie_2013(cdnow_spend: pd.DataFrame) -> None:
    """Fader & Hardie (2013), "The Gamma-Gamma model of monetary value", on the 946 CDNOW
    repeat buyers: p = 6.25, q = 3.74, γ = 15.44 (published to 2 decimals; tolerance ±0.015)."""
    gg = GammaGamma().fit(cdnow_spend["x"], cdnow_spend["zbar"])
    assert gg.n_customers_ == 946
    for name, value in {"p": 6.25, "q": 3.74, "v": 15.44}.items():
        assert gg.params_[name] == pytest.approx(value, abs=0.015), name
    # E[M] shrinks each customer's mean towards the population mean p·v/(q−1)
    population = gg.params_["p"] * gg.params_["v"] / (gg.params_["q"] - 1)
    assert gg.predict_spend(0, 0)[0] == pytest.approx(population)
    one = gg.predict_spend(1, 100.0)[0]
    assert population < one < 100.0


def test_calibration_holdout_reproduces_the_published_cdnow_summary(
    cdnow_tx: pd.DataFrame, cdnow_spend: pd.DataFrame
) -> None:
    """From the raw CDNOW transactions, a 39-week calibration ending 1997-09-30 gives the
    published per-customer x, t_x, T (in weeks, rounded to 2 decimals) and zbar."""
    cal = calibration_holdout(
        cdnow_tx,
        calibration_end="1997-09-30",
        observation_end="1998-06-30",
        date_col="date",
        value_col="value",
        time_unit=7,
    )
    assert len(cal) == 2357
    published = cdnow_spend.loc[cal.index]
    np.testing.assert_array_equal(cal["frequency_cal"], published["x"])
    np.testing.assert_allclose(cal["recency_cal"], published["t_x"], atol=0.005)
    np.testing.assert_allclose(cal["T_cal"], published["T"], atol=0.005)
    np.testing.assert_allclose(cal["monetary_value_cal"], published["zbar"], atol=0.005)
    assert cal["duration_holdout"].iloc[0] == pytest.approx(273 / 7)


def test_forecast_vs_actual_on_cdnow(bgf: BetaGeo, cdnow_tx: pd.DataFrame) -> None:
    """The holdout check of FHL 2005 (figures 2 and 4), as tables: the cumulative forecast
    tracks the actual curve within 6 % over the 78 weeks, and the frequency buckets cover
    every customer."""
    cal = calibration_holdout(
        cdnow_tx, calibration_end="1997-09-30", observation_end="1998-06-30",
        date_col="date", time_unit=7,
    )  # fmt: skip
    by_f = forecast_by_frequency(bgf, cal)
    assert by_f["frequency"].tolist() == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert by_f["customers"].sum() == 2357
    assert by_f["predicted"].is_monotonic_increasing
    recount = _holdout_by_calibration_frequency(cdnow_tx)
    np.testing.assert_array_equal(by_f["customers"], recount["customers"])
    np.testing.assert_allclose(by_f["actual"], recount["actual"], rtol=1e-12)
    cum = cumulative_forecast(
        bgf, cdnow_tx, calibration_end="1997-09-30", observation_end="1998-06-30",
        date_col="date", time_unit=7,
    )  # fmt: skip
    assert cum["date"].iloc[-1] == pd.Timestamp("1998-06-30")
    end = cum.iloc[-1]
    assert abs(end["predicted"] - end["actual"]) / end["actual"] < 0.06
    assert cum["in_calibration"].iloc[0] and not cum["in_calibration"].iloc[-1]


def _holdout_by_calibration_frequency(tx: pd.DataFrame) -> pd.DataFrame:
    """Straight from the raw CDNOW log: each customer's purchase days up to 1997-09-30 (less
    the first: the repeat frequency x, 7 and above pooled) and in the 39 holdout weeks to
    1998-06-30; per x, the customers and their mean holdout purchase days."""
    days = tx[["customer_id", "date"]].drop_duplicates()
    split, end = pd.Timestamp("1997-09-30"), pd.Timestamp("1998-06-30")
    rows = []
    for _, own in days.groupby("customer_id"):
        x = int((own["date"] <= split).sum()) - 1
        held = int(((own["date"] > split) & (own["date"] <= end)).sum())
        rows.append((min(x, 7), held))
    per = pd.DataFrame(rows, columns=["x", "holdout"])
    return per.groupby("x")["holdout"].agg(customers="size", actual="mean").reset_index()


# -- planted truth -------------------------------------------------------------------------------
def test_mbgnbd_recovers_planted_parameters() -> None:
    """Simulated from the MBG/NBD story (dropout possible at time 0) with known parameters."""
    rng = np.random.default_rng(11)
    truth = {"r": 0.5, "alpha": 6.0, "a": 0.9, "b": 1.6}
    d = simulate_bgnbd(40_000, **truth, T=rng.uniform(20, 80, 40_000), modified=True, seed=3)
    m = ModifiedBetaGeo().fit(d)
    for name, value in truth.items():
        assert m.params_[name] == pytest.approx(value, rel=0.15), name
    alive = m.predict_alive(d)
    assert ((alive > 0) & (alive < 1)).all()  # MBG: even one-time buyers may be gone


def test_bgnbd_with_covariates_recovers_planted_coefficients() -> None:
    """Fader & Hardie (2007, note 019) covariate BG/NBD on data simulated with known effects:
    a paid channel buys more often (γ1 = 0.7) and drops out more (γ2 = 0.5, γ3 = −0.4); a
    continuous covariate acts on α (−0.3) and b (0.2) only. Tolerance: 3 standard errors."""
    rng = np.random.default_rng(5)
    n = 12_000
    z = pd.DataFrame({"paid": rng.integers(0, 2, n), "age": rng.normal(size=n)})
    g_alpha, g_a, g_b = np.array([0.7, -0.3]), np.array([0.5, 0.0]), np.array([-0.4, 0.2])
    d = simulate_bgnbd(
        n,
        r=0.5,
        alpha=5 * np.exp(-(z.to_numpy() @ g_alpha)),
        a=0.8 * np.exp(z.to_numpy() @ g_a),
        b=2.5 * np.exp(z.to_numpy() @ g_b),
        T=rng.uniform(30, 100, n),
        seed=5,
    )
    m = BetaGeoCovariates().fit(d, covariates=z)
    table = m.summary()
    truth = {
        "r": 0.5, "alpha": 5.0, "a": 0.8, "b": 2.5,
        "alpha:paid": 0.7, "alpha:age": -0.3, "a:paid": 0.5, "a:age": 0.0,
        "b:paid": -0.4, "b:age": 0.2,
    }  # fmt: skip
    for name, value in truth.items():
        coef, se = table.loc[name, "coef"], table.loc[name, "se"]
        assert abs(coef - value) < 3 * se + 0.02, (name, coef, value, se)
    assert list(m.coef_.columns) == ["alpha", "a", "b"]
    alive = m.predict_alive(d, covariates=z)
    assert ((alive >= 0) & (alive <= 1)).all()
    with pytest.raises(ShopperlensError, match="covariates"):
        m.predict_alive(d)


def test_fast_likelihood_equals_the_plain_formula(cdnow: pd.DataFrame) -> None:
    """The grouped likelihood and its analytic gradient match eq. 6 summed row by row and a
    finite-difference gradient."""
    data = compress(as_rfm(cdnow, None, None))
    m = BetaGeo()
    prep = m._prepare(data, data.w)
    params = np.array([0.3, 5.0, 0.7, 2.0])
    ll, grad = m._value_and_grad(params, prep)
    x, t_x, T = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    assert ll == pytest.approx(bgnbd_loglik(*params, x.values, t_x.values, T.values).sum())
    for i in range(4):
        h = np.zeros(4)
        h[i] = 1e-6 * params[i]
        up = bgnbd_loglik(*(params + h), x.values, t_x.values, T.values).sum()
        down = bgnbd_loglik(*(params - h), x.values, t_x.values, T.values).sum()
        assert grad[i] == pytest.approx((up - down) / (2 * h[i]), rel=1e-5)


def test_clv_discounts_expected_spend(bgf: BetaGeo, cdnow_spend: pd.DataFrame) -> None:
    gg = GammaGamma().fit(cdnow_spend["x"], cdnow_spend["zbar"])
    args = (bgf, cdnow_spend["x"], cdnow_spend["t_x"], cdnow_spend["T"], cdnow_spend["zbar"])
    plain = gg.clv(*args, horizon=52, step=4)
    discounted = gg.clv(*args, horizon=52, step=4, discount_rate=0.01)
    expected = bgf.predict_purchases(
        cdnow_spend["x"], cdnow_spend["t_x"], cdnow_spend["T"], t=52
    ) * gg.predict_spend(cdnow_spend["x"], cdnow_spend["zbar"])
    np.testing.assert_allclose(plain, expected, rtol=1e-9)
    assert (discounted <= plain + 1e-12).all() and discounted.sum() < plain.sum()


def test_next_order_days_is_the_median_waiting_time(bgf: BetaGeo) -> None:
    """Given alive at T, λ ~ Gamma(r+x, α+T): half of the next purchases come before the
    median. Checked by Monte Carlo."""
    days = bgf.predict_next_order_days(3, 20.0, 38.0)[0]
    r, alpha = bgf.params_["r"], bgf.params_["alpha"]
    rng = np.random.default_rng(0)
    lam = rng.gamma(r + 3, 1 / (alpha + 38.0), 200_000)
    waits = rng.exponential(1 / lam)
    assert np.mean(waits <= days) == pytest.approx(0.5, abs=0.01)


def _forecast_by_integral(
    r: float, alpha: float, a: float, b: float, x: int, T: float, t: float
) -> float:
    """E[purchases in (T, T + t] | alive] straight from the BG/NBD story, by quadrature: given
    p ~ Beta(a, b + x) and λ ~ Gamma(r + x, α + T), a customer alive at T makes (1 − e^(−λpt))/p
    purchases on average, whose mean over λ is (1 − (1 + pt/(α + T))^(−(r + x)))/p."""
    from scipy import integrate, stats

    def mean_over_rate(p: float) -> float:
        return float(-np.expm1(-(r + x) * np.log1p(p * t / (alpha + T))) / p)

    beta = stats.beta(a, b + x)
    value, _ = integrate.quad(lambda p: mean_over_rate(p) * beta.pdf(p), 0, 1, epsrel=1e-10)
    return float(value)


def test_forecasts_stay_finite_when_every_customer_buys_at_the_same_rate() -> None:
    """Customers buying at one rate send r and α off together (the fit's Poisson limit; a shop
    of regular buyers fitted r = 3.4e8, α = 5.0e10). scipy's ₂F₁ is NaN there, and so were
    every expected purchase and CLV. The forecasts now match the model's own integral."""
    m = BetaGeo()
    m.params_ = {"r": 3.4e8, "alpha": 3.4e8 / 0.0067, "a": 425.7, "b": 2584.4}
    x, t_x, T = np.array([0, 1, 2, 5]), np.array([0.0, 120.0, 200.0, 300.0]), np.full(4, 360.0)
    for t in (30.0, 365.0, 3650.0):
        got = m.predict_purchases(x, t_x, T, t=t)
        alive = m.predict_alive(x, t_x, T)
        want = [
            _forecast_by_integral(*m.params_.values(), x=int(k), T=360.0, t=t) * p
            for k, p in zip(x, alive, strict=True)
        ]
        np.testing.assert_allclose(got, want, rtol=1e-6)
        newcomer = m.expected_purchases(t)  # a new customer's first t days
        assert newcomer == pytest.approx(
            _forecast_by_integral(*m.params_.values(), x=0, T=0.0, t=t), rel=1e-6
        )
    # at ordinary parameters the exact formula is kept (CDNOW-like, rate heterogeneity)
    m.params_ = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    got = m.predict_purchases(x, t_x / 10, T / 10, t=39.0)
    alive = m.predict_alive(x, t_x / 10, T / 10)
    want = [
        _forecast_by_integral(*m.params_.values(), x=int(k), T=36.0, t=39.0) * p
        for k, p in zip(x, alive, strict=True)
    ]
    np.testing.assert_allclose(got, want, rtol=1e-6)


# -- domain errors and the minimum-data gate -----------------------------------------------------
@pytest.mark.parametrize(
    ("freq", "rec", "T", "message"),
    [
        ([1, 2], [5, 12], [10, 11], "recency cannot be greater than T"),
        ([1, -1], [5, 0], [10, 11], "frequency cannot be negative"),
        ([1, 2], [5, -2], [10, 11], "recency cannot be negative"),
        ([1.5, 2], [5, 6], [10, 11], "whole number"),
        ([0, 2], [5, 6], [10, 11], "recency must be 0"),
        ([1, 2], [5, np.nan], [10, 11], "missing"),
    ],
)
def test_bad_input_gets_a_domain_error(freq, rec, T, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ShopperlensError, match=message):
        BetaGeo().fit(freq, rec, T)


def test_no_repeat_buyers_is_refused() -> None:
    with pytest.raises(InsufficientDataError, match="no repeat buyers"):
        ParetoNBD().fit([0, 0, 0], [0, 0, 0], [10, 20, 30])
    with pytest.raises(InsufficientDataError, match="repeat"):
        GammaGamma().fit([0, 0], [0.0, 0.0])


def test_minimum_data_gate(cdnow: pd.DataFrame) -> None:
    check_minimum_data(cdnow)  # CDNOW passes
    few = cdnow.head(50)
    with pytest.raises(InsufficientDataError, match=r"50 buyers \(need 100\)"):
        check_minimum_data(few)
    short = cdnow.assign(T=cdnow["T"] / 20, recency=cdnow["recency"] / 20)
    short["frequency"] = np.where(short.index % 2 == 0, 0, short["frequency"])
    with pytest.raises(InsufficientDataError, match="history"):
        check_minimum_data(
            short["frequency"], short["recency"].where(short["frequency"] > 0, 0), short["T"],
            min_history_factor=100,
        )  # fmt: skip


# -- invariants ----------------------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 3),
            st.datetimes(
                min_value=pd.Timestamp("2024-01-01").to_pydatetime(),
                max_value=pd.Timestamp("2024-12-31").to_pydatetime(),
            ),
            st.floats(0, 500),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_rfm_from_any_log_is_valid_and_p_alive_is_a_probability(rows) -> None:  # type: ignore[no-untyped-def]
    tx = pd.DataFrame(rows, columns=["customer_id", "ordered_at", "value"])
    rfm = rfm_summary(tx, value_col="value", observation_end="2025-01-01")
    assert (rfm["recency"] <= rfm["T"]).all() and (rfm["frequency"] >= 0).all()
    assert (rfm.loc[rfm["frequency"] == 0, "monetary_value"] == 0).all()
    model = _CDNOW_MODEL
    alive = model.predict_alive(rfm)
    assert ((alive >= 0) & (alive <= 1)).all()
    assert (model.predict_purchases(rfm, t=30) >= 0).all()


_CDNOW_MODEL = BetaGeo().fit(pd.read_csv(CDNOW / "cdnow_customers_summary.csv"))


def test_simulated_spend_recovers_gamma_gamma() -> None:
    rng = np.random.default_rng(2)
    x = rng.integers(1, 8, 30_000).astype(float)
    m = simulate_spend(x, p=6.0, q=3.7, v=15.0, seed=4)
    gg = GammaGamma().fit(x, m)
    assert gg.params_["p"] == pytest.approx(6.0, rel=0.1)
    assert gg.params_["q"] == pytest.approx(3.7, rel=0.1)
    assert gg.params_["v"] == pytest.approx(15.0, rel=0.2)


def test_covariate_gradient_matches_finite_differences() -> None:
    """The analytic gradient of the covariate BG/NBD (chain rule through α_i, a_i, b_i)."""
    from shopperlens.models.bgnbd import _CovData

    rng = np.random.default_rng(5)
    n = 2000
    z = rng.normal(size=(n, 2))
    d = simulate_bgnbd(n, r=0.5, alpha=5.0, a=0.8, b=2.5, T=rng.uniform(30, 100, n), seed=5)
    data = _CovData(d["frequency"].values, d["recency"].values, d["T"].values, z)
    m = BetaGeoCovariates()
    params = np.array([0.4, 4.0, 0.9, 2.0, 0.3, -0.1, 0.2, 0.1, -0.2, 0.3])
    ll, grad = m._value_and_grad(params, (data, np.ones(n)))
    assert ll == pytest.approx(m._loglik(params, data).sum())
    for i in range(len(params)):
        h = np.zeros(len(params))
        h[i] = 1e-6
        numeric = (m._loglik(params + h, data).sum() - m._loglik(params - h, data).sum()) / 2e-6
        assert grad[i] == pytest.approx(numeric, rel=1e-5, abs=1e-4)
