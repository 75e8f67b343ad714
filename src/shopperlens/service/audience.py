"""Web-analytics and competitor audience reports, and the cross-check against the survey."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from pydantic import BaseModel

from shopperlens.errors import ShopperlensError
from shopperlens.service._clock import utc_now
from shopperlens.service.surveys import answered_survey, responses_frame
from shopperlens.store import Store
from shopperlens.surveys import crosscheck
from shopperlens.surveys.isocodes import country_name
from shopperlens.textfiles import read_text_file

#: the command that imports what :func:`analytics_check` compares (``readiness`` names it too)
ANALYTICS_IMPORT = "shopperlens analytics import FILE --source ga4"


class AudienceImport(BaseModel):
    source: str
    file: str
    dimensions: list[str]
    rows: int


class CheckFinding(BaseModel):
    kind: str
    dimension: str
    source: str
    message: str
    survey_share: float | None = None
    analytics_share: float | None = None


def import_analytics(
    *, store: Store, path: str | Path, source: str = "ga4", name: str | None = None
) -> AudienceImport:
    """Import a GA4 audience export (``source="ga4"``) or a competitor audience CSV
    (``source="competitor"``, ``name`` = the competitor). Re-importing a dimension replaces it."""
    p = Path(path)
    if source not in ("ga4", "competitor"):
        raise ShopperlensError("source must be 'ga4' or 'competitor'")
    try:
        text = read_text_file(p, what="a GA4 or competitor audience CSV")
    except OSError as exc:
        raise ShopperlensError(f"cannot read {p}: {exc.strerror}") from None
    if source == "ga4":
        rows, label = crosscheck.read_ga4(text, file=p.name), "ga4"
    else:
        rows, label = crosscheck.read_competitor(text, file=p.name), f"competitor:{name or p.stem}"
    rows = rows.assign(source=label, file=p.name, imported_at=utc_now())
    dims = sorted(rows["dimension"].unique())
    with store.transaction() as con:
        con.execute(
            "DELETE FROM analytics_audience WHERE source = ? AND dimension IN (SELECT unnest(?))",
            [label, dims],
        )
        con.register("_sl_aud", rows)
        con.execute("INSERT INTO analytics_audience BY NAME SELECT * FROM _sl_aud")
        con.unregister("_sl_aud")
    return AudienceImport(source=label, file=p.name, dimensions=dims, rows=len(rows))


def audience(*, store: Store) -> pd.DataFrame:
    """Every imported audience share: ``source, dimension, value, users, share``."""
    return store.df(
        "SELECT source, dimension, value, users, share FROM analytics_audience "
        "ORDER BY source, dimension, share DESC"
    )


def analytics_check(
    *, store: Store, survey: str | None = None, threshold: float = 0.15
) -> list[CheckFinding]:
    """Where analytics confirm or contradict the survey, in plain words.

    ``survey``: whose answers are compared; by default the survey with answers
    (``service.surveys.answered_survey``: ``demo-profile`` first) — it was ``demo-profile``
    always, so a shop's own survey had to be named or the check failed.

    Survey dimensions come from the survey's own questions (age_bracket, gender,
    marital_status, occupation, country, language); when the survey has no country question,
    the countries of respondents who are customers are used.
    """
    aud = audience(store=store)
    if aud.empty:
        raise ShopperlensError(f"no analytics imported yet: `{ANALYTICS_IMPORT}`")
    aud, impossible = _possible_shares(aud)
    # competitor shares stored before they were read as of known values (an ``unknown`` row
    # in the base) are compared as they are read now
    aud = crosscheck.known_shares(aud)
    shop_found = [CheckFinding(**f.__dict__) for f in shop_checks(store=store, audience=aud)]
    shop_found.extend(impossible)
    if survey is None:
        survey = answered_survey(store=store)
    frame = pd.DataFrame() if survey is None else responses_frame(store=store, survey=survey)
    if frame.empty:
        if shop_found:
            what = f"survey {survey!r} has no responses" if survey else "no survey has answers"
            note = CheckFinding(
                kind="note",
                dimension="survey",
                source="survey",
                message=f"{what} yet: only analytics and the shop's own data were compared.",
            )
            return _sorted([*shop_found, note])
        raise ShopperlensError(
            f"survey {survey!r} has no responses yet" if survey else "no survey has answers yet"
        )
    answers = {
        c: frame[c]
        for c in (
            "age_bracket",
            "gender",
            "marital_status",
            "occupation",
            "country",
            "language",
            "hobbies",
        )
        if c in frame
    }
    if "country" not in answers and frame["customer_id"].notna().any():
        countries = store.df("SELECT customer_id, country FROM customers WHERE country IS NOT NULL")
        by = dict(zip(countries["customer_id"], countries["country"], strict=True))
        answers["country"] = frame["customer_id"].map(by)
    found = crosscheck.compare(answers, aud, threshold=threshold)
    voice = crosscheck.compare_respondents(
        "device",
        respondent_devices(store=store, survey=survey),
        shop_devices(store=store),
        tolerance=threshold,
    )
    found.extend([voice] if voice else [])
    return _sorted([*shop_found, *(CheckFinding(**f.__dict__) for f in found)])


def _possible_shares(aud: pd.DataFrame) -> tuple[pd.DataFrame, list[CheckFinding]]:
    """The audience rows whose shares are one audience's, and a note per source and dimension
    left out: imports refuse a share outside 0–100 % and a dimension whose shares do not add
    up (:func:`crosscheck.sum_problem`) now, but one stored earlier was reported as "150 % of
    their audience female" (or a percent-style ``1`` as 100 %). Importing the corrected file
    replaces that dimension."""
    ok = aud["share"].between(0, 1)
    notes = [
        _left_out(src, dim, "a stored share is not between 0 and 100 %")
        for src, dim in aud.loc[~ok, ["source", "dimension"]]
        .drop_duplicates()
        .itertuples(index=False)
    ]
    aud = aud[ok]
    sums = aud.groupby(["source", "dimension"], sort=False)["share"].sum()
    bad = {k: why for k, t in sums.items() if (why := crosscheck.sum_problem(k[1], float(t)))}
    notes.extend(_left_out(src, dim, why) for (src, dim), why in bad.items())
    pairs = zip(aud["source"], aud["dimension"], strict=True)
    keep = pd.Series([p not in bad for p in pairs], index=aud.index, dtype=bool)
    return aud[keep].reset_index(drop=True), notes


def _left_out(source: str, dimension: str, why: str) -> CheckFinding:
    """The note on a stored dimension the check leaves out."""
    return CheckFinding(
        kind="note",
        dimension=str(dimension),
        source=str(source),
        message=f"{source}: {dimension} is left out: {why} (import the corrected file again)",
    )


def respondent_devices(*, store: Store, survey: str) -> pd.Series:
    """Respondents per device: the device of their latest event, found through the visitor id
    their response carries, or their customer id (directly or through identities)."""
    rows = store.df(
        "WITH ev AS (SELECT e.visitor_id, coalesce(e.customer_id, i.customer_id) AS customer_id,"
        " e.device, e.timestamp FROM events e LEFT JOIN identities i USING (visitor_id) "
        " WHERE e.device IS NOT NULL), "
        "r AS (SELECT response_id, visitor_id, customer_id FROM survey_responses "
        " WHERE survey = ?) "
        "SELECT response_id, arg_max(device, timestamp) AS device FROM ("
        " SELECT r.response_id, ev.device, ev.timestamp FROM r JOIN ev USING (visitor_id) "
        " UNION ALL SELECT r.response_id, ev.device, ev.timestamp FROM r "
        " JOIN ev USING (customer_id)) GROUP BY 1",
        [survey],
    )
    if rows.empty:
        return pd.Series(dtype=float)
    return rows["device"].map(crosscheck.device_name).value_counts().astype(float)


def _sorted(found: list[CheckFinding]) -> list[CheckFinding]:
    order = {"contradiction": 0, "note": 1, "agreement": 2}
    return sorted(found, key=lambda f: (order.get(f.kind, 3), f.source, f.dimension))


def shop_devices(*, store: Store) -> pd.Series:
    """Visitors per device category from the shop's own data: distinct visitors (else
    sessions) in ``events.device``, or in ``sessions.device`` when events carry no device."""
    for table in ("events", "sessions"):
        rows = store.df(
            f"SELECT device, count(DISTINCT coalesce(visitor_id, session_id)) AS n "
            f"FROM {table} WHERE device IS NOT NULL GROUP BY 1"
        )
        if not rows.empty:
            names = rows["device"].map(crosscheck.device_name)
            return rows.groupby(names)["n"].sum().astype(float)
    return pd.Series(dtype=float)


def shop_checks(
    *, store: Store, audience: pd.DataFrame, tolerance: float = crosscheck.DEVICE_TOLERANCE
) -> list[crosscheck.Finding]:
    """Does the analytics audience look like the shop's own visitors?

    Device only: the canonical shop data has a device per event/session but no language, so
    a GA4 language report is compared with the survey's ``language`` question only (when the
    survey has one). When analytics has devices but the shop data has none, a note says so.
    """
    if not (audience["dimension"] == "device").any():
        return []
    devices = shop_devices(store=store)
    found = crosscheck.compare_with_shop("device", devices, audience, tolerance=tolerance)
    if not found and devices.empty:
        found.append(
            crosscheck.Finding(
                "note",
                "device",
                "shop",
                "device: analytics reports devices, but the shop's events carry none, so the "
                "two cannot be compared yet.",
            )
        )
    return found


# -- the demo's analytics exports ------------------------------------------------------------
_GA4_HEAD = """# ----------------------------------------
# {title}
# Account: {shop}
# Property: {shop} - GA4
# ----------------------------------------
#
# Start date: {start}
# End date: {end}
"""


def write_demo_exports(
    *, store: Store, directory: str | Path, year: int | None = None
) -> list[Path]:
    """GA4-shaped exports (age, gender, country, device) built from the demo's customers and
    events, plus a competitor audience that skews younger; returns the files written."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    cust = store.df("SELECT customer_id, birth_year, gender, country FROM customers")
    ev = store.df("SELECT device, count(DISTINCT visitor_id) AS users FROM events GROUP BY 1")
    span = store.df("SELECT min(timestamp) AS a, max(timestamp) AS b FROM events")
    end = (
        pd.Timestamp(span["b"].iloc[0])
        if len(span) and pd.notna(span["b"].iloc[0])
        else pd.Timestamp(utc_now())
    )
    start = pd.Timestamp(span["a"].iloc[0]) if len(span) and pd.notna(span["a"].iloc[0]) else end
    year = year or end.year
    head = {"shop": "Demo shop", "start": start.strftime("%Y%m%d"), "end": end.strftime("%Y%m%d")}
    age = (year - pd.to_numeric(cust["birth_year"], errors="coerce")).dropna()
    brackets = pd.cut(
        age,
        [17, 24, 34, 44, 54, 64, 200],
        labels=["18-24", "25-34", "35-44", "45-54", "55-64", "65+"],
    )
    tables = {
        "ga4_age.csv": ("Demographic details: Age", "Age", brackets.value_counts()),
        "ga4_gender.csv": (
            "Demographic details: Gender",
            "Gender",
            cust["gender"].fillna("unknown").value_counts(),
        ),
        "ga4_country.csv": (
            "Demographic details: Country",
            "Country",
            # GA4 names countries ("Netherlands"); the shop data holds ISO codes ("NL")
            cust["country"].fillna("(not set)").map(country_name).value_counts(),
        ),
        "ga4_device.csv": (
            "Tech details: Device category",
            "Device category",
            ev.set_index("device")["users"] if len(ev) else pd.Series(dtype=float),
        ),
    }
    files = []
    for name, (title, dim, counts) in tables.items():
        # visitors outnumber customers: scale counts like GA4's "Active users"
        body = [f"{dim},Active users,New users,Engaged sessions"]
        for value, n in counts.items():
            users = int(n) * 7
            body.append(f"{value},{users},{int(users * 0.8)},{int(users * 1.3)}")
        path = out / name
        path.write_text(_GA4_HEAD.format(title=title, **head) + "\n".join(body) + "\n", "utf-8")
        files.append(path)
    comp = out / "competitor_trendshop.csv"
    comp.write_text(
        "dimension,value,share\nage,18-24,38%\nage,25-34,34%\nage,35-44,14%\nage,45-54,8%\n"
        "age,55-64,4%\nage,65+,2%\ngender,female,61%\ngender,male,39%\n",
        "utf-8",
    )
    files.append(comp)
    return files
