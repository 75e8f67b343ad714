"""From a transaction log to model inputs, and how well a model forecasts: pure functions.

* :func:`rfm_summary` turns transactions into one row per customer (``frequency, recency, T``
  and ``monetary_value``), the input of every buy-till-you-die model;
* :func:`calibration_holdout` does the same for a calibration period and counts each
  customer's purchases in the following holdout period;
* :func:`forecast_by_frequency` and :func:`cumulative_forecast` compare a fitted model's
  forecast with what really happened (FHL 2005, figures 2–4).

Conventions follow Fader, Hardie & Lee (2005) and the ``lifetimes`` package: purchases on the
same day count once (their values are summed); ``frequency`` counts *repeat* purchase days;
``recency`` is the age at the last purchase and ``T`` the age at the end of the observation
period, both measured from the first purchase in units of ``time_unit`` days;
``monetary_value`` is the mean value of the repeat purchases (0 without one), as the
Gamma-Gamma model expects.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from shopperlens.errors import ShopperlensError


def _daily(
    transactions: pd.DataFrame, customer_col: str, date_col: str, value_col: str | None
) -> pd.DataFrame:
    for col in (customer_col, date_col, *([value_col] if value_col else [])):
        if col not in transactions.columns:
            raise ShopperlensError(f"the transactions have no column {col!r}")
    df = pd.DataFrame(
        {
            "customer": transactions[customer_col].to_numpy(),
            "day": pd.to_datetime(transactions[date_col]).dt.floor("D").to_numpy(),
            "value": transactions[value_col].to_numpy(dtype=float) if value_col else 0.0,
        }
    )
    if df["customer"].isna().any():
        df = df[df["customer"].notna()]
    return df.groupby(["customer", "day"], as_index=False, sort=True)["value"].sum()


def rfm_summary(
    transactions: pd.DataFrame,
    *,
    customer_col: str = "customer_id",
    date_col: str = "ordered_at",
    value_col: str | None = None,
    observation_end: Any = None,
    time_unit: float = 1.0,
) -> pd.DataFrame:
    """One row per customer: ``frequency, recency, T`` (and ``monetary_value`` with values).

    Transactions after ``observation_end`` (default: the last transaction's day) are ignored.
    The index is the customer id. ``time_unit`` is the length of one time unit in days (7 for
    weeks, as in the CDNOW papers).
    """
    daily = _daily(transactions, customer_col, date_col, value_col)
    end = daily["day"].max() if observation_end is None else pd.Timestamp(observation_end)
    daily = daily[daily["day"] <= end]
    if daily.empty:
        raise ShopperlensError("no transactions on or before the observation end")
    grouped = daily.groupby("customer", sort=True)
    first, last = grouped["day"].min(), grouped["day"].max()
    unit = pd.Timedelta(days=1) * time_unit
    out = pd.DataFrame(
        {
            "frequency": (grouped.size() - 1).astype(float),
            "recency": (last - first) / unit,
            "T": (end - first) / unit,
        }
    )
    out.index.name = customer_col
    if value_col:
        is_first = daily["day"].to_numpy() == first.loc[daily["customer"]].to_numpy()
        repeat = daily[~is_first].groupby("customer")["value"].mean()
        out["monetary_value"] = repeat.reindex(out.index).fillna(0.0)
    return out


def calibration_holdout(
    transactions: pd.DataFrame,
    *,
    calibration_end: Any,
    observation_end: Any = None,
    customer_col: str = "customer_id",
    date_col: str = "ordered_at",
    value_col: str | None = None,
    time_unit: float = 1.0,
) -> pd.DataFrame:
    """Calibration statistics and holdout purchases per customer (first bought by the split).

    Columns: ``frequency_cal, recency_cal, T_cal`` (``monetary_value_cal``),
    ``frequency_holdout`` (purchase days in ``(calibration_end, observation_end]``) and
    ``duration_holdout`` (the holdout length in time units).
    """
    cal_end = pd.Timestamp(calibration_end)
    daily = _daily(transactions, customer_col, date_col, value_col)
    obs_end = daily["day"].max() if observation_end is None else pd.Timestamp(observation_end)
    if obs_end <= cal_end:
        raise ShopperlensError("observation_end must be after calibration_end")
    cal = rfm_summary(
        daily[daily["day"] <= cal_end],
        customer_col="customer",
        date_col="day",
        value_col="value" if value_col else None,
        observation_end=cal_end,
        time_unit=time_unit,
    )
    cal.columns = [f"{c}_cal" for c in cal.columns]
    cal.index.name = customer_col
    holdout = daily[(daily["day"] > cal_end) & (daily["day"] <= obs_end)]
    counts = holdout.groupby("customer").size()
    cal["frequency_holdout"] = counts.reindex(cal.index).fillna(0).astype(float).to_numpy()
    cal["duration_holdout"] = (obs_end - cal_end) / (pd.Timedelta(days=1) * time_unit)
    return cal


def forecast_by_frequency(
    model: Any, calibration: pd.DataFrame, *, max_frequency: int = 7
) -> pd.DataFrame:
    """Mean holdout purchases, actual vs forecast, per calibration frequency (FHL 2005, fig. 4).

    ``calibration`` is the output of :func:`calibration_holdout`; frequencies at or above
    ``max_frequency`` share the last bucket (labelled ``"7+"`` by default).
    """
    cal = calibration
    predicted = model.predict_purchases(
        cal["frequency_cal"],
        cal["recency_cal"],
        cal["T_cal"],
        t=float(cal["duration_holdout"].iloc[0]),
    )
    bucket = np.minimum(cal["frequency_cal"].to_numpy(), max_frequency).astype(int)
    frame = pd.DataFrame(
        {"bucket": bucket, "actual": cal["frequency_holdout"].to_numpy(), "predicted": predicted}
    )
    out = frame.groupby("bucket").agg(
        customers=("actual", "size"), actual=("actual", "mean"), predicted=("predicted", "mean")
    )
    labels = [str(b) if b < max_frequency else f"{max_frequency}+" for b in out.index]
    return out.reset_index(drop=True).assign(frequency=labels)[
        ["frequency", "customers", "actual", "predicted"]
    ]


def cumulative_forecast(
    model: Any,
    transactions: pd.DataFrame,
    *,
    calibration_end: Any,
    observation_end: Any = None,
    customer_col: str = "customer_id",
    date_col: str = "ordered_at",
    time_unit: float = 1.0,
    step_days: int = 7,
) -> pd.DataFrame:
    """Cumulative repeat purchases over time, actual vs forecast (FHL 2005, figure 2).

    Only customers who first bought by ``calibration_end`` count. The forecast for date τ sums
    the model's E[X(τ − first purchase)] over them; ``in_calibration`` marks the dates the
    model was fitted on.
    """
    cal_end = pd.Timestamp(calibration_end)
    daily = _daily(transactions, customer_col, date_col, None)
    obs_end = daily["day"].max() if observation_end is None else pd.Timestamp(observation_end)
    first = daily.groupby("customer")["day"].min()
    cohort = first[first <= cal_end]
    daily = daily[daily["customer"].isin(cohort.index) & (daily["day"] <= obs_end)]
    repeat_days = daily["day"][daily["day"].to_numpy() > cohort.loc[daily["customer"]].to_numpy()]
    grid = pd.date_range(first.min() + pd.Timedelta(days=step_days), obs_end, freq=f"{step_days}D")
    if len(grid) == 0 or grid[-1] != obs_end:
        grid = grid.append(pd.DatetimeIndex([obs_end]))
    actual = np.searchsorted(np.sort(repeat_days.to_numpy()), grid.to_numpy(), side="right")
    births, counts = np.unique(cohort.to_numpy(), return_counts=True)
    unit = np.timedelta64(1, "D") * time_unit
    predicted = []
    for day in grid.to_numpy():
        age = (day - births) / unit
        alive = age > 0
        predicted.append(float(np.sum(counts[alive] * model.expected_purchases(age[alive]))))
    return pd.DataFrame(
        {
            "date": grid,
            "actual": actual.astype(float),
            "predicted": predicted,
            "in_calibration": grid <= cal_end,
        }
    )
