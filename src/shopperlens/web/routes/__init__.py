"""Every router of the HTTP API, discovered from the modules of this package.

A module defines ``router`` (an ``APIRouter``); it is served with token auth unless the module
sets ``PUBLIC = True`` — only the public survey endpoints do.
"""

from __future__ import annotations

import importlib
import pkgutil

from fastapi import APIRouter

PRIVATE_ROUTERS: list[APIRouter] = []
PUBLIC_ROUTERS: list[APIRouter] = []

for _mod in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if _mod.name.startswith("_"):
        continue
    _module = importlib.import_module(f"{__name__}.{_mod.name}")
    _router = getattr(_module, "router", None)
    if isinstance(_router, APIRouter):
        (PUBLIC_ROUTERS if getattr(_module, "PUBLIC", False) else PRIVATE_ROUTERS).append(_router)
