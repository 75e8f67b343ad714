"""The analytics cross-check against planted truth: capitalised survey choices count, every
comparison says how many respondents it rests on, a handful of answers decides nothing, a gap
must be beyond sampling error, competitor shares are read per dimension; and the income
adjustment lands on the income question and lowers it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shopperlens.config import Settings
from shopperlens.errors import ShopperlensError
from shopperlens.service import audience, survey_results, surveys
from shopperlens.surveys import crosscheck
from shopperlens.surveys.definition import survey_from_dict

#: a young visitor base: 60 % aged 18–24, about 19 % of whom would be married
YOUNG = {"18-24": 0.6, "25-34": 0.3, "35-44": 0.1}


def _ga4(dimension: str, shares: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "source": "ga4",
            "dimension": dimension,
            "value": list(shares),
            "share": list(shares.values()),
        }
    )


def _found(survey: dict[str, list[str]], aud: pd.DataFrame) -> list[crosscheck.Finding]:
    return crosscheck.compare({k: pd.Series(v) for k, v in survey.items()}, aud)


# -- capitalised choices count ---------------------------------------------------------------
def test_capitalised_married_and_student_count():
    found = _found(
        {"marital_status": ["Married"] * 30, "occupation": ["Student"] * 30},
        _ga4("age_bracket", YOUNG),
    )
    said = {f.dimension: f for f in found if f.kind == "contradiction"}
    assert said["marital_status"].survey_share == 1.0
    assert "survey: 100 % married" in said["marital_status"].message
    assert said["occupation"].survey_share == 1.0
    assert "survey: 100 % students" in said["occupation"].message
    assert crosscheck.canonical("occupation", "Self-employed") == "self_employed"


# -- sample size ---------------------------------------------------------------------------------
def test_thirty_married_respondents_against_young_visitors_contradict_with_n():
    (f,) = _found({"marital_status": ["married"] * 30}, _ga4("age_bracket", YOUNG))
    assert f.kind == "contradiction" and "(n = 30 respondents)" in f.message


def test_three_respondents_are_too_few_to_judge_anything():
    survey = {
        "age_bracket": ["18-24", "65+", "65+"],
        "gender": ["female"] * 3,
        "marital_status": ["married"] * 3,
        "occupation": ["retired"] * 3,
    }
    aud = pd.concat([_ga4("age_bracket", YOUNG), _ga4("gender", {"female": 0.2, "male": 0.8})])
    found = _found(survey, aud)
    assert {f.dimension for f in found} == {"age_bracket", "gender", "marital_status", "occupation"}
    assert all(f.kind == "note" for f in found), [f.message for f in found]
    assert all("too few respondents to judge" in f.message for f in found)
    assert all("(n = 3 respondents; at least 20 needed)" in f.message for f in found)


def test_every_verdict_states_its_respondents():
    rng = np.random.default_rng(1)
    survey = {
        "gender": list(rng.choice(["female", "male"], 200, p=[0.45, 0.55])),
        "age_bracket": list(rng.choice(list(YOUNG), 200, p=list(YOUNG.values()))),
    }
    aud = pd.concat([_ga4("age_bracket", YOUNG), _ga4("gender", {"female": 0.2, "male": 0.8})])
    found = _found(survey, aud)
    assert {f.kind for f in found} == {"agreement", "contradiction"}
    assert all(
        "(n = 200 respondents)" in f.message or "n = 200 respondents)" in f.message for f in found
    ), [f.message for f in found]


def test_a_gap_within_sampling_error_is_no_contradiction():
    """65 % female against 45 %: 20 points. From 20 respondents that is within two standard
    errors (±22 points), so undecided; from 200 it is a contradiction."""
    aud = _ga4("gender", {"female": 0.45, "male": 0.55})
    (few,) = _found({"gender": ["female"] * 13 + ["male"] * 7}, aud)
    assert few.kind == "note" and "20 respondents can tell apart" in few.message
    (many,) = _found({"gender": ["female"] * 130 + ["male"] * 70}, aud)
    assert many.kind == "contradiction" and "(n = 200 respondents)" in many.message


def test_false_alarms_and_power_against_planted_truth():
    """Respondents drawn from the visitors themselves (50/50) are flagged at most ~5 % of the
    time (a fixed 15-point rule flags 26 % of 20-answer samples); respondents drawn from a
    truly different audience (80/20) are flagged nearly always once there are 60 of them."""
    rng = np.random.default_rng(7)
    aud = _ga4("gender", {"female": 0.5, "male": 0.5})

    def flagged(p_female: float, n: int, draws: int) -> float:
        hits = 0
        for _ in range(draws):
            answers = list(rng.choice(["female", "male"], n, p=[p_female, 1 - p_female]))
            (f,) = _found({"gender": answers}, aud)
            hits += f.kind == "contradiction"
        return hits / draws

    assert flagged(0.5, 20, 200) <= 0.08  # exact: 4.1 % (15 or more of 20, or 5 or fewer)
    assert flagged(0.8, 60, 100) >= 0.95


def test_respondents_device_mix_states_n_and_sampling_error():
    shop = pd.Series({"mobile": 50.0, "desktop": 50.0})
    few = crosscheck.compare_respondents(
        "device", pd.Series({"mobile": 13.0, "desktop": 7.0}), shop
    )
    assert few is not None and few.kind == "note" and "20 respondents" in few.message
    many = crosscheck.compare_respondents(
        "device", pd.Series({"mobile": 130.0, "desktop": 70.0}), shop
    )
    assert many is not None and many.kind == "contradiction"
    assert "(n = 200 respondents)" in many.message


# -- competitor shares, per dimension ------------------------------------------------------------
def test_a_share_of_1_in_a_percent_file_is_1_percent():
    text = (
        "dimension,value,share\nage,18-24,60\nage,25-34,30\nage,35-44,8\nage,55-64,1\nage,65+,1\n"
    )
    rows = crosscheck.read_competitor(text, file="rival.csv").set_index("value")["share"]
    assert rows["55-64"] == pytest.approx(0.01) and rows["18-24"] == pytest.approx(0.6)
    # fractions stay fractions, dimension by dimension
    mixed = text + "gender,female,0.55\ngender,male,0.45\n"
    g = crosscheck.read_competitor(mixed, file="rival.csv")
    assert g[g["dimension"] == "gender"]["share"].tolist() == pytest.approx([0.55, 0.45])


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ("gender,female,0\ngender,male,0\n", "the gender shares add up to 0 %"),
        ("gender,female,0.6\ngender,male,60\n", "the gender shares add up to 61 %"),
        ("country,NL,0.8\ncountry,DE,0.7\n", "the country shares add up to 150 %"),
    ],
)
def test_shares_that_do_not_add_up_refuse_the_whole_file(store, tmp_path, body, said):
    good = tmp_path / "good.csv"
    good.write_text("dimension,value,share\ngender,female,40 %\ngender,male,60 %\n")
    audience.import_analytics(store=store, path=good, source="competitor", name="rival")
    bad = tmp_path / "bad.csv"
    bad.write_text("dimension,value,share\nage,18-24,50\nage,25-34,50\n" + body)
    with pytest.raises(ShopperlensError, match=said) as refused:
        audience.import_analytics(store=store, path=bad, source="competitor", name="rival")
    assert str(refused.value).startswith("bad.csv: ")
    stored = audience.audience(store=store)  # atomic: the earlier import stands, untouched
    assert sorted(stored["share"]) == pytest.approx([0.4, 0.6])
    assert set(stored["dimension"]) == {"gender"}


def test_top_countries_may_add_up_to_less_than_100_percent():
    text = "dimension,value,share\ncountry,NL,40 %\ncountry,DE,12 %\ncountry,BE,1\n"
    rows = crosscheck.read_competitor(text, file="rival.csv")
    assert rows["share"].tolist() == pytest.approx([0.4, 0.12, 0.01])


# -- income: the right question, a factor that lowers it -----------------------------------------
def test_income_adjustment_lands_on_the_income_question(store):
    bank = survey_from_dict(
        {
            "name": "money",
            "title": "Money",
            "from_bank": ["monthly_budget", "income", "values", "novelty", "why_buy"],
        }
    )
    surveys.save_survey(store=store, survey=bank)
    for budget, income in [(50, 40000), (80, 60000), (20, 50000)]:
        surveys.submit_response(
            store=store, survey="money", answers={"monthly_budget": budget, "income": income}
        )
    res = survey_results.survey_results(store=store, survey="money", income_adjustment=0.9)
    assert res.income is not None and res.income["question"] == "income"
    assert res.income["stated_mean"] == pytest.approx(50000)


def test_income_question_by_its_words_else_the_first_financial_number():
    def q(qid: str, text: str, group: str = "financial") -> list:
        return survey_from_dict(
            {
                "name": "x",
                "title": "x",
                "questions": [
                    {
                        "id": "spend",
                        "kind": "number",
                        "text": "Monthly spend?",
                        "group": "financial",
                    },
                    {"id": qid, "kind": "number", "text": text, "group": group},
                ],
            }
        ).questions

    assert survey_results.income_question(q("pay", "What do you earn a year?")) == "pay"
    assert (
        survey_results.income_question(q("yearly_salary", "Per year?", "demographic"))
        == "yearly_salary"
    )
    assert survey_results.income_question(q("savings", "How much do you save?")) == "spend"


def test_only_an_income_adjustment_that_lowers_income_is_taken(monkeypatch):
    for factor in ("1.5", "0", "-0.2", "nan", "lots"):
        monkeypatch.setenv("SHOPPERLENS_INCOME_ADJUSTMENT", factor)
        with pytest.raises(ShopperlensError, match=f"SHOPPERLENS_INCOME_ADJUSTMENT={factor} "):
            Settings()
    for factor in ("1", "0.9", "0.5"):
        monkeypatch.setenv("SHOPPERLENS_INCOME_ADJUSTMENT", factor)
        assert Settings().income_adjustment == float(factor)


def test_cli_says_a_bad_income_adjustment_in_one_line(cli, monkeypatch):
    monkeypatch.setenv("SHOPPERLENS_INCOME_ADJUSTMENT", "1.2")
    res = cli("survey", "list")
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert " ".join(res.stderr.split()).startswith(
        "error: SHOPPERLENS_INCOME_ADJUSTMENT=1.2 is not a factor that lowers stated incomes"
    )
