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

#: the command that imports a survey tool's answers, as every hint names it: ``--survey`` is
#: required (without it the command stops with "Missing option '--survey'")
IMPORT_COMMAND = "shopperlens import survey FILE --survey NAME"

__all__ = [
    "GROUPS",
    "IMPORT_COMMAND",
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
