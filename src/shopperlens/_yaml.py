"""YAML as people write it: the plain scalars of YAML 1.2, which the files shops edit by hand
(the types config, survey definitions) are read with.

PyYAML reads YAML 1.1, where ``yes``, ``no``, ``on``, ``off`` (in any case) are booleans: a
brand called On became ``True``, and a survey question with ``choices: [Yes, No]`` or the
country codes ``[NO, SE, DK]`` was refused as "not a string". YAML 1.2 has only
``true``/``false``, and reads ``1e-3`` and ``6e1`` as numbers (YAML 1.1 wants a dot).
"""

from __future__ import annotations

import re
from typing import Any

import yaml


class Yaml12Loader(yaml.SafeLoader):
    """A safe loader with YAML 1.2's booleans and exponent floats (see the module's docstring)."""


Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE][-+]?[0-9]+$"),
    list("-+0123456789."),
)


def load(text: str) -> Any:
    """``text`` read as YAML 1.2 plain scalars (raises ``yaml.YAMLError`` as ``safe_load``)."""
    return yaml.load(text, Loader=Yaml12Loader)  # (a SafeLoader subclass: no objects built)
