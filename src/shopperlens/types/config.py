"""The customer-type rules as a value object, read from ``defaults.yaml`` plus an override file.

Thresholds are data, not code: a shop changes them in a YAML file (``SHOPPERLENS_TYPES_CONFIG``
or ``--config``) and only the keys it names change. Loading validates the file and reports
mistakes in the file's own terms, each with its key and value, before anything is computed:
unknown keys and types, values of the wrong kind ("windows.new_days: 'abc' is not a number")
and bad ramps ("types.loyal.signals.orders: weight must be > 0").
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from shopperlens import _yaml as yaml12
from shopperlens.errors import ShopperlensError
from shopperlens.textfiles import read_text_file

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


#: keys added to the rules after stores held runs, with their defaults (see
#: :meth:`TypesConfig.digest`): ``sessions.min_score`` types imported session aggregates only
_LATER_KEYS: dict[tuple[str, ...], Any] = {("sessions", "min_score"): 0.25}


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
    #: days ordered on (two orders of one day are one shopping trip): loyal asks for two
    min_order_days: int | None = None


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
        """A short hash of the effective rules, stored with every run: history and movements
        compare runs of one digest. A key added after runs were first stored is left out while
        it keeps its default (:data:`_LATER_KEYS`), so a store's earlier runs keep counting as
        the same rules; set to another value, it is a change of rules like any other."""
        raw = copy.deepcopy(self.raw)
        for path, default in _LATER_KEYS.items():
            *parents, key = path
            section = raw
            for p in parents:
                section = section.get(p, {})
            if key in section and section[key] == default:
                del section[key]
        text = json.dumps(raw, sort_keys=True, default=str)
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


def _whole(value: Any) -> Any:
    """``3.0`` is the whole number 3 (a computed value is often written so); 3.5 stays a
    float and is refused as not whole."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


#: a count in the config: a whole number, ``3.0`` included
_Whole = Annotated[int, BeforeValidator(_whole)]


class _Section(BaseModel):
    """A mapping of the config: every key known, every value of its type (YAML's own types:
    ``60`` is a number, ``"60"`` and ``abc`` are not)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class _Ramp(_Section):
    lo: float = Field(alias="from")
    to: float
    weight: float = 1.0


class _Requires(_Section):
    min_orders: _Whole | None = None
    max_orders: _Whole | None = None
    min_order_days: _Whole | None = None


class _Type(_Section):
    requires: _Requires | None = None
    signals: dict[str, _Ramp] | None = None


class _Types(_Section):
    need_based: _Type
    looker: _Type
    new: _Type
    loyal: _Type
    impulse: _Type


class _MinimumData(_Section):
    looker_visits: _Whole
    looker_pages: _Whole
    min_score: float


class _Windows(_Section):
    new_days: float
    new_category_score: float
    lapsed_days: float


class _Vocabulary(_Section):
    search_media: list[str]
    campaign_media: list[str]
    informational_words: list[str]
    # a brand may be a number in YAML (``[1906]``): read as its text
    brand_words: list[Annotated[str, Field(strict=False, coerce_numbers_to_str=True)]]
    focused_products: _Whole
    distinctive_products: _Whole


class _SessionSignals(_Section):
    need_based: dict[str, _Ramp] | None = None
    looker: dict[str, _Ramp] | None = None
    impulse: dict[str, _Ramp] | None = None


class _Sessions(_Section):
    min_pages: _Whole
    special_day_impulse: float
    min_score: float
    signals: _SessionSignals


class _Schema(_Section):
    minimum_data: _MinimumData
    windows: _Windows
    vocabulary: _Vocabulary
    types: _Types
    sessions: _Sessions


#: what a value of each kind should have been, in the file's terms
_KINDS = {"float": "a number", "int": "a whole number", "list": "a list", "dict": "a mapping",
          "model": "a mapping", "string": "text"}  # fmt: skip


def _problem(error: Any) -> str:
    """One pydantic error as the config's key, the value found and what it should be."""
    loc = [str(k) for k in error["loc"]]
    where, kind = ".".join(loc), error["type"]
    if kind == "extra_forbidden":
        if len(loc) == 2 and loc[0] == "types":
            return f"unknown type {loc[1]!r} ({where}); the types are {', '.join(TYPES)}"
        return f"unknown key {where!r}"
    if kind == "missing" and loc[-1] in ("from", "to"):
        return f"{'.'.join(loc[:-1])}: needs `from` and `to`"
    if kind == "missing":
        return f"{where}: missing"
    want = _KINDS.get(kind.split("_")[0])
    if want is None:  # pragma: no cover - every type the schema uses is named above
        return f"{where} = {error['input']!r}: {error['msg']}"
    return f"{where}: {error['input']!r} is not {want}"


def _validate(raw: dict[str, Any], source: str) -> None:
    """Every key known and every value of its type, or one error naming each bad one."""
    try:
        _Schema.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(_problem(e) for e in exc.errors())
        raise ShopperlensError(f"types config{source}: {problems}") from None


def defaults_text() -> str:
    """The shipped, commented defaults (a starting point for a shop's own file)."""
    return resources.files("shopperlens.types").joinpath("defaults.yaml").read_text("utf-8")


def load_config(path: str | Path | None = None, **overrides: Any) -> TypesConfig:
    """The defaults, updated by the YAML file at ``path`` and by keyword ``overrides``."""
    raw = yaml12.load(defaults_text())
    source = ""
    if path is not None:
        p = Path(path)
        if not p.exists():
            raise ShopperlensError(f"types config {p} does not exist")
        try:
            text = read_text_file(p, what="a types config (YAML)", allow_empty=True)
        except OSError as exc:
            raise ShopperlensError(f"cannot read types config {p}: {exc.strerror}") from None
        try:
            user = yaml12.load(text) or {}
        except yaml.YAMLError as exc:
            raise ShopperlensError(
                f"types config {p} is not valid YAML: {yaml12.problem(exc)}"
            ) from None
        if not isinstance(user, dict):
            raise ShopperlensError(f"types config {p} must be a mapping of sections")
        raw, source = _merge(raw, user), f" {p}"
    if overrides:
        raw = _merge(raw, overrides)
    _validate(raw, source)
    cfg = TypesConfig(raw)
    cfg.rules  # noqa: B018 - validates every rule now rather than mid-run
    cfg.session_rules  # noqa: B018
    return cfg


def _merge(base: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """``base`` with the keys of ``new`` (mappings merged key by key); checked afterwards."""
    out = copy.deepcopy(base)
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
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
        min_order_days=req.get("min_order_days"),
        signals=_signals(f"types.{name}.signals", spec.get("signals") or {}),
    )
