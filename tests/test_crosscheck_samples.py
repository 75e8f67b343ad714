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
    assert few.kind == "note" and "cannot tell yet" in few.message
    assert "(n = 20 respondents)" in few.message
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


def test_income_question_by_its_words_only():
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
    assert survey_results.income_question(q("savings", "How much do you save?")) is None


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


# -- lumped and unknown buckets --------------------------------------------------------------
#: GA4 countries with an ``(other)`` row: of 8134 visitors, 23 % live in countries not listed
GA4_OTHER = (
    "# GA4\nCountry,Active users\nNetherlands,3598\nGermany,1680\nBelgium,973\n(other),1883\n"
)
#: the visitors' true countries: the listed three, and France and Austria inside ``(other)``
VISITORS = {"NL": 3598, "DE": 1680, "BE": 973, "FR": 1200, "AT": 683}


def _draw(rng: np.random.Generator, truth: dict[str, float], n: int) -> list[str]:
    p = np.array(list(truth.values()), dtype=float)
    return list(rng.choice(list(truth), n, p=p / p.sum()))


def _verdicts(aud: pd.DataFrame, dim: str, truth: dict[str, float], n: int, draws: int) -> dict:
    """How often each kind of finding is given to ``draws`` samples of ``n`` drawn from
    ``truth``, with a fixed seed."""
    rng = np.random.default_rng(5)
    kinds: dict[str, float] = {}
    for _ in range(draws):
        (f,) = [x for x in _found({dim: _draw(rng, truth, n)}, aud) if x.dimension == dim]
        kinds[f.kind] = kinds.get(f.kind, 0) + 1 / draws
    return kinds


def test_a_ga4_other_row_is_never_compared_with_the_survey():
    """Respondents drawn from the visitors themselves (some from France and Austria, inside
    GA4's ``(other)``) were told "survey: 0 % country (other); ga4: 23 % ✗" every time."""
    aud = crosscheck.read_ga4(GA4_OTHER, file="c.csv").assign(source="ga4")
    assert aud.set_index("value")["share"]["Netherlands"] == pytest.approx(3598 / 8134)
    kinds = _verdicts(aud, "country", VISITORS, 200, 100)
    assert kinds.get("contradiction", 0) <= 0.06, kinds
    assert kinds.get("agreement", 0) >= 0.9, kinds
    (f,) = _found({"country": ["NL"] * 88 + ["DE"] * 41 + ["BE"] * 24 + ["FR"] * 47}, aud)
    assert f.kind == "agreement" and "other" not in f.message, f.message


def test_a_competitor_others_row_is_never_compared_with_the_survey():
    text = "dimension,value,share\ncountry,NL,40 %\ncountry,DE,20 %\ncountry,Others,40 %\n"
    aud = crosscheck.read_competitor(text, file="rival.csv").assign(source="competitor:rival")
    truth = {"NL": 0.4, "DE": 0.2, "FR": 0.25, "AT": 0.15}
    kinds = _verdicts(aud, "country", truth, 200, 100)
    assert kinds.get("contradiction", 0) <= 0.06 and kinds.get("agreement", 0) >= 0.9, kinds
    assert crosscheck.canonical("gender", "Others") == crosscheck.OTHER


def test_competitor_shares_are_of_people_with_a_known_value():
    """35 % female, 35 % male and 30 % unknown is a 50/50 audience: a survey drawn 50/50 was
    a contradiction ("50 % female; 35 % of their audience")."""
    text = (
        "dimension,value,share\ngender,female,35%\ngender,male,35%\ngender,unknown,30%\n"
        "country,NL,40%\ncountry,DE,20%\ncountry,unknown,20%\n"
    )
    rows = crosscheck.read_competitor(text, file="rival.csv")
    shares = rows.set_index(["dimension", "value"])["share"]
    assert shares["gender", "female"] == pytest.approx(0.5)
    assert shares["gender", "unknown"] == 0
    assert shares["country", "NL"] == pytest.approx(0.5)  # of the 80 % known; top list only
    aud = rows.assign(source="competitor:rival")
    kinds = _verdicts(aud, "gender", {"female": 0.5, "male": 0.5}, 100, 100)
    assert kinds.get("contradiction", 0) <= 0.06, kinds


# -- false alarms and agreement, against planted truth ---------------------------------------
def _mix(k: int) -> dict[str, float]:
    """``k`` values with shares k, k−1, … 1 (out of their sum): unequal, as real audiences."""
    w = np.arange(k, 0, -1, dtype=float)
    return {f"v{i}": float(x) for i, x in enumerate(w / w.sum())}


@pytest.mark.parametrize("k", [2, 6, 10])
@pytest.mark.parametrize("n", [20, 50])
def test_false_alarms_stay_near_5_percent_whatever_the_number_of_values(k, n):
    """Respondents drawn from the audience itself: a contradiction in at most ~6 % of samples
    for 2, 6 or 10 values (2 standard errors for each value flagged 7.5–11 % on six)."""
    rng = np.random.default_rng(k * 100 + n)
    truth = _mix(k)
    values, p = list(truth), np.array(list(truth.values()))
    flagged = sum(
        crosscheck.judge(dict(zip(values, c / n, strict=True)), truth, values, n, 0.15).kind
        == "contradiction"
        for c in rng.multinomial(n, p, size=400)
    )
    assert flagged / 400 <= 0.06


def test_six_age_brackets_from_the_visitors_are_rarely_a_contradiction():
    """The same through :func:`crosscheck.compare`, on six age brackets and 30 respondents:
    about 1–2 % (2 standard errors for each value flagged about 10 %)."""
    age = {"18-24": 0.15, "25-34": 0.3, "35-44": 0.25, "45-54": 0.15, "55-64": 0.1, "65+": 0.05}
    kinds = _verdicts(_ga4("age_bracket", age), "age_bracket", age, 30, 300)
    assert kinds.get("contradiction", 0) <= 0.04, kinds
    assert crosscheck.z_value(6) == pytest.approx(2.638, abs=1e-3)


def test_agreement_is_said_only_when_the_gap_is_surely_small():
    """A true 20-point gap (70 % female against 50 %) was called "agree within 15 points" in
    17 % of 50-answer samples; a true 0-point gap is agreement once there are 400."""
    aud = _ga4("gender", {"female": 0.5, "male": 0.5})
    far = _verdicts(aud, "gender", {"female": 0.7, "male": 0.3}, 50, 200)
    assert far.get("agreement", 0) <= 0.01, far
    same = _verdicts(aud, "gender", {"female": 0.5, "male": 0.5}, 400, 200)
    assert same.get("agreement", 0) >= 0.9, same
    (f,) = _found({"gender": ["female"] * 10 + ["male"] * 10}, aud)
    assert f.kind == "note" and f.message.startswith(
        "gender: cannot tell yet whether survey and ga4 agree within 15 points (n = 20 respondents)"
    )


# -- life stages, however the choice is worded -----------------------------------------------
def test_worded_life_stage_choices_count():
    found = _found(
        {
            "marital_status": ["Married / partnership"] * 30,
            "occupation": ["Full-time student"] * 30,
        },
        _ga4("age_bracket", YOUNG),
    )
    said = {f.dimension: f for f in found if f.kind == "contradiction"}
    assert said["marital_status"].survey_share == 1.0
    assert said["occupation"].survey_share == 1.0
    assert crosscheck.canonical("occupation", "Retired (65+)") == "retired"
    assert crosscheck.canonical("marital_status", "MARRIED") == "married"
    for other in ("Not married", "Never married", "Unmarried", "Divorced (previously married)"):
        assert crosscheck.canonical("marital_status", other) != "married", other
    assert crosscheck.canonical("occupation", "Ex-student") != "student"


def test_a_life_stage_that_fits_or_cannot_be_judged_says_so_with_n():
    """About 19 % of a young audience would be married: 19 of 100 fits, 8 of 20 (40 %) may
    or may not; 10 % students and no retired fit 60 % aged 18–24 and no one 65+."""
    aud = _ga4("age_bracket", YOUNG)
    fits = _found(
        {
            "marital_status": ["married"] * 19 + ["single"] * 81,
            "occupation": ["student"] * 10 + ["employee"] * 90,
        },
        aud,
    )
    assert [(f.dimension, f.kind) for f in fits] == [
        ("marital_status", "agreement"),
        ("occupation", "agreement"),
    ], [f.message for f in fits]
    assert all("n = 100 respondents" in f.message for f in fits)
    (unsure,) = _found({"marital_status": ["married"] * 8 + ["single"] * 12}, aud)
    assert unsure.kind == "note" and "cannot tell yet" in unsure.message
    assert "(n = 20 respondents)" in unsure.message


# -- income: only a question that asks for it -------------------------------------------------
def test_a_spending_question_is_not_lowered_as_income(store):
    bank = survey_from_dict(
        {"name": "spend", "title": "Spend", "from_bank": ["monthly_budget", "values", "why_buy"]}
    )
    surveys.save_survey(store=store, survey=bank)
    for budget in (50, 80, 20):
        surveys.submit_response(store=store, survey="spend", answers={"monthly_budget": budget})
    res = survey_results.survey_results(store=store, survey="spend", income_adjustment=0.9)
    assert res.income is None
    assert not any("income" in note for note in res.notes)


def test_a_competitor_stored_with_its_unknown_share_is_compared_as_of_known_values(store, tmp_path):
    """Shares stored before they were read as of known values still count so."""
    surveys.ensure_builtin(store=store)
    rows = [f"r{i},{'female' if i % 2 else 'male'}" for i in range(100)]
    answers = tmp_path / "answers.csv"
    answers.write_text("respondent,gender\n" + "\n".join(rows) + "\n")
    surveys.import_survey_csv(store=store, survey="demo-profile", path=answers)
    for value, share in (("female", 0.35), ("male", 0.35), ("unknown", 0.3)):
        store.execute(
            "INSERT INTO analytics_audience (source, dimension, value, users, share, file, "
            "imported_at) VALUES ('competitor:rival', 'gender', ?, NULL, ?, 'r.csv', now())",
            [value, share],
        )
    (f,) = [f for f in audience.analytics_check(store=store) if f.dimension == "gender"]
    assert f.kind == "agreement" and f.analytics_share == pytest.approx(0.5), f.message
