"""Background jobs: start a long analysis, then poll its status.

``POST /api/jobs/{name}`` with the job's parameters as JSON returns 202 and a job id;
``GET /api/jobs/{id}`` reports status, progress and, when done, the result summary.
Parameters are checked against the service function before the job is queued: an unknown,
missing or mistyped one is answered 422 naming it, instead of a job that fails later.

Each job calls the service function its synchronous route and CLI command call, with the
shop's own settings (types thresholds, engine, persona privacy threshold, income adjustment):
a job must give the answer the rest of the shop gives, and never store a run the shop's
settings would not make.
"""

from __future__ import annotations

import importlib
import inspect
import typing
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Request, status
from pydantic import BeforeValidator, ConfigDict, ValidationError, create_model
from pydantic_core import PydanticCustomError

from shopperlens.api import Shop
from shopperlens.config import Settings
from shopperlens.service.jobs import JobRunner, JobStatus
from shopperlens.web.deps import ShopDep
from shopperlens.web.routes.imports import JOB_WORDS, in_http_words
from shopperlens.web.times import ZonedRoute

router = APIRouter(prefix="/api/jobs", tags=["jobs"], route_class=ZonedRoute)

#: job name -> (service module, function); parameters come from the request body
JOBS: dict[str, tuple[str, str]] = {
    "import": ("shopperlens.service.imports", "import_files"),
    "types": ("shopperlens.service.types", "customer_types"),
    # the command's run: stored unless {"save": false} (customer_value itself only scores)
    "clv": ("shopperlens.service.clv", "customer_value_run"),
    "personas": ("shopperlens.service.personas", "build"),
    "report": ("shopperlens.service.report", "write"),
    "demo": ("shopperlens.service.demo", "run_demo"),
}


#: parameters the shop's settings supply (see :func:`_from_settings`), never the request: a
#: request lowering the persona privacy threshold or naming a thresholds file on the server
#: would make a run the shop's settings forbid
SETTINGS_PARAMS = frozenset({"settings", "config", "engine", "min_group_size", "income_adjustment"})
#: parameters the server supplies, never the request: the shop's store, the job's progress
#: callback, the shop's settings, and objects JSON cannot carry (a Spark session, a DataFrame)
SERVER_PARAMS = frozenset({"store", "progress", "spark_session", "frame"}) | SETTINGS_PARAMS


def _from_settings(settings: Settings) -> dict[str, Any]:
    """The values :data:`SETTINGS_PARAMS` take from the shop's settings: those ``Shop``
    passes when the synchronous routes and the CLI call the same service functions."""
    return {
        "settings": settings,
        "config": settings.types_config,
        "engine": settings.engine,
        "min_group_size": settings.min_group_size,
        "income_adjustment": settings.income_adjustment,
    }


def _request_params(fn: Callable[..., Any]) -> list[inspect.Parameter]:
    """The parameters a request may give: the function's own, less those the server supplies
    (and, as ``_call`` passes it, the store of a function taking it first under another name)."""
    params = list(inspect.signature(fn).parameters.values())
    if params and "store" not in {p.name for p in params}:
        params = params[1:]
    skip = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    return [p for p in params if p.name not in SERVER_PARAMS and p.kind not in skip]


def _takes_a_date(hint: Any) -> bool:
    """Whether ``hint`` accepts a date or a datetime, alone or in a union."""
    args = typing.get_args(hint)
    if args:
        return any(_takes_a_date(a) for a in args)
    return isinstance(hint, type) and issubclass(hint, date)


def _no_number(value: Any) -> Any:
    """Refuse a JSON number where a date is meant: pydantic would read it as seconds (or
    milliseconds) since 1970, so ``{"as_of": 1717200000}`` stored a run as of 1 June 2024 and
    ``{"as_of": 20240601}`` was refused as 23 August 1970 at 06:23. A date is text."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise PydanticCustomError(
            "date_type",
            "not a date: {value} is a number; give the date as text such as '2025-06-01' "
            "(a number is read neither as a date nor as seconds since 1970)",
            {"value": value},
        )
    return value


def _field_type(hint: Any) -> Any:
    """The type a request's value is checked against: ``hint``, refusing numbers for a date."""
    return Annotated[hint, BeforeValidator(_no_number)] if _takes_a_date(hint) else hint


def _checked(name: str, fn: Callable[..., Any], params: dict[str, Any]) -> dict[str, Any]:
    """``params`` validated against ``fn``'s signature and type hints, or HTTP 422 naming each
    unknown, missing or mistyped parameter (and the parameters the job takes)."""
    accepted = _request_params(fn)
    try:
        hints = typing.get_type_hints(fn)
    except Exception:  # a hint that cannot be resolved: check names only
        hints = {}
    fields: dict[str, Any] = {
        p.name: (_field_type(hints.get(p.name, Any)), ... if p.default is p.empty else p.default)
        for p in accepted
    }
    model = create_model(  # type: ignore[call-overload]
        f"{name}_job_parameters",
        __config__=ConfigDict(extra="forbid", arbitrary_types_allowed=True),
        **fields,
    )
    try:
        given = model.model_validate(params)
    except ValidationError as exc:
        takes = ", ".join(p.name for p in accepted) or "no parameters"
        problems = []
        for err in exc.errors():
            param = str(err["loc"][0]) if err["loc"] else "(body)"
            if err["type"] == "extra_forbidden":
                msg = f"job {name} has no parameter {param!r}; it takes: {takes}"
            elif err["type"] == "missing":
                msg = f"job {name} needs the parameter {param!r}"
            else:
                msg = f"parameter {param!r} of job {name}: {err['msg']}"
            problems.append({"loc": ["body", *err["loc"]], "msg": msg, "type": err["type"]})
        raise HTTPException(422, problems) from None
    return {key: getattr(given, key) for key in given.model_fields_set}


def _runner(request: Request) -> JobRunner:
    runner = getattr(request.app.state, "jobs", None)
    if runner is None:
        runner = request.app.state.jobs = JobRunner()
    return runner


def _call(shop: Shop, module: str, func: str, params: dict[str, Any], progress: Any) -> Any:
    """Run the job's service function with the request's parameters and what the server
    supplies: the progress callback and the shop's settings, each where the function takes
    it."""
    fn = getattr(importlib.import_module(module), func)
    sig = inspect.signature(fn)
    server = {"progress": progress, **_from_settings(shop.settings)}
    kwargs = dict(params) | {k: v for k, v in server.items() if k in sig.parameters}
    if "store" in sig.parameters:
        kwargs["store"] = shop.store
        return fn(**kwargs)
    return fn(shop.store, **kwargs)


@router.post("/{name}", status_code=status.HTTP_202_ACCEPTED, response_model=JobStatus)
def start(
    name: str, request: Request, shop: ShopDep, params: dict[str, Any] = Body(default={})
) -> JobStatus:
    if name not in JOBS:
        raise HTTPException(404, f"no job named {name}; jobs: {', '.join(sorted(JOBS))}")
    module, func = JOBS[name]
    try:
        fn = getattr(importlib.import_module(module), func)
    except (ImportError, AttributeError) as exc:
        raise HTTPException(404, f"job {name} is not available: {exc}") from exc
    kwargs = _checked(name, fn, params)
    if name == "types" and kwargs.get("as_of") is not None:
        # a run's date, as the other faces take it: a time of day is refused (400) before
        # queueing, rather than a run stored between two dates
        from shopperlens.service.types import run_date

        kwargs["as_of"] = run_date(kwargs["as_of"])
    if name == "import":  # options that cannot work are refused (400) before queueing
        import inspect

        from shopperlens.service.imports import check_call

        options = inspect.signature(check_call).parameters  # (the options it checks)
        with in_http_words(JOB_WORDS):
            check_call(**{k: v for k, v in kwargs.items() if k in options})

    def work(progress: Any) -> Any:
        if name != "import":
            return _call(shop, module, func, kwargs, progress)
        with in_http_words(JOB_WORDS):  # (an option named as this body gives it)
            return _call(shop, module, func, kwargs, progress)

    return _runner(request).submit(name, work)


@router.get("", response_model=list[JobStatus])
def list_jobs(request: Request) -> list[JobStatus]:
    return _runner(request).all()


@router.get("/{job_id}", response_model=JobStatus)
def get_job(job_id: str, request: Request) -> JobStatus:
    try:
        return _runner(request).get(job_id)
    except Exception as exc:
        raise HTTPException(404, str(exc)) from exc
