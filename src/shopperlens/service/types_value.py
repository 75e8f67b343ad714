"""Customer value next to customer types: CLV, P(alive), "loyal at risk" and looker intent.

The types say *how* someone shops; the value models (:mod:`shopperlens.service.clv`,
:mod:`shopperlens.service.intent`) say what a customer is worth, whether she is still a customer
and how close a looker is to buying. This module left-joins the *stored* value runs onto a types
frame, so every types face (CLI, Python, HTTP, report page) can show them without refitting
anything: it never computes a run and never fails when none is stored.

A stored run is joined only when it saw no data the types did not: the CLV run's data (its
orders up to the end of its ``as_of`` day; for intent, which has no date, the shop's latest
data) must end on or before the types' ``as_of`` and at most :data:`MATCH_DAYS` before it — a
past types run is not decorated with a P(alive) or CLV computed with later orders, nor a
current one with a stale run. Types that see all the shop's data (:func:`takes_current`) join
only the shop's current CLV run (``service.value_run.is_current``), the one the report's pages
and the playbooks show: a run fitted before a later import of orders (a cancellation, a late
file) gave a customer whose only order was cancelled a CLV and a P(alive) of 1.00.
``service.types`` brings the stored run up to date first where the store may be written.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from shopperlens.features import default_as_of
from shopperlens.store import Store

#: value columns after the types contract columns, in every types result whether or not a
#: value run is stored or joined (missing then): code reading ``df["clv"]`` works on every shop
VALUE_COLUMNS = ["clv", "p_alive", "at_risk", "loyal_at_risk", "intent"]
#: the value columns' dtypes: floats missing as NaN, flags as pandas' nullable boolean, whose
#: missing value stays missing (NA) instead of becoming False
VALUE_DTYPES = {
    "clv": "float64",
    "p_alive": "float64",
    "at_risk": "boolean",
    "loyal_at_risk": "boolean",
    "intent": "float64",
}
#: the id columns, whose missing value (an anonymous visitor's customer id, a customer's
#: visitor id when there are no visits) is NaN
ID_COLUMNS = ("customer_id", "visitor_id")
#: the dtype pandas gives text (``str`` from pandas 3 on, ``object`` before): the id columns
#: of a stored run that are all missing came back as ``object`` beside ``str`` elsewhere
TEXT = pd.Series([""]).dtype
#: a stored value run is joined when its data end at most this many days before the types'
#: as_of (and never after it)
MATCH_DAYS = 31
#: the label the report, the API and the evidence use for loyal customers slipping away
LOYAL_AT_RISK = "loyal at risk"


def _has(store: Store, table: str) -> bool:
    return bool(
        store.scalar("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table])
    ) and bool(store.scalar(f"SELECT count(*) > 0 FROM {table}"))  # noqa: S608 (fixed names)


def _covers(data_end: Any, as_of: Any) -> bool:
    """Whether a run whose data end (exclusively) at ``data_end`` may stand for types as of
    ``as_of``: on or before it — a run that counts later orders describes a later moment —
    and at most :data:`MATCH_DAYS` before it."""
    if data_end is None or as_of is None or pd.isna(data_end) or pd.isna(as_of):
        return False
    lag = pd.Timestamp(as_of) - pd.Timestamp(data_end)
    return pd.Timedelta(0) <= lag <= pd.Timedelta(days=MATCH_DAYS)


def _value_end(run_as_of: Any) -> pd.Timestamp | None:
    """The end of a CLV run's data: its ``as_of`` is a day whose orders count."""
    if run_as_of is None or pd.isna(run_as_of):
        return None
    return pd.Timestamp(run_as_of).floor("D") + pd.Timedelta(days=1)


def takes_current(store: Store, as_of: Any) -> bool:
    """Whether types as of ``as_of`` see all the shop's data (as of the day after its newest
    order or event, or later), and so take the shop's current CLV run and no other: a past
    date keeps the :data:`MATCH_DAYS` rule, as the current run counts orders it does not see."""
    if as_of is None or pd.isna(as_of):
        return False
    return pd.Timestamp(as_of) >= pd.Timestamp(default_as_of(store))


def _current_run(store: Store) -> bool:
    """``service.value_run.is_current`` (imported here: value_run imports the types)."""
    from shopperlens.service.value_run import is_current

    return is_current(store=store)


def stored_value(*, store: Store, as_of: datetime | None) -> pd.DataFrame | None:
    """The stored CLV run as ``customer_id, clv, p_alive, at_risk`` if it matches ``as_of``:
    its data end at most :data:`MATCH_DAYS` before it, and it is the shop's current run when
    the types see all the data (:func:`takes_current`)."""
    if not _has(store, "customer_value"):
        return None
    run_as_of = store.scalar("SELECT max(as_of) FROM customer_value")
    if as_of is not None and not _covers(_value_end(run_as_of), as_of):
        return None
    if takes_current(store, as_of) and not _current_run(store):
        return None
    return store.df("SELECT customer_id, clv, p_alive, at_risk FROM customer_value")


def stored_intent(*, store: Store, as_of: datetime | None) -> pd.DataFrame | None:
    """The stored intent run as ``visitor_id, intent`` (best score per visitor) if current:
    made after the last import of what it scores, and for data matching ``as_of``."""
    from shopperlens.service.intent import is_current

    if not _has(store, "visitor_intent") or not is_current(store):
        return None
    if as_of is not None and not _covers(default_as_of(store), as_of):
        return None
    return store.df(
        "SELECT visitor_id, max(intent) AS intent FROM visitor_intent "
        "WHERE visitor_id IS NOT NULL GROUP BY visitor_id"
    )


def frame_as_of(frame: pd.DataFrame) -> datetime | None:
    """The as-of instant of a types frame. ``attrs["as_of"]`` holds it as ISO 8601 text
    (``2025-06-01T00:00:00``): pandas writes ``attrs`` into a Parquet file as JSON, and a
    datetime there made the analyst's own ``df.to_parquet()`` fail with a TypeError."""
    value = frame.attrs.get("as_of")
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def as_of_attr(as_of: datetime | None) -> str | None:
    """``as_of`` as a frame keeps it (see :func:`frame_as_of`)."""
    return None if as_of is None else pd.Timestamp(as_of).to_pydatetime().isoformat()


def add_value(frame: pd.DataFrame, *, store: Store, as_of: datetime | None) -> pd.DataFrame:
    """``frame`` (a types result) with :data:`VALUE_COLUMNS` appended, always, in
    :data:`VALUE_DTYPES`, and its id columns as text (:data:`TEXT`): one schema for every
    shop and date, so an analyst's ``df["clv"]`` or a ``types --out`` file reads the same
    with or without a value run.

    The columns are filled only from runs that match ``as_of``, and are missing otherwise.
    ``attrs["value_stored"]`` says whether any CLV or intent run is stored (joined or not:
    see :func:`value_stored`). Left join: customers without a CLV row (never bought, or the
    run is from another date) get NaN/NA; ``intent`` is filled for lookers only. Loyal
    customers the CLV model flags ``at_risk`` get ``loyal_at_risk = True`` and their evidence
    starts with "loyal at risk: P(alive) 0.03 (…)" before the types' own evidence, which
    says how long ago the last order was; other types are ``False`` (known not to be loyal),
    and a loyal customer without a CLV row NA. The contract columns keep their order and
    values (apart from that evidence prefix).

    With a CLV run joined, ``attrs["no_dropout"]`` is the dropout of its model when that found
    none (else None) and ``attrs["no_dropout_note"]`` the sentence saying so ("" otherwise).
    ``p_alive``, ``at_risk`` and ``loyal_at_risk`` are then missing on every row, as
    :func:`explain_value`, :func:`value_by_type` and every types face leave them out: 1.00
    and False were the model's assumption, not a measure (see :func:`dropout_of_run`).
    """
    value = stored_value(store=store, as_of=as_of)
    intent = stored_intent(store=store, as_of=as_of)
    dropout = dropout_of_run(store) if value is not None else None
    if dropout is not None:  # the model's assumption: everyone alive, nobody at risk
        value = value.assign(p_alive=np.nan, at_risk=pd.NA)
    attrs = dict(frame.attrs)
    out = frame.copy()
    for col in ID_COLUMNS:
        if col in out.columns:
            out[col] = out[col].astype(TEXT)
    cid = out["customer_id"].astype("string")
    if value is not None:
        v = value.assign(customer_id=value["customer_id"].astype(str)).set_index("customer_id")
        out["clv"] = cid.map(v["clv"]).astype("float64").to_numpy()
        out["p_alive"] = cid.map(v["p_alive"]).astype("float64").to_numpy()
        out["at_risk"] = pd.array(cid.map(v["at_risk"]).to_numpy(), dtype="boolean")
    else:
        out["clv"] = np.nan
        out["p_alive"] = np.nan
        out["at_risk"] = pd.array([pd.NA] * len(out), dtype="boolean")
    out["loyal_at_risk"] = _loyal_at_risk(
        out["type"], out["at_risk"], measured=value is not None and dropout is None
    )
    flagged = out["loyal_at_risk"].fillna(False).astype(bool)
    if flagged.any():
        # no day count here: the loyal evidence says the days since the last order, counted
        # to the types' as-of date; the run's own count (to its date, up to MATCH_DAYS
        # earlier) put two different figures for the same quiet spell in one sentence
        prefix = (
            LOYAL_AT_RISK + ": P(alive) "
            + out.loc[flagged, "p_alive"].map("{:.2f}".format)
            + " (the CLV model thinks this customer may have stopped buying); "
        )  # fmt: skip
        out.loc[flagged, "evidence"] = prefix + out.loc[flagged, "evidence"].astype(str)
    out["intent"] = np.nan
    if intent is not None:
        scores = intent.set_index("visitor_id")["intent"]
        lookers = out["type"] == "looker"
        mapped = out.loc[lookers, "visitor_id"].astype("string").map(scores)
        out.loc[lookers, "intent"] = mapped.astype("float64").to_numpy()
    out = out[[*(c for c in out.columns if c not in VALUE_COLUMNS), *VALUE_COLUMNS]]
    out = out.astype(VALUE_DTYPES)
    out.attrs.update(attrs)
    stored = _has(store, "customer_value") or _has(store, "visitor_intent")
    out.attrs.update(
        value_stored=stored, no_dropout=dropout, no_dropout_note=_no_dropout_note(dropout)
    )
    return out


def value_stored(frame: pd.DataFrame) -> bool:
    """Whether a CLV or intent run was stored when the types ``frame`` was valued
    (``attrs["value_stored"]``, see :func:`add_value`), joined or not: the faces then show
    the value per type, and say why a figure is missing. A frame without that attribute (one
    made by hand) counts as valued when it has the value columns."""
    return bool(frame.attrs.get("value_stored", "clv" in frame.columns))


def dropout_of_run(store: Store) -> float | None:
    """The stored CLV run's model dropout when it found none, else None: the service's one
    judgement (:func:`shopperlens.service.clv.stored_run_no_dropout`), which the report's
    pages, the loyal playbook, ``clv-report`` and ``GET /api/clv/*`` ask too."""
    from shopperlens.service.clv import stored_run_no_dropout  # clv imports the types

    return stored_run_no_dropout(store=store)


def _no_dropout_note(dropout: float | None) -> str:
    """The service's sentence for ``dropout`` (imported here: clv imports the types)."""
    from shopperlens.service.clv import no_dropout_note

    return no_dropout_note(dropout)


def _loyal_at_risk(
    types: pd.Series, at_risk: pd.Series, *, measured: bool
) -> pd.arrays.BooleanArray:
    """The ``loyal_at_risk`` column (pandas' nullable boolean): loyal and flagged ``at_risk``
    when the joined CLV run measured its customers (False for other types, NA for a loyal
    customer without a CLV row), else all missing. Without a run nobody was measured, and
    ``False`` on every row read as "no loyal customer at risk" (the CLI printed "0 loyal at
    risk"); nor was anybody when its model found no dropout (``measured`` False)."""
    if not measured:
        return pd.array([pd.NA] * len(types), dtype="boolean")
    loyal = pd.array((types == "loyal").to_numpy(dtype=bool), dtype="boolean")
    return loyal & pd.array(at_risk, dtype="boolean")  # Kleene: False & NA is False


def explain_value(*, store: Store, subject: dict[str, Any], as_of: datetime) -> dict[str, Any]:
    """One subject's value fields (and evidence) for ``service.types.explain``.

    ``subject`` holds ``customer_id, visitor_id, type, evidence``.
    """
    one = pd.DataFrame([{k: subject.get(k) for k in ("customer_id", "visitor_id", "type",
                                                     "evidence")}])  # fmt: skip
    # (when the run's model found no dropout, add_value leaves P(alive) and the flags out,
    # and the note says why: 1.00 and "not at risk" are its assumption, not a measure)
    valued = add_value(one, store=store, as_of=as_of)
    row = valued.iloc[0]

    def num(k: str) -> float | None:
        v = row.get(k)
        return None if v is None or pd.isna(v) else float(v)

    return {
        "clv": num("clv"),
        "p_alive": num("p_alive"),
        "at_risk": _flag(row.get("at_risk")),
        "loyal_at_risk": _flag(row.get("loyal_at_risk")),
        "intent": num("intent"),
        "evidence": str(row["evidence"]),
        "no_dropout_note": str(valued.attrs.get("no_dropout_note", "")),
    }


def _flag(value: Any) -> bool | None:
    """A nullable flag as ``True``/``False``, or None when missing (no CLV run joined)."""
    return None if value is None or pd.isna(value) else bool(value)


def value_by_type(frame: pd.DataFrame) -> pd.DataFrame:
    """Per type: subjects, mean CLV, mean P(alive), at-risk and loyal-at-risk counts, intent;
    empty when no value run is stored (:func:`value_stored`: the faces show counts only).

    A count is None, not 0, for a type none of whose people has a CLV row (lookers, who never
    bought, or every type when the stored run was not joined: see :func:`value_note`): "0 at
    risk" would read as measured when nothing was. When the joined run's model found no
    dropout (``frame.attrs["no_dropout"]``, see :func:`add_value`) mean P(alive) and both
    at-risk counts are None for every type: 1.00 and 0 were the model's assumption, not a
    measure."""
    if not value_stored(frame):
        return pd.DataFrame()
    scored = frame["at_risk"].notna()
    flagged = frame["at_risk"].fillna(False).astype(bool)
    g = frame.assign(_scored=scored, _flagged=flagged).groupby("type", sort=False)
    out = pd.DataFrame(
        {
            "subjects": g.size(),
            "mean_clv": g["clv"].mean(),
            "mean_p_alive": g["p_alive"].mean(),
            "at_risk": g["_flagged"].sum().astype(int),
            "loyal_at_risk": g["loyal_at_risk"].sum().astype(int),
            "mean_intent": g["intent"].mean(),
        }
    )
    known = g["_scored"].any()
    if frame.attrs.get("no_dropout") is not None:  # nobody's P(alive) or flag is a measure
        known[:] = False
        out["mean_p_alive"] = np.nan
    for col in ("at_risk", "loyal_at_risk"):
        out[col] = out[col].astype(object).where(known, None)
    return out.reset_index()


#: why types that see all the data carry no CLV figures when the stored run is not the
#: shop's current one and was not replaced (a store open for writing replaces it)
NOT_CURRENT_VALUE = (
    "the stored customer-value run is not the shop's current one (fitted before the last "
    "import of orders, or as of another date or over another horizon), so its figures are "
    "not shown as theirs: `shopperlens clv` computes the current one"
)


def value_note(*, store: Store, as_of: datetime | None) -> str:
    """Why a types run as of ``as_of`` carries no CLV figures ("" when the stored run is
    joined): no run stored, one that is not the shop's current one while the types see all
    the data (``service.value_run.READ_ONLY_VALUE`` on a read-only store, which cannot
    replace it), one that counts orders after ``as_of`` (its P(alive) and CLV know what came
    later), or one more than :data:`MATCH_DAYS` older."""
    if not _has(store, "customer_value"):
        return "no customer-value run is stored (`shopperlens clv` computes one)"
    from shopperlens.service.clv import other_model_run

    if other_model_run(store=store):  # (left out whatever its dates: see service.types)
        return (
            "the stored customer-value run was made by an older shopperlens, whose figures this "
            "one does not show as its own: open the store once for writing (without "
            "--read-only) or run `shopperlens clv` to compute them again"
        )
    if stored_value(store=store, as_of=as_of) is not None:
        return ""
    if takes_current(store, as_of) and not _current_run(store):
        from shopperlens.service.value_run import READ_ONLY_VALUE

        return READ_ONLY_VALUE if store.read_only else NOT_CURRENT_VALUE
    run_as_of = pd.Timestamp(store.scalar("SELECT max(as_of) FROM customer_value"))
    types = f"these types (data before {pd.Timestamp(as_of):%Y-%m-%d})"
    if _value_end(run_as_of) > pd.Timestamp(as_of):
        return (
            f"the stored customer-value run is as of {run_as_of:%Y-%m-%d}, later than {types}: "
            "it counts orders they do not see, so its figures are not shown as theirs"
        )
    return (
        f"the stored customer-value run is as of {run_as_of:%Y-%m-%d}, more than {MATCH_DAYS} "
        f"days from {types}, so its figures are not shown as theirs"
    )
