"""Persona documents: a printable HTML card per persona (with inline SVG charts), Markdown and
JSON of a whole run, written by ``write_cards`` and by the report's personas page.

The card is one self-contained HTML file (styles and charts inline) sized for A4: open it in a
browser and print to PDF, or pin the printout on the wall. Every statement on it carries a
footnote number; the evidence block at the bottom lists, per footnote, the question, the answer
and how many people it rests on.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shopperlens import markdown as md
from shopperlens.labels import percent, type_label
from shopperlens.reports.charts import pyplot, svg_markup

if TYPE_CHECKING:
    from shopperlens.personas.synthesis import ChannelUse, Persona
    from shopperlens.service.personas import PersonaRun

#: where quotes come from, said wherever they are shown
QUOTES_NOTE = (
    "Quotes: free-text answers and interview notes of members near the persona's centre, "
    "never of anyone who refused consent to case studies or testimonials."
)
#: said beside the actions of a provisional persona: its groups may not hold, so its actions
#: are hypotheses to try before they are rolled out
PROVISIONAL_ACTIONS = (
    "Provisional: the groups are not shown to be reliable; try these actions on a small share "
    "of the members first."
)
#: one colour per persona (by persona number), readable on white and in greyscale print: each
#: is the colour of small text (the card's headings, the side-by-side table's names) and the
#: ground of white initials, so each has at least WCAG's 4.5:1 contrast with white
PALETTE = ["#2d6cdf", "#137a5a", "#a65d12", "#b8407a", "#6b5bd6", "#2b6e80"]
SECTIONS = [
    ("who", "Who they are"),
    ("why", "Why they buy"),
    ("what", "What they buy"),
    ("behaviour", "How they behave"),
]


#: z of a two-sided 95 % interval
Z95 = 1.96


def share_margin(share: float, n: int) -> float:
    """Half the width of the 95 % interval of a persona's ``share`` of ``n`` respondents
    (normal approximation): a share read from a survey is an estimate, and a campaign sized by
    it should know how far off it may be (28 % of 600 is 24–32 %; of 60, 17–39 %)."""
    return Z95 * math.sqrt(max(share * (1 - share), 0.0) / max(n, 1))


def colour(persona_id: int) -> str:
    return PALETTE[persona_id % len(PALETTE)]


def _bars(labels: list[str], mine: list[float], everyone: list[float], hue: str, title: str) -> str:
    """Horizontal bars: the persona against all respondents (grey), as percentages."""
    plt = pyplot()

    plt.rcParams["svg.fonttype"] = "none"  # text stays text: sharp when printed
    h = 0.42 * len(labels) + 0.6
    fig, ax = plt.subplots(figsize=(4.2, h))
    y = list(range(len(labels)))[::-1]
    ax.barh([v + 0.2 for v in y], [100 * v for v in mine], height=0.38, color=hue, label="persona")
    ax.barh([v - 0.2 for v in y], [100 * v for v in everyone], height=0.38, color="#c9ced6",
            label="everyone")  # fmt: skip
    ax.set_yticks(y, labels, fontsize=9)
    ax.tick_params(axis="x", labelsize=8)
    ax.set_xlabel("%", fontsize=8)
    ax.set_title(title, fontsize=10, loc="left")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(fontsize=7, frameon=False, loc="lower right")
    label = f"{title}, the persona against everyone: " + ", ".join(
        f"{name} {percent(m)} % (everyone {percent(e)} %)"
        for name, m, e in zip(labels, mine, everyone, strict=True)
    )
    return svg_markup(fig, label + ".", bbox_inches="tight", transparent=True)


def channel_chart(persona: Persona) -> str | None:
    """The share of the persona's members using each channel shown against the share of all
    respondents: the two figures the index and the advice are worked out from (a mix over the
    shown channels made a channel nearly all the persona use look below average)."""
    rows = [c for c in persona.channels if c.share is not None]
    if not rows:
        return None
    return _bars(
        [c.channel for c in rows],
        [c.share or 0 for c in rows],
        [c.overall or 0 for c in rows],
        colour(persona.persona_id),
        "Members using each channel",
    )


def motive_chart(persona: Persona) -> str | None:
    """The persona's most distinctive answers against everyone: shares of people for answers,
    or (when only numbers stand out, as on purchase data) the persona's mean as a share of
    twice the overall mean, so "everyone" sits at 50 %."""
    top = [s for s in persona.statements if s.distinctive and s.evidence.value is not None]
    shares = [s for s in top if s.evidence.measure == "share"][:6]
    hue = colour(persona.persona_id)
    if shares:
        return _bars(
            [_short(s.evidence.question, s.evidence.answer) for s in shares],
            [s.evidence.value or 0 for s in shares],
            [s.evidence.overall or 0 for s in shares],
            hue,
            "What sets them apart",
        )
    means = [s for s in top if s.evidence.overall][:6]
    if not means:
        return None
    return _bars(
        [s.evidence.question.replace("_", " ") for s in means],
        [min(1.0, (s.evidence.value or 0) / (2 * (s.evidence.overall or 1))) for s in means],
        [0.5] * len(means),
        hue,
        "What sets them apart (everyone = 50)",
    )


def _short(question: str, answer: str | None) -> str:
    return f"{question.replace('_', ' ')}: {(answer or '').replace('_', ' ')}"


def _footnotes(persona: Persona) -> list[dict[str, Any]]:
    """Per statement, what it rests on; a customer type is shown by its display name."""
    notes = []
    for s in persona.statements:
        e = s.evidence
        if e.suppressed:
            detail = "fewer than the minimum group size answered; figure withheld"
        elif e.measure == "share" and e.count is None:
            detail = f"share of the total, over {e.n or 0:,} known customers"
        elif e.measure == "share":
            share, everyone = e.value or 0, e.overall or 0
            detail = (
                f"{e.count:,} of {e.n:,} answered this ({percent(share)}%); "
                f"everyone {percent(everyone)}%"
            )
        elif e.measure == "median":
            detail = f"median over {e.n or 0:,} people (half state less, half more)"
        else:
            detail = f"mean over {e.n or 0:,} people" + (
                f"; everyone {e.overall:,.1f}" if e.overall is not None else ""
            )
        answer = type_label(e.answer) if e.question == "customer_type" and e.answer else e.answer
        notes.append({"question": e.question, "answer": answer, "detail": detail})
    return notes


def card_context(run: PersonaRun, persona: Persona, currency: str | None = None) -> dict[str, Any]:
    """What the card template shows; ``currency`` (the shop's) marks income and value."""
    numbered = list(enumerate(persona.statements, start=1))
    return {
        "run": run,
        "p": persona,
        "colour": colour(persona.persona_id),
        "initials": persona.adjective[:1] + persona.first_name[:1],
        "sections": [
            (title, [(i, s) for i, s in numbered if s.section == key]) for key, title in SECTIONS
        ],
        "notes": _footnotes(persona),
        "channel_svg": channel_chart(persona),
        "share_margin": (
            None
            if persona.share is None
            else percent(share_margin(persona.share, run.n_respondents))
        ),
        # withheld channels are named, so they read as hidden rather than not asked about
        "hidden_channels": [c.channel for c in persona.channels if c.share is None],
        "motive_svg": motive_chart(persona),
        "types": sorted((persona.types_mix or {}).items(), key=lambda kv: -kv[1]),
        "quotes_note": QUOTES_NOTE,
        "provisional_actions": PROVISIONAL_ACTIONS,
        "currency": currency,
        "reliability_note": run.reliability_note,
        # (a card read alone must say it has a near-twin, as the overview does)
        "near_duplicates_note": (
            run.near_duplicates_note
            if any(persona.persona_id in pair for pair in run.near_duplicates)
            else None
        ),
        "left_out_note": run.left_out_note,
        # the card's terms, defined on its evidence side: a printout has no tooltips
        "explained": [
            key
            for key, shown in (("stability", persona.stability), ("clv", persona.clv_mean))
            if shown is not None
        ],
    }


def render_card(run: PersonaRun, persona: Persona, currency: str | None = None) -> str:
    """The printable HTML card of one persona (amounts in ``currency``, the shop's)."""
    from shopperlens.reports.site import environment

    ctx = card_context(run, persona, currency)
    return environment().get_template("persona_card.html").render(**ctx)


def render_markdown(run: PersonaRun, only: Persona | None = None) -> str:
    """All personas of a run (or ``only`` one of them) as Markdown, evidence in brackets after
    each line, the run's caveats (left out, provisional) first. Every text is escaped
    (:func:`shopperlens.markdown.escape`): names, statements and quotes come from survey
    answers and interview notes, which may hold ``<``, ``|`` or ``*``."""
    out = [f"# Personas (run {run.run_id}, {run.n_respondents:,} respondents)", ""]
    if run.reliability_note:
        out += [f"**{md.escape(run.reliability_note)}**", ""]
    if run.near_duplicates_note:
        out += [f"**{md.escape(run.near_duplicates_note)}**", ""]
    if run.left_out_note:
        out += [md.escape(run.left_out_note), ""]
    for p in run.personas if only is None else [only]:
        out += [f"## {md.escape(p.name)}", "", f"*{md.escape(p.trait)}*", ""]
        out += ["- " + md.escape(" · ".join(_facts(p, run.min_group_size, run.n_respondents))), ""]
        for key, title in SECTIONS:
            rows = p.section(key)
            if rows:
                out += [f"### {md.escape(title)}", ""]
                out += [f"- {md.escape(s.text)} [{md.escape(_trace(s.evidence))}]" for s in rows]
                out.append("")
        if p.channels:
            out += ["### Where to reach them", ""]
            out += [f"- {md.escape(_channel_line(c, run.min_group_size))}" for c in p.channels]
            if p.spend_shift:
                out += ["", md.escape(p.spend_shift)]
            out.append("")
        out += _actions_markdown(p)
        if p.quotes:
            out += ["### In their words", "", f"*{md.escape(QUOTES_NOTE)}*", ""]
            out += [
                f'> "{md.escape(q.text)}" — {md.escape(q.source.replace("_", " "))}'
                for q in p.quotes
            ]
            out.append("")
    return "\n".join(out)


def _actions_markdown(p: Persona) -> list[str]:
    """What to do for the persona (each action with the command that helps) and how to reach
    its members; a provisional persona's actions say to test them first."""
    out: list[str] = []
    if p.actions:
        out += [f"### What to do for {md.escape(p.name)}", ""]
        if p.provisional:
            out += [f"*{md.escape(PROVISIONAL_ACTIONS)}*", ""]
        out += [
            f"- {md.escape(a.text)}" + (f" ({md.code(a.command)})" if a.command else "")
            for a in p.actions
        ]
        out.append("")
    if p.reach is not None:
        out += ["### Reach them", "", md.code(p.reach.command), "", md.escape(p.reach.text), ""]
    return out


def _channel_line(c: ChannelUse, min_group_size: int) -> str:
    """One channel as an ad buyer reads it: the persona's share using it against everyone's,
    the index and the advice; a withheld channel says it is withheld and why, so it does not
    read as a channel nobody asked about."""
    if c.advice == "hidden" or c.share is None:
        return (
            f"{c.channel}: fewer than {min_group_size} of them use it, "
            "figure withheld to keep them anonymous"
        )
    index = f", index {c.index:.2f}" if c.index is not None else ""
    return (
        f"{c.channel}: {percent(c.share)}% of them use it "
        f"(vs {percent(c.overall or 0)}% overall{index}): {c.advice}"
    )


def _facts(p: Persona, min_group_size: int, n_respondents: int) -> list[str]:
    """The headline figures of a persona, its share with its 95 % interval among the
    ``n_respondents`` clustered; none for one too small to show."""
    if p.size is None or p.share is None:
        return [f"group under {min_group_size} people: figures withheld"]
    margin = percent(share_margin(p.share, n_respondents))
    facts = [f"{p.size:,} respondents ({percent(p.share)}% ± {margin} points, 95% interval)"]
    if p.revenue_share is not None:
        facts.append(f"{percent(p.revenue_share)}% of respondents' revenue")
    if p.stability is not None:
        facts.append(f"stability {p.stability:.2f}")
    return facts


def _trace(e: Any) -> str:
    what = e.question + (f"={e.answer}" if e.answer else "")
    if e.suppressed:
        return f"{what}; withheld: group too small"
    if e.count is not None:
        return f"{what}; {e.count} of {e.n}"
    return f"{what}; n={e.n}"


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def render_json(run: PersonaRun) -> str:
    """The whole run as JSON (quotes without whose words they are)."""
    return json.dumps(run.model_dump(mode="json"), indent=2)


def card_files(run: PersonaRun, currency: str | None = None) -> dict[str, Callable[[], str]]:
    """A run's files by name — ``persona-<name>.html`` per persona, ``personas.md`` and
    ``personas-run.json`` — each rendered when called (the dashboard renders only the one
    asked for)."""
    files: dict[str, Callable[[], str]] = {
        f"persona-{slug(p.name)}.html": partial(render_card, run, p, currency) for p in run.personas
    }
    files["personas.md"] = partial(render_markdown, run)
    files["personas-run.json"] = partial(render_json, run)
    return files


def write_cards(run: PersonaRun, out_dir: str | Path, currency: str | None = None) -> list[Path]:
    """Write ``persona-<name>.html`` per persona, ``personas.md`` and ``personas-run.json``
    into ``out_dir`` (created when its parent folder exists)."""
    from shopperlens.service._files import output_folder

    out = output_folder(out_dir)
    written = []
    for name, text in card_files(run, currency).items():
        path = out / name
        path.write_text(text(), encoding="utf-8")
        written.append(path)
    return written
