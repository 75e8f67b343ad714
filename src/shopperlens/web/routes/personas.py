"""Personas over HTTP: build a run, read it (JSON, Markdown, a printable card), diff, members."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, PlainTextResponse
from pydantic import BaseModel

from shopperlens.personas.evolution import Evolution
from shopperlens.personas.synthesis import Persona
from shopperlens.reports.persona_cards import render_card, render_markdown
from shopperlens.service.overview import shop_currency
from shopperlens.service.personas import MEMBER_COLUMNS, PersonaRun, RunInfo, runs
from shopperlens.web.deps import RequestBody, ShopDep
from shopperlens.web.times import ZonedRoute

router = APIRouter(prefix="/api/personas", tags=["personas"], route_class=ZonedRoute)


class BuildRequest(RequestBody):
    """``k`` forces the number of personas (2…``max_personas``; null: chosen from the data);
    the service checks both, so HTTP refuses what the CLI and Python refuse."""

    survey: str | None = None
    k: int | None = None
    max_personas: int = 6
    seed: int = 0


class Member(BaseModel):
    respondent: str
    persona: str
    #: the customer the respondent is linked to, None for one linked to none
    customer_id: str | None


@router.post("/build", response_model=PersonaRun)
def build(shop: ShopDep, body: BuildRequest) -> PersonaRun:
    """Cluster the survey's respondents into personas and store the run."""
    return shop.personas_build(
        body.survey,
        k="auto" if body.k is None else body.k,
        seed=body.seed,
        max_personas=body.max_personas,
    )


@router.get("", response_model=PersonaRun)
def latest(shop: ShopDep, run: int | None = Query(None, description="Run id (default latest).")):
    """The personas of a run, each with its statements and their evidence."""
    return shop.personas(run)


@router.get("/runs", response_model=list[RunInfo])
def list_runs(shop: ShopDep) -> list[RunInfo]:
    return runs(store=shop.store)


@router.get("/diff", response_model=Evolution)
def diff(
    shop: ShopDep,
    run: int | None = Query(None, description="Run id (default latest)."),
    against: int | None = Query(None, description="Earlier run (default the one before)."),
) -> Evolution:
    """What grew, shrank, vanished or appeared since the previous run."""
    return shop.personas_diff(run, against)


@router.get("/members", response_model=list[Member])
def members(
    shop: ShopDep,
    run: int | None = Query(None, description="Run id (default latest)."),
    limit: int = Query(10_000, ge=0, le=1_000_000),
    offset: int = Query(0, ge=0),
) -> list[dict[str, Any]]:
    df = shop.personas_members(run)[list(MEMBER_COLUMNS)]
    df = df.astype(object).where(df.notna(), None)
    return df.iloc[offset : offset + limit].to_dict(orient="records")


@router.get("/markdown", response_class=PlainTextResponse)
def markdown(
    shop: ShopDep,
    run: int | None = Query(None),
    name: str | None = Query(None, description="One persona only (default: all)."),
) -> str:
    """The run's personas (or the one ``name`` names) as Markdown, with the run's caveats."""
    result = shop.personas(run)
    return render_markdown(result, None if name is None else result.persona(name))


@router.get("/{name}", response_model=Persona)
def one(shop: ShopDep, name: str, run: int | None = Query(None)) -> Persona:
    """One persona by name, first name or number."""
    return shop.personas(run).persona(name)


@router.get("/{name}/card", response_class=HTMLResponse)
def card(shop: ShopDep, name: str, run: int | None = Query(None)) -> str:
    """The printable HTML card of one persona."""
    result = shop.personas(run)
    return render_card(result, result.persona(name), shop_currency(store=shop.store))
