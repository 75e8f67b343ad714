"""Analytics audience reports and the cross-check against what survey respondents said.

Formats read (both CSV):

* **GA4 exports** (Reports → User → Demographic details / Tech details → Share → Download
  CSV): ``#`` comment lines with the property and dates, then a table whose first column is
  the dimension (``Age``, ``Gender``, ``Country``, ``Language``, ``Interests``,
  ``Device category``) and whose other columns are metrics (``Active users``, ``New users``,
  ``Engaged sessions`` …). Users are read from ``Active users``, ``Total users`` or ``Users``.
* **Competitor audience CSV** (the shape SimilarWeb/Semrush audience pages are copied into):
  columns ``dimension,value,share``; share as a fraction (0.42) or percent (42 or 42 %),
  the same way throughout a dimension, whose shares add up to about 100 %.

Dimensions are normalised to the survey's names: ``age_bracket``, ``gender``, ``country``,
``language``, ``device``, ``interests``. Values are compared in one spelling per value
(:func:`canonical`): GA4 writes countries and languages as English names ("Netherlands",
"Dutch") where shop data and survey answers often hold ISO codes ("NL", "nl").
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist

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
    """A competitor audience CSV as rows ``dimension, value, users, share``.

    Whether shares are fractions or percent is decided per dimension (:func:`_scale`), never
    per row: in a percent-style file ``age,55-64,1`` is 1 %, not 100 %."""
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
    for line, r in enumerate(df.itertuples(index=False), start=2):
        dim = DIMENSIONS.get(str(r.dimension).strip().lower())
        if dim is None:
            raise ShopperlensError(f"{file}: line {line}: unknown dimension {r.dimension!r}")
        raw = str(r.share).strip()
        out.append(
            {
                "dimension": dim,
                "value": _norm(dim, str(r.value)),
                "users": None,
                "share": _number(raw, file, line),
                "raw": raw,
                "line": line,
            }
        )
    rows = pd.DataFrame(out, columns=["dimension", "value", "users", "share", "raw", "line"])
    rows = _scale(rows, file)
    _check_sums(rows, file)
    return known_shares(rows)[["dimension", "value", "users", "share"]]


def _number(raw: str, file: str, line: int) -> float:
    """A share as written (``0.42``, ``42``, ``42 %``, ``42,5``), not yet scaled."""
    try:
        return float(raw.rstrip("% ").replace(",", "."))
    except ValueError:
        raise ShopperlensError(f"{file}: line {line}: share {raw!r} is not a number") from None


def _scale(rows: pd.DataFrame, file: str) -> pd.DataFrame:
    """Shares as fractions. A dimension is in percent when any of its shares is written with
    ``%`` or is above 1, and then all of them are: deciding row by row read a percent-style
    ``1`` as 100 % (and an age mix as 135 % married). Only 0–100 % is a share of an
    audience: ``150 %`` was once read and reported as "150 % of their audience female"; a
    negative or impossible share is refused the same way, however it is written."""
    rows = rows.copy()
    for _, part in rows.groupby("dimension", sort=False):
        percent = part["raw"].str.endswith("%").any() or (part["share"] > 1).any()
        if percent:
            rows.loc[part.index, "share"] = part["share"] / 100
    bad = rows[~rows["share"].between(0, 1)]  # (NaN fails this too)
    if len(bad):
        r = bad.iloc[0]
        raise ShopperlensError(
            f"{file}: line {r.line}: share {r.raw!r} is not between 0 and 100 % "
            "(write 0.42, 42 or 42 %)"
        )
    return rows


#: a dimension's shares must add up to 100 % within this much (rounding in the source)
SUM_TOLERANCE = 0.1
#: dimensions whose shares may add up to less than 100 %: competitor tools list the top
#: countries or languages only; interests overlap (one person has many), so any sum is fine
PARTIAL_DIMENSIONS = ("country", "language")


def known_shares(rows: pd.DataFrame) -> pd.DataFrame:
    """Shares of the audience with a known value, per dimension (and source, when the rows
    have one), as :func:`read_ga4`'s are: a tool's ``unknown`` row leaves the base, so 35 %
    female, 35 % male and 30 % unknown are 50 % each (kept as written, 35 % read as a
    contradiction of a 50/50 survey). A lumped row (``Others``) is people with a known value
    and stays in it. A list of the top countries or languages is of the whole audience
    (100 %), not of its own sum; interests overlap and are kept as written. Shares already of
    known values are left as they are."""
    rows = rows.copy()
    unknown = rows["value"] == "unknown"
    keys = [c for c in ("source", "dimension") if c in rows.columns]
    for key, part in rows.groupby(keys, sort=False):
        dim = key[-1] if isinstance(key, tuple) else key
        if dim == "interests":
            continue
        whole = part["share"].sum()
        whole = max(whole, 1.0) if dim in PARTIAL_DIMENSIONS else whole
        base = whole - part.loc[unknown[part.index], "share"].sum()
        rows.loc[part.index, "share"] = part["share"] / base if base > 0 else 0.0
    rows.loc[unknown, "share"] = 0.0
    return rows


def _check_sums(rows: pd.DataFrame, file: str) -> None:
    """Refuse a file with a dimension whose shares cannot be one audience's
    (:func:`sum_problem`)."""
    for dim, total in rows.groupby("dimension", sort=False)["share"].sum().items():
        problem = sum_problem(str(dim), float(total))
        if problem:
            raise ShopperlensError(f"{file}: {problem}")


def sum_problem(dimension: str, total: float) -> str | None:
    """What is wrong with a dimension whose shares add up to ``total``, or None: above 110 %
    (some shares were fractions in a percent file, or the other way round) or, for age,
    gender and device, which a tool reports in full, below 90 %. Interests overlap (one person
    has many), so any sum is fine."""
    if dimension == "interests":
        return None
    low = 0.0 if dimension in PARTIAL_DIMENSIONS else 1 - SUM_TOLERANCE
    if low <= total <= 1 + SUM_TOLERANCE:
        return None
    need = "at most 110 %" if low == 0 else "about 100 % (90–110 %)"
    return (
        f"the {dimension.replace('_', ' ')} shares add up to {100 * total:.0f} %, not {need}: "
        "a dimension gives each value's share of one audience, all as fractions (0.42) or "
        "all in percent (42 %)"
    )


#: how sources write "no value"
UNKNOWN_VALUES = ("(not set)", "unknown", "", "n/a", "nan", "none")
#: one spelling of the bucket a source lumps the values it does not list into
OTHER = "(other)"
#: how sources write that bucket (GA4's ``(other)`` row, a tool's ``Others``). Its people have
#: a known value, so it stays in the base of the shares (a survey's French answers belong in
#: it), but it is no value a respondent gives: compared, it was "survey: 0 % country (other);
#: ga4: 23 % … ✗" on every report
LUMPED_VALUES = (OTHER, "other", "others", "(others)", "all other", "all others")
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


#: survey choices compared by the life-stage rules: ``Married``, ``Self-employed`` and
#: ``self_employed`` are one answer each, as the question bank spells them
CHOICE_DIMENSIONS = ("marital_status", "occupation")
#: the life stages the rules compare, found as a whole word in a choice however a survey words
#: it (``Full-time student``, ``Married / partnership``, ``Retired (65+)``): lower-casing
#: alone left such answers uncounted
LIFE_STAGE_WORDS = {"marital_status": ("married",), "occupation": ("student", "retired")}
#: words before a life stage that deny it (``Not married``, ``Previously married``, ``Ex-student``)
_DENIED = re.compile(r"\b(?:not|never|no longer|formerly|previously|ex)[\s-]+(?:an?\s+)?$")


def canonical(dim: str, value: object) -> str:
    """One spelling per value, so survey answers, shop data and every source compare equal.

    Countries become ISO 3166-1 alpha-2 codes and languages ISO 639-1 codes whether written as
    codes or names (GA4 says "Netherlands", ``customers.country`` "NL"); genders, devices and
    age brackets are lower-cased (``Female``, ``Mobile``, ``18 – 24``), with common aliases
    (``woman``, ``smartphone``); marital status and occupation are lower-cased with ``_``
    between words (``Married``, ``Self-employed``), as the question bank's choices are, and a
    choice naming a life stage is that stage (:data:`LIFE_STAGE_WORDS`). Text that is none of
    these stays as written; no value is ``unknown``, a lumped bucket is :data:`OTHER`.
    """
    v = "" if value is None else str(value).strip()
    if v.lower() in UNKNOWN_VALUES:
        return "unknown"
    if v.lower() in LUMPED_VALUES:
        return OTHER
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
    if dim in CHOICE_DIMENSIONS:
        return _life_stage_word(dim, v) or re.sub(r"[\s-]+", "_", v.lower())
    return v


def _life_stage_word(dim: str, value: str) -> str | None:
    """The life stage a choice names as a whole word, unless a word before it denies it."""
    low = value.lower()
    for word in LIFE_STAGE_WORDS.get(dim, ()):
        if any(not _DENIED.search(low[: m.start()]) for m in re.finditer(rf"\b{word}\b", low)):
            return word
    return None


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
    """One source's share per :func:`canonical` value of ``dimension`` (values one spelling
    apart, such as ``Netherlands`` and ``NL``, added up). Neither unknown nor lumped
    (:data:`OTHER`) values are listed: no survey answer is compared with them."""
    rows = audience[audience["dimension"] == dimension]
    values = rows["value"].map(lambda v: canonical(dimension, v))
    known = ~values.isin(["unknown", OTHER])
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
    from shopperlens.labels import percent

    return f"{percent(x)} %"


def _points(x: float) -> str:
    """A difference between two shares, in percentage points: "within 15 %" read as 15 % of
    the share, when 30 % against 43 % is 13 points apart."""
    from shopperlens.labels import percent

    n = int(percent(x))
    return f"{n} point" if n == 1 else f"{n} points"


#: respondents with a known answer needed before their shares are compared with an audience:
#: with fewer, one person is 5 % or more of every share (the same minimum as for devices)
MIN_RESPONDENTS = 20
#: the chance, per dimension, that respondents drawn from the audience itself are called a
#: contradiction (split over the values compared: :func:`z_value`)
FALSE_ALARM = 0.05
#: how far a stated marriage rate may be from the one the visitors' ages suggest
MARRIED_GAP = 0.25
#: how far the students (retired) may outnumber the 18–24 (65+) visitors
STATUS_GAP = 0.2


def z_value(k: int) -> float:
    """Standard errors a gap must exceed when ``k`` values of one dimension are compared: the
    normal quantile at 1 − 0.025/k (Bonferroni). One fixed 2 flagged 7.5–11 % of samples drawn
    from the visitors themselves on six age brackets, since each value is another chance."""
    return NormalDist().inv_cdf(1 - FALSE_ALARM / 2 / max(k, 1))


def known_answers(dimension: str, answers: pd.Series | None) -> pd.Series:
    """The respondents' answers in :func:`canonical` form, without the unknown ones."""
    if answers is None:
        return pd.Series(dtype=object)
    values = answers.dropna().map(lambda v: canonical(dimension, v))
    return values[values != "unknown"]


def margin(survey_share: float, other_share: float, n: int, k: int = 1) -> float:
    """:func:`z_value` standard errors of a share of ``n`` respondents, sqrt(p(1-p)/n) with p
    whichever of the two shares is nearer 50 %: a survey share of 0 % or 100 % has no error of
    its own, yet 30 answers can all say "married" by luck when few visitors are."""
    p = max(survey_share * (1 - survey_share), other_share * (1 - other_share))
    return z_value(k) * math.sqrt(p / n)


def n_respondents(n: int) -> str:
    """``n = 30 respondents``: every comparison says how many answers it rests on."""
    return f"n = {n} respondent" if n == 1 else f"n = {n} respondents"


def too_few(dimension: str, source: str, n: int) -> Finding:
    """A comparison left undecided: fewer than :data:`MIN_RESPONDENTS` answers."""
    label = dimension.replace("_", " ")
    return Finding(
        "note",
        dimension,
        source,
        f"{label}: too few respondents to judge against {source} ({n_respondents(n)}; at least "
        f"{MIN_RESPONDENTS} needed).",
    )


def compare(
    survey: dict[str, pd.Series], audience: pd.DataFrame, *, threshold: float = 0.15
) -> list[Finding]:
    """Compare survey answer shares with each analytics source's audience shares.

    ``survey`` maps a dimension (``age_bracket``, ``gender``, ``marital_status``,
    ``occupation``, ``country`` …) to the respondents' answers. Each dimension gets one
    verdict (:func:`judge`); the marriage, student and retirement rules compare stated
    family/career status with the visitors' ages, as the profile method suggests. With fewer
    than :data:`MIN_RESPONDENTS` known answers a comparison is a note saying so, never a
    verdict.
    """
    found: list[Finding] = []
    for source, aud in audience.groupby("source"):
        who = "of their audience" if str(source).startswith("competitor") else "of visitors"
        for dim in ("age_bracket", "gender", "country", "language"):
            finding = _compare_shares(
                dim, known_answers(dim, survey.get(dim)), aud, str(source), who, threshold
            )
            found.extend([finding] if finding else [])
        found.extend(_interests(survey.get("hobbies"), aud, str(source)))
        found.extend(_life_stage(survey, aud, str(source), who))
    return found


@dataclass
class Verdict:
    """One dimension judged: the kind, the value to name, its gap and its margin."""

    kind: str  # contradiction | agreement | undecided
    value: str
    gap: float
    margin: float


def judge(
    ours: Mapping[str, float],
    theirs: Mapping[str, float],
    values: Sequence[str],
    n: int,
    threshold: float,
) -> Verdict:
    """The verdict on the shares of ``n`` respondents (``ours``) against another's
    (``theirs``) over ``values``, each margin with the z of all ``values`` (:func:`z_value`).

    ``contradiction`` when a value's gap is at least ``threshold`` and beyond its margin
    (naming the largest such gap); ``agreement`` only when every gap plus its margin is under
    ``threshold`` (gaps merely under it called a true 20-point gap agreement in 17 % of
    50-answer samples), naming the largest gap; else ``undecided``, naming the value whose gap
    plus margin is largest. Ties name the first of ``values``."""
    k = len(values)
    gaps = {v: abs(float(ours.get(v, 0.0)) - float(theirs.get(v, 0.0))) for v in values}
    margins = {v: margin(float(ours.get(v, 0.0)), float(theirs.get(v, 0.0)), n, k) for v in values}
    off = [v for v in values if gaps[v] >= threshold and gaps[v] > margins[v]]
    if off:
        kind, value = "contradiction", max(off, key=gaps.__getitem__)
    elif all(gaps[v] + margins[v] < threshold for v in values):
        kind, value = "agreement", max(values, key=gaps.__getitem__)
    else:
        kind, value = "undecided", max(values, key=lambda v: gaps[v] + margins[v])
    return Verdict(kind, value, gaps[value], margins[value])


def _compare_shares(
    dim: str, values: pd.Series, aud: pd.DataFrame, source: str, who: str, threshold: float
) -> Finding | None:
    """One dimension of the survey against one source (:func:`judge`); a note when fewer
    than :data:`MIN_RESPONDENTS` answered it or when the sample cannot decide."""
    a = audience_shares(aud, dim)
    if values.empty or a.empty:
        return None
    n = len(values)
    if n < MIN_RESPONDENTS:
        return too_few(dim, source, n)
    s = values.value_counts(normalize=True)
    verdict = judge(s, a, list(a.index), n, threshold)
    value = verdict.value
    ours, theirs = float(s.get(value, 0.0)), float(a[value])
    gap, label = _points(verdict.gap), dim.replace("_", " ")
    kind = verdict.kind
    if kind == "contradiction":
        said = (
            f"survey: {_pct(ours)} {_phrase(dim, value)}; {source}: {_pct(theirs)} {who} "
            f"{_phrase(dim, value)}. The survey may not reach the same people, or answers "
            f"are off ({n_respondents(n)})."
        )
    elif kind == "agreement":
        said = (
            f"{label}: survey and {source} agree within {_points(threshold)} (largest gap "
            f"{_phrase(dim, value)}: {gap}; {n_respondents(n)})."
        )
    else:
        kind = "note"
        said = _undecided(
            label,
            f"survey and {source}",
            threshold,
            n,
            f"{_phrase(dim, value)}: {gap}",
            verdict.margin,
        )
    return Finding(kind, dim, source, said, ours, theirs)


def _undecided(label: str, who: str, threshold: float, n: int, gap: str, off: float) -> str:
    """Why a comparison decides nothing: the named ``gap``, give or take its margin ``off``,
    may be on either side of ``threshold`` (``who`` is ``"survey and ga4"``)."""
    return (
        f"{label}: cannot tell yet whether {who} agree within {_points(threshold)} "
        f"({n_respondents(n)}): the gap ({gap}) may be {_points(off)} more or less, by the "
        "luck of who answered."
    )


def _life_stage(
    survey: dict[str, pd.Series], aud: pd.DataFrame, source: str, who: str
) -> list[Finding]:
    """Stated family and career status against the visitors' ages (marriage, students,
    retirement), in :func:`canonical` spelling: ``Married`` and ``Full-time student`` count."""
    age_share = audience_shares(aud, "age_bracket")
    if age_share.empty or age_share.sum() <= 0:
        return []
    age_share = age_share / age_share.sum()  # a source's shares may add up to 98 or 102 %
    found: list[Finding] = []
    marital = known_answers("marital_status", survey.get("marital_status"))
    if len(marital):
        found.append(_married(marital, age_share, source, who))
    occupation = known_answers("occupation", survey.get("occupation"))
    if len(occupation):
        found.extend(_occupations(occupation, age_share, source, who))
    return found


def _married(marital: pd.Series, age_share: pd.Series, source: str, who: str) -> Finding:
    """Does the share married fit the visitors' age mix (:data:`MARRIED_BY_AGE`)? Judged as
    the shares are (:func:`judge`, one value), so an agreement or an undecided check says so
    with its n, as the other dimensions do."""
    n = len(marital)
    if n < MIN_RESPONDENTS:
        return too_few("marital_status", source, n)
    married = float((marital == "married").mean())
    expected = float(sum(MARRIED_BY_AGE.get(k, 0.4) * v for k, v in age_share.items()))
    verdict = judge({"married": married}, {"married": expected}, ["married"], n, MARRIED_GAP)
    stated = f"{_pct(married)} married, about {_pct(expected)} expected for the ages {who}"
    if verdict.kind == "contradiction":
        young = float(age_share.get("18-24", 0.0))
        said = (
            f"survey: {_pct(married)} married; {source}: {_pct(young)} {who} aged 18–24, an "
            f"age mix where about {_pct(expected)} would be married ({n_respondents(n)})."
        )
    elif verdict.kind == "agreement":
        said = (
            f"marital status: survey and {source} agree within {_points(MARRIED_GAP)} "
            f"({stated}; {n_respondents(n)})."
        )
    else:
        said = _undecided(
            "marital status", f"survey and {source}", MARRIED_GAP, n, stated, verdict.margin
        )
    kind = "note" if verdict.kind == "undecided" else verdict.kind
    return Finding(kind, "marital_status", source, said, married, expected)


#: the occupations compared with the visitors' ages, each with its age bracket
STATUS_BRACKETS = (("student", "18-24"), ("retired", "65+"))


def _occupations(
    occupation: pd.Series, age_share: pd.Series, source: str, who: str
) -> list[Finding]:
    """Students against 18–24 visitors, retired respondents against 65+ visitors: only more
    of them than of those visitors is a gap (a student may be older). A contradiction per
    status that has one, else one agreement or note for the two (margins with the z of two
    comparisons, :func:`z_value`)."""
    n = len(occupation)
    if n < MIN_RESPONDENTS:
        return [too_few("occupation", source, n)]
    found, judged = [], []
    for status, bracket in STATUS_BRACKETS:
        stated, base = float((occupation == status).mean()), float(age_share.get(bracket, 0.0))
        extra, m = stated - base, margin(stated, base, n, len(STATUS_BRACKETS))
        judged.append((extra + m, status, bracket, stated, base, m))
        if extra < STATUS_GAP or extra <= m:
            continue
        found.append(
            Finding(
                "contradiction",
                "occupation",
                source,
                f"survey: {_pct(stated)} {_plural(status)}; {source}: only {_pct(base)} {who} "
                f"aged {bracket.replace('-', '–')} ({n_respondents(n)}).",
                stated,
                base,
            )
        )
    return found or [_occupations_fit(judged, source, who, n)]


#: why a status may fall short of its age bracket, and why it may exceed it a little
STATUS_REASONS = {
    "student": ("not every young person studies", "a student may be older than 24"),
    "retired": ("not everyone aged 65+ has retired", "some retire before 65"),
}


def _occupations_fit(
    judged: list[tuple[float, str, str, float, float, float]], source: str, who: str, n: int
) -> Finding:
    """No contradiction (every excess plus its margin under :data:`STATUS_GAP`), each status
    said as it is, or the note on the status nearest to a contradiction.

    The rule is one-sided, and so are the words: 0 % students against 60 % of visitors aged
    18–24 is no contradiction (many young visitors do not study), but it was reported as
    "survey and ga4 agree within 20 points", a 60-point gap called agreement. Fewer students
    than young visitors is said to be plausible and why; more is said with how many points
    more are allowed. A note asks whether there are :data:`STATUS_GAP` more of the status
    than of the visitors, never whether the two agree.
    """
    worst = max(judged)
    _, status, bracket, stated, base, m = worst
    if worst[0] < STATUS_GAP:
        text = (
            f"occupation: no contradiction with {source}: "
            f"{'; '.join(_status_fits(row, who) for row in judged)} ({n_respondents(n)})."
        )
        return Finding("agreement", "occupation", source, text, stated, base)
    text = (
        f"occupation: cannot tell yet whether there are {_points(STATUS_GAP)} more "
        f"{_plural(status)} than {_audience(who)} aged {_age(bracket)} ({n_respondents(n)}): "
        f"{_pct(stated)} {_plural(status)}, {_pct(base)} {who} aged {_age(bracket)}, and the "
        f"share of {_plural(status)} may be {_points(m)} more or less, by the luck of who "
        "answered."
    )
    return Finding("note", "occupation", source, text, stated, base)


def _status_fits(row: tuple[float, str, str, float, float, float], who: str) -> str:
    """One status that contradicts nothing, in words true of its direction: fewer than the
    visitors of its age bracket (plausible, and why), as many, or less than
    :data:`STATUS_GAP` more."""
    _, status, bracket, stated, base, _ = row
    fewer, more = STATUS_REASONS[status]
    people, age = _audience(who), _age(bracket)
    if _pct(stated) == _pct(base):  # "fewer" or "outnumber" with the same two numbers
        return f"as many {_plural(status)} ({_pct(stated)}) as {people} aged {age} ({_pct(base)})"
    if stated < base:
        return (
            f"fewer {_plural(status)} ({_pct(stated)}) than {people} aged {age} "
            f"({_pct(base)}) is plausible, since {fewer}"
        )
    return (
        f"{_plural(status)} ({_pct(stated)}) outnumber {people} aged {age} ({_pct(base)}) by "
        f"less than {_points(STATUS_GAP)}, which fits, since {more}"
    )


def _audience(who: str) -> str:
    """``of visitors`` -> ``visitors``, ``of their audience`` -> ``their audience``."""
    return who.removeprefix("of ")


def _age(bracket: str) -> str:
    return bracket.replace("-", "–")


def _plural(status: str) -> str:
    return "students" if status == "student" else status


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
    Fewer than :data:`MIN_RESPONDENTS` respondents naming a hobby decide nothing (a note).
    """
    ints = aud[aud["dimension"] == "interests"]
    if hobbies is None or ints.empty:
        return []
    picked = hobbies.dropna()
    picked = picked.explode().dropna() if len(picked) else picked
    if picked.empty:
        return []
    weight: dict[str, float] = {}
    unmatched: dict[str, float] = {}
    for value, users in zip(ints["value"], ints["users"].fillna(ints["share"]), strict=True):
        hobby = _hobby_of(str(value))
        if hobby is None:
            unmatched[str(value)] = unmatched.get(str(value), 0.0) + float(users)
        else:
            weight[hobby] = weight.get(hobby, 0.0) + float(users)
    if not weight:
        return []
    n = int(picked.index.nunique())
    if n < MIN_RESPONDENTS:
        return [too_few("interests", source, n)]
    top_visitors = sorted(weight, key=weight.__getitem__, reverse=True)[:3]
    shares = picked.astype(str).value_counts(normalize=True) * (len(picked) / hobbies.notna().sum())
    top, share = str(shares.index[0]), float(shares.iloc[0])
    tied = _tied(shares, n)
    said = f"; about as many name {', '.join(f'{h} {_pct(v)}' for h, v in tied)}" if tied else ""
    left = _not_compared(unmatched, weight, top_visitors)
    extra = said + left
    level = [h for h, _ in tied if h in top_visitors]
    if top not in top_visitors and level:  # a tie at the top: neither agreement nor not
        return [
            Finding(
                "note",
                "interests",
                source,
                f"interests: respondents name {top} ({_pct(share)}) and "
                f"{level[0]} ({_pct(float(shares[level[0]]))}) about as often; {level[0]} is "
                f"among the top interests in {source}, {top} is not ({n_respondents(n)}){left}.",
            )
        ]
    if top in top_visitors:
        return [
            Finding(
                "agreement",
                "interests",
                source,
                f"interests: the hobby respondents name most ({top}, {_pct(share)}) is among "
                f"the top interests in {source} ({n_respondents(n)}){extra}.",
            )
        ]
    return [
        Finding(
            "contradiction",
            "interests",
            source,
            f"survey: {_pct(share)} name {top} as a hobby; {source}: the visitors' top "
            f"interests are {', '.join(top_visitors)} ({n_respondents(n)}){extra}.",
            share,
            None,
        )
    ]


def _hobby_of(category: str) -> str | None:
    """The survey hobby a GA4 interest category means, judged by its most specific part first:
    ``Sports & Fitness/Outdoor Enthusiasts`` is outdoors, not outdoors and fitness too (one
    category counted twice pushed a third hobby out of the visitors' top three)."""
    for part in reversed(category.lower().split("/")):
        for hobby, words in HOBBY_INTERESTS.items():
            if any(w in part for w in words):
                return hobby
    return None


def _tied(shares: pd.Series, n: int) -> list[tuple[str, float]]:
    """The hobbies named about as often as the top one, with their shares (within two standard
    errors of its share among ``n`` respondents): 42 against 40 answers is no ranking."""
    p = float(shares.iloc[0])
    margin = 2 * math.sqrt(p * (1 - p) / n) if n else 0.0
    return [(str(h), float(v)) for h, v in shares.iloc[1:].items() if v >= p - margin]


def _not_compared(unmatched: dict[str, float], weight: dict[str, float], top: list[str]) -> str:
    """The interests ranking among the visitors' top ones that no survey hobby names (GA4's
    ``Shoppers/Value Shoppers``): left out of the comparison, and said."""
    floor = min(weight[h] for h in top)
    above = sorted((v for v in unmatched if unmatched[v] >= floor), key=unmatched.__getitem__,
                   reverse=True)[:3]  # fmt: skip
    return f"; not compared, no survey hobby matches: {', '.join(above)}" if above else ""


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
MIN_RESPONDENT_DEVICES = MIN_RESPONDENTS


def compare_respondents(
    dimension: str, respondents: pd.Series, shop: pd.Series, *, tolerance: float = 0.15
) -> Finding | None:
    """Whose voice does the survey carry? Respondents per value (``respondents``) against the
    shop's visitors per value (``shop``); None with fewer than ``MIN_RESPONDENT_DEVICES``
    respondents of known value, judged as the survey's shares are (:func:`judge`).
    ``survey_share`` is the respondents',
    ``analytics_share`` the shop's share of the value with the largest gap."""
    r = respondents[respondents.index != "unknown"]
    v = shop[shop.index != "unknown"]
    if r.sum() < MIN_RESPONDENT_DEVICES or v.sum() <= 0:
        return None
    n = int(r.sum())
    rs, vs = r / r.sum(), v / v.sum()
    values = sorted(set(rs.index) | set(vs.index), reverse=True)
    verdict = judge(rs, vs, values, n, tolerance)
    kind, worst = verdict.kind, verdict.value
    a, b = float(rs.get(worst, 0.0)), float(vs.get(worst, 0.0))
    label, gap = dimension.replace("_", " "), _points(abs(a - b))
    if kind == "contradiction":
        more = "over" if a > b else "under"
        said = (
            f"{label}: {_pct(a)} of respondents visited on {worst}, against {_pct(b)} of the "
            f"shop's visitors: the survey {more}-represents {worst} visitors "
            f"({n_respondents(n)})."
        )
    elif kind == "agreement":
        said = (
            f"{label}: respondents and the shop's visitors agree within {_points(tolerance)} "
            f"(largest gap {worst}: {gap}; {n_respondents(n)})."
        )
    else:
        kind = "note"
        said = _undecided(
            label,
            "respondents and the shop's visitors",
            tolerance,
            n,
            f"{worst}: {gap}",
            verdict.margin,
        )
    return Finding(kind, dimension, "survey", said, a, b)
