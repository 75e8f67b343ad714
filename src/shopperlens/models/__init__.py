"""models: pure numpy/pandas/scipy computations (no store, no SQL, no UI)."""

# -- basket (playbooks engineer) --
from shopperlens.models.basket import association_rules, frequent_itemsets


# -- clv (models engineer) --
from shopperlens.models._base import check_minimum_data
from shopperlens.models.bgnbd import BetaGeo, BetaGeoCovariates, ModifiedBetaGeo
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

_CLV_ALL = [
    "BetaGeo",
    "BetaGeoCovariates",
    "GammaGamma",
    "ModifiedBetaGeo",
    "ParetoNBD",
    "PurchaseIntent",
    "calibration_holdout",
    "check_minimum_data",
    "customer_lifetime_value",
    "cumulative_forecast",
    "forecast_by_frequency",
    "rfm_summary",
    "simulate_bgnbd",
    "simulate_paretonbd",
    "simulate_spend",
]
# -- /clv --

# -- personas (personas engineer) --
from shopperlens.models.clustering import MixedEncoder, PersonaClustering, encode_mixed

_PERSONAS_ALL = ["MixedEncoder", "PersonaClustering", "encode_mixed"]
# -- /personas --

__all__ = sorted(["association_rules", "frequent_itemsets", *_CLV_ALL, *_PERSONAS_ALL])
