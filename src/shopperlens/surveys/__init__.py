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

#: how answers get in, as every hint names it: answers go to a survey the store has (a fresh
#: store has none: "no survey named …"), and ``--survey`` is required (without it the command
#: stops with "Missing option '--survey'")
IMPORT_COMMAND = (
    "`shopperlens survey create NAME` (once, --from FILE.yaml or --from-bank), then "
    "`shopperlens import survey FILE --survey NAME`"
)

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
