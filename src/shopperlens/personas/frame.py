"""The respondents frame personas are built from, and what role each column plays.

Input is the survey answers frame of ``service.surveys.responses_frame``: one row per
respondent, ``respondent, customer_id, submitted_at``, then one column per question (multi-select
answers as lists, or ``;``-joined text as in a survey tool's CSV export). A column's *role*
decides where it shows on a persona card: who (demographics), why (psychographics), where
(channels), what (favourite categories), their words (free text). Roles come from the column
name, so any survey that uses the usual names gets a full card; every other question is treated
as psychographic. When the survey's definition is known its question groups decide instead
(:func:`column_roles` with ``groups``): a ``hometown`` question of the demographic group is about
who the respondents are, whatever its name.

Only respondents who answered enough of the questions personas are clustered on take part
(:func:`enough_answers`): a one-question pop-up answer says almost nothing about a person, and
many of them clustered together make a persona of their own.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from shopperlens.models.clustering import ID_COLUMNS, Kind, infer_kinds

Role = Literal["id", "demographic", "psychographic", "channel", "favourite", "text", "value"]

DEMOGRAPHIC = frozenset(
    {
        "age",
        "age_bracket",
        "gender",
        "location",
        "country",
        "region",
        "city",
        "language",
        "marital_status",
        "children",
        "household",
        "education",
        "occupation",
        "career",
        "income",
    }
)
#: numbers known about a respondent that describe value, not answers (never clustered)
VALUE_COLUMNS = frozenset({"revenue", "orders"})
#: survey question groups (``shopperlens.surveys.definition.GROUPS``) that say who someone is;
#: the others (psychographic, behaviour drivers, purchase barriers, mindset) say why they buy
WHO_GROUPS = frozenset({"demographic", "education", "career", "financial"})
#: share of the clustering questions a respondent must have answered to be clustered: fewer
#: answers place a person by what they left blank (a missing answer sits at the centre)
MIN_ANSWERED_SHARE = 0.5
#: Tukey's "far out" fences: a number beyond the quartiles by this many interquartile ranges is
#: clipped to the fence before clustering (one stated income of 5,000,000 among incomes around
#: 50,000 would otherwise squash everyone else's income differences to nothing)
FAR_OUT = 3.0


@dataclass(frozen=True)
class Column:
    """One question of the respondents frame: its kind (how it is encoded) and role."""

    name: str
    kind: Kind
    role: Role


def column_roles(frame: pd.DataFrame, groups: Mapping[str, str] | None = None) -> list[Column]:
    """Kind and role of every column of a respondents frame (see the module doc).

    ``groups`` maps question ids to their survey group: a question of a :data:`WHO_GROUPS`
    group is demographic, one of another group psychographic, unless its name makes it a
    channel, favourite or free-text question (those have places of their own on the card).
    """
    kinds = infer_kinds(frame)
    out = []
    for col in frame.columns:
        kind = kinds[col]
        role = _role(frame, col, kind)
        if groups and col in groups and role in {"demographic", "psychographic"}:
            role = "demographic" if groups[col] in WHO_GROUPS else "psychographic"
        out.append(Column(col, kind, role))
    return out


def _role(frame: pd.DataFrame, col: str, kind: Kind) -> Role:
    """A column's role from its name and kind alone."""
    name = col.lower()
    if col in ID_COLUMNS:
        role: Role = "id"
    elif name in VALUE_COLUMNS:
        role = "value"
    elif kind == "ignore":
        is_text = frame[col].dtype == object or pd.api.types.is_string_dtype(frame[col])
        role = "text" if is_text else "id"
    elif name in DEMOGRAPHIC or name.startswith("age"):
        role = "demographic"
    elif name in {"channels", "channel"} or name.startswith("channel_"):
        role = "channel"
    elif name.startswith(("spend_", "category_", "favourite")) or name == "categories":
        role = "favourite"
    else:
        role = "psychographic"
    return role


def clustering_columns(columns: list[Column]) -> list[str]:
    """The answers personas are clustered on: every encodable, non-identifying question."""
    return [c.name for c in columns if c.kind != "ignore" and c.role not in {"id", "value"}]


def min_answered(n_questions: int) -> int:
    """How many of ``n_questions`` clustering questions a respondent must have answered: at
    least half of them (:data:`MIN_ANSWERED_SHARE`, rounded up), and at least one."""
    return max(1, math.ceil(MIN_ANSWERED_SHARE * n_questions))


def answered(features: pd.DataFrame) -> np.ndarray:
    """Per respondent, how many of the ``features`` questions they answered (a number, a
    choice, or at least one ticked option of a multi-select)."""
    counts = np.zeros(len(features), dtype=int)
    for col in features.columns:
        s = features[col]
        if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            counts += s.notna().to_numpy(dtype=int)
        else:
            counts += _has_answer(s).to_numpy(dtype=int)
    return counts


def _has_answer(s: pd.Series) -> pd.Series:
    """Per cell of a choice or multi-select column, whether it holds an answer: not missing,
    not blank text, not an empty selection (``.str.len`` measures text and lists alike)."""
    cells = s.astype(object)
    empty = cells.str.len().eq(0)
    blank = cells.str.strip().eq("")
    return cells.notna() & ~empty & ~blank


def enough_answers(features: pd.DataFrame) -> np.ndarray:
    """Mask of the respondents answering at least :func:`min_answered` of the ``features``
    questions: the ones personas are clustered on. The others (a one-question pop-up answer)
    would be placed by the answers they did not give."""
    return answered(features) >= min_answered(features.shape[1])


def winsorise(features: pd.DataFrame) -> pd.DataFrame:
    """A copy with every numeric answer clipped to Tukey's far-out fences (quartiles ± 3 IQR,
    :data:`FAR_OUT`), so one extreme answer cannot decide how everyone else is compared.

    Only the clustering sees the clipped numbers; cards describe the stated ones (with robust
    figures such as the median income).
    """
    out = features.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
            continue
        values = s.to_numpy(dtype=np.float64, na_value=np.nan)
        if np.isfinite(values).sum() < 4:
            continue
        q1, q3 = np.nanquantile(values, [0.25, 0.75])
        spread = FAR_OUT * (q3 - q1)
        if spread > 0:
            out[col] = s.clip(q1 - spread, q3 + spread)
    return out


def normalise_answers(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with ``respondent`` as text, ``;``-joined multi-selects as lists, numbers as floats.

    A frame with no ``respondent`` column uses ``customer_id`` (or the row number) as the key.
    """
    df = frame.copy()
    if "respondent" not in df.columns:
        key = df["customer_id"] if "customer_id" in df.columns else pd.Series(range(len(df)))
        df.insert(0, "respondent", key.to_numpy())
    df["respondent"] = df["respondent"].astype(str)
    if "customer_id" in df.columns:
        cid = df["customer_id"].astype(object)
        df["customer_id"] = [
            None
            if (v is None or (isinstance(v, float) and np.isnan(v)) or str(v) == "")
            else str(v)
            for v in cid
        ]
    for c in column_roles(df):
        if c.kind == "multi":
            from shopperlens.models.clustering import split_multi

            df[c.name] = [split_multi(v) for v in df[c.name].to_numpy(dtype=object)]
        elif c.kind == "numeric" and not pd.api.types.is_bool_dtype(df[c.name]):
            df[c.name] = pd.to_numeric(df[c.name], errors="coerce").astype("float64")
    return df


# -- the Customer Personality Analysis file (Kaggle, CC0) ---------------------------------------
_CPA_SPEND = {
    "MntWines": "spend_wine",
    "MntFruits": "spend_fruit",
    "MntMeatProducts": "spend_meat",
    "MntFishProducts": "spend_fish",
    "MntSweetProducts": "spend_sweets",
    "MntGoldProds": "spend_gold",
}
_CPA_CHANNELS = {
    "NumWebPurchases": "channel_web",
    "NumCatalogPurchases": "channel_catalogue",
    "NumStorePurchases": "channel_store",
}
_CPA_EDUCATION = {
    "Basic": "secondary",
    "2n Cycle": "vocational",
    "Graduation": "bachelor",
    "Master": "master",
    "PhD": "phd",
}
_CPA_MARITAL = {
    "Married": "married",
    "Together": "partner",
    "Single": "single",
    "Alone": "single",
    "Divorced": "divorced",
    "Widow": "widowed",
}


def customer_personality_frame(path: str | Path, *, reference_year: int = 2014) -> pd.DataFrame:
    """Map the Customer Personality Analysis file to a respondents frame.

    One row per customer: ``respondent`` and ``customer_id`` (the file's ``ID``), ``age`` (at
    ``reference_year``, the data's last year), ``education`` and ``marital_status`` on the demo
    survey's answer scale ("YOLO"/"Absurd" become missing), ``income``, ``children`` (kids +
    teens), ``spend_*`` per category over two years, ``channel_*`` purchases per channel,
    ``web_visits`` per month, ``deals`` (purchases with a discount) and ``revenue`` (total spend).
    """
    raw = pd.read_csv(path, sep="\t")
    raw.columns = [c.strip() for c in raw.columns]
    out = pd.DataFrame(
        {
            "respondent": raw["ID"].astype(str),
            "customer_id": raw["ID"].astype(str),
            "age": (reference_year - raw["Year_Birth"]).astype("float64"),
            "education": raw["Education"].map(_CPA_EDUCATION),
            "marital_status": raw["Marital_Status"].map(_CPA_MARITAL),
            "income": pd.to_numeric(raw["Income"], errors="coerce"),
            "children": (raw["Kidhome"] + raw["Teenhome"]).astype("float64"),
        }
    )
    # three birth years (1893, 1899, 1900) are typing errors; an age over 100 is unknown
    out.loc[out["age"] > 100, "age"] = np.nan
    for src, dst in {**_CPA_SPEND, **_CPA_CHANNELS}.items():
        out[dst] = raw[src].astype("float64")
    out["web_visits"] = raw["NumWebVisitsMonth"].astype("float64")
    out["deals"] = raw["NumDealsPurchases"].astype("float64")
    out["revenue"] = raw[list(_CPA_SPEND)].sum(axis=1).astype("float64")
    return out
