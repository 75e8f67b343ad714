"""The customer-type rules as a value object, read from ``defaults.yaml`` plus an override file.

Thresholds are data, not code: a shop changes them in a YAML file (``SHOPPERLENS_TYPES_CONFIG``
or ``--config``) and only the keys it names change. Loading validates the file and reports
mistakes in the file's own terms ("types.loyal.signals.orders: weight must be > 0").
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from shopperlens.errors import ShopperlensError

#: the five types, in the order used to break ties between equal scores
TYPES: tuple[str, ...] = ("need_based", "looker", "new", "loyal", "impulse")
TIE_ORDER: tuple[str, ...] = ("new", "loyal", "impulse", "need_based", "looker")
UNTYPED = "untyped"
SESSION_TYPES: tuple[str, ...] = ("need_based", "looker", "impulse")


def type_name(text: str) -> str:
    """A customer type as people write it (``need-based``, ``Need based``, ``lookers``) ->
    its name (``need_based``, ``looker``); anything else is refused with the names to use.

    Every face that takes a type goes through this: a filter naming no type would otherwise
    select nobody without a word.
    """
    key = "_".join(str(text).strip().lower().replace("-", " ").split())
    if key not in TYPES and key.endswith("s") and key[:-1] in TYPES:
        key = key[:-1]
    if key not in TYPES:
        raise ShopperlensError(f"unknown customer type {text!r}; use one of {', '.join(TYPES)}")
    return key


@dataclass(frozen=True)
class Signal:
    """``feature`` ramps from 0 at ``lo`` to 1 at ``hi`` (reversed when ``hi < lo``)."""

    feature: str
    lo: float
    hi: float
    weight: float


@dataclass(frozen=True)
class TypeRule:
    name: str
    min_orders: int | None
    max_orders: int | None
    signals: tuple[Signal, ...]


@dataclass(frozen=True)
class TypesConfig:
    """Everything the classifier reads; build it with :func:`load_config`."""

    raw: dict[str, Any]

    @property
    def rules(self) -> dict[str, TypeRule]:
        return {name: _rule(name, self.raw["types"][name]) for name in TYPES}

    def section(self, name: str) -> dict[str, Any]:
        return dict(self.raw[name])

    @property
    def session_rules(self) -> dict[str, tuple[Signal, ...]]:
        sig = self.raw["sessions"]["signals"]
        return {t: _signals(f"sessions.signals.{t}", sig.get(t) or {}) for t in SESSION_TYPES}

    @property
    def digest(self) -> str:
        """A short hash of the effective rules, stored with every run."""
        text = json.dumps(self.raw, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def feature_spec(self) -> Any:
        from shopperlens.features import FeatureSpec

        v = self.raw["vocabulary"]
        return FeatureSpec(
            search_media=tuple(v["search_media"]),
            campaign_media=tuple(v["campaign_media"]),
            informational_words=tuple(v["informational_words"]),
            brand_words=tuple(str(w).lower() for w in v["brand_words"]),
            focused_products=int(v["focused_products"]),
            distinctive_products=int(v["distinctive_products"]),
        )


def defaults_text() -> str:
    """The shipped, commented defaults (a starting point for a shop's own file)."""
    return resources.files("shopperlens.types").joinpath("defaults.yaml").read_text("utf-8")


def load_config(path: str | Path | None = None, **overrides: Any) -> TypesConfig:
    """The defaults, updated by the YAML file at ``path`` and by keyword ``overrides``."""
    raw = yaml.safe_load(defaults_text())
    if path is not None:
        p = Path(path)
        if not p.exists():
            raise ShopperlensError(f"types config {p} does not exist")
        try:
            user = yaml.safe_load(p.read_text("utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ShopperlensError(f"types config {p} is not valid YAML: {exc}") from exc
        if not isinstance(user, dict):
            raise ShopperlensError(f"types config {p} must be a mapping of sections")
        raw = _merge(raw, user, where="")
    if overrides:
        raw = _merge(raw, overrides, where="")
    cfg = TypesConfig(raw)
    cfg.rules  # noqa: B018 - validates every rule now rather than mid-run
    cfg.session_rules  # noqa: B018
    return cfg


def _merge(base: dict[str, Any], new: dict[str, Any], *, where: str) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in new.items():
        here = f"{where}{key}"
        if key not in out and where.count(".") < 2 and not here.startswith("types."):
            raise ShopperlensError(f"types config: unknown key {here!r}")
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value, where=f"{here}.")
        else:
            out[key] = value
    return out


def _signals(where: str, spec: dict[str, Any]) -> tuple[Signal, ...]:
    out = []
    for feature, s in spec.items():
        if not isinstance(s, dict) or not {"from", "to"} <= set(s):
            raise ShopperlensError(f"{where}.{feature}: needs `from` and `to`")
        weight = float(s.get("weight", 1.0))
        if weight <= 0:
            raise ShopperlensError(f"{where}.{feature}: weight must be > 0")
        lo, hi = float(s["from"]), float(s["to"])
        if lo == hi:
            raise ShopperlensError(f"{where}.{feature}: `from` and `to` must differ")
        out.append(Signal(feature, lo, hi, weight))
    return tuple(out)


def _rule(name: str, spec: dict[str, Any] | None) -> TypeRule:
    if spec is None:
        raise ShopperlensError(f"types config: type {name!r} is missing")
    req = spec.get("requires") or {}
    return TypeRule(
        name=name,
        min_orders=req.get("min_orders"),
        max_orders=req.get("max_orders"),
        signals=_signals(f"types.{name}.signals", spec.get("signals") or {}),
    )
