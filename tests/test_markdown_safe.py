"""Imported text in the Markdown documents (the playbook, ``personas.md``) and the playbook's
HTML stays text: a search term ``<script>alert(3)</script>`` landed in ``playbook --format
html`` as a script, and ``|``, backticks or ``*`` could break a table or swallow a line."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from shopperlens import markdown as md
from shopperlens.personas.synthesis import Evidence, Persona, Quote, Statement
from shopperlens.reports.persona_cards import render_markdown
from shopperlens.service.personas import PersonaRun

#: a search term naming the product ("dome" is in one product name), so the playbook quotes it
PAYLOAD = "<script>alert(3)</script> | dome `x` *y*"

ORDERS = (
    "order_id,customer_id,ordered_at,product_id,product_name,category,quantity,unit_price,"
    "currency\n"
    + "".join(
        f"o{i},c{i},2024-03-0{1 + i % 5} 12:00:00,P1,Trail Dome Tent,tents,1,120,EUR\n"
        for i in range(6)
    )
)
EVENT_COLUMNS = "event_id,visitor_id,session_id,customer_id,timestamp,event_name,page,product_id"
EVENTS = f"{EVENT_COLUMNS},search_term\n" + "".join(
    f"e{i}a,v{i},s{i},c{i},2024-03-0{1 + i % 5} 11:50:00,page_view,/search,,{PAYLOAD}\n"
    f"e{i}b,v{i},s{i},c{i},2024-03-0{1 + i % 5} 11:55:00,view_item,/p1,P1,\n"
    f"e{i}c,v{i},s{i},c{i},2024-03-0{1 + i % 5} 12:00:00,purchase,/done,P1,\n"
    for i in range(6)
)


def test_escape_keeps_text_as_text() -> None:
    assert md.escape("<b>") == "\\<b\\>"
    assert md.escape("a | b") == "a \\| b"
    assert md.escape("1. first\n# second") == "1\\. first \\# second"
    assert md.escape("- item") == "\\- item"
    assert md.escape("P(alive) fell 0.40") == "P(alive) fell 0.40"  # plain text unchanged
    assert md.code("a`b") == "``a`b``"
    html = md.to_html(md.escape(PAYLOAD))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "| dome `x` *y*" in html  # read back as typed


def test_raw_html_is_never_passed_through() -> None:
    """Even Markdown no writer escaped: the renderer shows a tag as text."""
    assert "<script>" not in md.to_html("<script>alert(1)</script>\n\nx <img src=x onerror=y>")


def test_commands_stay_code_and_the_rest_is_escaped() -> None:
    line = "no tickets (`shopperlens import tickets FILE` adds them) <i>"
    assert md.with_commands(line) == (
        "no tickets (`shopperlens import tickets FILE` adds them) \\<i\\>"
    )
    assert md.with_commands("odd ` tick") == "odd \\` tick"  # unpaired: no command


def test_search_terms_are_inert_in_the_playbook_md_and_html(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "orders.csv").write_text(ORDERS)
    (tmp_path / "events.csv").write_text(EVENTS)
    assert cli("import", "orders", str(tmp_path / "orders.csv")).exit_code == 0
    assert cli("import", "events", str(tmp_path / "events.csv")).exit_code == 0
    out_md, out_html = tmp_path / "pb.md", tmp_path / "pb.html"
    res = cli("playbook", "--type", "need_based", "--format", "md", "--out", str(out_md))
    assert res.exit_code == 0, res.output
    assert cli("playbook", "-t", "need_based", "-f", "html", "-o", str(out_html)).exit_code == 0
    text, html = out_md.read_text(), out_html.read_text()
    # the term is quoted in the evidence, escaped: no tag, no cell break, no code, no emphasis
    assert "“\\<script\\>alert(3)\\</script\\> \\| dome 'x' \\*y\\*”" in text
    assert "<script>" not in text and "<script>" not in html
    assert "“&lt;script&gt;alert(3)&lt;/script&gt; | dome 'x' *y*”" in html
    assert "<code>shopperlens audience export" in html  # the commands are still code


def _run_with(text: str) -> PersonaRun:
    """A one-persona run whose name, trait, statement and quote are imported text."""
    persona = Persona(
        persona_id=1, name=f"Ann {text}", adjective="Busy", first_name="Ann", trait=text,
        size=12, share=1.0,
        statements=[Statement(section="who", text=text,
                              evidence=Evidence(question="q|1", answer=text, count=6, n=12))],
        quotes=[Quote(text=text, source="interview", rank=1)],
    )  # fmt: skip
    return PersonaRun(
        run_id=1, created_at=datetime(2024, 1, 1), survey="s", source="survey", n_respondents=12,
        n_personas=1, k_requested="auto", seed=0, silhouette=None, stability_ari=None, scores={},
        min_group_size=5, income_adjustment=0.9, personas=[persona],
    )  # fmt: skip


def test_personas_md_escapes_survey_and_interview_text() -> None:
    text = render_markdown(_run_with(PAYLOAD))
    assert "<script>" not in text and "`x`" not in text and " | " not in text
    assert "## Ann \\<script\\>alert(3)\\</script\\> \\| dome \\`x\\` \\*y\\*" in text
    assert '> "\\<script\\>' in text  # the quote stays one quote line
    html = md.to_html(text)
    assert "<script>" not in html and "<code>" not in html and "<em>y</em>" not in html
