"""A survey in the shop's language: its page's ``<html lang>`` and its fixed texts.

The public page said ``<html lang="en">``, "Send my answers", "(required)" and "Thank you!"
around a German shop's German questions; screen readers read the questions with English
rules. A survey definition now gives its ``language`` and, under ``texts:``, its own words.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

import shopperlens
from shopperlens.config import Settings
from shopperlens.errors import ShopperlensError
from shopperlens.service import surveys
from shopperlens.surveys.definition import survey_from_dict
from shopperlens.web.app import create_app

GERMAN: dict[str, Any] = {
    "name": "umfrage",
    "title": "Helfen Sie uns",
    "language": "de",
    "texts": {
        "send": "Antworten senden",
        "required": "(Pflichtfeld)",
        "required_note": "Fragen mit (Pflichtfeld) brauchen eine Antwort.",
        "check": "Bitte prüfen:",
        "scale_low": "gar nicht",
        "scale_high": "völlig",
        "thanks_title": "Vielen Dank!",
        "thanks": "Ihre Antworten sind angekommen.",
        "popup_skip": "Nein danke",
    },
    "questions": [
        {"id": "alter", "kind": "single", "text": "Wie alt sind Sie?",
         "choices": ["unter 25", "25 bis 34"], "required": True},
        {"id": "zufrieden", "kind": "scale", "text": "Wie zufrieden sind Sie?",
         "min": 0, "max": 10},
        {"id": "kommentar", "kind": "text", "text": "Was möchten Sie uns sagen?"},
    ],
}  # fmt: skip


def _lang(html: str) -> str:
    found = re.search(r'<html lang="([^"]*)"', html)
    assert found is not None
    return found.group(1)


def test_a_german_survey_page_speaks_german_and_an_english_one_english(shop) -> None:  # type: ignore[no-untyped-def]
    surveys.ensure_builtin(store=shop.store)
    surveys.save_survey(store=shop.store, survey=survey_from_dict(GERMAN))
    with TestClient(create_app(Settings(token="t", secret_key="k"), shop=shop)) as c:
        page = c.get("/s/umfrage").text
        assert _lang(page) == "de"
        assert '<button type="submit">Antworten senden</button>' in page
        assert 'Wie alt sind Sie? <span class="required">(Pflichtfeld)</span>' in page
        assert '<p>Fragen mit <span class="required">(Pflichtfeld)</span> brauchen' in page
        assert "(0 = gar nicht, 10 = völlig)" in page
        assert "Send my answers" not in page and "(required)" not in page

        wrong = c.post("/s/umfrage/responses", data={"zufrieden": "7", "website": ""})
        assert wrong.status_code == 422 and "<strong>Bitte prüfen:</strong>" in wrong.text
        sent = c.post("/s/umfrage/responses", data={"alter": "unter 25", "website": ""})
        assert sent.status_code == 200 and sent.url.path == "/s/umfrage/thanks"
        assert _lang(sent.text) == "de"
        assert (
            "<h1>Vielen Dank!</h1>" in sent.text and "Ihre Antworten sind angekommen." in sent.text
        )

        english = c.get("/s/demo-profile").text
        assert (
            _lang(english) == "en" and '<button type="submit">Send my answers</button>' in english
        )


def test_the_popup_reads_the_language_and_texts_from_the_definition(shop) -> None:  # type: ignore[no-untyped-def]
    """The pop-up builds itself from ``definition.json``; a survey that gives no texts sends
    none, and the pop-up keeps its English ones."""
    surveys.ensure_builtin(store=shop.store)
    surveys.save_survey(store=shop.store, survey=survey_from_dict(GERMAN))
    with TestClient(create_app(Settings(token="t", secret_key="k"), shop=shop)) as c:
        german = c.get("/s/umfrage/definition.json").json()
        english = c.get("/s/demo-profile/definition.json").json()
    assert german["language"] == "de" and german["texts"] == GERMAN["texts"]
    assert "language" not in english and "texts" not in english


def test_texts_and_language_are_stored_and_a_survey_saved_again_keeps_its_version(store) -> None:  # type: ignore[no-untyped-def]
    """Only the texts a survey gives are stored: a survey without any is stored as before,
    so saving an unchanged one is no new version."""
    first = surveys.save_survey(store=store, survey=survey_from_dict(GERMAN))
    again = surveys.save_survey(store=store, survey=survey_from_dict(GERMAN))
    assert first.version == again.version == 1
    back = surveys.get_survey(store=store, name="umfrage")
    assert back.language == "de" and back.texts.send == "Antworten senden"
    assert back.texts.popup_send == "Send"  # not given: English
    assert (
        survey_from_dict({**GERMAN, "texts": {"send": "Senden"}})
        .to_yaml()
        .endswith("texts:\n  send: Senden\n")
    )
    plain = {k: v for k, v in GERMAN.items() if k not in ("language", "texts")}
    assert set(survey_from_dict(plain).model_dump()) == {
        "name", "title", "version", "intro", "questions", "quotas"
    }  # fmt: skip


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"texts": {"sned": "Senden"}}, "unknown text 'sned'; texts are send, required,"),
        ({"texts": {"send": "  "}}, "must not be empty (at texts.send)"),
        ({"texts": {"send": "x" * 301}}, "at most 300 characters"),
        ({"texts": ["send"]}, "texts must be a mapping"),
        ({"language": "de_DE"}, "BCP 47 tag such as en, de, de-CH or pt-BR (for de_DE: de-DE)"),
        ({"language": "German"}, "(for German: de)"),
    ],
)
def test_a_misspelt_text_or_language_is_refused_by_name(change: dict[str, Any], said: str) -> None:
    with pytest.raises(ShopperlensError) as err:
        survey_from_dict({**GERMAN, **change})
    assert said in str(err.value)


# -- right-to-left answers in the report -----------------------------------------------------------
ARABIC = "الجودة ممتازة والتوصيل سريع"
HEBREW = "השירות היה מצוין, תודה"


def test_hebrew_and_arabic_answers_in_the_report_run_right_to_left(shop) -> None:  # type: ignore[no-untyped-def]
    """Free text shown in a left-to-right page without ``dir="auto"`` puts an Arabic
    answer's full stop and quotes at the wrong end, and a mixed line in the wrong order."""
    from datetime import datetime

    from shopperlens.personas.synthesis import Persona, Quote
    from shopperlens.reports import pages_surveys, site
    from shopperlens.reports.persona_cards import render_card
    from shopperlens.service.personas import PersonaRun

    shop.survey_create(from_bank=["gender"], name="profile", title="Who")
    shop.survey_submit("profile", {"gender": "female"})
    ctx = pages_surveys.build(shop.store)
    assert ctx is not None
    ctx["results"]["themes"] = [
        {"question": "kommentar", "theme": "ممتازة", "share": 0.5, "name_coverage": 1.0,
         "top_terms": ["ممتازة", "سريع"], "examples": [ARABIC, "sehr gut"]},
    ]  # fmt: skip
    ctx["interview_themes"] = [
        {"theme": "שירות", "notes": 1, "best": 1, "worst": 0, "prospects": 0, "referrals": 0,
         "quote": HEBREW},
    ]  # fmt: skip
    html = site.render(site.find("surveys"), ctx, site.available_nav(shop.store))
    assert f'<div dir="auto">“{ARABIC}”</div><div dir="auto">“sehr gut”</div>' in html
    assert '<td dir="auto">ممتازة</td>' in html and '<td dir="auto">ممتازة, سريع</td>' in html
    assert f'<td dir="auto">“{HEBREW}”</td>' in html and '<td dir="auto">שירות</td>' in html
    assert '<tr><th scope="row" dir="auto">female</th>' in html  # an answer (heads its row)

    persona = Persona(
        persona_id=1, name="Noa", adjective="Busy", first_name="Noa", trait="busy", size=12,
        share=1.0, quotes=[Quote(text=HEBREW, source="interview", rank=1)],
    )  # fmt: skip
    run = PersonaRun(
        run_id=1, created_at=datetime(2024, 1, 1), survey="s", source="survey", n_respondents=12,
        n_personas=1, k_requested="auto", seed=0, silhouette=None, stability_ari=None, scores={},
        min_group_size=5, income_adjustment=0.9, personas=[persona],
    )  # fmt: skip
    assert f'<blockquote dir="auto">“{HEBREW}”' in render_card(run, persona)


def test_survey_show_prints_the_words_as_written_and_reads_back(cli, db_path, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """``survey show`` wrote "Bitte pr\\xFCfen:" and "v\\xF6llig": text to edit and give
    back to ``survey create --from``, which must read the same survey."""
    source = tmp_path / "umfrage.yaml"
    source.write_text(survey_from_dict(GERMAN).to_yaml(), encoding="utf-8")
    assert cli("survey", "create", "umfrage", "--from", str(source)).exit_code == 0
    shown = cli("survey", "show", "umfrage")
    assert shown.exit_code == 0, shown.output
    assert "Bitte prüfen:" in shown.output and "völlig" in shown.output
    assert "\\x" not in shown.output and "\\u" not in shown.output
    again = tmp_path / "again.yaml"
    again.write_text(shown.output, encoding="utf-8")
    assert cli("survey", "create", "umfrage", "--from", str(again)).exit_code == 0
    with shopperlens.open(db_path) as shop:
        back = surveys.get_survey(store=shop.store, name="umfrage")
    assert back.version == 1  # read back as the same survey: no new version
    assert back.texts.check == "Bitte prüfen:" and back.texts.scale_high == "völlig"


def test_a_question_id_beyond_a_to_z_is_refused_saying_so() -> None:
    """``kanäle`` was refused as not "lower-case letters", which ä is."""
    bad = {**GERMAN, "questions": [{"id": "kanäle", "kind": "text", "text": "Kanäle?"}]}
    with pytest.raises(ShopperlensError, match="a-z") as err:
        survey_from_dict(bad)
    assert "kanäle" in str(err.value) and "text may hold any letter" in str(err.value)
