"""A free-text theme is named after what most of its answers say.

Planted: 60 answers to "what should we do better?" whose truth is known: 30 complaints about
delivery worded many ways ("parcel arrived late", "shipping took forever", "the post took
ages"), 5 of which say the post was slow, 20 about prices and 10 about sizes. NMF weighs the
rare pair "post slow" as heavily as its words, and the theme holding all 30 delivery answers
(half of all answers) was named "post slow", a pair 5 of its 30 answers use: "50 % — post
slow" read as "half said the post was slow". What an answer says is read with the tokens the
vectorizer uses (scikit-learn's analyzer: English stop words out, words and word pairs).
"""

from __future__ import annotations

import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

import shopperlens
from shopperlens.reports import pages_surveys, site
from shopperlens.service import surveys
from shopperlens.surveys import analysis
from shopperlens.surveys.definition import survey_from_dict

#: a term in a name is said by at least a quarter of the theme's answers
QUARTER = 0.25

DELIVERY = [
    "the post was slow",
    "post was very slow",
    "the post was so slow",
    "post was slow again",
    "post was slow to Norway",
    "post took ages",
    "the post lost it for a week",
    "post never came on time",
    "post took two weeks",
    "post was late",
    "blame the post, it took forever",
    "delivery took ages",
    "parcel arrived late",
    "shipping was slow",
    "the courier was late",
    "my order came a week late",
    "waited two weeks for my order",
    "delivery was late again",
    "the package took ages",
    "slow shipping to Norway",
    "order arrived late",
    "shipping took forever",
    "the parcel was delayed",
    "delivery never came on time",
    "courier came a week late",
    "still waiting for my parcel",
    "late delivery",
    "the package was delayed at customs",
    "parcel took two weeks",
    "delivery was very slow",
]
PRICE = [
    "too expensive",
    "prices are high",
    "expensive compared to others",
    "price too high",
    "cheaper elsewhere",
    "the price is steep",
    "too pricey for me",
    "expensive compared to shops",
    "high prices",
    "price went up",
    "expensive boots",
    "prices too high for students",
    "could be cheaper",
    "too expensive for what it is",
    "price is high",
    "expensive",
    "high price",
    "overpriced",
    "expensive again",
    "price should be lower",
]
SIZES = [
    "sizes run small",
    "size chart is wrong",
    "the size was too big",
    "sizes are off",
    "wrong size sent",
    "size guide unclear",
    "ordered my size but too small",
    "sizes vary",
    "runs small, size up",
    "no half sizes",
]
ANSWERS = DELIVERY + PRICE + SIZES

_analyzer = TfidfVectorizer(stop_words="english", ngram_range=(1, 2)).build_analyzer()


def _says(answer: str, term: str) -> bool:
    return term in set(_analyzer(answer))


def _said_by(answers: list[str], terms: list[str]) -> float:
    """Share of ``answers`` using at least one of ``terms``."""
    return sum(any(_says(a, t) for t in terms) for a in answers) / len(answers)


def _named(theme: str) -> list[str]:
    return theme.split(" / ")


def test_a_theme_of_delivery_complaints_is_named_by_the_words_they_use() -> None:
    found = analysis.themes(ANSWERS)
    delivery = max(found, key=lambda th: len(set(th.members) & set(range(len(DELIVERY)))))
    members = [ANSWERS[i] for i in delivery.members]
    assert sum(a in DELIVERY for a in members) >= 25  # the planted theme is found
    for term in _named(delivery.theme):
        assert _said_by(members, [term]) >= QUARTER, (delivery.theme, term)
    # the pair five of the thirty use names nothing: its words speak, as most answers do
    assert "post slow" not in _named(delivery.theme)
    assert delivery.name_coverage == pytest.approx(_said_by(members, _named(delivery.theme)))
    assert delivery.name_coverage > 2 * _said_by(members, ["post slow"])


def test_every_themes_name_coverage_is_the_share_of_its_answers_saying_it() -> None:
    for th in analysis.themes(ANSWERS):
        members = [ANSWERS[i] for i in th.members]
        assert th.name_coverage == pytest.approx(_said_by(members, _named(th.theme)))


#: five Norwegian customers who answered with the name of Norway's post alone
POSTEN = ["Posten.", "Posten again", "Posten, as always", "Posten!", "blame Posten"]
#: 25 of the complaints about delivery (none about the post being slow), the five "Posten"
#: answers, the prices and the sizes: 60 answers
WITH_POSTEN = DELIVERY[5:] + POSTEN + PRICE + SIZES


def _theme_of_delivery(found: list[analysis.Theme]) -> analysis.Theme:
    """The theme holding the most of the 25 planted complaints about delivery."""
    return max(found, key=lambda th: len(set(th.members) & set(range(25))))


def test_a_theme_is_not_named_after_a_word_a_few_of_its_answers_say() -> None:
    """The five "Posten" answers make a topic of their own, and the 25 complaints about
    delivery, worded many ways, fall to it: half of all answers, named "posten", a word 5 of
    its 30 answers say. It is named by what its answers say, each named word by a quarter."""
    found = analysis.themes(WITH_POSTEN)
    delivery = _theme_of_delivery(found)
    members = [WITH_POSTEN[i] for i in delivery.members]
    assert sum(a in DELIVERY for a in members) == 25 and delivery.share == pytest.approx(0.5)
    assert "posten" not in _named(delivery.theme)
    for term in _named(delivery.theme):
        assert _said_by(members, [term]) >= QUARTER, (delivery.theme, term)
    assert delivery.name_coverage == pytest.approx(_said_by(members, _named(delivery.theme)))
    assert delivery.name_coverage > _said_by(members, ["posten"])


def test_a_loose_theme_is_named_by_its_answers_most_used_word() -> None:
    """Asked for three themes, the "Posten" topic gathers 42 of the 60 answers (the delivery
    complaints, the sizes, two about prices) and was named "posten", a word 5 of them (12 %)
    say. No word is used by a quarter of them: the theme is named by the word most of them
    use, and its coverage says how few that is."""
    found = analysis.themes(WITH_POSTEN, n_themes=3)
    loose = _theme_of_delivery(found)
    members = [WITH_POSTEN[i] for i in loose.members]
    assert len(members) >= 40  # the planted case: most answers fall to one topic
    words = {t for a in members for t in _analyzer(a)}
    most = max(_said_by(members, [t]) for t in words)
    assert most < QUARTER
    (name,) = _named(loose.theme)
    assert _said_by(members, [name]) == pytest.approx(most)
    assert loose.name_coverage == pytest.approx(most)


def test_a_name_keeps_the_terms_its_answers_say_the_most_said_first() -> None:
    # a rare heavy term neither names the theme nor keeps lighter, common terms out of it
    top = [("norway", 1.0), ("late", 0.6), ("slow", 0.45), ("parcel", 0.2)]
    said = {"norway": 0.12, "slow": 0.5, "late": 0.4, "parcel": 0.3}
    assert analysis._name(top, said) == "slow / late"
    # a pair said by few of those who say its words is dropped, its words speak
    top = [("post", 1.0), ("slow", 0.95), ("post slow", 0.9)]
    assert analysis._name(top, {"post": 0.37, "slow": 0.33, "post slow": 0.17}) == "post / slow"
    assert analysis._name(top, {"post": 0.5, "slow": 0.45, "post slow": 0.3}) == "post / slow"
    # a pair said by nearly all who say its words stands in for them
    assert analysis._name(top, {"post": 0.5, "slow": 0.45, "post slow": 0.45}) == "post slow"


def _plant(shop: shopperlens.Shop) -> dict[str, str]:
    """The 60 answers as survey responses: respondent id -> answer."""
    shop.survey_create(
        survey_from_dict(
            {
                "name": "better",
                "title": "Better",
                "questions": [
                    {"id": "better", "kind": "text", "text": "What should we do better?"}
                ],
            }
        )
    )
    for i, answer in enumerate(ANSWERS):
        surveys.submit_response(
            store=shop.store, survey="better", answers={"better": answer}, visitor_id=f"r{i:02d}"
        )
    return {f"v:r{i:02d}": answer for i, answer in enumerate(ANSWERS)}


def test_results_carry_the_name_coverage_to_python_and_http(shop, client) -> None:  # type: ignore[no-untyped-def]
    answer_of = _plant(shop)
    res = shop.survey_results("better")
    assert res.themes
    for th in res.themes:
        members = [answer_of[r] for r in th.respondents]
        assert th.name_coverage == pytest.approx(_said_by(members, _named(th.theme)))
    http = client.get("/api/surveys/better/results").json()
    assert [t["name_coverage"] for t in http["themes"]] == [t.name_coverage for t in res.themes]


def test_cli_and_report_show_how_many_said_the_name(cli, db_path) -> None:  # type: ignore[no-untyped-def]
    shop = shopperlens.open(db_path)
    answer_of = _plant(shop)
    ctx = pages_surveys.build(shop.store)
    html = site.render(site.find("surveys"), ctx, site.available_nav(shop.store))
    shop.close()
    assert ctx is not None
    rows = []
    for th in ctx["results"]["themes"]:
        members = [answer_of[r] for r in th["respondents"]]
        share = round(100 * len(members) / len(ANSWERS))
        rows.append((th["theme"], share, round(100 * _said_by(members, _named(th["theme"])))))
    flat = " ".join(html.split())
    assert "<i>said by</i> is the share of the theme's answers that use a word of its name" in flat
    for name, share, said in rows:
        row = f'<td dir="auto">{name}</td><td class="n">{share} %</td><td class="n">{said} %</td>'
        assert row in flat, row
    out = cli("survey", "results", "better")
    assert out.exit_code == 0, out.output
    text = " ".join(out.output.split())
    assert "said by" in text
    for name, share, said in rows:
        assert f"│ better │ {name} │ {share} % │ {said} % │" in text, name
