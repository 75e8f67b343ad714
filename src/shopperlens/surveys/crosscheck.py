"""Analytics audience reports and the cross-check against what survey respondents said.

Formats read (both CSV):

* **GA4 exports** (Reports → User → Demographic details / Tech details → Share → Download
  CSV): ``#`` comment lines with the property and dates, then a table whose first column is
  the dimension (``Age``, ``Gender``, ``Country``, ``Language``, ``Interests``,
  ``Device category``) and whose other columns are metrics (``Active users``, ``New users``,
  ``Engaged sessions`` …). Users are read from ``Active users``, ``Total users`` or ``Users``.
* **Competitor audience CSV** (the shape SimilarWeb/Semrush audience pages are copied into):
  columns ``dimension,value,share``; share as a fraction (0.42) or percent (42 or 42 %).

Dimensions are normalised to the survey's names: ``age_bracket``, ``gender``, ``country``,
``language``, ``device``, ``interests``. Values are compared in one spelling per value
(:func:`canonical`): GA4 writes countries and languages as English names ("Netherlands",
"Dutch") where shop data and survey answers often hold ISO codes ("NL", "nl").
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

import pandas as pd

from shopperlens.errors import ShopperlensError
from shopperlens.surveys.isocodes import country_code, country_name, language_code, language_name

DIMENSIONS = {
    "age": "age_bracket",
    "age bracket": "age_bracket",
    "age_bracket": "age_bracket",
    "gender": "gender",
    "country": "country",
    "language": "language",
    "interests": "interests",
    "affinity category": "interests",
    "device category": "device",
    "device": "device",
}
_USERS = ("active users", "total users", "users", "new users")
#: rough share married per age bracket (EU, Eurostat-like orders of magnitude) used to judge
#: whether a stated marriage rate fits the visitors' ages
MARRIED_BY_AGE = {
    "18-24": 0.05,
    "25-34": 0.35,
    "35-44": 0.55,
    "45-54": 0.6,
    "55-64": 0.62,
    "65+": 0.55,
}


def read_ga4(text: str, *, file: str = "<ga4>") -> pd.DataFrame:
    """One GA4 export as rows ``dimension, value, users, share``."""
    lines = [
        ln for ln in text.lstrip("\ufeff").splitlines() if ln.strip() and not ln.startswith("#")
    ]
    if not lines:
        raise ShopperlensError(f"{file}: no table found (is this a GA4 CSV export?)")
    try:
        rows = list(csv.reader(io.StringIO("\n".join(lines))))
    except csv.Error as exc:
        raise ShopperlensError(f"{file}: not a readable CSV ({exc})") from None
    header = [h.strip() for h in rows[0]]
    dim = DIMENSIONS.get(header[0].lower())
    if dim is None:
        raise ShopperlensError(
            f"{file}: first column {header[0]!r} is not a known dimension "
            f"({', '.join(sorted(set(DIMENSIONS)))})"
        )
    lower = [h.lower() for h in header]
    col = next((lower.index(u) for u in _USERS if u in lower), None)
    if col is None:
        raise ShopperlensError(f"{file}: no users column ({', '.join(_USERS)})")
    data = []
    for r in rows[1:]:
        if len(r) <= col or not r[0].strip() or r[0].strip().lower() in ("total", "grand total"):
            continue
        try:
            users = float(r[col].replace(",", ""))
        except ValueError:
            raise ShopperlensError(
                f"{file}: users {r[col]!r} for {r[0]!r} is not a number"
            ) from None
        data.append({"dimension": dim, "value": _norm(dim, r[0]), "users": users})
    out = pd.DataFrame(data, columns=["dimension", "value", "users"])
    out = out.groupby(["dimension", "value"], as_index=False)["users"].sum()
    known = out[out["value"] != "unknown"]
    total = known["users"].sum()
    out["share"] = out["users"] / total if total else 0.0
    out.loc[out["value"] == "unknown", "share"] = 0.0  # shares are of visitors with a known value
    return out


def read_competitor(text: str, *, file: str = "<competitor>") -> pd.DataFrame:
    """A competitor audience CSV as rows ``dimension, value, users, share``."""
    try:
        df = pd.read_csv(io.StringIO(text.lstrip("\ufeff")), dtype=str)
    except pd.errors.EmptyDataError:
        raise ShopperlensError(
            f"{file}: the file is empty; needs columns dimension, value, share"
        ) from None
    except (pd.errors.ParserError, csv.Error) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else "malformed"
        raise ShopperlensError(f"{file}: not a readable CSV ({reason})") from None
    df.columns = [c.strip().lower() for c in df.columns]
    if not {"dimension", "value", "share"} <= set(df.columns):
        raise ShopperlensError(f"{file}: needs columns dimension, value, share")
    out = []
    for r in df.itertuples(index=False):
        dim = DIMENSIONS.get(str(r.dimension).strip().lower())
        if dim is None:
            raise ShopperlensError(f"{file}: unknown dimension {r.dimension!r}")
        share = _share(str(r.share).strip(), file)
        out.append(
            {"dimension": dim, "value": _norm(dim, str(r.value)), "users": None, "share": share}
        )
    return pd.DataFrame(out, columns=["dimension", "value", "users", "share"])


def _share(raw: str, file: str) -> float:
    """A competitor share as a fraction: ``0.42``, ``42`` and ``42 %`` are all 0.42. Only
    0–100 % is a share of an audience: ``150 %`` was once read and reported as "150 % of
    their audience female"; a negative or impossible share is refused the same way, however
    it is written."""
    try:
        share = float(raw.rstrip("% ").replace(",", "."))
    except ValueError:
        raise ShopperlensError(f"{file}: share {raw!r} is not a number") from None
    if raw.endswith("%") or share > 1:
        share /= 100
    if not 0 <= share <= 1:  # (NaN fails this too)
        raise ShopperlensError(
            f"{file}: share {raw!r} is not between 0 and 100 % (write 0.42, 42 or 42 %)"
        )
    return share


#: how sources write "no value"
UNKNOWN_VALUES = ("(not set)", "unknown", "", "n/a", "nan", "none")
#: other ways a survey, a competitor tool or shop data writes GA4's genders
GENDER_ALIASES = {
    "f": "female",
    "woman": "female",
    "women": "female",
    "m": "male",
    "man": "male",
    "men": "male",
}


def _norm(dim: str, value: str) -> str:
    """A value as stored at import: countries, languages and interests as the source wrote
    them (readable in the audience listing), other dimensions in :func:`canonical` form."""
    if dim in ("country", "language", "interests"):
        v = value.strip()
        return "unknown" if v.lower() in UNKNOWN_VALUES else v
    return canonical(dim, value)


def canonical(dim: str, value: object) -> str:
    """One spelling per value, so survey answers, shop data and every source compare equal.

    Countries become ISO 3166-1 alpha-2 codes and languages ISO 639-1 codes whether written as
    codes or names (GA4 says "Netherlands", ``customers.country`` "NL"); genders, devices and
    age brackets are lower-cased (``Female``, ``Mobile``, ``18 – 24``), with common aliases
    (``woman``, ``smartphone``). Text that is none of these stays as written; no value is
    ``unknown``.
    """
    v = "" if value is None else str(value).strip()
    if v.lower() in UNKNOWN_VALUES:
        return "unknown"
    if dim == "country":
        return country_code(v) or v
    if dim == "language":
        return language_code(v) or v
    if dim == "gender":
        return GENDER_ALIASES.get(v.lower(), v.lower())
    if dim == "device":
        return device_name(v)
    if dim == "age_bracket":
        return _age_bracket(v)
    return v


def _age_bracket(value: str) -> str:
    """``18 – 24`` / ``18 to 24`` -> ``18-24``; ``65 plus`` / ``65 and over`` -> ``65+``."""
    a = re.sub(r"\s+", "", value.lower()).replace("–", "-").replace("—", "-")
    a = re.sub(r"^(\d+)to(\d+)$", r"\1-\2", a)
    return re.sub(r"^(\d+)(?:\+|plus|andover|andolder|orolder|andup)$", r"\1+", a)


def survey_shares(dimension: str, answers: pd.Series) -> pd.Series:
    """Share of respondents per :func:`canonical` value, of those with a known value."""
    values = answers.dropna().map(lambda v: canonical(dimension, v))
    return values[values != "unknown"].value_counts(normalize=True)


def audience_shares(audience: pd.DataFrame, dimension: str) -> pd.Series:
    """One source's share per :func:`canonical` value of ``dimension`` (known values only;
    values one spelling apart, such as ``Netherlands`` and ``NL``, are added up)."""
    rows = audience[audience["dimension"] == dimension]
    values = rows["value"].map(lambda v: canonical(dimension, v))
    known = values != "unknown"
    shares = pd.Series(rows["share"].to_numpy(dtype=float)[known.to_numpy()], index=values[known])
    return shares.groupby(level=0, sort=False).sum()


@dataclass
class Finding:
    """One confirmation or contradiction, in plain words."""

    kind: str  # contradiction | agreement | note
    dimension: str
    source: str
    message: str
    survey_share: float | None = None
    analytics_share: float | None = None


def _pct(x: float) -> str:
    return f"{round(100 * x)} %"


def _points(x: float) -> str:
    """A difference between two shares, in percentage points: "within 15 %" read as 15 % of
    the share, when 30 % against 43 % is 13 points apart."""
    n = round(100 * x)
    return f"{n} point" if n == 1 else f"{n} points"


def compare(
    survey: dict[str, pd.Series], audience: pd.DataFrame, *, threshold: float = 0.15
) -> list[Finding]:
    """Compare survey answer shares with each analytics source's audience shares.

    ``survey`` maps a dimension (``age_bracket``, ``gender``, ``marital_status``,
    ``occupation``, ``country`` …) to the respondents' answers. A share that differs by more
    than ``threshold`` is a contradiction; the marriage, student and retirement rules compare
    stated family/career status with the visitors' ages, as the profile method suggests.
    """
    found: list[Finding] = []
    for source, aud in audience.groupby("source"):
        who = "of their audience" if str(source).startswith("competitor") else "of visitors"
        for dim in ("age_bracket", "gender", "country", "language"):
            answers = survey.get(dim)
            a = audience_shares(aud, dim)
            s = survey_shares(dim, answers) if answers is not None else pd.Series(dtype=float)
            if s.empty or a.empty:
                continue
            worst = None
            for value, share in a.items():
                gap = s.get(value, 0.0) - share
                if worst is None or abs(gap) > abs(worst[2]):
                    worst = (value, share, gap)
            assert worst is not None
            value, share, gap = worst
            label = dim.replace("_", " ")
            if abs(gap) >= threshold:
                found.append(
                    Finding(
                        "contradiction",
                        dim,
                        source,
                        f"survey: {_pct(s.get(value, 0.0))} {_phrase(dim, value)}; {source}: "
                        f"{_pct(share)} {who} {_phrase(dim, value)}. The survey may not "
                        f"reach the same people, or answers are off.",
                        float(s.get(value, 0.0)),
                        float(share),
                    )
                )
            else:
                found.append(
                    Finding(
                        "agreement",
                        dim,
                        source,
                        f"{label}: survey and {source} agree within {_points(threshold)} "
                        f"(largest gap {_phrase(dim, value)}: {_points(abs(gap))}).",
                        float(s.get(value, 0.0)),
                        float(share),
                    )
                )
        found.extend(_interests(survey.get("hobbies"), aud, str(source)))
        age_share = audience_shares(aud, "age_bracket").to_dict()
        if not age_share:
            continue
        young, old = age_share.get("18-24", 0.0), age_share.get("65+", 0.0)
        marital = survey.get("marital_status")
        if marital is not None and not marital.dropna().empty:
            married = float((marital.dropna() == "married").mean())
            expected = sum(MARRIED_BY_AGE.get(k, 0.4) * v for k, v in age_share.items())
            if married - expected >= 0.25 or expected - married >= 0.25:
                found.append(
                    Finding(
                        "contradiction",
                        "marital_status",
                        source,
                        f"survey: {_pct(married)} married; {source}: {_pct(young)} {who} "
                        f"aged 18–24, an age mix where about {_pct(expected)} would be married.",
                        married,
                        expected,
                    )
                )
        occupation = survey.get("occupation")
        if occupation is not None and not occupation.dropna().empty:
            occ = occupation.dropna()
            students, retired = float((occ == "student").mean()), float((occ == "retired").mean())
            if students - young >= 0.2:
                found.append(
                    Finding(
                        "contradiction",
                        "occupation",
                        source,
                        f"survey: {_pct(students)} students; {source}: only {_pct(young)} "
                        f"{who} aged 18–24.",
                        students,
                        young,
                    )
                )
            if retired - old >= 0.2:
                found.append(
                    Finding(
                        "contradiction",
                        "occupation",
                        source,
                        f"survey: {_pct(retired)} retired; {source}: only {_pct(old)} {who} "
                        "aged 65+.",
                        retired,
                        old,
                    )
                )
    return found


#: survey hobby -> words of GA4 affinity/in-market interest categories that mean it
HOBBY_INTERESTS = {
    "outdoors": ("outdoor", "hiking", "camping", "nature"),
    "cooking": ("cooking", "food & dining", "foodies"),
    "gaming": ("gamer", "games", "gaming"),
    "fitness": ("fitness", "sports", "health"),
    "reading": ("book", "reading", "literature"),
    "travel": ("travel",),
    "diy": ("do-it-yourself", "diy", "home & garden", "home improvement"),
    "fashion": ("fashion", "apparel", "beauty"),
}


def _interests(hobbies: pd.Series | None, aud: pd.DataFrame, source: str) -> list[Finding]:
    """Do the hobbies respondents name match the interests analytics sees?

    GA4 counts a user under many interests, so shares are not comparable; the check is by
    rank: the survey's top hobby should be among the visitors' top three mapped interests.
    """
    ints = aud[aud["dimension"] == "interests"]
    if hobbies is None or ints.empty:
        return []
    picked = hobbies.dropna()
    picked = picked.explode().dropna() if len(picked) else picked
    if picked.empty:
        return []
    weight: dict[str, float] = {}
    for value, users in zip(ints["value"], ints["users"].fillna(ints["share"]), strict=True):
        low = str(value).lower()
        for hobby, words in HOBBY_INTERESTS.items():
            if any(w in low for w in words):
                weight[hobby] = weight.get(hobby, 0.0) + float(users)
    if not weight:
        return []
    top_visitors = sorted(weight, key=weight.__getitem__, reverse=True)[:3]
    shares = picked.astype(str).value_counts(normalize=True) * (len(picked) / hobbies.notna().sum())
    top = str(shares.index[0])
    if top in top_visitors:
        return [
            Finding(
                "agreement",
                "interests",
                source,
                f"interests: the hobby respondents name most ({top}, "
                f"{_pct(float(shares.iloc[0]))}) is among the top interests in {source}.",
            )
        ]
    return [
        Finding(
            "contradiction",
            "interests",
            source,
            f"survey: {_pct(float(shares.iloc[0]))} name {top} as a hobby; {source}: the "
            f"visitors' top interests are {', '.join(top_visitors)}.",
            float(shares.iloc[0]),
            None,
        )
    ]


def _phrase(dim: str, value: str) -> str:
    if dim == "age_bracket":
        return f"aged {value.replace('-', '–')}"
    if dim == "gender":
        return value
    if dim == "country":
        return f"country {country_name(value)}"
    if dim == "language":
        return f"language {language_name(value)}"
    return f"{dim.replace('_', ' ')} {value}"


#: analytics and the shop's own events may disagree on the device mix by this much (share
#: points) before it is flagged: both are measurements, but consent banners, ad blockers and
#: bots make them differ by a few points on any shop
DEVICE_TOLERANCE = 0.10
#: device names found in shop event data -> GA4's device categories
DEVICE_ALIASES = {
    "phone": "mobile",
    "smartphone": "mobile",
    "mobile phone": "mobile",
    "android": "mobile",
    "iphone": "mobile",
    "pc": "desktop",
    "computer": "desktop",
    "laptop": "desktop",
    "web": "desktop",
    "ipad": "tablet",
    "smarttv": "smart tv",
    "tv": "smart tv",
}


def device_name(value: object) -> str:
    """A device label as GA4 names it (``mobile``, ``desktop``, ``tablet``, ``smart tv``)."""
    v = str(value).strip().lower() if value is not None else ""
    if v in ("", "(not set)", "unknown", "n/a", "nan", "none"):
        return "unknown"
    return DEVICE_ALIASES.get(v, v)


def compare_with_shop(
    dimension: str,
    shop: pd.Series,
    audience: pd.DataFrame,
    *,
    tolerance: float = DEVICE_TOLERANCE,
) -> list[Finding]:
    """Do the shop's own visitors (``shop``: visitors per value) look like the analytics
    audience on ``dimension``? One finding per analytics source (competitors are another
    shop's audience and are skipped): a contradiction when any value's share differs by
    ``tolerance`` or more, else an agreement naming the largest gap."""
    known = shop[shop.index != "unknown"]
    if known.sum() <= 0:
        return []
    ours = known / known.sum()
    found: list[Finding] = []
    for source, aud in audience.groupby("source"):
        if str(source).startswith("competitor"):
            continue
        theirs = audience_shares(aud, dimension)
        if theirs.empty:
            continue
        values = sorted(set(theirs.index) | set(ours.index))
        gaps = {v: float(ours.get(v, 0.0) - theirs.get(v, 0.0)) for v in values}
        worst = max(values, key=lambda v: (abs(gaps[v]), v))
        o, t = float(ours.get(worst, 0.0)), float(theirs.get(worst, 0.0))
        label = dimension.replace("_", " ")
        if abs(gaps[worst]) >= tolerance:
            found.append(
                Finding(
                    "contradiction",
                    dimension,
                    str(source),
                    f"{label}: {source} counts {_pct(t)} of visitors on {worst}; the shop's "
                    f"own events count {_pct(o)}. They differ by more than "
                    f"{_points(tolerance)}: tracking may miss some visitors (consent banner, "
                    f"ad blockers), or the {source} property covers other sites.",
                    o,
                    t,
                )
            )
        else:
            found.append(
                Finding(
                    "agreement",
                    dimension,
                    str(source),
                    f"{label}: {source} and the shop's own events agree within "
                    f"{_points(tolerance)} (largest gap {worst}: {_points(abs(gaps[worst]))}).",
                    o,
                    t,
                )
            )
    return found


#: respondents with a known device needed before their device mix is compared (fewer is noise)
MIN_RESPONDENT_DEVICES = 20


def compare_respondents(
    dimension: str, respondents: pd.Series, shop: pd.Series, *, tolerance: float = 0.15
) -> Finding | None:
    """Whose voice does the survey carry? Respondents per value (``respondents``) against the
    shop's visitors per value (``shop``); None with fewer than ``MIN_RESPONDENT_DEVICES``
    respondents of known value. ``survey_share`` is the respondents', ``analytics_share`` the
    shop's share of the value with the largest gap."""
    r = respondents[respondents.index != "unknown"]
    v = shop[shop.index != "unknown"]
    if r.sum() < MIN_RESPONDENT_DEVICES or v.sum() <= 0:
        return None
    rs, vs = r / r.sum(), v / v.sum()
    values = sorted(set(rs.index) | set(vs.index))
    worst = max(values, key=lambda x: (abs(rs.get(x, 0.0) - vs.get(x, 0.0)), x))
    a, b = float(rs.get(worst, 0.0)), float(vs.get(worst, 0.0))
    label = dimension.replace("_", " ")
    if abs(a - b) >= tolerance:
        more = "over" if a > b else "under"
        return Finding(
            "contradiction",
            dimension,
            "survey",
            f"{label}: {_pct(a)} of respondents visited on {worst}, against {_pct(b)} of the "
            f"shop's visitors: the survey {more}-represents {worst} visitors.",
            a,
            b,
        )
    return Finding(
        "agreement",
        dimension,
        "survey",
        f"{label}: respondents and the shop's visitors agree within {_points(tolerance)} "
        f"(largest gap {worst}: {_points(abs(a - b))}).",
        a,
        b,
    )
