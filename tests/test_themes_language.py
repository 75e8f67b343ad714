"""A German survey's free-text themes are named by what its answers are about, not by German
function words ("die", "nach / zu"): the survey's ``language`` adds them to the stop words.

Planted: 24 German comments, 12 about slow delivery and 12 about high prices, each worded a
little differently and full of articles and prepositions."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import shopperlens
from shopperlens.service import surveys
from shopperlens.surveys import analysis
from shopperlens.surveys.definition import survey_from_dict
from shopperlens.surveys.stopwords import stop_words

DELIVERY = [
    "Die Lieferung hat zu lange gedauert, das Paket kam nach zwei Wochen",
    "Die Lieferung war sehr langsam und das Paket kam erst nach Tagen",
    "Lieferung dauert bei euch immer zu lange, das Paket war in der Post",
    "Das Paket kam zu spät, die Lieferung war nicht schnell",
    "Die Lieferung ist mir zu langsam, ich warte auf das Paket",
    "Leider war die Lieferung langsam und das Paket kam nach einer Woche",
]
PRICE = [
    "Die Preise sind mir zu hoch für die Qualität",
    "Die Preise sind im Vergleich zu anderen Shops zu hoch",
    "Ich finde die Preise zu hoch, das ist nicht günstig",
    "Preise sind zu hoch und der Versand ist auch teuer",
    "Die Preise für Zelte sind zu hoch",
    "Mir sind die Preise bei euch zu hoch, das ist schade",
]
TEXTS = DELIVERY * 2 + PRICE * 2


def _name_words(names: list[str]) -> set[str]:
    return {w.strip() for name in names for part in name.split("/") for w in part.split()}


def test_german_function_words_name_no_theme() -> None:
    english_only = analysis.themes(TEXTS, n_themes=2)
    german = analysis.themes(TEXTS, n_themes=2, language="de-DE")
    function_words = stop_words("de")
    assert _name_words([t.theme for t in english_only]) & function_words  # the fault
    assert not _name_words([t.theme for t in german]) & function_words
    named = {t.theme: t.share for t in german}
    assert any("lieferung" in n or "paket" in n for n in named)
    assert any("preise" in n or "hoch" in n for n in named)


def test_the_survey_results_read_its_language(tmp_path: Path) -> None:
    definition = {
        "name": "umfrage", "title": "Umfrage", "language": "de",
        "questions": [{"id": "kommentar", "kind": "text", "text": "Was möchten Sie uns sagen?"}],
    }  # fmt: skip
    path = tmp_path / "antworten.csv"
    pd.DataFrame({"respondent": [f"r{i}" for i in range(len(TEXTS))], "kommentar": TEXTS}).to_csv(
        path, index=False
    )
    with shopperlens.open(tmp_path / "s.duckdb") as shop:
        surveys.save_survey(store=shop.store, survey=survey_from_dict(definition))
        shop.survey_import(path, survey="umfrage")
        results = shop.survey_results("umfrage", n_themes=2)
    names = [t.theme for t in results.themes]
    assert names and not _name_words(names) & stop_words("de")
