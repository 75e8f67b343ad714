"""The demo report printed from Chromium (its one PDF route: the browser's print) and read by a
screen reader: every column of every table on an A4 page, header rows repeated where a table
runs onto the next page, no heading stranded at a page's foot, every chart named by what it
shows, the current page marked in the menu.

One small demo report is written for the module (``run_demo``, 150 people: every page and
every wide table of the full demo, the type movements included).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shopperlens.service import demo as demo_svc
from shopperlens.store import connect
from test_report_accessibility import header_faults

#: A4 (210 mm) less two 10 mm margins, in CSS pixels (96 to the inch): the printed line
PRINT_WIDTH = round(190 / 25.4 * 96)

#: per table, what is cut off in print: wider than its box, past the page's edge, or inside a
#: box that clips (a scroll box prints only its visible part)
CUT_TABLES = """() => {
  const page = document.documentElement.clientWidth;
  const cut = [];
  for (const t of document.querySelectorAll("table")) {
    const box = t.parentElement, r = t.getBoundingClientRect();
    let clipped = null;
    for (let a = t.parentElement; a; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== "visible") { clipped = a.className || a.tagName; }
    }
    if (t.scrollWidth > box.clientWidth + 1 || r.right > page + 1 || r.left < -1 || clipped) {
      cut.push({head: t.rows[0].innerText.slice(0, 80), width: t.scrollWidth,
                box: box.clientWidth, right: Math.round(r.right), clipped});
    }
  }
  return {page, width: document.documentElement.scrollWidth, cut};
}"""

#: the print rules that keep tables and headings together, as the print layout computes them
PRINT_RULES = """() => ({
  thead: [...document.querySelectorAll("thead")].map(e => getComputedStyle(e).display),
  rows: [...document.querySelectorAll("tr")].map(e => getComputedStyle(e).breakInside),
  headings: [...document.querySelectorAll("main h2, main h3")]
    .map(e => getComputedStyle(e).breakAfter),
})"""


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A small demo shop's report folder (the report ``make demo`` writes)."""
    out = tmp_path_factory.mktemp("print")
    store = connect(":memory:")
    demo_svc.run_demo(store=store, out_dir=out, n_customers=150)
    store.close()
    yield out


def _pages(report: Path) -> list[Path]:
    return sorted(report.glob("*.html"))


@pytest.fixture(scope="module")
def printed(browser: Any) -> Iterator[Any]:
    """A tab laid out as Chromium prints: print media on an A4 line."""
    page = browser.new_page(viewport={"width": PRINT_WIDTH, "height": 1100})
    page.emulate_media(media="print")
    yield page
    page.close()


@pytest.mark.browser
def test_every_column_of_every_table_prints_on_a4(report: Path, printed: Any) -> None:
    surveys, loyal = (report / "surveys.html").read_text(), (report / "playbook-loyal.html")
    # the review's cut columns are on these pages (the check below then covers them)
    assert "tiktok" in surveys.lower() and "sustainability" in surveys and "a quote" in surveys
    assert re.search(r"<th[^>]*>12</th>", loyal.read_text())  # month 12 of the cohorts
    cut = {}
    for path in _pages(report):
        printed.goto(path.as_uri())
        found = printed.evaluate(CUT_TABLES)
        assert found["page"] == PRINT_WIDTH
        if found["cut"] or found["width"] > PRINT_WIDTH:
            cut[path.name] = found
    assert not cut, cut


@pytest.mark.browser
def test_tables_keep_their_header_rows_and_headings_their_content(
    report: Path, printed: Any
) -> None:
    for path in _pages(report):
        assert header_faults(path.read_text()) == [], path.name
        printed.goto(path.as_uri())
        rules = printed.evaluate(PRINT_RULES)
        assert set(rules["thead"]) <= {"table-header-group"}, path.name
        assert set(rules["rows"]) <= {"avoid"}, path.name
        if not path.name.startswith("persona-"):  # (the cards have no tables; own layout)
            assert set(rules["headings"]) <= {"avoid"}, path.name


@pytest.mark.browser
def test_printed_pdf_repeats_headers_and_strands_no_heading(
    report: Path, browser: Any, tmp_path: Path
) -> None:
    """Through the real route (Chromium's print to PDF, read back with poppler's pdftotext):
    the personas' side-by-side table, which runs over pages, has its header on each."""
    if shutil.which("pdftotext") is None:
        pytest.skip("needs poppler's pdftotext (apt-get install poppler-utils)")
    page = browser.new_page()
    stranded = []
    for path in _pages(report):
        page.goto(path.as_uri())
        pdf = tmp_path / f"{path.stem}.pdf"
        page.pdf(path=str(pdf), prefer_css_page_size=True)
        sheets = _pdf_text(pdf)
        headings = _headings(path.read_text())
        for n, text in enumerate(sheets, start=1):
            lines = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
            if lines and n < len(sheets) and _is_heading_end(lines[-1], headings):
                stranded.append(f"{path.name} p{n}: {lines[-1]}")
        if path.name == "personas.html":
            header = re.compile(r"^\s*section\s+question\s+answer\s", re.M)
            spanned = [
                n for n, text in enumerate(sheets) if re.search(r"^\s*(who|why|what)\s", text, re.M)
            ]
            assert len(spanned) >= 2, "the side-by-side table fits one page: nothing to repeat"
            assert all(header.search(sheets[n]) for n in spanned), spanned
    page.close()
    assert not stranded, stranded


def _pdf_text(pdf: Path) -> list[str]:
    """Each printed sheet's text, laid out as on the page."""
    out = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return out.split("\f")[:-1]


def _headings(html: str) -> set[str]:
    found = re.findall(r"<h[1-5][^>]*>(.*?)</h[1-5]>", html, flags=re.S)
    return {" ".join(re.sub(r"<[^>]+>", "", h).split()) for h in found}


def _is_heading_end(line: str, headings: set[str]) -> bool:
    """Whether a sheet's last line is a heading (or a wrapped heading's last line)."""
    return any(line == h or (len(line) > 3 and h.endswith(line)) for h in headings if h)


@pytest.mark.browser
def test_every_chart_has_a_name_that_says_what_it_shows(report: Path, browser: Any) -> None:
    """The names Chromium gives a screen reader (its accessibility tree): one per picture, each
    with the chart's figures in it."""
    page = browser.new_page()
    cdp = page.context.new_cdp_session(page)
    unnamed = {}
    seen = 0
    for path in _pages(report):
        page.goto(path.as_uri())
        pictures = page.evaluate("document.querySelectorAll('img, svg:not(svg svg)').length")
        nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
        names = [
            n.get("name", {}).get("value", "")
            for n in nodes
            if not n.get("ignored") and n.get("role", {}).get("value") in ("image", "img")
        ]
        named = [n for n in names if re.search(r"\d", n)]
        seen += pictures
        if len(named) != pictures:
            unnamed[path.name] = {"pictures": pictures, "names": names}
    page.close()
    assert seen >= 6, "the demo report draws charts on the overview, types, value, surveys, cards"
    assert not unnamed, unnamed


@pytest.mark.browser
def test_headings_go_down_one_level_at_a_time_and_the_menu_marks_the_page(
    report: Path, browser: Any
) -> None:
    page = browser.new_page()
    for path in _pages(report):
        page.goto(path.as_uri())
        levels = page.eval_on_selector_all(
            "h1, h2, h3, h4, h5, h6", "hs => hs.map(h => +h.tagName[1])"
        )
        jumps = [(a, b) for a, b in zip([0, *levels], levels, strict=False) if b > a + 1]
        assert not jumps, f"{path.name}: heading levels {levels}"
        if path.name.startswith("persona-"):
            continue  # a printable card: no menu
        current = page.eval_on_selector_all(
            "nav a[aria-current='page']", "links => links.map(a => a.getAttribute('href'))"
        )
        assert current == [path.name], path.name
    page.close()
