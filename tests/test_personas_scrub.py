"""Quotes identify nobody: phone numbers however written, names, street addresses.

Each test plants personal data in answers and checks it never reaches a quote, and that the
numbers a quote needs (prices, years, sizes, dates) stay as written.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shopperlens.personas import normalise_answers, synthesise
from shopperlens.personas.synthesis import scrub
from shopperlens.service import personas as svc
from shopperlens.store import Store


@pytest.mark.parametrize(
    "text",
    [
        "call 06.12.34.56.78 after six",
        "call 06 12 34 56 78 after six",
        "call 06-12345678 after six",
        "call (020) 123 4567 after six",
        "call +31 (0)20-123 4567 after six",
        "call +31 6 1234 5678 after six",
        "call 020/1234567 after six",
    ],
)
def test_phone_numbers_are_masked_however_they_are_written(text: str) -> None:
    assert scrub(text) == "call [number] after six"


@pytest.mark.parametrize(
    "text",
    [
        "paid EUR 1.299,00 for two pairs",
        "paid €125 000 000 in total",
        "bought in 2023 and again in 2024",
        "customer from 2019-2024, size 42",
        "the 45l backpack holds 12 kg",
        "ordered on 12.03.2024 14:30",
        "ordered on 01.03.2024, came 2024-03-12",
        "price 129.95 instead of 149.95",
    ],
)
def test_prices_years_sizes_and_dates_are_kept(text: str) -> None:
    assert scrub(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "cheapest price - Pieter Jansen, 06.12.34.56.78",
            "cheapest price - [name], [number]",
        ),
        ("my name is pieter and I like the boots", "my name is [name] and I like the boots"),
        ("I'm Anna de Vries and I love it", "I'm [name] and I love it"),
        ("I am Pieter Jansen from Utrecht", "I am [name] from Utrecht"),
        ("Good boots. Kind regards, Anna", "Good boots. Kind regards, [name]"),
        ("I'm Dutch and I like the price", "I'm Dutch and I like the price"),
    ],
)
def test_names_the_text_gives_are_masked(text: str, expected: str) -> None:
    assert scrub(text) == expected


def test_the_names_the_shop_knows_are_masked_wherever_they_stand() -> None:
    names = ["Pieter Jansen", "Ann Green"]
    text = "Ask pieter jansen or Jansen; Green said the green boots are great"
    assert scrub(text, names) == "Ask [name] or [name]; [name] said the green boots are great"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I live at Dorpsstraat 12 in Utrecht", "I live at [address] in Utrecht"),
        ("send it to Hauptstr. 10a please", "send it to [address] please"),
        ("deliver to 221B Baker St. please", "deliver to [address] please"),
        ("deliver to 12 Main Street, thanks", "deliver to [address], thanks"),
    ],
)
def test_street_addresses_are_masked(text: str, expected: str) -> None:
    assert scrub(text) == expected


def test_a_persona_card_quotes_no_signature_number_or_address() -> None:
    """The case: every frugal answer signed "- Pieter Jansen, 06.12.34.56.78"."""
    n = 30
    why = ["cheapest price I could find - Pieter Jansen, 06.12.34.56.78"] * (n - 1)
    why.append("I am Pieter Jansen from Dorpsstraat 12 Utrecht, the price was low")
    df = normalise_answers(
        pd.DataFrame({"respondent": [f"r{i}" for i in range(n)], "values": "price", "why_buy": why})
    )
    (persona,) = synthesise(df, np.zeros(n, dtype=int), n_quotes=n)
    assert persona.quotes
    for q in persona.quotes:
        assert "Pieter" not in q.text and "Jansen" not in q.text, q.text
        assert "06.12" not in q.text and "Dorpsstraat" not in q.text, q.text


def test_a_build_masks_the_names_of_respondents_the_shop_knows(store: Store) -> None:
    """Respondents c0… are customers; c0 is Marieke Visser and writes her first name where no
    pattern could tell it is one. The build passes the shop's names to the quotes."""
    with store.cursor() as cur:
        cur.executemany(
            "INSERT INTO customers (customer_id, name) VALUES (?, ?)",
            [["c0", "Marieke Visser"], ["c1", "Tom Bakker"]],
        )
    n = 24
    rows = pd.DataFrame(
        {
            "respondent": [f"r{i}" for i in range(n)],
            "customer_id": [f"c{i}" for i in range(n)],
            "values": ["price"] * 12 + ["quality"] * 12,
            "novelty": [1.0] * 12 + [5.0] * 12,
            "why_buy": ["Marieke here, I buy for the price"] * 12
            + ["Bakker family, quality boots last"] * 12,
        }
    )
    run = svc.build(store=store, frame=rows, k=2, n_resamples=0, save=False)
    quotes = [q.text for p in run.personas for q in p.quotes]
    assert quotes
    assert not any("Marieke" in q or "Bakker" in q for q in quotes), quotes


def test_an_interview_theme_quote_masks_a_dotted_phone_number(store: Store) -> None:
    """A note: "… at jan@x.nl or 06.11.22.33.44" kept its number on the themes."""
    from shopperlens.service import interviews

    store.execute(
        "INSERT INTO interview_notes VALUES ('n1', 'n1.md', 'C003', 'worst', 'n1.md', 'x', "
        "'> \"Delivery was late and nobody answered my mail at jan@x.nl or 06.11.22.33.44\"', "
        "NULL, now())"
    )
    store.execute(
        "INSERT INTO interview_tags VALUES ('n1', 'C003', 'delivery', "
        "'Delivery was late and nobody answered my mail at jan@x.nl or 06.11.22.33.44')"
    )
    quote = interviews.interview_themes(store=store)["quote"].iloc[0]
    assert quote == "Delivery was late and nobody answered my mail at [e-mail] or [number]"
