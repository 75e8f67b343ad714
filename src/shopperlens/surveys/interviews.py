"""Interview notes: read Markdown/text notes, pull out quotes, tag psychographic themes.

Notes are conversations written down, so the tagging is deliberately simple and auditable: a
sentence or quote belongs to a theme when it uses one of the theme's words (a lexicon a shop
can read and change). Quotes are what the interviewee said (``> "…"`` lines or text in
quotation marks); personas cite them, so e-mail addresses, phone numbers, street addresses and
names (the ones the text gives and the ``names`` the caller knows) are masked.

Who was interviewed is read from the note's title (its first line, e.g. ``# Interview 03:
customer C0042 (bad customer)``) or from ``customer_id:`` / ``segment:`` lines near the top,
never from the prose: "What she liked best" once made a bad customer a best one, and "The
customer said" gave a prospect the customer id ``said``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from shopperlens.personas.synthesis import scrub

#: theme -> words; a quote using any of them is tagged with the theme. Words match whole words
#: only ("late" does not match "later", "new" not "news"); a trailing ``*`` marks a stem
#: ("deliver*": deliver, delivery, delivered); a phrase's words must follow each other
#: (space or hyphen: "one click" matches "one-click").
THEMES: dict[str, tuple[str, ...]] = {
    "price": (
        "price*",
        "cheap",
        "cheaper",
        "cheapest",
        "expensive",
        "discount*",
        "deal",
        "deals",
        "sale",
        "sales",
        "save money",
        "saves money",
        "saving money",
        "budget*",
        "cost",
        "costs",
        "costly",
        "afford*",
        "money",
        "free shipping",
    ),
    "quality": (
        "quality",
        "durab*",
        "lasts",
        "lasted",
        "lasting",
        "last longer",
        "well made",
        "sturdy",
        "craft*",
        "material*",
        "fell apart",
        "falls apart",
    ),
    "sustainability": (
        "sustainab*",
        "eco",
        "recycl*",
        "planet",
        "green",
        "organic",
        "plastic",
        "packaging",
        "ethical*",
        "environment*",
    ),
    "convenience": (
        "quick*",
        "fast",
        "faster",
        "fastest",
        "easy",
        "easier",
        "easily",
        "convenien*",
        "save time",
        "saves time",
        "saved time",
        "saving time",
        "time saving",
        "no time",
        "busy",
        "subscri*",
        "hassle*",
        "one click",
        "reorder*",
    ),
    "trust": ("trust*", "review*", "scam*", "secure*", "security", "reliab*", "honest*", "safe"),
    "delivery": (
        "shipping",
        "shipped",
        "ship",
        "deliver*",
        "arriv*",
        "courier*",
        "parcel*",
        "late",
        "delay*",
    ),
    "service": (
        "support",
        "service",
        "help",
        "helped",
        "helpful",
        "answer*",
        "return*",
        "refund*",
        "complain*",
        "chat",
    ),
    "novelty": (
        "new",
        "newest",
        "trend*",
        "latest",
        "discover*",
        "unique",
        "fashion*",
        "style*",
        "stylish",
        "drop",
        "drops",
        "limited",
    ),
    "brand": ("brand*", "logo*", "label*", "influencer*", "instagram", "tiktok"),
}
#: how a title marker or a ``segment:`` line names a segment -> the segment stored
SEGMENTS: dict[str, str] = {
    "best": "best",
    "best customer": "best",
    "good": "best",
    "good customer": "best",
    "worst": "worst",
    "worst customer": "worst",
    "bad": "worst",
    "bad customer": "worst",
    "prospect": "prospect",
    "referral": "referral",
}
#: how many lines at the top of a note may hold ``customer_id:`` / ``segment:`` lines
HEAD_LINES = 10
_QUOTE_LINE = re.compile(r"^\s*>\s*(.+?)\s*$")
#: quotation marks: each opening mark -> the marks that close it. English “…”, German „…“ (and
#: „…” as Polish, Hungarian and Romanian write it) and ‚…‘, French «…», German and Danish »…«,
#: Swedish and Finnish ”…” and »…», straight "…", Japanese 「…」 and 『…』. A German closing “ is
#: no opening mark after a „, and a quote ends at its own closing mark.
QUOTE_MARKS: dict[str, str] = {
    "“": "”",
    "„": '“”"',
    "‚": "‘",
    "«": "»",
    "»": "«»",
    "”": "”",
    '"': '"',
    "「": "」",
    "『": "』",
}
#: marks that also stand for inches after a number (a 15” laptop, 29" wheels): there they open
#: no quote, or the interviewer's words up to the next quote were taken for the customer's
INCH_MARKS = ("”", '"')
_AFTER_DIGIT = "(?<![0-9])"
#: a quoted passage is 12 characters or more (shorter ones, "ok" or “nice”, are words, not what
#: someone said) and at most 400
QUOTE_LENGTH = (12, 400)
#: one quoted passage: an opening mark, text without its closing marks and without a blank line
#: (a quote does not go on past its paragraph), a closing mark. Any length here: a short one is
#: matched too, so its closing mark is never read as the opening of the next one.
_QUOTED = re.compile(
    "|".join(
        f"{_AFTER_DIGIT if o in INCH_MARKS else ''}{re.escape(o)}"
        f"(?P<q{i}>(?:[^{re.escape(c)}\\n]|\\n(?![ \\t]*\\n))+)[{re.escape(c)}]"
        for i, (o, c) in enumerate(QUOTE_MARKS.items())
    )
)
#: the marks stripped from the ends of a block-quote line (``> „…“``): every opening and closing
#: mark but the apostrophe ’, which may end a word
_MARKS = "".join(dict.fromkeys("".join(QUOTE_MARKS) + "".join(QUOTE_MARKS.values())))
_TITLE_CUSTOMER = re.compile(r"\bcustomer[\s:#]+([A-Za-z0-9][A-Za-z0-9_.-]*)", re.IGNORECASE)
_SEGMENT_PHRASE = re.compile(
    r"\b(?:(?:best|good|worst|bad) customers?|prospects?|referrals?)\b", re.IGNORECASE
)
_PARENTHESES = re.compile(r"\(([^()]*)\)")
_FIELD = re.compile(
    r"^[\s>*_-]*(?P<key>segment|customer[ _-]?id)[\s*_]*:[\s*_]*(?P<value>.*?)[\s*_]*$",
    re.IGNORECASE,
)
_DATE = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")


@dataclass
class Note:
    """A parsed interview note."""

    interviewee: str
    body: str
    customer_id: str | None = None
    segment: str | None = None
    interviewed_at: str | None = None
    quotes: list[str] = field(default_factory=list)


def parse_note(
    name: str,
    text: str,
    *,
    is_customer: Callable[[str], bool] | None = None,
    names: Collection[str] = (),
) -> Note:
    """Who was interviewed, when, and the quotes in the note.

    The customer and segment come from ``customer_id:`` / ``segment:`` lines among the first
    :data:`HEAD_LINES` lines, else from the title (``# Interview 03: customer C0042 (bad
    customer)``). A customer id must look like one (it has a digit) or be a known customer
    (``is_customer``), so "customer said" in a title names nobody. ``names`` are the people's
    names the shop knows, masked in the quotes (see :func:`quotes`).
    """
    lines = text.splitlines()
    title = next((ln for ln in lines if ln.strip()), "")
    fields = _fields(lines[:HEAD_LINES])
    return Note(
        interviewee=name,
        body=text,
        customer_id=_customer_id(title, fields.get("customer_id"), is_customer),
        segment=_segment_word(fields.get("segment", "")) or _title_segment(title),
        interviewed_at=_first_day(text),
        quotes=quotes(text, names),
    )


def _first_day(text: str) -> str | None:
    """The first ``YYYY-MM-DD`` in ``text`` that is a day of the calendar: a note's prose may
    hold an order or product number written so (``2024-02-30``, ``0000-00-00``), which the
    store could not keep as the interview's date and which refused the whole import."""
    for m in _DATE.finditer(text):
        with suppress(ValueError):
            return date.fromisoformat(m.group(1)).isoformat()
    return None


def _fields(lines: list[str]) -> dict[str, str]:
    """``customer_id:`` and ``segment:`` lines (``*Segment:* worst`` too; several fields may
    share a line, separated by ``·`` or ``|``), first one of each kind wins."""
    found: dict[str, str] = {}
    for line in lines:
        for part in re.split(r"[·|]", line):
            m = _FIELD.match(part)
            if m and m.group("value"):
                key = "segment" if m.group("key").lower() == "segment" else "customer_id"
                found.setdefault(key, m.group("value"))
    return found


def _customer_id(
    title: str, stated: str | None, is_customer: Callable[[str], bool] | None
) -> str | None:
    """The stated ``customer_id:``, else the first ``customer X`` of the title, when it
    looks like an id."""
    candidates = [stated.strip().rstrip(".")] if stated else []
    candidates += [m.group(1).rstrip(".") for m in _TITLE_CUSTOMER.finditer(title)]
    return next((c for c in candidates if _looks_like_id(c, is_customer)), None)


def _looks_like_id(value: str, is_customer: Callable[[str], bool] | None) -> bool:
    """A single token with a digit (``C0042``), or a known customer: plain words are prose."""
    if not re.fullmatch(r"[A-Za-z0-9][\w.@+-]*", value):
        return False
    return any(ch.isdigit() for ch in value) or (is_customer is not None and is_customer(value))


def _title_segment(title: str) -> str | None:
    """The segment a title names: a parenthesised marker (``(bad customer)``, ``(prospect)``)
    first, else the first segment phrase in it (``best customer``, ``prospect`` …)."""
    for marker in _PARENTHESES.findall(title):
        segment = _segment_word(marker)
        if segment:
            return segment
    m = _SEGMENT_PHRASE.search(title)
    return _segment_word(m.group(0)) if m else None


def _segment_word(value: str) -> str | None:
    """``bad customers`` / ``Worst`` / ``prospect`` -> the stored segment, else None."""
    key = " ".join(value.strip(" *_.:").lower().split())
    if key not in SEGMENTS and key.endswith("s"):
        key = key[:-1]
    return SEGMENTS.get(key)


def quotes(text: str, names: Collection[str] = ()) -> list[str]:
    """What the interviewee said, in the order the note gives it: block-quote lines (their
    quotation marks stripped, ``> „…“`` too) and, in the rest of the note, the passages in
    quotation marks of any pair of :data:`QUOTE_MARKS` („…“, «…», ”…”, 「…」 as well as “…” and
    "…") of :data:`QUOTE_LENGTH`. Both count: a note with block quotes once lost the words its
    prose quoted ("She said “too dear” twice"). A passage that is part of a block quote is
    not taken twice (:func:`_inline_quotes`). Masked as persona quotes are
    (:func:`~shopperlens.personas.scrubbing.scrub`: e-mail addresses, phone numbers, street
    addresses, signed names and the ``names`` the shop knows), because a theme's quote is
    stored, shown on the report and the API, and must not identify anyone: "Quorvath
    Blenkinsop here: …" once kept the customer's name, only signatures were masked."""
    blocks, prose = _block_quotes(text)
    found = sorted([*blocks, *_inline_quotes(prose, [q for _, q in blocks])])
    return [q for q in dict.fromkeys(scrub(q, names) for _, q in found) if q]


def _block_quotes(text: str) -> tuple[list[tuple[int, str]], str]:
    """The block-quote lines of ``text`` with where each starts, and ``text`` with those lines
    blanked (same length, so positions still compare): a quoted passage in the prose is then
    never read across a block quote, which stands between paragraphs as a blank line does."""
    found: list[tuple[int, str]] = []
    prose: list[str] = []
    at = 0
    for line in text.splitlines(keepends=True):
        content = line.splitlines()[0] if line.splitlines() else ""
        m = _QUOTE_LINE.match(content)
        if m:
            found.append((at, m.group(1).strip().strip(_MARKS).strip()))
            line = " " * (len(line) - 1) + "\n"
        prose.append(line)
        at += len(line)
    return found, "".join(prose)


def _inline_quotes(prose: str, blocks: list[str]) -> list[tuple[int, str]]:
    """The passages in quotation marks in ``prose`` with where each starts, but those a block
    quote already holds (the interviewer quoting again a phrase the block quote gives)."""
    said = [_same_words(b) for b in blocks]
    return [
        (m.start(), q)
        for m in _QUOTED.finditer(prose)
        if _long_enough(q := _quoted_text(m)) and not any(_same_words(q) in b for b in said)
    ]


def _same_words(quote: str) -> str:
    """``quote`` as compared for repeats: its words, case folded, without the marks and
    punctuation around it."""
    return " ".join(quote.casefold().split()).strip(_MARKS + " .,;:!?…")


def _quoted_text(m: re.Match[str]) -> str:
    """The words between a pair of quotation marks, on one line (a quote wrapped in the note
    is one quote), without the spaces French puts inside « … »."""
    said = next(v for v in m.groupdict().values() if v is not None)
    return " ".join(said.split())


def _long_enough(quote: str) -> bool:
    low, high = QUOTE_LENGTH
    return low <= len(quote) <= high


def tag(text: str, lexicon: dict[str, tuple[str, ...]] | None = None) -> list[str]:
    """The themes a piece of text touches, in lexicon order."""
    low = text.lower()
    return [
        theme
        for theme, words in (lexicon or THEMES).items()
        if _theme_pattern(tuple(words)).search(low)
    ]


@lru_cache(maxsize=64)
def _theme_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    """One regex for a theme's words: whole words, ``*`` stems, phrases (see :data:`THEMES`)."""
    return re.compile("|".join(_word_pattern(w) for w in words))


def _word_pattern(entry: str) -> str:
    parts = [
        re.escape(w[:-1]) + r"\w*" if w.endswith("*") else re.escape(w)
        for w in entry.lower().split()
    ]
    return r"\b" + r"[\s-]+".join(parts) + r"\b"


def tag_note(note: Note, names: Collection[str] = ()) -> list[tuple[str, str]]:
    """``(theme, quote)`` pairs; without quotes, each bullet/sentence of the note is used
    (masked like quotes, with the same ``names``: :func:`quotes`)."""
    pieces = note.quotes or [
        scrub(s.strip(" -*"), names)
        for s in re.split(r"(?<=[.!?])\s+|\n", note.body)
        if len(s.strip(" -*")) > 15 and not s.lstrip().startswith("#")
    ]
    return [(theme, piece) for piece in pieces for theme in tag(piece)]
