"""Survey definitions and analysis, tested against planted truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from _demo_data import demo_shop
from shopperlens.errors import ShopperlensError
from shopperlens.service import survey_results, surveys
from shopperlens.surveys import analysis
from shopperlens.surveys.definition import (
    AnswerError,
    demo_profile,
    from_bank,
    load_definition,
    question_bank,
    survey_from_dict,
    validate_answers,
)

DEMO_COLUMNS = [
    "age_bracket",
    "gender",
    "marital_status",
    "children",
    "education",
    "occupation",
    "income",
    "values",
    "hobbies",
    "channels",
    "spending_habit",
    "barrier",
    "motivation",
    "novelty",
    "price_sensitivity",
    "why_buy",
    "what_stopped",
]


def test_demo_profile_has_the_shared_columns_and_every_group():
    s = demo_profile()
    assert s.ids == DEMO_COLUMNS
    assert s.question("values").kind == "multi" and s.question("novelty").kind == "scale"
    assert {q.group for q in s.questions} == {
        "demographic",
        "education",
        "career",
        "financial",
        "psychographic",
        "behaviour_driver",
        "purchase_barrier",
        "mindset",
    }
    assert s.warnings(["shoes", "bags"]) == []


def test_length_and_relevance_warnings(tmp_path):
    short = survey_from_dict({"name": "tiny", "title": "t", "from_bank": ["age_bracket", "values"]})
    assert any("fewer than 7" in w for w in short.warnings())
    long = survey_from_dict({"name": "long", "title": "t", "from_bank": list(question_bank())})
    assert any("more than 20" in w for w in long.warnings())
    dog = survey_from_dict(
        {"name": "dog", "title": "t", "from_bank": ["age_bracket", "pet_food_brand"]}
    )
    flagged = dog.warnings(["boxing gloves", "sportswear"])
    assert any("pet_food_brand" in w and "unrelated" in w for w in flagged)
    assert not any("pet_food_brand" in w for w in dog.warnings(["dog food", "cat toys"]))
    # an outdoor shop's customers practise sports: the question fits (the demo shop was told not)
    sport = survey_from_dict({"name": "s", "title": "t", "from_bank": ["sport_practised"]})
    outdoor = ["tents", "sleeping", "backpacks", "footwear", "jackets", "climbing"]
    assert not any("sport_practised" in w for w in sport.warnings(outdoor))
    assert any("sport_practised" in w for w in sport.warnings(["dog food", "cat toys"]))
    # keywords match at a word's start: "tent" is not in "Patent leather" or "Content"
    for shop in (["Patent leather shoes", "Dresses"], ["Content subscriptions", "E-books"]):
        (said,) = [w for w in sport.warnings(shop) if "sport_practised" in w]
        assert said.endswith("(it is about sport, fitness, boxing, outdoor …)")
    # YAML and JSON files give the same survey
    (tmp_path / "s.yaml").write_text(dog.to_yaml())
    (tmp_path / "s.json").write_text(dog.model_dump_json())
    assert load_definition(tmp_path / "s.yaml") == load_definition(tmp_path / "s.json") == dog
    with pytest.raises(ShopperlensError, match="question bank"):
        from_bank(["no_such_question"])


def test_answer_validation_reasons():
    s = demo_profile()
    ok = validate_answers(s, {"values": "price;quality", "novelty": "4", "income": 1e5})
    assert ok == {"values": ["price", "quality"], "novelty": 4.0, "income": 100000.0}
    with pytest.raises(AnswerError) as err:
        validate_answers(
            s, {"novelty": 7, "gender": "robot", "x": 1, "why_buy": "<b>hi</b>", "income": True}
        )
    assert set(err.value.problems) == {"novelty", "gender", "x", "why_buy", "income"}
    assert err.value.problems["x"] == "unknown question"


def test_versions_bump_only_when_the_definition_changes(store):
    s = demo_profile()
    assert surveys.save_survey(store=store, survey=s).version == 1
    assert surveys.save_survey(store=store, survey=s).version == 1
    changed = s.model_copy(update={"title": "New title"})
    assert surveys.save_survey(store=store, survey=changed).version == 2
    assert surveys.get_survey(store=store, name="demo-profile", version=1).title == s.title


def test_nmf_themes_recover_planted_topics():
    rng = np.random.default_rng(3)
    topics = {
        "shipping": [
            "shipping cost too high",
            "delivery took too long",
            "shipping fee at checkout",
            "slow delivery and shipping costs",
        ],
        "eco": [
            "love the sustainable packaging",
            "eco friendly materials matter",
            "sustainable brand with recycled packaging",
            "recycled materials and eco values",
        ],
        "price": [
            "cheapest price online",
            "good discount and low price",
            "price was lower here",
            "discount code made the price right",
        ],
    }
    texts, truth = [], []
    for name, pool in topics.items():
        for _ in range(40):
            texts.append(str(rng.choice(pool)))
            truth.append(name)
    found = analysis.themes(texts, n_themes=3)
    assert len(found) == 3
    keywords = {
        "shipping": {"shipping", "delivery"},
        "eco": {"sustainable", "recycled", "eco"},
        "price": {"price", "discount"},
    }
    matched = {n for n, kw in keywords.items() for th in found if kw & set(th.top_terms[:3])}
    assert matched == set(keywords)
    assert all(abs(th.share - 1 / 3) < 0.1 for th in found)


def test_distribution_crosstab_and_income_against_planted_numbers():
    frame = pd.DataFrame(
        {
            "respondent": list("abcdef"),
            "customer_id": ["c1", "c2", "c3", None, None, None],
            "values": [["price"], ["price", "quality"], ["quality"], ["price"], None, ["brand"]],
            "novelty": [5.0, 5.0, 1.0, 3.0, None, 5.0],
            "income": [50000.0, 70000.0, None, 30000.0, 100000.0, None],
        }
    )
    s = survey_from_dict({"name": "x", "title": "x", "from_bank": ["values", "novelty", "income"]})
    d = analysis.distributions(frame, s).set_index(["question", "value"])
    assert d.loc[("values", "price"), "count"] == 3 and d.loc[("values", "price"), "share"] == 0.6
    assert d.loc[("novelty", "5"), "share"] == 0.6
    ct = analysis.crosstab(frame, pd.Series(["a", "a", "b", "b", "b", "b"]), "values")
    ct = ct.set_index("group")
    assert ct.loc["a", "price"] == 1.0 and ct.loc["a", "quality"] == 0.5 and ct.loc["b", "n"] == 3
    inc = analysis.income_summary(frame["income"], 0.9)
    assert inc["stated_mean"] == 62500 and inc["adjusted_mean"] == pytest.approx(56250)
    assert inc["stated_median"] == 60000 and inc["adjusted_median"] == pytest.approx(54000)


def test_representativeness_gap_is_respondents_share_minus_base_share():
    """Respondents a, a, a, b against a base a, b, b, b: a is 3/4 of the respondents and 1/4
    of the base, so the survey over-represents a by +0.5 and under-represents b by −0.5."""
    shares = analysis.compare_shares(
        pd.Series(list("aaab")), pd.Series(list("abbb")), dimension="country"
    ).set_index("value")
    assert shares.loc["a", ["respondents", "base", "gap"]].tolist() == [0.75, 0.25, 0.5]
    assert shares.loc["b", ["respondents", "base", "gap"]].tolist() == [0.25, 0.75, -0.5]


def test_representativeness_service_says_which_countries_answer_more(store):
    """Sixteen buying customers, 4 in DE and 12 in FR (DE 1/4 of the base); the respondents are
    3 of the Germans and 1 French customer (DE 3/4): DE gap +0.5, FR gap −0.5."""
    countries = ["DE"] * 4 + ["FR"] * 12
    for i, country in enumerate(countries):
        store.execute(
            "INSERT INTO customers (customer_id, country) VALUES (?, ?)", [f"c{i}", country]
        )
        store.execute(
            "INSERT INTO orders (order_id, customer_id, ordered_at) VALUES (?, ?, '2025-01-01')",
            [f"o{i}", f"c{i}"],
        )
        store.execute(
            "INSERT INTO order_lines VALUES (?, 1, 'p1', 'Tent', 'camping', 1, 20, NULL)",
            [f"o{i}"],
        )
    frame = pd.DataFrame({"customer_id": ["c0", "c1", "c2", "c4", None]})
    table = survey_results.representativeness(store=store, frame=frame)
    country = table[table["dimension"] == "country"].set_index("value")
    assert country.loc["DE", ["respondents", "base", "gap"]].tolist() == [0.75, 0.25, 0.5]
    assert country.loc["FR", ["respondents", "base", "gap"]].tolist() == [0.25, 0.75, -0.5]


def test_results_service_on_imported_answers(store, tmp_path):
    surveys.ensure_builtin(store=store)
    rows = ["respondent,customer_id,values,novelty,income,why_buy"]
    for i in range(12):
        why = ["cheap price and discount", "fast shipping and delivery"][i % 2]
        rows.append(f"r{i},,price;quality,{1 + i % 5},{40000 + 1000 * i},{why}")
    f = tmp_path / "export.csv"
    f.write_text("\n".join(rows) + "\n")
    surveys.import_survey_csv(store=store, survey="demo-profile", path=f)
    res = survey_results.survey_results(store=store, survey="demo-profile", income_adjustment=0.8)
    assert res.respondents == 12 and res.channels == {"import": 12}
    assert res.income["stated_mean"] == pytest.approx(45500)
    assert res.income["adjusted_mean"] == pytest.approx(45500 * 0.8)
    assert any(t.question == "why_buy" for t in res.themes)


def test_known_customers_of_a_store_without_customers_say_what_they_are(store, tmp_path):
    """Survey answers alone: "of whom 3 are known customers" of a store holding none; a note
    says they are answers carrying a customer id, and goes once customers are imported."""
    surveys.ensure_builtin(store=store)
    rows = ["respondent,customer_id,values"]
    rows += [f"r{i},{'c' + str(i) if i < 3 else ''},price" for i in range(5)]
    f = tmp_path / "export.csv"
    f.write_text("\n".join(rows) + "\n")
    surveys.import_survey_csv(store=store, survey="demo-profile", path=f)
    res = survey_results.survey_results(store=store, survey="demo-profile", with_types=False)
    assert res.customers == 3
    said = [n for n in res.notes if n.startswith("no customers imported")]
    assert said == [
        "no customers imported: the 3 counted as known customers are the respondents whose "
        "answers carry a customer id, not matched to any customer record"
    ]
    store.execute("INSERT INTO customers (customer_id) VALUES ('c0')")
    res = survey_results.survey_results(store=store, survey="demo-profile", with_types=False)
    assert not any(n.startswith("no customers imported") for n in res.notes)


def test_income_adjustment_moves_stated_income_towards_planted_truth(store, tmp_path):
    """The demo plants stated incomes 10-30 % above the true ones (truth_personas)."""

    demo = demo_shop()  # the default demo: 600 survey answers from 4 planted personas
    path = tmp_path / "survey_demo-profile.csv"
    demo.survey_answers.to_csv(path, index=False)
    surveys.ensure_builtin(store=store)
    surveys.import_survey_csv(store=store, survey="demo-profile", path=path)
    res = survey_results.survey_results(store=store, survey="demo-profile", income_adjustment=0.85)
    true_mean = float(demo.truth_personas["true_income"].mean())
    assert res.income["stated_mean"] > true_mean * 1.05  # people overstate
    assert abs(res.income["adjusted_mean"] - true_mean) < abs(res.income["stated_mean"] - true_mean)
    # free-text themes recover the planted personas: each "why buy" theme is the talk of one
    # persona, and the four themes belong to four different personas
    persona = demo.truth_personas.set_index("respondent")["persona"]
    why = [t for t in res.themes if t.question == "why_buy"]
    assert len(why) == 4
    owners = set()
    for theme in why:
        mix = persona.loc[theme.respondents].value_counts(normalize=True)
        assert mix.iloc[0] >= 0.8, (theme.top_terms, mix.to_dict())
        owners.add(mix.index[0])
    assert owners == {"frugal", "eco", "busy", "trendy"}


def _answer_strategy():
    from hypothesis import strategies as st

    s = demo_profile()
    fields = {}
    for q in s.questions:
        if q.kind == "single":
            fields[q.id] = st.sampled_from(q.choices)
        elif q.kind == "multi":
            fields[q.id] = st.lists(st.sampled_from(q.choices), min_size=1, unique=True)
        elif q.kind == "scale":
            fields[q.id] = st.integers(int(q.min), int(q.max)).map(float)
        elif q.kind == "number":
            fields[q.id] = st.floats(0, 1e6, allow_nan=False).map(lambda x: round(x, 2))
        else:
            fields[q.id] = st.text(
                st.characters(blacklist_characters="<", blacklist_categories=("Cs", "Cc")),
                min_size=1,
                max_size=40,
            ).filter(lambda x: x.strip() == x and x)
    return st.fixed_dictionaries({}, optional=fields).filter(bool)


def test_answers_round_trip_through_the_store():
    """Invariant (Hypothesis): whatever valid answer set goes in comes back unchanged from
    ``responses_frame`` (lists as lists in order, numbers as floats, text as text)."""
    from hypothesis import HealthCheck, given, settings

    import shopperlens

    shop = shopperlens.open()
    surveys.ensure_builtin(store=shop.store)

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(_answer_strategy())
    def check(answers):
        rid = shop.survey_submit("demo-profile", answers)
        respondent = shop.store.scalar(
            "SELECT respondent FROM survey_responses WHERE response_id = ?", [rid]
        )
        frame = surveys.responses_frame(store=shop.store, survey="demo-profile")
        row = frame.set_index("respondent").loc[respondent]
        for q, v in answers.items():
            assert row[q] == v, q

    check()
    shop.close()
