"""Customer types: classify as of a date, store runs, explain one subject, show movements.

Every face (CLI ``shopperlens types``, ``Shop.types()``, ``/api/types``, the report page) calls
these keyword-only functions. Features are Ibis expressions run on the store's DuckDB (or on
Spark with ``engine="spark"``); the rules are pure pandas (:mod:`shopperlens.types`).
"""

from __future__ import annotations

from contextlib import suppress
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from pydantic import BaseModel

from shopperlens.errors import InsufficientDataError, NotFoundError, ShopperlensError
from shopperlens.features import (
    computed_features,
    default_as_of,
)
from shopperlens.service._checks import check_started, data_start
from shopperlens.service._clock import naive_utc, utc_now
from shopperlens.service._flight import one_at_a_time
from shopperlens.service.feature_sql import features_frame
from shopperlens.service.jobs import Progress
from shopperlens.service.types_value import (
    LOYAL_AT_RISK,
    add_value,
    as_of_attr,
    explain_value,
    frame_as_of,
    takes_current,
    value_note,
)
from shopperlens.store import Store
from shopperlens.store.connection import check_no_erasure_since
from shopperlens.types import RESULT_COLUMNS, TYPES, TypesConfig, classify, load_config
from shopperlens.types import movements as mv
from shopperlens.types import sessions as st
from shopperlens.types.config import UNTYPED, type_name

#: run after the import in ``shopperlens demo`` (other concerns read the stored types)
DEMO_ORDER = 20
_RUN_COLUMNS = [*RESULT_COLUMNS, "subject_id", "orders", "recency_days"]

ConfigArg = TypesConfig | str | Path | None


class SignalPart(BaseModel):
    feature: str
    value: float | None
    strength: float
    weight: float


class TypeExplanation(BaseModel):
    """One subject's type as of a run: scores, evidence, the signals and its history."""

    id: str
    customer_id: str | None
    visitor_id: str | None
    as_of: datetime
    type: str
    scores: dict[str, float]
    evidence: str
    signals: dict[str, list[SignalPart]]
    features: dict[str, Any]
    history: list[dict[str, Any]]
    # from the stored CLV / intent runs (None when none is stored for this date)
    clv: float | None = None
    p_alive: float | None = None
    at_risk: bool | None = None
    loyal_at_risk: bool | None = None
    intent: float | None = None
    #: why ``p_alive`` and the at-risk flags are None although a CLV run is stored: its model
    #: found no dropout (``service.clv.no_dropout_note``); "" otherwise
    no_dropout_note: str = ""
    #: the stored runs of the subject made under other types rules (an older shopperlens's),
    #: which ``history`` leaves out, and how to recompute them (:func:`other_runs_note`); ""
    #: when there are none
    history_note: str = ""


class Movements(BaseModel):
    """Who moved between types from one date to another (``matrix[from][to]`` = subjects)."""

    date_from: datetime
    date_to: datetime
    states: list[str]
    matrix: dict[str, dict[str, int]]
    #: people whose type changed (an untyped person typed counts: the data now say who they are)
    moved: int
    stayed: int
    #: people not seen at the earlier date (new visitors and customers): arrivals, not moves
    arrived: int = 0
    top: list[dict[str, Any]]


def as_config(config: ConfigArg) -> TypesConfig:
    return config if isinstance(config, TypesConfig) else load_config(config)


def parse_as_of(value: date | datetime | str | None) -> datetime | None:
    """A cut-off moment in naive UTC, as every stored time is: a date means its midnight (that
    day's data is not yet seen); an aware datetime, or text with an offset, is converted to UTC
    (compared as it is with the naive stored times, it raised a TypeError). Anything else is
    refused with one message: a number such as 20250601 is neither read as a date nor, as
    pandas would, as nanoseconds since 1970."""
    if value is None:
        return None
    if isinstance(value, datetime) and value is not pd.NaT:
        return naive_utc(value)
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        text = value.strip()
        # Python reads any character between date and time: "2025-06-01+02:00" became 02:00,
        # not the first of June two hours east; only "T" and a space separate them here
        if len(text) > 10 and text[10] not in "T ":
            raise ShopperlensError(
                f"not a date: {value!r} (use YYYY-MM-DD, or a date and time such as "
                "2025-06-01T00:00+02:00)"
            )
        try:
            return naive_utc(datetime.fromisoformat(text))
        except ValueError as exc:
            raise ShopperlensError(f"not a date: {value!r} (use YYYY-MM-DD)") from exc
    # numpy's and pandas' own dates (what ``df.col.to_numpy()`` holds): dates, not numbers
    if isinstance(value, pd.Period):
        return naive_utc(value.to_timestamp().to_pydatetime())
    if isinstance(value, np.datetime64) and not np.isnat(value):
        return naive_utc(pd.Timestamp(value).to_pydatetime())
    raise ShopperlensError(
        f"not a date: {value!r} ({type(value).__name__}); give text such as '2025-06-01', "
        "a date or a datetime"
    )


def run_date(value: date | datetime | str | None, name: str = "as_of") -> datetime | None:
    """A types run's date (None: the default), as the faces take it. A date means its midnight
    UTC, and a customer's history has one row per date, so a time of day is refused: a run as
    of 15:30 was stored beside that day's midnight run and the history showed the date twice.
    (The service functions themselves take any moment: :func:`parse_as_of`.)"""
    cut = parse_as_of(value)
    if cut is not None and cut.time() != time(0):
        raise ShopperlensError(
            f"{name} is a date, read as its midnight UTC: {value!r} is {cut:%Y-%m-%d %H:%M} "
            "UTC, a time of day; give the date alone (YYYY-MM-DD)"
        )
    return cut


class _Steps:
    """A progress callback ``progress(n=1, total=None, description=None)`` (a Rich bar in the
    CLI, a job's status in the API) fed step by step: calling it names the step starting
    now, and the step before counts as done."""

    def __init__(self, progress: Progress | None, total: int) -> None:
        self.progress, self.started = progress, False
        if progress is not None:
            progress(0, total=total)

    def __call__(self, step: str) -> None:
        if self.progress is not None:
            self.progress(1 if self.started else 0, description=step)
        self.started = True

    def finish(self) -> None:
        if self.progress is not None and self.started:
            self.progress(1)


def _parts(store: Store, engine: str) -> int:
    """How many parts DuckDB computes the features in (see ``store.execute.feature_parts``)."""
    if engine != "duckdb":
        return 1
    from shopperlens.store.execute import feature_parts

    return feature_parts(store.con)


def features(
    *,
    store: Store,
    as_of: date | datetime | str | None = None,
    config: ConfigArg = None,
    engine: str = "duckdb",
    spark_session: Any = None,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """The behavioural features frame (one row per customer or anonymous visitor).

    A large shop is computed in parts (``store.execute.feature_parts``); ``progress`` hears
    each part of the visit table and of the features.
    """
    parts = _parts(store, engine)
    steps = _Steps(progress, 2 * parts)
    cfg, cut = as_config(config), parse_as_of(as_of)
    out = _features(store, cut, cfg, engine, spark_session, parts, steps)
    steps.finish()
    return out


def _features(
    store: Store,
    as_of: datetime | None,
    cfg: TypesConfig,
    engine: str,
    spark_session: Any,
    parts: int,
    steps: _Steps,
) -> pd.DataFrame:
    cut = as_of or default_as_of(store)
    if engine == "duckdb":
        import ibis

        from shopperlens.store.execute import to_pandas

        if parts == 1:  # one query over the visit table, its SQL kept for the next run
            steps("visits")
            return features_frame(
                store, cut, cfg.feature_spec(), on_built=lambda: steps("features: part 1 of 1")
            )
        with store.cursor() as cur:  # the visit table is a temporary table of this cursor
            src = ibis.duckdb.from_connection(cur)
            with computed_features(
                src, as_of=cut, spec=cfg.feature_spec(), parts=parts, on_step=steps
            ) as exprs:
                return to_pandas(
                    store,
                    exprs,
                    con=cur,
                    sort_by="subject_id",
                    on_part=lambda k: steps(f"features: part {k + 1} of {parts}"),
                )
    if engine == "spark":
        from shopperlens.store.spark import spark_source

        with (
            spark_source(store, spark_session) as src,
            computed_features(src, as_of=cut, spec=cfg.feature_spec(), on_step=steps) as exprs,
        ):
            steps("features")
            return exprs[0].execute()
    raise ShopperlensError(f"unknown engine {engine!r}: use duckdb or spark")


def customer_types(
    *,
    store: Store,
    as_of: date | datetime | str | None = None,
    save: bool = True,
    config: ConfigArg = None,
    engine: str = "duckdb",
    spark_session: Any = None,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Type every customer and visitor as of ``as_of`` (default: the day after the last data).

    Returns ``customer_id, visitor_id, type, score_<type>…, evidence`` and always
    ``clv, p_alive, at_risk, loyal_at_risk, intent``, filled from the CLV and intent runs
    stored for this date and missing without one (see :func:`.types_value.add_value`);
    ``df.attrs`` holds ``as_of`` and (when saved) ``run_id``.
    ``progress(n=1, total=None, description=None)`` hears each step.
    """
    cfg = as_config(config)
    mark = store.erasure_mark() if save else None  # a person erased from here on is refused
    # the run is as fresh as the data it reads: an import committed while it computes is
    # newer than the run (stamped when it is stored, the run hid that import's rows)
    started = utc_now()
    cut = parse_as_of(as_of) or default_as_of(store)
    check_typable(store, cut)
    parts = _parts(store, engine)
    steps = _Steps(progress, 2 * parts + (2 if save else 1))
    feats = _features(store, cut, cfg, engine, spark_session, parts, steps)
    if feats.empty:  # e.g. only cancelled orders without a customer: no run of nobody
        raise nobody_to_type(store)
    steps("types and evidence")
    typed = classify(feats, cfg)
    del feats
    if save:
        steps("storing the run")
    run_id = _save(store, typed, (cut, started), engine, cfg, mark=mark) if save else None
    steps.finish()
    out = typed[list(RESULT_COLUMNS)].copy()
    out.attrs.update(
        as_of=as_of_attr(cut), run_id=run_id, after_data_note=after_data_note(store, cut)
    )
    return _with_value(out, store=store, as_of=cut, refresh=save)


def after_data_note(store: Store, cut: datetime) -> str | None:
    """What to say of a run as of a date past the shop's data, else None: the days after the
    newest order or event count as days without buying, so loyal customers read as lapsing
    and lapsed though nothing is known of those days."""
    end = default_as_of(store)  # the day after the newest order or event
    if cut <= end:
        return None
    days = (cut - end).days
    return (
        f"as of {cut:%Y-%m-%d}, {days:,} day(s) after the newest order or event "
        f"({end - timedelta(days=1):%Y-%m-%d}): recency counts those days as days without "
        "buying, so customers read as lapsing or lapsed although nothing is known of them"
    )


def check_typable(store: Store, as_of: datetime) -> None:
    """Refuse to type a store with nobody in it, or as of a date before all its data, in
    one message every face shows (CLI, Python, HTTP, jobs); nothing is stored. An empty run
    stored instead would be shown as the shop's types, and said "import them first" of data
    that is there."""
    if not has_subjects(store):
        raise nobody_to_type(store)
    check_started(store, as_of)


def has_subjects(store: Store) -> bool:
    """Does the store name anyone to type: a customer, a visitor (events) or an order naming
    its customer? Guest checkouts (orders without a customer id) name nobody, so a store of
    those alone has orders and no one to type; the report's pages ask this too, so the pages
    they offer are the pages they can build."""
    if store.count("events") or store.count("customers"):
        return True
    return bool(store.scalar("SELECT count(*) FROM orders WHERE customer_id IS NOT NULL"))


def nobody_to_type(store: Store) -> ShopperlensError:
    """The error for a store without customers, orders or events to type, pointing at what
    to do instead: import orders or events, or type imported session aggregates with
    ``types sessions``. A store of guest checkouts holds orders: it is told that they name
    no customer, not to import orders it has."""
    imported = store.scalar("SELECT count(*) FROM sessions WHERE origin = 'import'") or 0
    orders = store.count("orders")
    named = store.scalar("SELECT count(*) FROM orders WHERE customer_id IS NOT NULL") or 0
    if orders and not named:
        which = "the only order names" if orders == 1 else f"the {orders:,} orders name"
        sessions = (
            f"; the {imported:,} imported sessions are typed with `shopperlens types sessions`"
            if imported
            else ""
        )
        return InsufficientDataError(
            f"{which} no customer (guest checkouts): types need a customer id on orders, or "
            f"events (shopperlens import events FILE){sessions}"
        )
    if imported:
        return InsufficientDataError(
            f"no customers, orders or events to type: the store holds {imported:,} imported "
            "sessions without customer or visitor ids; type those with "
            "`shopperlens types sessions`, or import orders and events "
            "(shopperlens import orders FILE, shopperlens import events FILE)"
        )
    return InsufficientDataError(
        "no customers, orders or events to type yet: import them first "
        "(shopperlens import orders FILE, shopperlens import events FILE)"
    )


def _save(
    store: Store,
    typed: pd.DataFrame,
    when: tuple[datetime, datetime],
    engine: str,
    cfg: TypesConfig,
    *,
    mark: int | None = None,
) -> int:
    """Store the run (``when``: its as-of date, and the time its computation started, kept as
    ``computed_at``: see :func:`_fresh`); refused when a customer was erased since ``mark``
    (the erasure mark noted when the computation started): the run may hold them."""
    as_of, started = when
    # the table has no key (migration 010): one row per subject is checked here
    if not typed["subject_id"].is_unique:
        n = int(typed["subject_id"].duplicated().sum())
        raise ShopperlensError(f"a types run holds {n} subject(s) twice; nothing was stored")
    with store.transaction() as con:
        if mark is not None:
            check_no_erasure_since(con, mark)
        run_id = con.execute(
            "INSERT INTO type_runs (as_of, computed_at, engine, config_digest, n_subjects) "
            "VALUES (?, ?, ?, ?, ?) RETURNING run_id",
            [as_of, started, engine, cfg.digest, len(typed)],
        ).fetchone()[0]
        # handed over as Arrow: DuckDB reads pandas' text columns at half the speed
        frame = pa.Table.from_pandas(
            typed[_RUN_COLUMNS].assign(run_id=run_id), preserve_index=False
        )
        con.register("_typed_frame", frame)
        cols = ", ".join(["run_id", *_RUN_COLUMNS])
        con.execute(f"INSERT INTO customer_types ({cols}) SELECT {cols} FROM _typed_frame")
        con.unregister("_typed_frame")
    return int(run_id)


def _run(store: Store, run_id: int) -> pd.DataFrame:
    df = store.df(
        "SELECT * EXCLUDE (run_id) FROM customer_types WHERE run_id = ? ORDER BY subject_id",
        [run_id],
    )
    df.attrs["run_id"] = run_id
    df.attrs["as_of"] = as_of_attr(
        store.scalar("SELECT as_of FROM type_runs WHERE run_id = ?", [run_id])
    )
    return df


#: the import kinds whose rows the types read (surveys, consents and analytics do not)
_TYPED_KINDS = ("customers", "orders", "events", "sessions", "tickets", "returns", "products")


def _fresh(run: str = "type_runs") -> str:
    """SQL: the run (table alias ``run``) saw the data as it is as of its date — no import
    after it brought rows from before that date (``imports.earliest_at``; unknown counts as
    any date, while a file that added and changed nothing holds the latest timestamp,
    ``service.imports.REACHES_NOTHING``, and so reaches none). A run from before such an
    import typed fewer orders and visits (or an empty store) and is not shown as the shop's;
    a daily import of the day's events leaves the runs as of earlier dates standing (the type
    history, the report's movements)."""
    kinds = ", ".join(f"'{k}'" for k in _TYPED_KINDS)
    return (
        f"NOT EXISTS (SELECT 1 FROM imports i WHERE i.imported_at > {run}.computed_at "
        f"AND i.kind IN ({kinds}) AND (i.earliest_at IS NULL OR i.earliest_at < {run}.as_of))"
    )


def _fresh_run(store: Store, as_of: datetime, cfg: TypesConfig) -> int | None:
    """The newest fresh run as of ``as_of`` with these thresholds."""
    run_id = store.scalar(
        f"SELECT max(run_id) FROM type_runs WHERE as_of = ? AND config_digest = ? AND {_fresh()}",
        [as_of, cfg.digest],
    )
    return None if run_id is None else int(run_id)


def run_dates(*, store: Store, config: ConfigArg = None) -> list[datetime]:
    """The dates of the fresh runs with these thresholds up to the shop's current date (the
    report's timeline): what-if runs as of future dates are left out, and so are empty runs
    as of a date before the data (stored before :func:`check_typable` refused them)."""
    cfg = as_config(config)
    rows = store.execute(
        f"SELECT DISTINCT as_of FROM type_runs WHERE config_digest = ? AND as_of <= ? "
        f"AND as_of > ? AND {_fresh()} ORDER BY as_of",
        [cfg.digest, default_as_of(store), data_start(store) or datetime.min],
    ).fetchall()
    return [r[0] for r in rows]


def latest_types(*, store: Store, config: ConfigArg = None, engine: str = "duckdb") -> pd.DataFrame:
    """The shop's current types: the run as of the day after its newest order or event
    (:func:`~shopperlens.features.default_as_of`) with these thresholds, computed after the
    last import — computed and stored when there is none — with the stored value columns like
    :func:`customer_types`. Every page, playbook and audience shows this run.

    Runs as of other dates (``types --as-of``, the two dates of ``types moves``, an API
    read as of a date) are history and what-ifs: a run as of a future date, or one made before
    the data it should type was imported, is never taken for the current one. Runs made with
    other thresholds are passed over, so a shop's ``--config`` (or
    ``SHOPPERLENS_TYPES_CONFIG``) is what every page and playbook shows.
    """
    cfg = as_config(config)
    now, run_id, computed = _current_run(store, cfg, engine)
    if computed is not None:
        return computed
    if run_id is None:  # a read-only store: shown without being stored
        return customer_types(store=store, as_of=now, config=cfg, save=False, engine=engine)
    df = _run(store, run_id)
    out = df[list(RESULT_COLUMNS)].copy()
    out.attrs.update(df.attrs)
    return _with_value(out, store=store, as_of=frame_as_of(out), refresh=True)


def current_run_id(*, store: Store, config: ConfigArg = None, engine: str = "duckdb") -> int | None:
    """The id of the run :func:`latest_types` shows, computed and stored first when none is
    (one computation however many threads ask at once); None on a store open read-only
    without one (nothing is stored there). A cache of what is built on the current types
    keys on it: another run stored meanwhile (a look-back as of an old date) changes nothing
    the current types show."""
    return _current_run(store, as_config(config), engine)[1]


def _current_run(
    store: Store, cfg: TypesConfig, engine: str
) -> tuple[datetime, int | None, pd.DataFrame | None]:
    """The current date, the current run's id and, when this call computed and stored it
    (none was), its frame. One computation however many threads ask at once: a caller that
    finds none takes the store's lock, looks again, and computes only when it is still missing.
    On a store open read-only without one the id is None: nothing can be stored there."""
    now = default_as_of(store)
    check_typable(store, now)  # an empty run stored before this check is not shown either
    run_id = _fresh_run(store, now, cfg)
    if run_id is not None or store.read_only:
        return now, run_id, None
    with one_at_a_time(store, "types"):  # two requests at once store one run, not two
        run_id = _fresh_run(store, now, cfg)
        if run_id is not None:
            return now, run_id, None
        computed = customer_types(store=store, as_of=now, config=cfg, engine=engine)
    return now, int(computed.attrs["run_id"]), computed


def types_at(
    *, store: Store, as_of: date | datetime | str, config: ConfigArg = None, engine: str = "duckdb"
) -> pd.DataFrame:
    """The types as of ``as_of`` as every face reads a stored run: :func:`run_at` (computed
    on ``engine`` and stored when missing) with the value columns of :func:`latest_types`,
    never another model's CLV run (``GET /api/types?as_of=``)."""
    run = run_at(store=store, as_of=as_of, config=config, engine=engine)
    out = run[list(RESULT_COLUMNS)].copy()
    out.attrs.update(run.attrs)
    return _with_value(out, store=store, as_of=frame_as_of(out), refresh=True)


def run_at(
    *,
    store: Store,
    as_of: date | datetime | str,
    config: ConfigArg = None,
    engine: str = "duckdb",
) -> pd.DataFrame:
    """The stored run as of ``as_of`` with the current thresholds, computed after the last
    import; computed (on ``engine``) and stored when missing."""
    cfg = as_config(config)
    cut = parse_as_of(as_of)
    check_typable(store, cut)  # an empty run stored before this check is not shown either
    run_id = _fresh_run(store, cut, cfg)
    if run_id is None:
        run_id = customer_types(store=store, as_of=cut, config=cfg, engine=engine).attrs["run_id"]
    _value_joinable(store, refresh=True)  # the value its reader may join: this model's
    return _run(store, int(run_id))


#: the selection of the loyal customers a stored CLV run flags (``GET /api/types?type=``)
LOYAL_AT_RISK_SELECTION = LOYAL_AT_RISK.replace(" ", "_")
#: what stores a customer-value run, named for the CLI and for HTTP
STORE_VALUE_RUN = "over HTTP, POST /api/jobs/clv stores one"


def loyal_at_risk_count(frame: pd.DataFrame) -> int | None:
    """How many of a types result are loyal at risk; None when nothing can say it: no CLV run
    joined (its flags are all missing) or one whose model found no dropout (it flags nobody):
    0 would read as measured."""
    joined = "at_risk" in frame.columns and bool(frame["at_risk"].notna().any())
    if not joined or frame.attrs.get("no_dropout") is not None:
        return None
    return int(frame["loyal_at_risk"].sum())


def select(frame: pd.DataFrame, type_: str | None, *, store: Store) -> pd.DataFrame:
    """The rows of a types result (``frame``) of one type, ``untyped``, or
    :data:`LOYAL_AT_RISK_SELECTION`; all rows without ``type_``.

    An unknown type is refused (:func:`~shopperlens.types.config.type_name`), and so is
    ``loyal_at_risk`` when no CLV run is joined to these types (:func:`check_value_joined`):
    either gave an empty page that read as "nobody" when nothing was asked or measured."""
    if not type_:
        return frame
    if type_ == LOYAL_AT_RISK_SELECTION:
        check_value_joined(frame, store=store, selection=type_)
        return frame[frame["loyal_at_risk"].fillna(False).astype(bool)]
    if type_ == UNTYPED:
        return frame[frame["type"] == UNTYPED]
    return frame[frame["type"] == type_name(type_)]


def check_value_joined(frame: pd.DataFrame, *, store: Store, selection: str) -> None:
    """Refuse ``selection`` — one made by the CLV model's flags — when no customer-value run
    is joined to the types ``frame``: their flags are all missing then, and an empty answer
    read as "no loyal customer at risk" where nothing was measured (``POST /api/jobs/clv``
    stored no run). The reason is :func:`~.types_value.value_note`, the words the CLI's
    ``types`` table and the report give; types as of another date than the current run's get
    the job request that stores a run matching them (its data end where theirs do). A joined
    run whose model found no dropout is refused too, with the reason
    (``attrs["no_dropout_note"]``, see :func:`~.types_value.add_value`): nobody can be
    flagged then, and the empty list read as an all-clear."""
    if frame.attrs.get("no_dropout_note"):
        raise ShopperlensError(f"cannot select {selection}: {frame.attrs['no_dropout_note']}")
    if "at_risk" in frame.columns and bool(frame["at_risk"].notna().any()):
        return
    as_of = frame_as_of(frame)
    why = value_note(store=store, as_of=as_of) or "no customer of these types has CLV figures"
    advice = STORE_VALUE_RUN
    if as_of is not None and pd.Timestamp(as_of) != pd.Timestamp(default_as_of(store)):
        day = (pd.Timestamp(as_of) - pd.Timedelta(days=1)).strftime("%Y-%m-%d")
        when = f"{pd.Timestamp(as_of):%Y-%m-%d}"
        advice += f' (for types as of {when}: POST /api/jobs/clv with {{"as_of": "{day}"}})'
    raise ShopperlensError(f"cannot select {selection}: {why}; {advice}")


def _subject(store: Store, id: str, as_of: datetime | None = None) -> str:
    """The subject an id names: a customer id, a visitor id (linked or anonymous); ``as_of``:
    a visitor whose link to a customer was not known yet then is its own subject."""
    if store.scalar("SELECT count(*) FROM customer_types WHERE subject_id = ?", [id]):
        return id
    links = store.execute(
        "SELECT customer_id, linked_at FROM identities WHERE visitor_id = ?", [id]
    ).fetchall()
    if links:
        customer, linked_at = links[0]
        known = as_of is None or linked_at is None or linked_at < as_of
        return str(customer) if known else f"visitor:{id}"
    hit = store.scalar(
        "SELECT subject_id FROM customer_types WHERE customer_id = ? OR visitor_id = ? LIMIT 1",
        [id, id],
    )
    return str(hit) if hit else id


def history(*, store: Store, id: str, config: ConfigArg = None) -> pd.DataFrame:
    """One customer's or visitor's type per date, oldest first: for each date the newest fresh
    run with these thresholds. Runs with other thresholds (what-ifs with ``--config``, every
    run an older shopperlens stored before its rules changed), runs made before the last
    import and repeated runs of one date would otherwise read as the customer switching type
    on a single day.

    The runs left out are said, not hidden: ``attrs["other_runs_note"]`` counts those of the
    subject — made under other rules, or before an import of earlier data — as of dates the
    history lacks and says how to recompute them (see :func:`other_runs_note`); a history
    empty only for want of them is refused with that sentence (after an upgrade whose rules
    changed, or a late file of old orders, an empty answer read as "never typed")."""
    cfg = as_config(config)
    subject = _subject(store, id)
    found = _history_of(store, subject, cfg)
    note = found.attrs["other_runs_note"]
    if found.empty and note:
        data = " on the current data" if _has_runs_under(store, subject, cfg) else ""
        raise NotFoundError(f"no run of {id!r} under the current types rules{data}: {note}")
    if found.empty and not _known(store, id):
        raise NotFoundError(f"no customer or visitor {id!r} in the data")
    return found


def _history_of(store: Store, subject: str, cfg: TypesConfig) -> pd.DataFrame:
    """:func:`_history` with ``attrs["other_runs_note"]`` ("" when no run is left out): the
    runs under other rules and those made before an import of earlier data, whose dates
    vanished from the history without a word."""
    found = _history(store, subject, cfg)
    found.attrs["other_runs_note"] = other_runs_note(
        store=store,
        config=cfg,
        subject=subject,
        shown=[_naive(d) for d in found["as_of"]],
        stale=True,
    )
    return found


def _has_runs_under(store: Store, subject: str, cfg: TypesConfig) -> bool:
    """Does a stored run under these rules hold ``subject``, fresh or not? With an empty
    history, such runs were all made before an import of earlier data."""
    return bool(
        store.scalar(
            "SELECT EXISTS (SELECT 1 FROM customer_types t JOIN type_runs r USING (run_id) "
            f"WHERE {_OF_SUBJECT} AND r.config_digest = ?)",
            [subject, subject, cfg.digest],
        )
    )


#: a subject's rows in a run: its own, and its visitors' anonymous ones (``?`` twice: subject)
_OF_SUBJECT = (
    "(t.subject_id = ? OR t.subject_id IN "
    "(SELECT 'visitor:' || visitor_id FROM identities WHERE customer_id = ?))"
)
#: what :func:`other_runs_note` adds for the runs made before an import of earlier data
_OR_STALE = " or before an import of earlier data"
#: how many dates an :func:`other_runs_note` lists
_DATES_SHOWN = 8


def other_runs_note(
    *,
    store: Store,
    config: ConfigArg = None,
    subject: str | None = None,
    shown: list[datetime] | None = None,
    dates: tuple[datetime, datetime] | None = None,
    stale: bool = False,
) -> str:
    """The stored runs made under other types rules (an older shopperlens whose rules
    differ, or another ``--config``) as of a date no shown run (``shown``) has, in one
    sentence ("" when there are none); with ``stale``, also those made under these rules
    before an import of data from before their date. ``subject``: only runs holding that
    subject; ``dates``: only runs as of a date after the first and up to the second.
    Recomputing them under the current rules is right (the history and the movements compare
    like with like), and the sentence says how."""
    cfg = as_config(config)
    passed = f"NOT (r.config_digest = ? AND {_fresh('r')})" if stale else "r.config_digest <> ?"
    sql = (
        "SELECT count(DISTINCT r.run_id), list(DISTINCT r.as_of ORDER BY r.as_of) "
        f"FROM type_runs r WHERE {passed} AND NOT list_contains(?::TIMESTAMP[], r.as_of)"
    )
    params: list[Any] = [cfg.digest, list(shown or [])]
    if subject is not None:
        sql += (
            " AND EXISTS (SELECT 1 FROM customer_types t WHERE t.run_id = r.run_id "
            f"AND {_OF_SUBJECT})"
        )
        params += [subject, subject]
    if dates is not None:
        sql += " AND r.as_of > ? AND r.as_of <= ?"
        params += list(dates)
    with store.cursor() as cur:
        runs, found = cur.execute(sql, params).fetchall()[0]
    if not runs:
        return ""
    listed = ", ".join(f"{d:%Y-%m-%d}" for d in found[:_DATES_SHOWN])
    more = ", …" if len(found) > _DATES_SHOWN else ""
    return (
        f"{runs} stored run{'s' if runs != 1 else ''} for {len(found)} "
        f"date{'s' if len(found) != 1 else ''} ({listed}{more}) "
        f"{'were' if runs != 1 else 'was'} made under other types rules (an older "
        f"shopperlens, another --config){_OR_STALE if stale else ''}: "
        "`shopperlens types --as-of DATE` recomputes a date under the current rules (POST "
        "/api/types/runs?as_of=DATE), `shopperlens types moves --from DATE --to DATE` both "
        "of its dates"
    )


def _known(store: Store, id: str) -> bool:
    """Is ``id`` a customer or visitor id anywhere in the data (or in a stored run)? A
    known subject without a stored run has an empty history; an unknown one is not there."""
    return bool(
        store.scalar(
            "SELECT EXISTS (SELECT 1 FROM customers WHERE customer_id = $id) "
            "OR EXISTS (SELECT 1 FROM orders WHERE customer_id = $id) "
            "OR EXISTS (SELECT 1 FROM events WHERE visitor_id = $id OR customer_id = $id) "
            "OR EXISTS (SELECT 1 FROM identities WHERE visitor_id = $id OR customer_id = $id) "
            "OR EXISTS (SELECT 1 FROM customer_types WHERE subject_id = $id "
            "OR customer_id = $id OR visitor_id = $id)",
            {"id": id},
        )
    )


def _history(store: Store, subject: str, cfg: TypesConfig) -> pd.DataFrame:
    """The newest fresh run's row per date for ``subject`` (see :func:`history`)."""
    # a customer's history includes its visitors' anonymous rows from before each link was
    # known; on a date with both, a typed row wins over an untyped one, then its own row
    return store.df(
        "SELECT r.as_of, r.run_id, t.type, t.score_need_based, t.score_looker, t.score_new, "
        "t.score_loyal, t.score_impulse, t.evidence FROM customer_types t "
        f"JOIN type_runs r USING (run_id) WHERE {_OF_SUBJECT} "
        f"AND r.config_digest = ? AND {_fresh('r')} "
        "QUALIFY row_number() OVER (PARTITION BY r.as_of ORDER BY r.run_id DESC, "
        "t.type = 'untyped', t.subject_id <> ?) = 1 "
        "ORDER BY r.as_of",
        [subject, subject, cfg.digest, subject],
    )


def explain(
    *, store: Store, id: str, as_of: date | datetime | str | None = None, config: ConfigArg = None
) -> TypeExplanation:
    """Why ``id`` (customer or visitor id) has its type: scores, signals, features, history.

    ``as_of`` defaults to the day after the last data, like :func:`customer_types`.
    """
    cfg = as_config(config)
    cut = parse_as_of(as_of) or default_as_of(store)
    check_started(store, cut)
    subject = _subject(store, id, cut)
    # an anonymous visitor's subject is "visitor:<id>" (found by id in stored runs only)
    rows = features_frame(store, cut, cfg.feature_spec(), subjects=[subject, f"visitor:{id}"])
    row = rows[rows["subject_id"] == subject]
    row = (rows if row.empty else row).head(1).reset_index(drop=True)
    if row.empty:  # nothing is stored for an unknown subject
        raise NotFoundError(f"no customer or visitor {id!r} in the data before {cut:%Y-%m-%d}")
    subject = str(row.at[0, "subject_id"])
    run_at(store=store, as_of=cut, config=cfg)  # so the history includes this date
    typed = classify(row, cfg).iloc[0]
    joinable = _value_joinable(store, refresh=True, as_of=cut)
    from shopperlens.types.rules import ramp

    rec = row.iloc[0].to_dict()
    signals = {
        name: [
            SignalPart(
                feature=s.feature,
                value=_num(rec.get(s.feature)),
                strength=float(ramp([rec.get(s.feature, float("nan"))], s.lo, s.hi)[0]),
                weight=s.weight,
            )
            for s in rule.signals
        ]
        for name, rule in cfg.rules.items()
    }
    value = explain_value(
        store=store,
        subject={
            "customer_id": _str(typed["customer_id"]),
            "visitor_id": _str(typed["visitor_id"]),
            "type": str(typed["type"]),
            "evidence": str(typed["evidence"]),
        },
        as_of=cut,
    )
    if not joinable:  # another model's CLV run, and a read-only store cannot replace it
        value.update(dict.fromkeys(_VALUE_FIELDS), evidence=str(typed["evidence"]))
        value["no_dropout_note"] = ""
    past = _history_of(store, subject, cfg)
    return TypeExplanation(
        id=id,
        customer_id=_str(typed["customer_id"]),
        visitor_id=_str(typed["visitor_id"]),
        as_of=cut,
        type=str(typed["type"]),
        scores={t: float(typed[f"score_{t}"]) for t in TYPES},
        **value,
        signals=signals,
        features={k: _plain(v) for k, v in rec.items()},
        history=past.to_dict("records"),
        history_note=past.attrs["other_runs_note"],
    )


#: the explanation's fields that come from the stored CLV run
_VALUE_FIELDS = ("clv", "p_alive", "at_risk", "loyal_at_risk")


def _value_joinable(store: Store, *, refresh: bool, as_of: datetime | None = None) -> bool:
    """Whether the stored CLV run may be joined to types: not one another model made (an
    older release's counted a USD order as EUR; see ``service.clv.MODEL_VERSION``). With
    ``refresh``, a stored run these types may not join is first replaced by the current one
    (:func:`_refresh_value`)."""
    from shopperlens.service import clv  # (clv imports this module)

    if refresh:
        _refresh_value(store, as_of)
    return not clv.other_model_run(store=store)


def _refresh_value(store: Store, as_of: datetime | None) -> None:
    """On a store open for writing, replace the stored CLV run by the shop's current one, as
    the report's pages and the playbooks do (``value_run.ensure_current``), when it is
    another model's, or when the types as of ``as_of`` see all the data
    (``types_value.takes_current``) and it is not the current run — fitted before a later
    import of orders, as of another date, over another horizon. Left alone, such a run was
    joined: a customer whose only order was cancelled since kept a CLV and a P(alive) of
    1.00, and ``shopperlens types`` counted otherwise than the report after it. No run is
    made where none was, and a read never fails for it: when the CLV model fails (too few
    orders left, a customer erased while it fits) the CLV is left out of these types, and
    ``types_value.value_note`` says why."""
    from shopperlens.service import clv, value_run  # (clv imports this module)

    if store.read_only or not store.count("customer_value"):
        return
    if clv.other_model_run(store=store) or (
        takes_current(store, as_of) and not value_run.is_current(store=store)
    ):
        with suppress(ShopperlensError):
            value_run.ensure_current(store=store)


def _refresh_intent(store: Store) -> None:
    """A stored intent run older than the last import of what it scores is scored again on a
    store open for writing, as the report's value page does (``intent.latest_intent``): left
    alone, the types showed no intent until that page ran. No run is made where none was."""
    from shopperlens.service import intent

    if store.read_only or not store.count("visitor_intent") or intent.is_current(store):
        return
    # a read never fails for it: too few visits left to score, or a customer erased while it
    # scored (nothing stored), leave the intent out of these types
    with suppress(ShopperlensError):
        intent.visitor_intent(store=store, save=True)


def _with_value(
    frame: pd.DataFrame, *, store: Store, as_of: datetime | None, refresh: bool
) -> pd.DataFrame:
    """:func:`~.types_value.add_value`, never with another model's CLV run (see
    :func:`_value_joinable`): when it cannot be replaced its figures are left out, as when
    no run matches these types (``types_value.value_note`` then says why there are none)."""
    joinable = _value_joinable(store, refresh=refresh, as_of=as_of)
    if refresh:
        _refresh_intent(store)
    out = add_value(frame, store=store, as_of=as_of)
    if joinable:
        return out
    missing = pd.array([pd.NA] * len(out), dtype="boolean")
    out = out.assign(clv=np.nan, p_alive=np.nan, at_risk=missing, loyal_at_risk=missing)
    out["evidence"] = frame["evidence"].to_numpy()  # without the run's "loyal at risk: …"
    out.attrs.update(no_dropout=None, no_dropout_note="")
    return out


def _day(value: datetime | None) -> str:
    """A date as the movements' refusal names it (midnight as the day alone)."""
    if value is None:
        return "no date"
    return f"{value:%Y-%m-%d}" if value.time() == time() else f"{value:%Y-%m-%d %H:%M:%S}"


def moves(
    *,
    store: Store,
    date_from: date | datetime | str,
    date_to: date | datetime | str,
    config: ConfigArg = None,
    engine: str = "duckdb",
) -> Movements:
    """The transition matrix between the runs as of two dates (computed on ``engine`` when
    missing)."""
    cfg = as_config(config)
    d1, d2 = parse_as_of(date_from), parse_as_of(date_to)
    if d1 is None or d2 is None or d1 >= d2:
        raise ShopperlensError(
            "the movements compare an earlier date with a later one: --from (from, date_from) "
            f"must be before --to (to, date_to), and {_day(d1)} is not before {_day(d2)}"
        )
    lapsed = float(cfg.section("windows")["lapsed_days"])
    # a visitor anonymous at the first date and linked to a customer by the second is one person
    links = store.df(
        "SELECT 'visitor:' || visitor_id AS v, customer_id FROM identities "
        "WHERE linked_at IS NOT NULL AND linked_at >= ? AND linked_at < ?",
        [d1, d2],
    )
    matrix, pairs = mv.transition_matrix(
        run_at(store=store, as_of=d1, config=cfg, engine=engine),
        run_at(store=store, as_of=d2, config=cfg, engine=engine),
        lapsed_days=lapsed,
        same_as=dict(zip(links["v"], links["customer_id"], strict=True)),
    )
    new = pairs["from"] == mv.UNSEEN
    changed = pairs[(pairs["from"] != pairs["to"]) & ~new]
    top = changed.groupby(["from", "to"]).size().sort_values(ascending=False).head(10).reset_index()
    return Movements(
        date_from=d1,
        date_to=d2,
        states=sorted(set(matrix.index) | set(matrix.columns), key=_state_order),
        matrix={str(a): {str(b): int(n) for b, n in row.items()} for a, row in matrix.iterrows()},
        moved=len(changed),
        stayed=int((pairs["from"] == pairs["to"]).sum()),
        arrived=int(new.sum()),
        top=[{"from": r["from"], "to": r["to"], "subjects": int(r[0])} for _, r in top.iterrows()],
    )


#: what every face says when there are no imported session aggregates to type
NO_IMPORTED_SESSIONS = "no imported sessions: import a session-aggregate file first"


def session_types(*, store: Store, config: ConfigArg = None) -> pd.DataFrame:
    """Type every imported session aggregate (``sessions.origin = 'import'``).

    A store without any is refused with :data:`NO_IMPORTED_SESSIONS`, in every face: an empty
    frame read as "typed, and there were none" where the CLI said what to import."""
    sessions = store.df("SELECT * FROM sessions WHERE origin = 'import' ORDER BY session_id")
    if sessions.empty:
        raise ShopperlensError(NO_IMPORTED_SESSIONS)
    return st.type_sessions(sessions, as_config(config))


def session_summary(*, store: Store, config: ConfigArg = None) -> pd.DataFrame:
    """Per session type: how many, share, conversion, median product pages and minutes."""
    sessions = store.df("SELECT * FROM sessions WHERE origin = 'import' ORDER BY session_id")
    if sessions.empty:
        return pd.DataFrame(columns=["type", "sessions", "share", "conversion"])
    return st.summary(st.type_sessions(sessions, as_config(config)), sessions)


def demo_step(*, store: Store) -> None:
    """Store runs at the demo's end and every 90 days before, so the report shows movements."""
    end = default_as_of(store)
    for days in (270, 180, 90, 0):
        run_at(store=store, as_of=end - timedelta(days=days))


def _naive(moment: Any) -> datetime:
    """A stored run's date as the datetime DuckDB reads back (pandas gives Timestamps)."""
    return pd.Timestamp(moment).to_pydatetime()


def _state_order(s: str) -> int:
    return mv.STATES.index(s) if s in mv.STATES else len(mv.STATES)


def _str(v: Any) -> str | None:
    return None if v is None or (isinstance(v, float) and v != v) or pd.isna(v) else str(v)


def _num(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if f != f else f


def _plain(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, float | int | str | bool):
        return None if isinstance(v, float) and v != v else v
    if pd.isna(v):
        return None
    if hasattr(v, "item"):
        return v.item()
    return str(v)
