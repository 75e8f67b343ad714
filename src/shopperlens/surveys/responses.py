"""Survey-tool CSV exports: one row per respondent, one column per question.

Multi-select answers are joined by ``;`` (the convention of Google Forms, Typeform and
SurveyMonkey exports once choices are coded). Parsing is pure: it returns the clean rows and
a list of ingest's :class:`~shopperlens.ingest.rejects.Reject` (file, line, column, value,
reason) for everything that does not
fit the survey definition, so the import can be refused or partly applied with a full account.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shopperlens.emails import normalise_email
from shopperlens.errors import ShopperlensError
from shopperlens.ingest.numbers import AmbiguousNumber
from shopperlens.ingest.rejects import CONTROL_CHARS, CONTROL_IN_ID, Reject
from shopperlens.surveys.definition import Survey, is_blank
from shopperlens.textfiles import csv_stream, first_line

#: columns an export may carry besides the questions
META_COLUMNS = ("respondent", "customer_id", "submitted_at")
#: the widest text an export cell may hold (longer cells are refused, not cut)
MAX_CELL = 10_000


@dataclass(frozen=True)
class ParsedRow:
    line: int
    respondent: str  # an e-mail respondent trimmed and lower-cased (see is_email)
    customer_id: str | None
    submitted_at: datetime | None
    answers: dict[str, Any]

    @property
    def is_email(self) -> bool:
        """The respondent is an e-mail address: never stored as such (the import keys it)."""
        return is_email(self.respondent)


#: what makes a respondent an e-mail address (anything with an @ between two words)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


def is_email(text: str) -> bool:
    return bool(_EMAIL.match(text.strip()))


def _shown(respondent: str) -> str:
    """A respondent as a reject may show it: an e-mail address is personal data."""
    return "(an e-mail address)" if is_email(respondent) else respondent


#: how survey tools name the meta columns
_META_ALIASES = {
    "respondent_id": "respondent", "response_id": "respondent", "id": "respondent",
    "timestamp": "submitted_at", "submitted": "submitted_at", "date_submitted": "submitted_at",
    "customer": "customer_id",
}  # fmt: skip


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")


def _column(header: str, survey: Survey, earlier: Sequence[Survey] = ()) -> str:
    """A header as the question id (or meta column) it names: the id itself, the question's
    text as survey tools print it, or a usual name such as ``Timestamp``; else the text of a
    question as an earlier version worded it (:func:`_earlier_text`)."""
    h = header.strip()
    if h in survey.ids or h in META_COLUMNS:
        return h
    key = _key(h)
    by_text = {_key(q.text): q.id for q in survey.questions}
    named = by_text.get(key) or _META_ALIASES.get(key) or (key if key in META_COLUMNS else None)
    return named or _earlier_text(key, survey, earlier) or h


def _earlier_text(key: str, survey: Survey, earlier: Sequence[Survey]) -> str | None:
    """The id of the current question an earlier version worded as ``key`` (newest version
    first), or None.

    An export made before a question was reworded prints the old text: a reworded question
    keeps its answers, so its old text names it as well as the new one does (reading only the
    current texts refused such a file as "columns not in survey"). A text whose question has
    since changed kind, choices or scale names nothing: its answers answer another question
    (:class:`EarlierQuestion` says so)."""
    for old in sorted(earlier, key=lambda v: v.version, reverse=True):
        for q in old.questions:
            if _key(q.text) != key or q.id not in survey.ids:
                continue
            if survey.question(q.id).answers_compatible_with(q):
                return q.id
            raise EarlierQuestion(q.id, old.version)
    return None


class EarlierQuestion(Exception):
    """A header is the text of a question as an earlier version asked it, since changed."""

    def __init__(self, qid: str, version: int) -> None:
        super().__init__(qid, version)
        self.qid, self.version = qid, version


#: the separators an export may use, in the order they are tried (see :func:`delimiter`)
DELIMITERS = (",", ";", "\t")


def delimiter(text: str) -> str:
    """The separator of an export: the first of :data:`DELIMITERS` that splits its header
    into a row naming the respondent column (a spreadsheet where the comma is the decimal
    mark, Excel in German for one, saves a CSV with ``;``), else the comma (whose header
    then says what is missing). A ``;`` inside a quoted multi-select answer is no separator."""
    line = first_line(text)
    for sep in DELIMITERS:
        names = next(csv.reader([line], delimiter=sep), [])
        if any(_names_respondent(n) for n in names):
            return sep
    return ","


#: a control character, as the imports refuse it in an id (``ingest.rejects.control_check``)
_CONTROL = re.compile(CONTROL_CHARS)


def _control_rejects(file: str, line: int, raw: dict[str, Any]) -> list[Reject]:
    """The respondent or customer id of a row holding a control character (a NUL, a tab, an
    escape), refused as an import refuses it in an id: stored, it broke every CSV file and
    terminal that showed it."""
    bad = []
    for column in ("respondent", "customer_id"):
        value = (raw.get(column) or "").strip()
        found = _CONTROL.search(value)
        if found:
            reason = f"{CONTROL_IN_ID} U+{ord(found.group()):04X}"
            bad.append(Reject(file, line, column, _shown(value), reason))
    return bad


def _names_respondent(header: str) -> bool:
    key = _key(header)
    return header.strip() == "respondent" or "respondent" in (key, _META_ALIASES.get(key))


def parse_export(
    text: str,
    survey: Survey,
    *,
    file: str = "<text>",
    earlier: Sequence[Survey] = (),
    decimal_comma: bool = False,
) -> tuple[list[ParsedRow], list[Reject]]:
    """Validate every cell of an export against ``survey``.

    A row with any bad cell is rejected as a whole (a half-imported answer set would skew the
    analysis); unknown columns refuse the whole file because they mean the wrong survey. A
    header may be a question's text as any of the ``earlier`` versions of the survey worded
    it, when the question's answers still mean the same (:func:`_earlier_text`). The values
    are separated as :func:`delimiter` says. ``decimal_comma``: number answers are written as
    ``1.234,50``; without it, one that may be either way (``2.500``) is rejected.
    """
    reader = csv.DictReader(csv_stream(text), delimiter=delimiter(text))
    header = []
    for h in reader.fieldnames or []:
        try:
            header.append(_column(h, survey, earlier))
        except EarlierQuestion as old:
            raise ShopperlensError(
                f"{file}: column {h.strip()!r} is question {old.qid!r} as version "
                f"{old.version} of survey {survey.name!r} asked it; the question has since "
                f"changed kind, choices or scale (version {survey.version}), so these answers "
                "answer another question; leave the column out to import the others"
            ) from None
    if "respondent" not in header:
        raise ShopperlensError(f"{file}: no 'respondent' column (found: {', '.join(header)})")
    unknown = [h for h in header if h not in META_COLUMNS and h not in survey.ids]
    if unknown:
        raise ShopperlensError(
            f"{file}: columns not in survey {survey.name!r}: {', '.join(unknown)}"
        )
    twice = sorted({h for h in header if header.count(h) > 1})
    if twice:  # ("gender" and "What is your gender?"): which one holds the answer is unclear
        named = "; ".join(
            " and ".join(repr(o) for o, h in zip(reader.fieldnames or [], header, strict=True)
                         if h == t)
            for t in twice
        )  # fmt: skip
        raise ShopperlensError(f"{file}: columns {named} name the same question; keep one")
    reader.fieldnames = header
    rows: list[ParsedRow] = []
    rejects: list[Reject] = []
    seen: dict[str, int] = {}
    for idx, raw in enumerate(reader):
        line = idx + 2  # header is line 1
        bad: list[Reject] = []
        if None in raw:
            bad.append(Reject(file, line, "", "", "more cells than header columns"))
        respondent = (raw.get("respondent") or "").strip()
        if is_email(respondent):  # Ann@X.com and ann@x.com are one person
            respondent = normalise_email(respondent)
        if not respondent:
            bad.append(Reject(file, line, "respondent", "", "is empty"))
        elif respondent in seen:  # (a rejected row does not count: its repeat may be good)
            bad.append(
                Reject(
                    file, line, "respondent", _shown(respondent), f"repeats line {seen[respondent]}"
                )
            )
        bad.extend(_control_rejects(file, line, raw))
        submitted = None
        stamp = (raw.get("submitted_at") or "").strip()
        if stamp:
            try:
                # Python reads any character between date and time ("2024-03-31+02:00" was
                # 02:00 that day); only "T" and a space separate them here
                if len(stamp) > 10 and stamp[10] not in "T ":
                    raise ValueError(stamp)
                submitted = datetime.fromisoformat(stamp)  # (its offset kept: stored in UTC)
            except ValueError:
                bad.append(
                    Reject(
                        file, line, "submitted_at", stamp[:40],
                        "is not an ISO date/time (YYYY-MM-DD, or 2024-03-31T10:00+02:00)",
                    )
                )  # fmt: skip
        answers: dict[str, Any] = {}
        for q in survey.questions:
            cell = raw.get(q.id)
            if cell is None or not cell.strip():
                continue
            if len(cell) > MAX_CELL:
                bad.append(Reject(file, line, q.id, cell[:40] + "…", "is too long"))
                continue
            try:
                answer = q.validate_answer(cell.strip(), decimal_comma=decimal_comma)
            except AmbiguousNumber as exc:  # (the form's words ask a person; this, the file)
                bad.append(Reject(file, line, q.id, cell[:200], exc.in_file))
                continue
            except ValueError as exc:
                bad.append(Reject(file, line, q.id, cell[:200], str(exc)))
                continue
            if not is_blank(answer):  # a multi-select cell of only ";" says nothing
                answers[q.id] = answer
        if bad:
            rejects.extend(bad)
            continue
        seen[respondent] = line
        if not answers:  # a started, unanswered form: nothing to store, and nothing to replace
            continue
        customer = (raw.get("customer_id") or "").strip() or None
        rows.append(ParsedRow(line, respondent, customer, submitted, answers))
    return rows, rejects
