"""Every time the HTTP API answers carries its zone: ``2025-03-01T10:00:00Z``.

The store keeps times in UTC without a zone (``service._clock``), and JSON wrote them so:
``2025-03-01T10:00:00``, which JavaScript's ``Date`` and many other clients read as their own
local time, hours off east or west of UTC. The Python API keeps handing back the store's naive
UTC times; only the HTTP answers say ``Z``. Every router of the API is built with
``route_class=ZonedRoute``, so a route cannot forget it.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.responses import Response


def _naive(value: Any) -> bool:
    """Whether ``value`` is a time without a zone (pandas' missing time ``NaT`` is not one)."""
    return (
        isinstance(value, datetime)
        and type(value).__name__ != "NaTType"
        and value.utcoffset() is None
    )


def with_utc_zone(value: Any) -> Any:
    """``value`` with every naive time in it marked UTC, through models, dataclasses, dicts,
    lists and tuples; what holds no such time is handed back as it is (the same object)."""
    if _naive(value):
        return value.replace(tzinfo=UTC)
    if isinstance(value, BaseModel):
        changed = {}
        for name, held in value.__dict__.items():
            zoned = with_utc_zone(held)
            if zoned is not held:
                changed[name] = zoned
        return value.model_copy(update=changed) if changed else value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value) if f.init}
        zoned_fields = {k: with_utc_zone(v) for k, v in fields.items()}
        if all(zoned_fields[k] is fields[k] for k in fields):
            return value
        return dataclasses.replace(value, **zoned_fields)
    if isinstance(value, dict):
        items = {k: with_utc_zone(v) for k, v in value.items()}
        return items if any(items[k] is not value[k] for k in value) else value
    if isinstance(value, list | tuple):
        seq = [with_utc_zone(v) for v in value]
        if all(a is b for a, b in zip(seq, value, strict=True)):
            return value
        return tuple(seq) if isinstance(value, tuple) else seq
    return value


def _zoned(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """``endpoint`` answering with :func:`with_utc_zone` of its value (a ``Response`` it
    builds itself is sent as built). FastAPI reads the parameters and the return annotation
    through ``functools.wraps``."""
    if inspect.iscoroutinefunction(endpoint):

        @functools.wraps(endpoint)
        async def call_async(*args: Any, **kwargs: Any) -> Any:
            return _answer(await endpoint(*args, **kwargs))

        return call_async

    @functools.wraps(endpoint)
    def call(*args: Any, **kwargs: Any) -> Any:
        return _answer(endpoint(*args, **kwargs))

    return call


def _answer(value: Any) -> Any:
    """What a route returned, ready for FastAPI to serialise with zoned times."""
    return value if isinstance(value, Response) else with_utc_zone(value)


class ZonedRoute(APIRoute):
    """A route whose JSON gives every time in UTC with ``Z`` (see the module)."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, _zoned(endpoint), **kwargs)
