"""Personas: synthesis of named customer profiles, their naming and their evolution.

Pure computation over pandas frames (no store): :func:`synthesise` describes clustered
respondents, :func:`assign_names` gives them alliterative names, :func:`compare_runs` matches
two runs. The clustering itself is :class:`shopperlens.models.PersonaClustering`; the service
(``shopperlens.service.personas``) ties them to the store.
"""

from shopperlens.personas.actions import Action
from shopperlens.personas.evolution import Evolution, PersonaChange, PersonaRef, compare_runs
from shopperlens.personas.frame import (
    clustering_columns,
    column_roles,
    customer_personality_frame,
    normalise_answers,
)
from shopperlens.personas.naming import assign_names
from shopperlens.personas.synthesis import (
    ChannelUse,
    Evidence,
    Persona,
    Quote,
    Reach,
    Statement,
    overview,
    synthesise,
)

__all__ = [
    "Action",
    "ChannelUse",
    "Evidence",
    "Evolution",
    "Persona",
    "PersonaChange",
    "PersonaRef",
    "Quote",
    "Reach",
    "Statement",
    "assign_names",
    "clustering_columns",
    "column_roles",
    "compare_runs",
    "customer_personality_frame",
    "normalise_answers",
    "overview",
    "synthesise",
]
