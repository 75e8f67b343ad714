"""The five customer types: rules, scores, evidence, session typing and movements.

Pure pandas/numpy over the features frame (see :mod:`shopperlens.features`); the thresholds
live in ``defaults.yaml`` and can be overridden with a YAML file.
"""

from shopperlens.types.config import (
    SESSION_TYPES,
    TYPES,
    UNTYPED,
    TypesConfig,
    defaults_text,
    load_config,
)
from shopperlens.types.rules import RESULT_COLUMNS, classify, ramp

__all__ = [
    "RESULT_COLUMNS",
    "SESSION_TYPES",
    "TYPES",
    "UNTYPED",
    "TypesConfig",
    "classify",
    "defaults_text",
    "load_config",
    "ramp",
]
