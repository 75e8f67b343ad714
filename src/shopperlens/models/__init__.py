"""models: pure numpy/pandas/scipy computations (no store, no SQL, no UI)."""

# one import block for every concern (ruff keeps it sorted); ``__all__`` is grouped by concern
from shopperlens.models._base import check_minimum_data
from shopperlens.models.basket import association_rules, frequent_itemsets
from shopperlens.models.bgnbd import BetaGeo, BetaGeoCovariates, ModifiedBetaGeo
from shopperlens.models.clustering import MixedEncoder, PersonaClustering, encode_mixed
from shopperlens.models.clv import (
    calibration_holdout,
    cumulative_forecast,
    forecast_by_frequency,
    rfm_summary,
)
from shopperlens.models.gammagamma import GammaGamma, customer_lifetime_value
from shopperlens.models.intent import PurchaseIntent
from shopperlens.models.paretonbd import ParetoNBD
from shopperlens.models.simulate import simulate_bgnbd, simulate_paretonbd, simulate_spend

__all__ = [
    # -- basket --
    "association_rules",
    "frequent_itemsets",
    # -- clv and intent --
    "BetaGeo",
    "BetaGeoCovariates",
    "GammaGamma",
    "ModifiedBetaGeo",
    "ParetoNBD",
    "PurchaseIntent",
    "calibration_holdout",
    "check_minimum_data",
    "cumulative_forecast",
    "customer_lifetime_value",
    "forecast_by_frequency",
    "rfm_summary",
    "simulate_bgnbd",
    "simulate_paretonbd",
    "simulate_spend",
    # -- personas --
    "MixedEncoder",
    "PersonaClustering",
    "encode_mixed",
]
