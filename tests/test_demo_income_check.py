"""The demo's truth check covers income: the adjusted median income of the survey's
respondents against their planted true median, the gap and the factor that would have matched.

The demo plants stated incomes 10–30 % above the true ones and the default adjustment is 0.9, so
the check must show the residual gap (about +8 %), not a tuned match."""

from __future__ import annotations

from pathlib import Path

import pytest

from _demo_data import demo_shop
from shopperlens.service import demo as demo_svc
from shopperlens.service import surveys


@pytest.fixture(scope="module")
def answers_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("answers") / "answers.csv"
    demo_shop(600).survey_answers.to_csv(path, index=False)
    return path


def _income(checks: list[demo_svc.TruthCheck]) -> demo_svc.TruthCheck:
    return next(c for c in checks if c.what == demo_svc.INCOME_CHECK)


def test_the_truth_checks_state_the_income_gap_against_the_planted_truth(store, answers_csv):
    demo = demo_shop(600)
    surveys.ensure_builtin(store=store, name="demo-profile")
    surveys.import_survey_csv(store=store, survey="demo-profile", path=answers_csv)
    m = demo.survey_answers.merge(demo.truth_personas, on="respondent")
    stated, true = m["income"].median(), m["true_income"].median()
    gap = stated * 0.9 / true - 1

    check = _income(demo_svc.truth_checks(store=store, demo=demo, income_adjustment=0.9))

    assert check.metric == "median gap" and check.value == pytest.approx(gap, abs=0.0005)
    assert 0.03 < check.value < 0.15  # the planted overstatement outruns the 0.9 guess
    assert (
        f"{gap * 100:+.1f} %" in check.detail
        and f"× {true / stated:.2f} would have matched" in (check.detail)
    )
    assert f"of the same {len(m):,} respondents" in check.detail
    assert f"true median {true:,.0f} of" in check.detail


def test_the_income_check_follows_the_factor_it_is_given(store, answers_csv):
    demo = demo_shop(600)
    surveys.ensure_builtin(store=store, name="demo-profile")
    surveys.import_survey_csv(store=store, survey="demo-profile", path=answers_csv)
    m = demo.survey_answers.merge(demo.truth_personas, on="respondent")
    matching = m["true_income"].median() / m["income"].median()

    check = _income(demo_svc.truth_checks(store=store, demo=demo, income_adjustment=matching))

    assert check.value == pytest.approx(0.0, abs=0.0005) and "× 0.9" not in check.detail


def test_without_survey_answers_the_income_is_not_checked(store):
    check = _income(demo_svc.truth_checks(store=store, demo=demo_shop(600)))

    assert check.value is None and check.detail.startswith("not checked")


def test_the_demo_personas_follow_the_income_setting(store, answers_csv, monkeypatch):
    """The demo's personas lower incomes by ``SHOPPERLENS_INCOME_ADJUSTMENT`` as its survey page
    and its income check do: with 0.8 set they still said × 0.9, beside a page saying × 0.8."""
    from shopperlens.service import personas

    monkeypatch.setenv("SHOPPERLENS_INCOME_ADJUSTMENT", "0.8")
    surveys.ensure_builtin(store=store, name="demo-profile")
    surveys.import_survey_csv(store=store, survey="demo-profile", path=answers_csv)

    personas.demo_step(store=store)

    assert personas.show(store=store).income_adjustment == 0.8
