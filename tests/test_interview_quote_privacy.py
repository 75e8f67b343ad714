"""A theme's example quote follows the persona cards' rules on every face.

The shop: customer C90001 is Quorvath Blenkinsop, and his note quotes "Quorvath
Blenkinsop here: quality matters more than price …". The persona cards masked his name as
``[name]``; the themes (the table after ``interviews import``, ``GET /api/interviews/themes``,
the report's Surveys page) and the stored ``interview_tags`` kept it, because only e-mails,
phones, addresses and signed names were masked there, never the names the shop knows.
Customer C90003 (Pelinora Vasquith) refused ``testimonial``: the cards never quote her, yet her
words were the themes' example for sustainability and quality (the longest quote won, whoever
said it). A theme only refusers spoke of now shows no quote, and still counts their notes.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

import shopperlens
from shopperlens.reports import pages_surveys, site
from shopperlens.service import interviews
from shopperlens.store import Store

QUORVATH_NOTE = """# Interview 90: customer C90001 (good customer)

> "Quorvath Blenkinsop here: quality matters more than price for my tent."
"""
PELINORA_NOTE = """# Interview 93: customer C90003 (bad customer)

> "Pelinora Vasquith speaking: the price was far too high and shipping was late."

> "Honestly the sustainability story convinced me, recycled packaging and eco materials \
matter more to me than anything else in a shop, Pelinora Vasquith from Delft"
"""
MASKED = "[name] here: quality matters more than price for my tent."


def _customer(store: Store, customer_id: str, name: str) -> None:
    store.execute(
        "INSERT INTO customers (customer_id, name, email) VALUES (?, ?, ?)",
        [customer_id, name, f"{customer_id.lower()}@example.org"],
    )


def _note(customer_id: str, segment: str, quote: str) -> str:
    return f'# Interview: customer {customer_id} ({segment} customer)\n\n> "{quote}"\n'


def _import(shop: shopperlens.Shop, tmp_path: Path, **notes: str) -> None:
    folder = tmp_path / "notes"
    folder.mkdir(exist_ok=True)
    for name, text in notes.items():
        (folder / f"{name}.md").write_text(text, "utf-8")
    shop.interviews_import(folder)


def _themes(client: Any) -> dict[str, dict[str, Any]]:
    res = client.get("/api/interviews/themes")
    assert res.status_code == 200, res.text
    return {t["theme"]: t for t in res.json()}


# -- names the shop knows -----------------------------------------------------------------------
def test_the_interviewees_name_is_masked_in_the_stored_tags_and_the_api(
    client: Any, shop: shopperlens.Shop
) -> None:
    """Imported over HTTP: what the import stores and what the API shows both hide his name,
    as the persona cards do (the import knows his name from the customers table)."""
    _customer(shop.store, "C90001", "Quorvath Blenkinsop")
    files = [("files", ("quorvath-blenkinsop.md", QUORVATH_NOTE, "text/markdown"))]
    assert client.post("/api/interviews/notes", files=files).status_code == 200
    stored = shop.store.df("SELECT quote FROM interview_tags")["quote"].tolist()
    assert stored == [MASKED, MASKED]  # quality and price
    themes = _themes(client)
    assert themes["quality"]["quote"] == MASKED
    assert themes["price"]["quote"] == MASKED


def test_a_quote_stored_before_names_were_masked_is_masked_when_shown(store: Store) -> None:
    """Notes imported earlier hold the quote as written: the themes mask it when shown."""
    _customer(store, "C90001", "Quorvath Blenkinsop")
    store.execute(
        "INSERT INTO interview_notes VALUES ('n1', 'quorvath-blenkinsop', 'C90001', 'best', "
        "'quorvath-blenkinsop.md', 'x', "
        "'> \"Quorvath Blenkinsop here: quality matters more than price for my tent.\"', "
        "NULL, now())"
    )
    store.execute(
        "INSERT INTO interview_tags VALUES ('n1', 'C90001', 'quality', "
        "'Quorvath Blenkinsop here: quality matters more than price for my tent.')"
    )
    assert interviews.interview_themes(store=store)["quote"].tolist() == [MASKED]


def test_the_table_after_interviews_import_masks_the_name(
    cli: Any, db_path: Path, tmp_path: Path
) -> None:
    """The CLI prints the themes after the import: no name in that table either."""
    shop = shopperlens.open(db_path)
    _customer(shop.store, "C90001", "Quorvath Blenkinsop")
    shop.close()
    note = tmp_path / "quorvath-blenkinsop.md"
    note.write_text(QUORVATH_NOTE, "utf-8")
    res = cli("interviews", "import", str(note))
    assert res.exit_code == 0, res.output
    assert "[name]" in res.output and "here:" in res.output  # (the quote wraps in its cell)
    assert "Quorvath" not in res.output and "Blenkinsop" not in res.output


def test_the_reports_interviews_table_masks_the_name(
    shop: shopperlens.Shop, tmp_path: Path
) -> None:
    """The Surveys page's "Interviews" table and its JSON twin quote the masked words."""
    shop.survey_create(from_bank=["values"], name="profile", title="Who")
    shop.survey_submit("profile", {"values": ["price"]})
    _customer(shop.store, "C90001", "Quorvath Blenkinsop")
    _import(shop, tmp_path, **{"quorvath-blenkinsop": QUORVATH_NOTE})
    ctx = pages_surveys.build(shop.store)
    assert ctx is not None
    html = site.render(site.find("surveys"), ctx, site.available_nav(shop.store))
    data = site.to_json(ctx)
    assert "[name] here: quality matters" in html and "[name] here: quality matters" in data
    for face in (html, data):
        assert "Quorvath" not in face and "Blenkinsop" not in face


# -- consent --------------------------------------------------------------------------------------
@pytest.mark.parametrize("purpose", ["testimonial", "case_study"])
def test_the_example_quote_is_never_of_someone_who_refused_to_be_quoted(
    shop: shopperlens.Shop, tmp_path: Path, purpose: str
) -> None:
    """The longest quote is of a refuser: the next longest, of a customer whose refusal was
    later withdrawn (the latest record counts, as on the cards), is shown; all three notes
    still count."""
    for cid, name in (("C1", "Ann Ash"), ("C2", "Bo Birch"), ("C3", "Cy Cedar")):
        _customer(shop.store, cid, name)
    shop.consent_set("C1", purpose=purpose, granted=False, recorded_at=datetime(2025, 1, 1))
    shop.consent_set("C2", purpose=purpose, granted=False, recorded_at=datetime(2025, 1, 1))
    shop.consent_set("C2", purpose=purpose, granted=True, recorded_at=datetime(2025, 6, 1))
    refuser = "The packaging is recyclable and that matters more to me than anything else here."
    granted = "The packaging is recyclable and I like that a lot."
    _import(
        shop,
        tmp_path,
        n1=_note("C1", "bad", refuser),
        n2=_note("C2", "good", granted),
        n3=_note("C3", "bad", "Recyclable packaging, good."),
    )
    themes = shop.interview_themes().set_index("theme")
    row = themes.loc["sustainability"]
    assert row["quote"] == granted
    assert (row["notes"], row["best"], row["worst"]) == (3, 1, 2)


def test_a_theme_only_a_refuser_spoke_of_shows_no_quote_and_counts_her_note(
    client: Any, shop: shopperlens.Shop
) -> None:
    """Pelinora refused ``testimonial``: no theme shows her words, a theme only she spoke of
    says why it has no quote, and her note still counts for every theme it touches."""
    _customer(shop.store, "C90001", "Quorvath Blenkinsop")
    _customer(shop.store, "C90003", "Pelinora Vasquith")
    shop.consent_set("C90003", purpose="testimonial", granted=False)
    files = [
        ("files", ("quorvath-blenkinsop.md", QUORVATH_NOTE, "text/markdown")),
        ("files", ("pelinora.md", PELINORA_NOTE, "text/markdown")),
    ]
    assert client.post("/api/interviews/notes", files=files).status_code == 200
    themes = _themes(client)
    for t in themes.values():
        assert "Delft" not in t["quote"] and "far too high" not in t["quote"], t
    assert themes["quality"]["quote"] == MASKED  # his, not her longer one
    assert themes["sustainability"]["quote"] == interviews.NOT_QUOTED
    assert {k: themes["sustainability"][k] for k in ("notes", "best", "worst")} == {
        "notes": 1,
        "best": 0,
        "worst": 1,
    }
    assert {k: themes["quality"][k] for k in ("notes", "best", "worst")} == {
        "notes": 2,
        "best": 1,
        "worst": 1,
    }
