"""Survey definitions: questions, the question bank, YAML/JSON files and answer validation.

A survey is a versioned list of questions. Each question belongs to one of the groups the
profile method asks for (demographic, education, career, financial, psychographic,
behaviour drivers, purchase barriers, mindset) so the answers reveal who the customers are
and why they buy. Everything here is pure: no store, no network.
"""

from __future__ import annotations

import math
import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)

from shopperlens import _yaml as yaml12
from shopperlens.errors import ShopperlensError
from shopperlens.ingest.numbers import NOT_DECIMAL_COMMA, AmbiguousNumber, read_number
from shopperlens.textfiles import parse_json, read_text_file

Kind = Literal["single", "multi", "scale", "number", "text"]
GROUPS: tuple[str, ...] = (
    "demographic",
    "education",
    "career",
    "financial",
    "psychographic",
    "behaviour_driver",
    "purchase_barrier",
    "mindset",
)
#: the method's advice: fewer questions lose insight, more lose respondents
MIN_QUESTIONS, MAX_QUESTIONS = 7, 20
_ID = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
#: the elements of HTML (and SVG/MathML's roots) a browser would render or run
_ELEMENTS = (
    "a|abbr|address|area|article|aside|audio|b|base|bdi|bdo|blockquote|body|br|button|"
    "canvas|caption|cite|code|col|colgroup|data|datalist|dd|del|details|dfn|dialog|div|"
    "dl|dt|em|embed|fieldset|figcaption|figure|font|footer|form|frame|frameset|h1|h2|h3|"
    "h4|h5|h6|head|header|hr|html|i|iframe|img|input|ins|kbd|label|legend|li|link|main|"
    "map|mark|marquee|math|menu|meta|meter|nav|noscript|object|ol|optgroup|option|output|"
    "p|param|picture|pre|progress|q|rp|rt|ruby|s|samp|script|section|select|slot|small|"
    "source|span|strike|strong|style|sub|summary|sup|svg|table|tbody|td|template|"
    "textarea|tfoot|th|thead|time|title|tr|track|u|ul|var|video|wbr"
)
#: free text that holds markup is refused: answers are data, never HTML. Only real markup
#: counts: a tag of an HTML element closed by ``>`` (``<b>``, ``</p>``, ``<img src=x>``,
#: ``<script src=…>``), a custom element (``<x-y>``), a comment, CDATA, a doctype or a
#: processing instruction. "size <XL", "<M fit", "price<quality", "<anna@example.com>" and
#: "a < b and c > d" are what people write, and text.
_TAG = re.compile(
    r"</?(?:" + _ELEMENTS + r"|[a-z][a-z0-9]*-[a-z0-9-]*)(?:[\s/][^<>]*)?>"
    r"|<!--|<!\[CDATA\[|<!doctype|<\?[a-z]",
    re.IGNORECASE,
)
#: the most points a scale may have (0–100); wider ranges are number questions
MAX_SCALE_POINTS = 101
#: rough seconds to answer one question of each kind (reading it included); free text takes
#: longest
SECONDS_PER_ANSWER: dict[str, int] = {
    "single": 10, "scale": 10, "number": 15, "multi": 15, "text": 45,
}  # fmt: skip
#: bytes one answered character may take in a submission (see Survey.max_submission_bytes)
_BYTES_PER_CHAR = 12
#: a submission's fields besides the answers (link token, form id, channel, visitor id …)
_ENVELOPE_BYTES = 4096
#: the characters a number or scale answer may be typed with
_NUMBER_CHARS = 64
#: what a response quota may count: all answers, or those of one channel (imports never count)
QUOTA_KEYS: tuple[str, ...] = ("total", "email", "popup", "link", "api")


class Question(BaseModel):
    """One question; ``choices`` for single/multi, ``min``/``max`` for scale and number."""

    model_config = ConfigDict(extra="forbid")  # "requird: true" must not pass unnoticed

    id: str
    kind: Kind
    text: str
    group: str = "psychographic"
    choices: list[str] | None = None
    min: float | None = None
    max: float | None = None
    max_length: int = 2000
    required: bool = False
    relevant_to: list[str] = Field(default_factory=list)

    @field_validator("choices", mode="before")
    @classmethod
    def _numbers_as_text(cls, v: object) -> object:
        """Choices written as numbers (``[1, 2, 3]``, ``[0.5, 1]``) are their text, as answers
        are; a ``true``/``false`` is left to be refused (it reads as no word)."""
        if isinstance(v, list):
            return [
                str(c) if isinstance(c, int | float) and not isinstance(c, bool) else c for c in v
            ]
        return v

    @field_validator("id")
    @classmethod
    def _id_ok(cls, v: str) -> str:
        if not _ID.match(v):
            raise ValueError(
                f"question id {v!r} must be a letter a-z, then letters a-z, digits 0-9 and _ "
                "(no ä, é …: the id names a column and a form field; the question's text may "
                "hold any letter)"
            )
        return v

    @field_validator("group")
    @classmethod
    def _group_ok(cls, v: str) -> str:
        if v not in GROUPS:
            raise ValueError(f"group {v!r} is not one of {', '.join(GROUPS)}")
        return v

    @model_validator(mode="after")
    def _shape(self) -> Question:
        if self.kind in ("single", "multi"):
            # distinct as answers are matched: "Yes" and "yes" are one choice (see _choice)
            if not self.choices or len({_norm(c) for c in self.choices}) != len(self.choices):
                raise ValueError(f"{self.id}: a {self.kind} question needs distinct choices")
            if self.kind == "multi" and any(";" in c for c in self.choices):
                raise ValueError(  # a CSV export joins a multi-select's answers with ";"
                    f"{self.id}: a multi question's choices may not contain ';'"
                )
        elif self.choices:
            raise ValueError(f"{self.id}: only single/multi questions have choices")
        for bound in (self.min, self.max):
            if bound is not None and not math.isfinite(bound):
                raise ValueError(f"{self.id}: min and max must be finite numbers")
        if self.kind == "scale":
            self.min = 1 if self.min is None else self.min
            self.max = 5 if self.max is None else self.max
            _check_scale(self.id, self.min, self.max)
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"{self.id}: min is greater than max")
        if self.max_length < 1:
            raise ValueError(f"{self.id}: max_length must be at least 1")
        return self

    def answers_compatible_with(self, other: Question) -> bool:
        """Whether answers given to ``other`` (the same question in another survey version)
        mean the same here: same kind, same choices, and for a scale the same range. A
        reworded text keeps its answers; a question that changed kind or choices does not."""
        if self.kind != other.kind:
            return False
        if self.kind in ("single", "multi"):
            return set(self.choices or []) == set(other.choices or [])
        if self.kind == "scale":
            return (self.min, self.max) == (other.min, other.max)
        return True

    def _choice(self, value: str) -> str | None:
        """The choice ``value`` names: exactly, or ignoring case, spaces and underscores."""
        if value in (self.choices or []):
            return value
        return {_norm(c): c for c in self.choices or []}.get(_norm(value))

    def validate_answer(
        self, value: Any, *, decimal_comma: bool = False
    ) -> str | float | list[str]:
        """The answer in its stored form, or ``ValueError`` with a reason a person can read.

        A number typed as text is read by ``ingest.numbers.read_number``: ``2500``,
        ``2500.50`` and ``2500,50`` are numbers, ``2.500`` (2500, or 2.5?) is refused
        (:class:`~shopperlens.ingest.numbers.AmbiguousNumber`, asking for the number without a
        thousands separator); ``decimal_comma`` (an import's option) reads ``2.500`` as 2500."""
        if self.kind == "single":
            choice = self._choice(value) if isinstance(value, str) else None
            if choice is None:
                raise ValueError(f"must be one of {', '.join(self.choices or [])}")
            return choice
        if self.kind == "multi":
            items = value.split(";") if isinstance(value, str) else value
            if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
                raise ValueError("must be a list of choices")
            items = [i.strip() for i in items if i.strip()]
            chosen = [self._choice(i) for i in items]
            bad = [i for i, c in zip(items, chosen, strict=True) if c is None]
            if bad:
                raise ValueError(f"unknown choice {bad[0]!r}")
            return list(dict.fromkeys(c for c in chosen if c is not None))
        if self.kind in ("scale", "number"):
            if isinstance(value, bool):
                raise ValueError("must be a number")
            try:
                num = (
                    read_number(value, decimal_comma=decimal_comma)
                    if isinstance(value, str)
                    else float(value)
                )
            except AmbiguousNumber:
                raise
            except (TypeError, ValueError, OverflowError):
                raise ValueError(_NOT_A_NUMBER[decimal_comma]) from None
            if num != num or num in (float("inf"), float("-inf")):
                raise ValueError("must be a finite number")
            if self.kind == "scale" and num != int(num):
                raise ValueError("must be a whole number")
            if (self.min is not None and num < self.min) or (
                self.max is not None and num > self.max
            ):
                raise ValueError(f"must be between {self.min:g} and {self.max:g}")
            return num
        if not isinstance(value, str):
            raise ValueError("must be text")
        # a browser counts a line break in a textarea as one character against maxlength but
        # sends it as CR LF: an answer at the form's limit with line breaks read as too long
        text = value.replace("\r\n", "\n").strip()
        if len(text) > self.max_length:
            raise ValueError(f"is longer than {self.max_length} characters")
        if _TAG.search(text):
            raise ValueError("must be plain text (HTML tags are not accepted)")
        return text


#: why a value is not a number: with a decimal comma, not one in that format
_NOT_A_NUMBER = {False: "must be a number", True: f"must be a number {NOT_DECIMAL_COMMA}"}


def _check_scale(qid: str, low: float, high: float) -> None:
    """A scale's answers are the whole numbers between its bounds, so the bounds themselves
    must be whole numbers (a 1.5–4.5 scale has no answers anyone could give on its ends)."""
    if low != int(low) or high != int(high):
        raise ValueError(f"{qid}: a scale runs between whole numbers (min {low:g}, max {high:g})")
    if high - low + 1 > MAX_SCALE_POINTS:
        raise ValueError(
            f"{qid}: a scale has at most {MAX_SCALE_POINTS} points; use a number question"
        )


def _whole(value: Any) -> bool:
    """A whole number written as one (``5`` or ``5.0``; not ``True``, ``"5"`` or ``5.5``)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isfinite(value) and value == int(value)


def is_blank(value: Any) -> bool:
    """An answer that says nothing: None, whitespace-only text, or a list of such items (a
    multi-select sent as ``" ; "`` validates to ``[]``). Blank answers are not answers, wherever
    they come from: counted, they would make empty responses look like respondents."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list):
        return all(is_blank(v) for v in value)
    return False


def _norm(text: str) -> str:
    """Labels as survey tools print them match codes: ``Shipping cost`` is ``shipping_cost``."""
    return re.sub(r"[\s_]+", "_", text.strip().lower())


#: the longest fixed text a survey may give (a sentence, not a page)
MAX_TEXT = 300
#: a language tag as BCP 47 writes it: a 2-3 letter language, then subtags (``de``,
#: ``de-CH``, ``pt-BR``, ``zh-Hant-TW``, ``sr-Latn``)
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")


class SurveyTexts(BaseModel):
    """The fixed texts of a survey's public page and pop-up, English unless the survey's
    definition gives its own under ``texts:`` (a German shop: ``send: Antworten senden``).
    Question texts, choices and the intro are the definition's own already; what the server
    says about a wrong answer ("must be a number") stays English."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: the page's submit button
    send: str = "Send my answers"
    #: after a required question's text
    required: str = "(required)"
    #: above the questions when any is required (its ``required`` text is marked in it)
    required_note: str = "Questions marked (required) need an answer."
    #: above the list of answers to correct
    check: str = "Please check:"
    #: what a scale's lowest and highest points mean: "(0 = not at all, 10 = completely)"
    scale_low: str = "not at all"
    scale_high: str = "completely"
    #: the page after the answers arrived: heading and sentence
    thanks_title: str = "Thank you!"
    thanks: str = (
        "Your answers arrived. They help us choose what to sell and how to serve you better."
    )
    #: the pop-up's buttons, its thanks, and what it says when an answer or sending fails
    popup_skip: str = "No thanks"
    popup_send: str = "Send"
    popup_thanks: str = "Thank you! That helps us a lot."
    popup_check: str = "Please check your answer."
    popup_error: str = "Could not send; please try again."
    #: the page instead of the questions once the survey has all the answers it asked for
    closed: str = "This survey is closed: it has all the answers it needs. Thank you!"
    #: the thank-you page when the same filled-in form is sent again (Back, then Send)
    sent_again: str = "Your answers had already arrived; sending them again changed nothing."
    #: above the form when the answers could not be taken: too long to send, too many sent
    #: from one network within a minute, or sent from a page that is not the survey's
    too_long: str = "Your answers are too long to send: please shorten the longest and send again."
    too_many: str = (
        "Many answers were just sent from your network: please wait a minute and send again."
    )
    not_sent: str = (
        "Your answers could not be sent from this page: please open the survey from its link "
        "and send them again."
    )

    @field_validator("*")
    @classmethod
    def _text_ok(cls, v: str) -> str:
        text = v.strip()
        if not text:
            raise ValueError("must not be empty")
        if len(text) > MAX_TEXT:
            raise ValueError(f"must be at most {MAX_TEXT} characters")
        return text


#: the keys ``texts:`` may give, in the order the documentation lists them
TEXT_KEYS: tuple[str, ...] = tuple(SurveyTexts.model_fields)
_DEFAULT_TEXTS = SurveyTexts()


class Survey(BaseModel):
    """A named, versioned survey."""

    model_config = ConfigDict(extra="forbid")

    name: str
    title: str
    version: int = 1
    intro: str = ""
    questions: list[Question]
    #: response quotas: ``total`` and/or per channel (``email``, ``popup``, ``link``, ``api``);
    #: once reached, further answers are refused (HTTP 410) so a survey stops on its own
    quotas: dict[str, int] = Field(default_factory=dict)
    #: the language the questions are written in (a BCP 47 tag): the page's ``<html lang>``
    #: and the pop-up's, so screen readers, spell checkers and translators read it right
    language: str = "en"
    #: the page's and pop-up's fixed texts (:class:`SurveyTexts`), English by default
    texts: SurveyTexts = _DEFAULT_TEXTS

    @field_validator("language")
    @classmethod
    def _language_ok(cls, v: str) -> str:
        if not _LANGUAGE.match(v):
            from shopperlens.surveys.isocodes import language_code

            code = v.replace("_", "-") if _LANGUAGE.match(v.replace("_", "-")) else None
            code = code or language_code(v)
            hint = f" (for {v}: {code})" if code else ""
            raise ValueError(
                f"language must be a BCP 47 tag such as en, de, de-CH or pt-BR{hint}; got {v!r}"
            )
        return v

    @field_validator("texts", mode="before")
    @classmethod
    def _texts_ok(cls, v: Any) -> Any:
        """Only the texts the page and pop-up show: a misspelt key (``sned``) would be
        saved and never shown."""
        if v is None:
            return {}
        if not isinstance(v, dict):
            raise ValueError("texts must be a mapping such as {send: Antworten senden}")
        unknown = [str(k) for k in v if k not in TEXT_KEYS]
        if unknown:
            raise ValueError(
                f"unknown text {', '.join(map(repr, unknown))}; texts are " + ", ".join(TEXT_KEYS)
            )
        return v

    @model_serializer(mode="wrap")
    def _without_defaults(
        self, handler: SerializerFunctionWrapHandler, info: SerializationInfo
    ) -> dict[str, Any]:
        """The definition without an English ``language`` and the texts left as they are:
        a stored survey saved again compares equal to its stored form (a changed definition
        is a new version), and older shopperlens versions read it."""
        data: dict[str, Any] = handler(self)
        if data.get("language") == "en":
            del data["language"]
        texts = data.get("texts")
        if isinstance(texts, dict):
            own = {k: t for k, t in texts.items() if t != getattr(_DEFAULT_TEXTS, k, None)}
            if own:
                data["texts"] = own
            else:
                del data["texts"]
        return data

    @field_validator("name")
    @classmethod
    def _name_ok(cls, v: str) -> str:
        if not re.match(r"^[a-z0-9][a-z0-9_-]{0,62}$", v):
            raise ValueError(f"survey name {v!r} must be lower-case letters, digits, - and _")
        return v

    @field_validator("quotas", mode="before")
    @classmethod
    def _quotas_ok(cls, v: Any) -> Any:
        """Only the keys something counts, as whole numbers of 0 or more: a misspelt key
        (``totl``) was saved and silently never applied, and a negative quota closed its
        channel before the first answer."""
        if v is None:
            return {}
        if not isinstance(v, dict):
            raise ValueError("quotas must be a mapping such as {total: 500, popup: 200}")
        unknown = [str(k) for k in v if k not in QUOTA_KEYS]
        if unknown:
            raise ValueError(
                f"unknown quota {', '.join(map(repr, unknown))}; quotas are "
                + ", ".join(QUOTA_KEYS)
            )
        for key, n in v.items():
            if not _whole(n) or n < 0:
                raise ValueError(f"quota {key!r} must be a whole number of 0 or more; got {n!r}")
        return {k: int(n) for k, n in v.items()}

    @model_validator(mode="after")
    def _unique(self) -> Survey:
        ids = [q.id for q in self.questions]
        if not ids:
            raise ValueError("a survey needs at least one question")
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"question ids used twice: {', '.join(dupes)}")
        return self

    def question(self, qid: str) -> Question:
        for q in self.questions:
            if q.id == qid:
                return q
        raise KeyError(qid)

    @property
    def ids(self) -> list[str]:
        return [q.id for q in self.questions]

    @property
    def all_optional(self) -> bool:
        """No question must be answered: only then may an invitation say so."""
        return not any(q.required for q in self.questions)

    def minutes(self) -> int:
        """About how many minutes answering every question takes (:data:`SECONDS_PER_ANSWER`
        per question, rounded up): an invitation promising "about 3 minutes" for 20
        questions with free text would not be honest."""
        seconds = sum(SECONDS_PER_ANSWER[q.kind] for q in self.questions)
        return max(1, math.ceil(seconds / 60))

    def max_submission_bytes(self) -> int:
        """The most bytes a submission of every question answered at its longest may take:
        a form post of Cyrillic, Chinese or emoji text takes up to 12 bytes a character (4 in
        UTF-8, each percent-encoded as 3; JSON's ``\\ud83d\\ude00`` no more). A body limit
        below it refused long answers in any script but Latin; one fixed far above it would
        let anyone hold the server's memory with bodies no survey sends."""
        size = _ENVELOPE_BYTES
        for q in self.questions:
            field = len(q.id) + 8  # its name, "=" / '": ', separators, a list's brackets
            if q.kind == "text":
                size += field + q.max_length * _BYTES_PER_CHAR
            elif q.kind in ("single", "multi"):  # a multi-select repeats its name per choice
                size += sum(field + len(c) * _BYTES_PER_CHAR for c in q.choices or [])
            else:
                size += field + _NUMBER_CHARS * _BYTES_PER_CHAR
        return size

    def to_yaml(self) -> str:
        return yaml.safe_dump(
            self.model_dump(exclude_defaults=True), sort_keys=False, allow_unicode=True
        )

    def warnings(self, categories: list[str] | None = None) -> list[str]:
        """Advice on length and relevance; empty when the survey looks fine."""
        out = []
        n = len(self.questions)
        if n < MIN_QUESTIONS:
            out.append(f"{n} questions: fewer than {MIN_QUESTIONS} gives too little to profile")
        if n > MAX_QUESTIONS:
            out.append(f"{n} questions: more than {MAX_QUESTIONS} and people stop answering")
        missing = [
            g
            for g in ("demographic", "psychographic")
            if g not in {q.group for q in self.questions}
        ]
        if missing:
            out.append(f"no {' or '.join(missing)} questions: a profile needs both who and why")
        out.extend(relevance(self, categories or []))
        return out


def relevance(survey: Survey, categories: list[str]) -> list[str]:
    """Questions unrelated to what the shop sells (collect only what is relevant).

    A question with ``relevant_to`` keywords is flagged when none of them appears in any of
    the shop's product categories; questions without keywords apply to every shop.
    """
    if not categories:
        return []
    cats = " ".join(c.lower() for c in categories if isinstance(c, str))

    def names(keyword: str) -> bool:  # at a word's start: "tent" is in "tents", not "patent"
        return re.search(r"\b" + re.escape(keyword.lower()), cats) is not None

    def about(q: Question) -> str:
        shown = ", ".join(q.relevant_to[:4])
        return shown + (" …" if len(q.relevant_to) > 4 else "")

    return [
        f"question {q.id!r} looks unrelated to what the shop sells (it is about {about(q)})"
        for q in survey.questions
        if q.relevant_to and not any(names(k) for k in q.relevant_to)
    ]


class AnswerError(ShopperlensError):
    """A submission that does not fit its survey; ``problems`` maps question -> reason."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))


#: what an answer holding text no encoding can store is told
NOT_TEXT = "is not valid text (it holds a lone surrogate such as \\ud800)"


def is_text(value: Any) -> bool:
    """False for a string (or a list holding one) that is no valid Unicode text: JSON may
    escape a lone surrogate (``"\\ud800"``), which UTF-8 cannot encode. Such an answer made
    the store's insert fail, and with it every answer written in the same batch."""
    if isinstance(value, list):
        return all(is_text(v) for v in value)
    if not isinstance(value, str) or value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def validate_answers(
    survey: Survey, answers: Any, *, partial: bool = False
) -> dict[str, str | float | list[str]]:
    """Check a submission against the survey: unknown questions, types, choices, ranges.

    Blank answers (None, whitespace, [], a multi-select of blanks; see :func:`is_blank`) are
    dropped; a missing required question is an error. A ``partial`` submission (the pop-up's,
    which asks one question of the survey) answers only the questions it sends: a required
    question it does not send was never asked, so it is not missing (a pop-up on a survey
    with required questions could never be answered); one it sends blank is.
    """
    if not isinstance(answers, dict):
        raise AnswerError({"answers": "must be an object of question: answer"})
    known = {q.id: q for q in survey.questions}
    problems: dict[str, str] = {}
    clean: dict[str, str | float | list[str]] = {}
    for key, value in answers.items():
        if not is_text(key):  # (a key is echoed in the answer: it must be encodable)
            problems["answers"] = NOT_TEXT
            continue
        q = known.get(key)
        if q is None:
            problems[str(key)[:64]] = "unknown question"
            continue
        if not is_text(value):
            problems[key] = NOT_TEXT
            continue
        if is_blank(value):
            continue
        try:
            answer = q.validate_answer(value)
        except ValueError as exc:
            problems[key] = str(exc)
            continue
        if not is_blank(answer):
            clean[key] = answer
    asked = set(answers) if partial else {q.id for q in survey.questions}
    for q in survey.questions:
        if q.required and q.id in asked and q.id not in clean and q.id not in problems:
            problems[q.id] = "is required"
    if problems:
        raise AnswerError(problems)
    if not clean:
        raise AnswerError({"answers": "no question was answered"})
    return clean


# -- the bank and files ----------------------------------------------------------------------
@cache
def question_bank() -> dict[str, Question]:
    """Every ready-made question by id (``surveys/data/bank.yaml``), group filled in."""
    raw = yaml12.load_text(
        resources.files("shopperlens.surveys").joinpath("data/bank.yaml").read_text("utf-8")
    )
    bank = {}
    for group, items in raw.items():
        for item in items:
            q = Question(group=group, **item)
            bank[q.id] = q
    return bank


def _bank_ids(value: Any) -> list[str]:
    """``from_bank`` as a list of ids: one id given as text is one item, not its letters."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list | tuple) or not all(isinstance(i, str) for i in value):
        raise ShopperlensError(
            "invalid survey definition: from_bank must be a list of question ids "
            "(see `shopperlens survey bank`)"
        )
    return list(value)


def from_bank(ids: list[str]) -> list[Question]:
    bank = question_bank()
    unknown = [i for i in ids if i not in bank]
    if unknown:
        raise ShopperlensError(
            f"not in the question bank: {', '.join(unknown)} (see `shopperlens survey bank`)"
        )
    return [bank[i].model_copy() for i in ids]


def survey_from_dict(data: dict[str, Any]) -> Survey:
    """Build a survey from a mapping; ``from_bank: [ids]`` pulls questions from the bank
    (a single id may be given as text), ``questions`` is a list of question mappings (or bank
    ids). Anything else is refused by name: ``from_bank: income`` was read letter by letter
    and ``questions: {id: q}`` as the bank question ``id``."""
    data = dict(data)
    questions = from_bank(_bank_ids(data.pop("from_bank", None)))
    items = data.pop("questions", None)
    if items is not None and not isinstance(items, list):
        raise ShopperlensError(
            "invalid survey definition: questions must be a list of questions, each a mapping "
            "with id, kind and text"
        )
    try:
        for i, item in enumerate(items or []):
            if isinstance(item, str):
                questions.extend(from_bank([item]))
            elif isinstance(item, dict):
                questions.append(_question(i, item))
            else:
                raise ShopperlensError(
                    f"invalid survey definition: questions[{i}] must be a mapping with id, "
                    f"kind and text (or a bank question id); got {str(item)[:40]!r}"
                )
        return Survey(questions=questions, **data)
    except ValidationError as exc:
        msg, where = _problem(exc)
        raise ShopperlensError(f"invalid survey definition: {msg}{where}") from None
    except TypeError as exc:
        raise ShopperlensError(f"invalid survey definition: {exc}") from None


def _question(i: int, item: dict[str, Any]) -> Question:
    """``questions[i]`` as a :class:`Question`; a refusal names the question (its id, else its
    place) and the key at fault, not only a key path within some question."""
    try:
        return Question(**item)
    except ValidationError as exc:
        msg, where = _problem(exc)
        first = exc.errors()[0]
        if first.get("type") == "string_type" and isinstance(first.get("input"), bool):
            msg = "a true/false where a word is wanted (write it in quotes)"
        qid = item.get("id")
        named = f"question {qid!r}" if isinstance(qid, str) else f"questions[{i}]"
        raise ShopperlensError(f"invalid survey definition: {named}: {msg}{where}") from None


def _problem(exc: ValidationError) -> tuple[str, str]:
    """pydantic's first complaint in a survey file's words, and `` (at KEY.PATH)`` ("" at the
    top): a misspelt key is called one."""
    first = exc.errors()[0]
    where = ".".join(str(x) for x in first.get("loc", ()))
    msg = first["msg"].removeprefix("Value error, ")
    if first.get("type") == "extra_forbidden":
        msg = "unknown key (a misspelling?)"
    return msg, f" (at {where})" if where else ""


def load_definition(path: str | Path) -> Survey:
    """Read a survey from a ``.yaml``/``.yml`` or ``.json`` file."""
    p = Path(path)
    try:
        text = read_text_file(p, what="a survey definition (YAML or JSON)")
    except OSError as exc:
        raise ShopperlensError(f"cannot read {p}: {exc.strerror}") from None
    data = parse_json(text, str(p)) if p.suffix.lower() == ".json" else _yaml_data(p, text)
    if not isinstance(data, dict):
        raise ShopperlensError(f"{p} must hold a mapping with name, title and questions")
    return survey_from_dict(data)


def _yaml_data(p: Path, text: str) -> Any:
    """The YAML file ``p`` read, or refused in one line with the error's place as the editor
    counts it (a JSON file is refused by :func:`~shopperlens.textfiles.parse_json`)."""
    try:
        return yaml12.load_text(text)
    except yaml.YAMLError as exc:
        raise ShopperlensError(
            f"{p} is not valid {p.suffix.lstrip('.')}: {yaml12.problem(exc)}"
        ) from None


def builtin(name: str) -> Survey:
    """A survey shipped with shopperlens (``demo-profile``)."""
    res = resources.files("shopperlens.surveys").joinpath(f"data/{name}.yaml")
    if not res.is_file():
        raise ShopperlensError(f"no built-in survey {name!r}")
    return survey_from_dict(yaml12.load_text(res.read_text("utf-8")))


def demo_profile() -> Survey:
    """The demo survey, whose answers the demo shop generates and the personas are built from."""
    return builtin("demo-profile")
