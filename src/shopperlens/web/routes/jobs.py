"""Background jobs: start a long analysis, then poll its status.

``POST /api/jobs/{name}`` with the job's parameters as JSON returns 202 and a job id;
``GET /api/jobs/{id}`` reports status, progress and, when done, the result summary.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

from fastapi import APIRouter, Body, HTTPException, Request, status

from shopperlens.api import Shop
from shopperlens.service.jobs import JobRunner, JobStatus
from shopperlens.web.deps import ShopDep

router = APIRouter(prefix="/api/jobs", tags=["jobs"])

#: job name -> (service module, function); parameters come from the request body
JOBS: dict[str, tuple[str, str]] = {
    "import": ("shopperlens.service.imports", "import_files"),
    "types": ("shopperlens.service.types", "customer_types"),
    "clv": ("shopperlens.service.clv", "customer_value"),
    "personas": ("shopperlens.service.personas", "build"),
    "report": ("shopperlens.reports", "write_report"),
    "demo": ("shopperlens.service.demo", "run_demo"),
}


def _runner(request: Request) -> JobRunner:
    runner = getattr(request.app.state, "jobs", None)
    if runner is None:
        runner = request.app.state.jobs = JobRunner()
    return runner


def _call(shop: Shop, module: str, func: str, params: dict[str, Any], progress: Any) -> Any:
    fn = getattr(importlib.import_module(module), func)
    sig = inspect.signature(fn)
    kwargs = dict(params)
    if "progress" in sig.parameters:
        kwargs["progress"] = progress
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
        importlib.import_module(module)
    except ImportError as exc:
        raise HTTPException(404, f"job {name} is not available: {exc}") from exc

    def work(progress: Any) -> Any:
        return _call(shop, module, func, params, progress)

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
