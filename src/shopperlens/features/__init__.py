"""Per-customer and per-visitor behavioural features, written once as Ibis expressions."""

from shopperlens.features.behaviour import (
    EXCLUDED_STATUSES,
    FEATURE_COLUMNS,
    FeatureSpec,
    behaviour_features,
    by_subject,
    computed_features,
    default_as_of,
    order_visits,
    session_table,
    visit_rows,
)

__all__ = [
    "EXCLUDED_STATUSES",
    "FEATURE_COLUMNS",
    "FeatureSpec",
    "behaviour_features",
    "by_subject",
    "computed_features",
    "default_as_of",
    "order_visits",
    "session_table",
    "visit_rows",
]
