"""The report read with a screen reader and printed: header cells that say what they head, text
colours readable on their ground, charts named by what they show.

The browser half (print layout, accessible names as Chromium computes them) is in
``test_report_print_browser.py``; these checks render the templates and call the chart code
directly, so they need no demo shop.
"""

from __future__ import annotations

import itertools
import re
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from shopperlens.labels import TYPE_LABELS
from shopperlens.reports import charts, pages_index, pages_surveys, site
from shopperlens.reports.persona_cards import PALETTE
from shopperlens.service.overview import MonthFigures

TEMPLATES = Path(site.__file__).parent / "templates"
WHITE, PAGE_BG = "#ffffff", "#fafbfc"
#: WCAG 2 AA for text under 18 pt (14 pt bold)
AA = 4.5


# -- WCAG contrast ---------------------------------------------------------------------------
def _channel(c: float) -> float:
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def _rgb(colour: str) -> tuple[float, float, float]:
    h = colour.lstrip("#")
    if len(h) == 3:
        h = "".join(ch * 2 for ch in h)
    r, g, b = (int(h[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return r, g, b


def luminance(colour: str) -> float:
    """WCAG 2 relative luminance of an sRGB colour."""
    r, g, b = (_channel(c) for c in _rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio, from 1 (none) to 21 (black on white)."""
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _lab(colour: str) -> tuple[float, float, float]:
    """CIE L*a*b* (D65) of an sRGB colour, to measure how far apart two colours look."""
    r, g, b = (_channel(c) for c in _rgb(colour))
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    fx, fy, fz = f(x), f(y), f(z)
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def test_contrast_formula_matches_wcag_examples() -> None:
    assert contrast("#000000", WHITE) == pytest.approx(21)
    assert contrast("#777777", WHITE) == pytest.approx(4.48, abs=0.01)
    assert contrast("#d9822b", WHITE) == pytest.approx(2.93, abs=0.01)  # the old orange


@pytest.mark.parametrize("colour", PALETTE)
def test_persona_colours_are_readable_as_small_text(colour: str) -> None:
    """A persona's colour is the text of its card's headings and figures, of its name in the
    side-by-side table (13 px) and the ground of its white initials."""
    for ground in (WHITE, PAGE_BG):
        assert contrast(colour, ground) >= AA, f"{colour} on {ground}: {contrast(colour, ground)}"


def test_persona_colours_stay_apart() -> None:
    """Darkened for contrast, the personas' colours still tell them apart (CIE76 distance)."""
    for a, b in itertools.combinations(PALETTE, 2):
        distance = sum((p - q) ** 2 for p, q in zip(_lab(a), _lab(b), strict=True)) ** 0.5
        assert distance >= 15, f"{a} and {b} look alike ({distance:.1f})"


def _css_rules(text: str) -> list[tuple[str, str]]:
    """(selector, declarations) of every style rule in a template, inline styles included."""
    rules = []
    for style in re.findall(r"<style>(.*?)</style>", text, flags=re.S):
        style = re.sub(r"/\*.*?\*/", "", style, flags=re.S)
        rules += re.findall(r"([^{}]+)\{([^{}]*)\}", style)
    rules += [("[style]", s) for s in re.findall(r'style="([^"]*)"', text)]
    return rules


def _variables(text: str) -> dict[str, str]:
    return dict(re.findall(r"(--[\w-]+):\s*(#[0-9a-fA-F]{3,6})\b", text))


def _text_colours() -> list[tuple[str, str, str, str]]:
    """(template, selector, text colour, ground) for every rule that sets a text colour: the
    ground is the rule's own background, else the page's (white cards on a light grey)."""
    found = []
    known = _variables((TEMPLATES / "base.html").read_text())
    for path in sorted(TEMPLATES.glob("*.html")):
        text = path.read_text()
        names = known | _variables(text)
        for selector, body in _css_rules(text):
            colour = re.search(r"(?<![-\w])color:\s*(#[0-9a-fA-F]{3,6}|var\((--[\w-]+)\))", body)
            if not colour:
                continue
            value = names.get(colour.group(2), "") if colour.group(2) else colour.group(1)
            if not value or value.lower() in ("#fff", "#ffffff"):
                continue  # white initials on a persona's colour: the palette's test
            ground = re.search(r"background:\s*(#[0-9a-fA-F]{3,6})\b", body)
            for bg in [ground.group(1)] if ground else [WHITE, PAGE_BG]:
                found.append((path.name, selector.strip(), value, bg))
    return found


def test_every_text_colour_of_the_report_reaches_aa() -> None:
    rules = _text_colours()
    assert any(sel.endswith(".pill") for _, sel, _, _ in rules)  # the parser sees the rules
    low = [
        f"{name} {sel}: {fg} on {bg} = {contrast(fg, bg):.2f}"
        for name, sel, fg, bg in rules
        if contrast(fg, bg) < AA
    ]
    assert not low, low


# -- header cells ----------------------------------------------------------------------------
class Tables(HTMLParser):
    """Every table of a page: whether it has a ``<thead>``, and each row's cells as
    (tag, scope, text) with the row's place (head or body)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict[str, Any]] = []
        self._open: list[dict[str, Any]] = []
        self._cell: list[Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._open.append({"thead": False, "rows": [], "in_head": False})
            self.tables.append(self._open[-1])
        elif not self._open:
            return
        elif tag == "thead":
            self._open[-1].update(thead=True, in_head=True)
        elif tag == "tr":
            self._open[-1]["rows"].append(("head" if self._open[-1]["in_head"] else "body", []))
        elif tag in ("th", "td"):
            self._cell = [tag, dict(attrs).get("scope"), ""]
            self._open[-1]["rows"][-1][1].append(self._cell)

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self._open:
            self._open.pop()
        elif tag == "thead" and self._open:
            self._open[-1]["in_head"] = False
        elif tag in ("th", "td"):
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell[2] += data


def tables_of(html: str) -> list[dict[str, Any]]:
    parser = Tables()
    parser.feed(html)
    return parser.tables


def header_faults(html: str) -> list[str]:
    """What a screen reader would miss: a table without a header row in ``<thead>``, a
    column header without ``scope``, a header cell in the body that heads no row."""
    faults = []
    for i, t in enumerate(tables_of(html)):
        if not t["thead"]:
            faults.append(f"table {i}: no <thead>")
        for place, cells in t["rows"]:
            for tag, scope, text in cells:
                if tag != "th":
                    continue
                want = ("col", "colgroup") if place == "head" else ("row",)
                if scope not in want:
                    faults.append(f"table {i}: <th>{text.strip()}</th> in {place}: scope={scope}")
    return faults


def _render(template: str, slug: str, **ctx: Any) -> str:
    page = {"slug": slug, "title": slug}
    return (
        site.environment()
        .get_template(template)
        .render(page=page, nav=[], report_title="report", generated="today", **ctx)
    )


def _row_headers(table: dict[str, Any]) -> list[str]:
    return [
        cells[0][2].strip()
        for place, cells in table["rows"]
        if place == "body" and cells[0][:2] == ["th", "row"]
    ]


def test_movements_matrix_heads_its_rows_and_columns() -> None:
    moves = {
        "date_from": date(2024, 1, 1), "date_to": date(2024, 6, 1), "states": ["loyal", "new"],
        "matrix": {"loyal": {"loyal": 3, "new": 1}, "new": {"loyal": 2}},
        "moved": 3, "stayed": 3, "arrived": 0, "top": [],
    }  # fmt: skip
    html = _render("types.html", "types", moves=moves, labels=TYPE_LABELS, runs=["2024-01-01"])
    (matrix,) = [t for t in tables_of(html) if t["rows"][0][1][0][2] == "from \\ to"]
    assert header_faults(html) == []
    assert _row_headers(matrix) == ["Loyal", "New"]
    head = matrix["rows"][0][1]
    assert [(tag, scope) for tag, scope, _ in head] == [("th", "col")] * 3


def test_cohort_table_heads_months_and_cohorts() -> None:
    cohorts = [
        {"cohort": "2024-01", "customers": 10, "0": 1.0, "1": 0.5, "2": None},
        {"cohort": "2024-02", "customers": 8, "0": 1.0, "1": 0.25, "2": None},
    ]
    html = _render(
        "playbooks.html", "playbook-new", type="new", type_title="New", missing={}, actions=[],
        cohorts=cohorts, cohort_months=["0", "1", "2"], repeat_rate=0.3,
    )  # fmt: skip
    cohort = tables_of(html)[0]
    assert header_faults(html) == []
    assert [place for place, _ in cohort["rows"]][:2] == ["head", "head"]  # both header rows
    assert _row_headers(cohort) == ["2024-01", "2024-02"]


def test_survey_answer_tables_have_header_cells() -> None:
    dist = pd.DataFrame(
        {"question": ["gender", "gender", "values"], "value": ["female", "male", "price"],
         "share": [0.5, 0.5, 1.0]}
    )  # fmt: skip
    section = {
        "results": {"survey": "s", "version": 1, "respondents": 2, "customers": 2,
                    "channels": {}, "notes": [], "title": "S"},
        "_charts": None, "_chart_tables": [{"question": "values", "rows": [
            {"value": "price", "share": 1.0}]}],
        "tables": [{"question": q, "rows": g.to_dict("records")}
                   for q, g in dist[dist["question"] == "gender"].groupby("question")],
        "crosstabs": [{"question": "values", "columns": ["price"],
                       "rows": [{"group": "loyal", "n": 2, "price": 1.0}]}],
        "findings": [], "money_questions": [],
    }  # fmt: skip
    html = _render("surveys.html", "surveys", **section, others=[], interview_themes=[])
    assert header_faults(html) == []
    answers = [t for t in tables_of(html) if "female" in str(t["rows"])]
    assert answers and _row_headers(answers[0]) == ["female", "male"]
    assert [c[2] for c in answers[0]["rows"][0][1]] == ["answer", "share"]


# -- charts' text alternatives ---------------------------------------------------------------
def test_inline_svg_is_one_named_image() -> None:
    plt = charts.pyplot()
    fig, ax = plt.subplots()
    ax.bar(["a"], [1])
    svg = charts.svg_markup(fig, 'Orders: "a" 1 & more')
    assert svg.startswith('<svg role="img" aria-label="Orders: &#34;a&#34; 1 &amp; more"')
    assert "<title>Orders: &#34;a&#34; 1 &amp; more</title>" in svg


def test_survey_chart_names_every_share_it_draws() -> None:
    dist = pd.DataFrame(
        {
            "question": ["values", "values", "channels", "channels", "gender"],
            "value": ["price", "sustainability", "email", "tiktok", "female"],
            "share": [0.61, 0.394, 0.7, 0.05, 1.0],
        }
    )
    svg = pages_surveys._charts_svg(dist)
    assert svg is not None
    label = re.search(r'aria-label="([^"]*)"', svg)
    assert label is not None
    assert "values: price 61 %, sustainability 39 %" in label.group(1)
    assert "channels: email 70 %, tiktok 5 %" in label.group(1)
    assert "female" not in label.group(1)  # not charted: its own table says it


def test_orders_chart_alt_says_what_it_shows() -> None:
    months = [
        MonthFigures(month="2024-01", orders=120, revenue=1.0),
        MonthFigures(month="2024-02", orders=480, revenue=1.0),
        MonthFigures(month="2024-03", orders=90, revenue=1.0),
        MonthFigures(month="2024-04", orders=200, revenue=1.0),
    ]
    assert pages_index.monthly_chart_alt(months) == (
        "Orders per month, 2024-01 to 2024-04: most in 2024-02 (480 orders), fewest in "
        "2024-03 (90), 200 in the latest month."
    )
    assert pages_index.monthly_chart_alt([]) == ""
