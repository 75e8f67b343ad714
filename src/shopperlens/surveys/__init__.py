"""Surveys: definitions and the question bank, answer validation, analysis, interview notes,
analytics cross-checks. Pure computation except ``mail`` (SMTP) — storage lives in
``shopperlens.service.surveys``."""

from shopperlens.surveys.definition import (
    GROUPS,
    AnswerError,
    Question,
    Survey,
    builtin,
    demo_profile,
    from_bank,
    load_definition,
    question_bank,
    survey_from_dict,
    validate_answers,
)

__all__ = [
    "GROUPS",
    "AnswerError",
    "Question",
    "Survey",
    "builtin",
    "demo_profile",
    "from_bank",
    "load_definition",
    "question_bank",
    "survey_from_dict",
    "validate_answers",
]
