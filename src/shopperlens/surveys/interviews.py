"""Interview notes: read Markdown/text notes, pull out quotes, tag psychographic themes.

Notes are conversations written down, so the tagging is deliberately simple and auditable: a
sentence or quote belongs to a theme when it uses one of the theme's words (a lexicon a shop
can read and change). Quotes are what the interviewee said (``> "…"`` lines or text in
quotation marks); personas cite them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: theme -> word stems; a quote mentioning any stem is tagged with the theme
THEMES: dict[str, tuple[str, ...]] = {
    "price": (
        "price",
        "cheap",
        "expensive",
        "discount",
        "deal",
        "sale",
        "save",
        "budget",
        "cost",
        "afford",
        "money",
    ),
    "quality": ("quality", "durable", "last", "well made", "sturdy", "craft", "material"),
    "sustainability": (
        "sustainab",
        "eco",
        "recycl",
        "planet",
        "green",
        "organic",
        "plastic",
        "packaging",
        "ethical",
        "environment",
    ),
    "convenience": (
        "quick",
        "fast",
        "easy",
        "convenien",
        "time",
        "busy",
        "subscri",
        "hassle",
        "one click",
        "reorder",
    ),
    "trust": ("trust", "review", "scam", "secure", "reliab", "honest", "safe"),
    "delivery": ("shipping", "delivery", "deliver", "arrive", "courier", "parcel", "late"),
    "service": ("support", "service", "help", "answer", "return", "refund", "complain", "chat"),
    "novelty": (
        "new",
        "trend",
        "latest",
        "discover",
        "unique",
        "fashion",
        "style",
        "drop",
        "limited",
    ),
    "brand": ("brand", "logo", "label", "influencer", "instagram", "tiktok"),
}
_QUOTE_LINE = re.compile(r"^\s*>\s*(.+?)\s*$")
_QUOTED = re.compile(r"[\"“]([^\"”]{12,400})[\"”]")
_CUSTOMER = re.compile(r"\bcustomer[\s:#]+([A-Za-z0-9][A-Za-z0-9_.-]*)", re.IGNORECASE)
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


def parse_note(name: str, text: str) -> Note:
    """Who was interviewed (from the title, e.g. ``# Interview 03: customer C0042 (bad
    customer)``), when, and the quotes in the note."""
    head = "\n".join(text.splitlines()[:5])
    m = _CUSTOMER.search(head)
    customer = m.group(1).rstrip(".") if m else None
    low = head.lower()
    segment = None
    if "good customer" in low or "best" in low:
        segment = "best"
    elif "bad customer" in low or "worst" in low:
        segment = "worst"
    elif "prospect" in low:
        segment = "prospect"
    elif "referral" in low:
        segment = "referral"
    d = _DATE.search(text)
    return Note(
        interviewee=name,
        body=text,
        customer_id=customer,
        segment=segment,
        interviewed_at=d.group(1) if d else None,
        quotes=quotes(text),
    )


def quotes(text: str) -> list[str]:
    """What the interviewee said: block-quote lines, else sentences in quotation marks."""
    found: list[str] = []
    for line in text.splitlines():
        m = _QUOTE_LINE.match(line)
        if m:
            found.append(m.group(1).strip().strip('"“”').strip())
    if not found:
        found = [m.group(1).strip() for m in _QUOTED.finditer(text)]
    return [q for q in dict.fromkeys(found) if q]


def tag(text: str, lexicon: dict[str, tuple[str, ...]] | None = None) -> list[str]:
    """The themes a piece of text touches, in lexicon order."""
    low = text.lower()
    return [
        theme
        for theme, stems in (lexicon or THEMES).items()
        if any(re.search(r"\b" + re.escape(s), low) for s in stems)
    ]


def tag_note(note: Note) -> list[tuple[str, str]]:
    """``(theme, quote)`` pairs; without quotes, each bullet/sentence of the note is used."""
    pieces = note.quotes or [
        s.strip(" -*")
        for s in re.split(r"(?<=[.!?])\s+|\n", note.body)
        if len(s.strip(" -*")) > 15 and not s.lstrip().startswith("#")
    ]
    return [(theme, piece) for piece in pieces for theme in tag(piece)]
