"""Customer types over HTTP: the typed subjects, one subject's explanation, movements."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from shopperlens.service import types as svc
from shopperlens.service.types_value import frame_as_of, value_by_type
from shopperlens.store import Store
from shopperlens.web.deps import NOTE, ShopDep, header_text
from shopperlens.web.times import ZonedRoute

router = APIRouter(prefix="/api/types", tags=["types"], route_class=ZonedRoute)


class TypesPage(BaseModel):
    """One page of a types run: ``rows`` hold the columns of the CLI's ``--out`` file, ``clv,
    p_alive, at_risk, loyal_at_risk, intent`` always among them (null where no CLV / intent
    run is joined)."""

    as_of: Any
    run_id: int | None
    total: int
    counts: dict[str, int]
    rows: list[dict[str, Any]]
    # per type: subjects, mean_clv, mean_p_alive, at_risk, loyal_at_risk, mean_intent
    value: list[dict[str, Any]] = []
    loyal_at_risk: int | None = None
    #: why the CLV figures flag nobody: the model found no dropout ("" otherwise)
    no_dropout_note: str = ""


def _records(df: Any) -> list[dict[str, Any]]:
    return df.astype(object).where(df.notna(), None).to_dict(orient="records")


def _page(df: Any, type_: str | None, limit: int, offset: int, store: Store) -> TypesPage:
    counts = {str(k): int(v) for k, v in df["type"].value_counts().items()}
    value = value_by_type(df)
    at_risk = svc.loyal_at_risk_count(df)
    # the service's selection: an unknown type, or loyal_at_risk with no CLV run joined, is a
    # 400 saying why (and how to store a run), not an empty page that reads as "nobody"
    df = svc.select(df, type_, store=store)
    return TypesPage(
        value=_records(value) if not value.empty else [],
        loyal_at_risk=at_risk,
        no_dropout_note=df.attrs.get("no_dropout_note") or "",
        as_of=frame_as_of(df),
        run_id=df.attrs.get("run_id"),
        total=len(df),
        counts=counts,
        rows=_records(df.iloc[offset : offset + limit]),
    )


@router.get("", response_model=TypesPage)
def types(
    shop: ShopDep,
    as_of: str | None = Query(None, description="Data before this date (YYYY-MM-DD)."),
    type: str | None = Query(  # noqa: A002
        None,
        description="Only this type (or loyal_at_risk: loyal customers the stored CLV run "
        "flags; 400 when none is joined: `shopperlens clv` or POST /api/jobs/clv stores one).",
    ),
    limit: int = Query(100, ge=0, le=10_000),
    offset: int = Query(0, ge=0),
) -> TypesPage:
    """The latest stored run, or the run as of ``as_of`` (computed and stored when missing)."""
    if as_of is None:
        df = shop.latest_types()
    else:
        cut = svc.run_date(as_of)  # a date: a run at a time of day is refused, as in every face
        df = svc.types_at(
            store=shop.store, as_of=cut, config=shop.settings.types_config,
            engine=shop.settings.engine,
        )  # fmt: skip
    return _page(df, type, limit, offset, shop.store)


@router.post("/runs", response_model=TypesPage)
def new_run(
    shop: ShopDep,
    as_of: str | None = Query(None, description="Data before this date (YYYY-MM-DD)."),
    limit: int = Query(0, ge=0, le=10_000),
) -> TypesPage:
    """Classify now (as of ``as_of``) and store the run."""
    return _page(shop.types(as_of), None, limit, 0, shop.store)


@router.get("/moves", response_model=svc.Movements)
def moves(
    shop: ShopDep,
    date_from: str = Query(..., alias="from", description="Earlier date (YYYY-MM-DD)."),
    date_to: str = Query(..., alias="to", description="Later date (YYYY-MM-DD)."),
) -> svc.Movements:
    """Transition matrix between the types as of two dates."""
    return shop.type_moves(date_from, date_to)


@router.get("/sessions")
def sessions(
    shop: ShopDep, limit: int = Query(100, ge=0, le=100_000), offset: int = Query(0, ge=0)
) -> dict[str, Any]:
    """Imported session aggregates typed need-based, looker or impulse-like, with a summary."""
    typed = shop.session_types()
    summary = svc.session_summary(store=shop.store, config=shop.settings.types_config)
    return {
        "total": len(typed),
        "summary": _records(summary),
        "rows": _records(typed.iloc[offset : offset + limit]),
    }


@router.get("/{id:path}/explain", response_model=svc.TypeExplanation)
def explain(
    shop: ShopDep,
    id: str,  # noqa: A002
    as_of: str | None = Query(None, description="Data before this date (YYYY-MM-DD)."),
) -> svc.TypeExplanation:
    """Why a customer or visitor has its type: scores, evidence, signals and history."""
    return shop.explain_type(id, as_of)


@router.get("/{id:path}/history")
def history(shop: ShopDep, id: str, response: Response) -> list[dict[str, Any]]:  # noqa: A002
    """The subject's type in every stored run under the current rules on the current data,
    oldest first; the ``X-Shopperlens-Note`` header counts the stored runs left out (made
    under other rules, or before an import of earlier data) and says how to recompute them."""
    found = shop.type_history(id)
    if found.attrs.get("other_runs_note"):  # the stored runs left out, as the CLI says below
        response.headers[NOTE] = header_text(found.attrs["other_runs_note"])
    return _records(found)
