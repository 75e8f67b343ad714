"""YAML as people write it, for the files shops edit by hand.

PyYAML reads YAML 1.1, where ``yes``, ``no``, ``on``, ``off`` (in any case) are booleans, ``9:30``
is the base-60 number 570, ``010`` the octal 8 and ``1_000`` a thousand: a brand called On
became ``True``, and a survey question with ``choices: [Yes, No]`` or the country codes ``[NO,
SE, DK]`` was refused as "not a string". Two readings:

- :func:`load`: YAML 1.2's core schema (the types config): only ``true``/``false`` are booleans,
  integers are decimal (or ``0o``/``0x``), and ``1e-3`` or ``6e1`` are numbers;
- :func:`load_text`: every plain value is the text written (mapping files, whose keys are column
  names; survey definitions, whose choices are answers as written: ``9:30`` stays ``9:30``).
  The model reading the file turns ``true`` or ``5`` into a flag or a number where it wants one.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

_CORE = "tag:yaml.org,2002:"


class _MarkedLoader(yaml.SafeLoader):
    """A safe loader whose values that do not fit their type are YAML errors at their place.

    PyYAML builds a date, a number or a flag with Python's own functions and lets their errors
    out unmarked: ``new_days: 2024-02-30``, ``!!int abc`` or ``!!bool maybe`` in a hand-edited
    file raised ``ValueError``/``KeyError``, which the files' readers (catching
    ``yaml.YAMLError``) did not expect."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, KeyError, TypeError, OverflowError) as exc:
            raise yaml.constructor.ConstructorError(
                None, None, _unfit(node, exc), node.start_mark
            ) from None


def _unfit(node: yaml.Node, exc: Exception) -> str:
    """Why the value at ``node`` cannot be read as its type, in one phrase."""
    kind = "!!" + str(node.tag).rsplit(":", 1)[-1]
    value = f" {str(node.value)[:60]!r}" if isinstance(node, yaml.ScalarNode) else ""
    why = "" if isinstance(exc, KeyError) else f" ({' '.join(str(exc).split())[:200]})"
    return f"cannot read{value} as {kind}{why}"


class Yaml12Loader(_MarkedLoader):
    """A safe loader with YAML 1.2's core schema for plain booleans, integers and floats."""


class TextLoader(_MarkedLoader):
    """A safe loader that reads every plain value as text."""


Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_CORE + "bool", _CORE + "int",
                                                               _CORE + "float")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}  # fmt: skip
Yaml12Loader.add_implicit_resolver(
    _CORE + "bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
Yaml12Loader.add_implicit_resolver(
    _CORE + "int", re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"), list("-+0123456789")
)
Yaml12Loader.add_implicit_resolver(
    _CORE + "float",
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)
TextLoader.yaml_implicit_resolvers = {}


def _construct_yaml12_int(loader: Yaml12Loader, node: yaml.ScalarNode) -> int:
    """``0o17`` and ``0x1F`` as YAML 1.2 reads them; a leading zero stays decimal (``010`` is
    10, where YAML 1.1 read the octal 8)."""
    text = str(loader.construct_scalar(node))
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("+-")
    if digits.startswith(("0o", "0x")):
        return sign * int(digits[2:], 8 if digits[1] == "o" else 16)
    return sign * int(digits, 10)


Yaml12Loader.add_constructor(_CORE + "int", _construct_yaml12_int)


def load(text: str) -> Any:
    """``text`` read with YAML 1.2's core schema (raises ``yaml.YAMLError`` as ``safe_load``)."""
    return _load(text, Yaml12Loader)


def load_text(text: str) -> Any:
    """``text`` with every plain value read as the text written (quoted values as ever)."""
    return _load(text, TextLoader)


def _load(text: str, loader: type[_MarkedLoader]) -> Any:
    """``text`` read by ``loader`` (a SafeLoader subclass: no objects built); lists or
    mappings nested past Python's recursion limit (``[[[…]]]`` 3,000 deep) are a
    ``yaml.YAMLError`` too, as every other file PyYAML cannot read."""
    try:
        return yaml.load(text, Loader=loader)
    except RecursionError:
        raise yaml.YAMLError("lists or mappings nested too deeply") from None


def problem(exc: Exception) -> str:
    """A YAML error in one line, its places as the editor counts them ("while scanning a quoted
    scalar at line 4, column 11: found unexpected end of stream at line 6, column 1"); PyYAML's
    own text ran over five lines, quoting ``"<unicode string>"`` and the line with a caret.
    Any other error is its own text, on one line."""
    if not isinstance(exc, yaml.MarkedYAMLError):
        return " ".join(str(exc).split())

    def at(what: str | None, mark: Any) -> str:
        place = f"at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        return " ".join(part for part in (what or "", place) if part)

    said = [at(exc.context, exc.context_mark), at(exc.problem, exc.problem_mark)]
    return ": ".join(part for part in said if part)
