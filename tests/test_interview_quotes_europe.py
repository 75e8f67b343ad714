"""Interview quotes in European (and Japanese) quotation marks, and persona cards that quote
what interviewees said, never the note around it.

The shop: a German outdoor shop interviewed customers K0001 (best), K0003 and K0005 (worst).
K0001's note has a title naming him and his segment, the interviewer's account, block quotes in
German and a sentence giving his phone number and address; K0005's note starts with
``customer_id:`` / ``segment: worst`` lines and quotes her in German „…“ marks and once in
English; K0003's note quotes nobody, it only tells what he complained about. The cards may
quote the German and English quotes, and nothing else of the notes.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import shopperlens
from shopperlens.surveys.interviews import quotes

NOTE_K0001 = """# Interview 01: customer K0001 (best customer)

Jonas kauft seit zwei Jahren bei uns.

> "Der Preis ist mir egal, die Qualität muss stimmen. Die Lieferung kam immer pünktlich."

> "Nachhaltigkeit ist mir wichtig – ich kaufe nicht jede Saison eine neue Jacke."

Er sagte: "Ruft mich gern an: +49 30 1234567, oder schreibt an Königsallee 27."
"""
NOTE_K0003 = """# Interview 03: customer K0003 (bad customer)

He complained that the delivery was late and the price far too high for a tent.
We talked about his trips to Norway and the brand he used before.
"""
NOTE_K0005 = """customer_id: K0005
segment: worst

Sie sagte: „Die Lieferung war viel zu spät und der Preis zu hoch.“ Danach meinte sie: \
„Der Kundenservice war freundlich.“ Wir haben über Nachhaltigkeit gesprochen und über die \
Marke, sie vergleicht oft Angebote.
Sie schloss auf Englisch: "I would pay more for quality and faster delivery."
"""


# -- quotation marks ----------------------------------------------------------------------------
def test_german_quotation_marks_give_each_quote_and_keep_the_english_one() -> None:
    assert quotes(NOTE_K0005) == [
        "Die Lieferung war viel zu spät und der Preis zu hoch.",
        "Der Kundenservice war freundlich.",
        "I would pay more for quality and faster delivery.",
    ]


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("Sie sagte: „Die Lieferung kam zu spät.“ Dann ging sie.", "Die Lieferung kam zu spät."),
        ("Er meinte: ‚Das Zelt ist zu schwer.‘ Sonst nichts.", "Das Zelt ist zu schwer."),
        (
            "Elle a dit : « La livraison était trop lente. » Puis rien.",
            "La livraison était trop lente.",
        ),
        (
            "Sie sagte: »Die Jacke ist viel zu teuer.« Dann ging sie.",
            "Die Jacke ist viel zu teuer.",
        ),
        ("Hun sagde: »Leveringen var alt for sen.« Så gik hun.", "Leveringen var alt for sen."),
        (
            "Hon sa: ”Leveransen var alldeles för sen.” Sedan gick hon.",
            "Leveransen var alldeles för sen.",
        ),
        (
            "Hon sa: »Leveransen var alldeles för sen.» Sedan gick hon.",
            "Leveransen var alldeles för sen.",
        ),
        (
            "彼女は「配送が遅くて、価格も高すぎました。」と言った。",
            "配送が遅くて、価格も高すぎました。",
        ),
    ],
)
def test_each_languages_quotation_marks_give_the_quote(text: str, said: str) -> None:
    assert quotes(f"# Interview: customer C1\n\n{text}\n") == [said]


def test_english_and_swedish_marks_side_by_side_give_both_quotes() -> None:
    """The English closing ” is the Swedish opening and closing mark: after an English quote
    it closes, and a Swedish quote still opens with it."""
    text = "She said: “The delivery was late again.” Hon sa: ”Leveransen var för sen.” Slut."
    assert quotes(text) == ["The delivery was late again.", "Leveransen var för sen."]


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("She wanted a 15” laptop sleeve and said “it has to fit my bag perfectly” before leaving.",
         ["it has to fit my bag perfectly"]),
        ('He rides 29" wheels and said "the frame bag never fits them"',
         ["the frame bag never fits them"]),
    ],
)  # fmt: skip
def test_an_inch_mark_after_a_number_opens_no_quote(text: str, said: list[str]) -> None:
    """A 15” laptop: the mark after a number is inches, and read as an opening mark it made the
    interviewer's words up to the next quote the customer's."""
    assert quotes(text) == said


def test_a_short_quote_does_not_open_the_next_one() -> None:
    """A closing ” read as an opening mark (Swedish ”…”) joined a short quote's end to the
    next quote: each pair of marks is one quote, however short."""
    text = "Sie fand es „ok“, dann: „Die Rückgabe dauerte drei Wochen.“ Und: ”Nie wieder so spät.”"
    assert quotes(text) == ["Die Rückgabe dauerte drei Wochen.", "Nie wieder so spät."]


def test_a_block_quote_in_german_marks_keeps_no_lone_mark() -> None:
    note = (
        "customer_id: K0004\nsegment: worst\n\nNotizen. > kein Zitat\n"
        "> „Der Reißverschluss ist nach zwei Wochen kaputt gegangen.“\n"
    )
    assert quotes(note) == ["Der Reißverschluss ist nach zwei Wochen kaputt gegangen."]


def test_a_quote_wrapped_over_two_lines_is_one_quote_but_never_crosses_a_paragraph() -> None:
    note = (
        "Sie sagte: „Die Lieferung war\nviel zu spät.“\n\n"
        'Sie sagte: „Das Zelt ist undicht.\n\nDann auf Englisch: "The tent leaks at the seams."\n'
    )
    assert quotes(note) == ["Die Lieferung war viel zu spät.", "The tent leaks at the seams."]


# -- persona cards --------------------------------------------------------------------------------
def _customers(shop: shopperlens.Shop, n: int) -> None:
    names = {1: "Jonas Weber", 3: "Lukas Brandt", 5: "Petra Vogel"}
    with shop.store.cursor() as cur:
        cur.executemany(
            "INSERT INTO customers (customer_id, name) VALUES (?, ?)",
            [[f"K{i:04d}", names.get(i, f"Kunde {i}")] for i in range(1, n + 1)],
        )


def _respondents(n: int) -> pd.DataFrame:
    """Two kinds of respondents, all of them customers K0001…: K0001, K0003 and K0005 among
    them, so their interviews are quoted on the cards."""
    return pd.DataFrame(
        {
            "respondent": [f"r{i}" for i in range(1, n + 1)],
            "customer_id": [f"K{i:04d}" for i in range(1, n + 1)],
            "values": ["price" if i % 2 else "quality" for i in range(1, n + 1)],
            "novelty": [1.0 if i % 2 else 5.0 for i in range(1, n + 1)],
        }
    )


def test_a_persona_card_quotes_interviewees_never_their_notes(
    shop: shopperlens.Shop, tmp_path: Path
) -> None:
    """Imported, built and rendered as a shop would: every card file (HTML cards,
    personas.md, personas-run.json) quotes the interviewees' words and nothing else of the
    notes: no title, customer id, segment, interviewer's account, phone number or address."""
    n = 24
    _customers(shop, n)
    notes = tmp_path / "notes"
    notes.mkdir()
    for name, text in {"01": NOTE_K0001, "03": NOTE_K0003, "05": NOTE_K0005}.items():
        (notes / f"{name}.md").write_text(text, "utf-8")
    shop.interviews_import(notes)
    run = shop.personas_build(frame=_respondents(n), k=2)
    heard = [q.text for p in run.personas for q in p.quotes if q.source == "interview"]
    assert sorted(heard) == [
        "Der Preis ist mir egal, die Qualität muss stimmen. Die Lieferung kam immer pünktlich.",
        "I would pay more for quality and faster delivery.",
    ]
    files = shop.personas_cards(tmp_path / "cards")
    assert {f.name for f in files} >= {"personas.md", "personas-run.json"}
    for f in files:
        card = f.read_text("utf-8")
        for never in (
            "Interview 01",
            "best customer",
            "K0001",
            "K0003",
            "K0005",
            "customer_id",
            "segment:",  # (the reach command's --segment is the card's own)
            "worst",
            "kauft seit zwei Jahren",
            "Wir haben über Nachhaltigkeit",
            "complained",
            "1234567",
            "Königsallee",
            "Jonas",
        ):
            assert never not in card, (f.name, never)
