"""The same survey answers give the same personas and survey results whatever order their rows
arrive in: one file, the same rows shuffled or reversed, or split over two imports.

Each imported answer is stamped in file order, and the seeded k-means starts from the rows it
is given first: read in import order, a shuffled export moved respondents between personas and
swapped persona ids. Audience files list people in a fixed order too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest

from _demo_data import demo_shop
from shopperlens.playbooks.audience import audience
from shopperlens.service import personas as svc
from shopperlens.service import surveys
from shopperlens.service.survey_results import survey_results
from shopperlens.store import Store, connect

SURVEY = "demo-profile"


@pytest.fixture(scope="module")
def answers() -> pd.DataFrame:
    return demo_shop().survey_answers


def _in_order(answers: pd.DataFrame, how: str) -> pd.DataFrame:
    """The answers as they arrive: ``file``, ``shuffled`` or ``reversed``."""
    if how == "shuffled":
        return answers.sample(frac=1.0, random_state=3)
    if how == "reversed":
        return answers.iloc[::-1]
    return answers


@pytest.fixture
def imported(tmp_path: Path) -> Iterator[Callable[[list[pd.DataFrame]], Store]]:
    """A new store holding the demo survey with ``parts`` imported one file each, in turn."""
    stores: list[Store] = []

    def make(parts: list[pd.DataFrame]) -> Store:
        store = connect(":memory:")
        stores.append(store)
        surveys.ensure_builtin(store=store, name=SURVEY)
        for i, part in enumerate(parts):
            path = tmp_path / f"answers_{len(stores)}_{i}.csv"
            part.to_csv(path, index=False)
            surveys.import_survey_csv(store=store, survey=SURVEY, path=path)
        return store

    yield make
    for store in stores:
        store.close()


def _personas(store: Store) -> tuple[object, ...]:
    """What a build says: each persona's id, name and size, the run's stability and every
    respondent's persona."""
    run = svc.build(store=store, survey=SURVEY, seed=0, n_resamples=5)
    members = svc.members(store=store, run_id=run.run_id)
    cards = [(p.persona_id, p.name, p.size, p.stability) for p in run.personas]
    who = dict(zip(members["respondent"], members["persona"], strict=True))
    return cards, run.n_personas, run.stability_ari, run.silhouette, who, members.to_dict("list")


@pytest.mark.parametrize("how", ["shuffled", "reversed"])
def test_rows_in_another_order_give_the_same_personas(answers, imported, how):  # type: ignore[no-untyped-def]
    first = _personas(imported([answers]))
    again = _personas(imported([_in_order(answers, how)]))
    assert again == first


def test_answers_split_over_two_imports_give_the_same_personas(answers, imported):  # type: ignore[no-untyped-def]
    shuffled = _in_order(answers, "shuffled")
    half = len(shuffled) // 2
    first = _personas(imported([answers]))
    again = _personas(imported([shuffled.iloc[half:], shuffled.iloc[:half]]))
    assert again == first


def test_a_frame_in_another_order_gives_the_same_personas(answers, store):  # type: ignore[no-untyped-def]
    kwargs = {"store": store, "seed": 0, "n_resamples": 5, "save": False}
    first = svc.build(frame=answers, **kwargs)
    again = svc.build(frame=_in_order(answers, "reversed"), **kwargs)
    assert [p.model_dump() for p in again.personas] == [p.model_dump() for p in first.personas]


def test_survey_results_list_respondents_and_examples_alike(answers, imported):  # type: ignore[no-untyped-def]
    first = survey_results(store=imported([answers]), survey=SURVEY, with_types=False)
    again = survey_results(
        store=imported([_in_order(answers, "reversed")]), survey=SURVEY, with_types=False
    )
    assert first.themes, "the demo answers have free-text themes"
    for theme in first.themes:
        assert theme.respondents == sorted(theme.respondents)
    assert [t.model_dump() for t in again.themes] == [t.model_dump() for t in first.themes]


def test_audience_files_list_people_by_customer_id_whatever_the_storage_order():  # type: ignore[no-untyped-def]
    customers = pd.DataFrame(
        {
            "customer_id": ["C3", "C1", "C2", "C4"],
            "type": ["loyal", "looker", "loyal", "looker"],
            "email": ["c@x.com", "shared@x.com", "b@x.com", "Shared@x.com"],
            "marketing_consent": [True, True, True, True],
        }
    )
    backwards = customers.iloc[::-1]
    for destination in ("csv", "meta", "google", "mailchimp", "klaviyo"):
        rows = audience(customers, destination)[0]
        assert rows.equals(audience(backwards, destination)[0]), destination
    plain = audience(backwards, "csv")[0]
    assert plain["customer_id"].tolist() == ["C1", "C2", "C3", "C4"]
    # a shared inbox is written once, as the first customer's (by id) address and type
    mail = audience(backwards, "mailchimp")[0]
    assert mail["Email Address"].tolist() == ["shared@x.com", "b@x.com", "c@x.com"]
    assert mail["Tags"].tolist() == ["looker", "loyal", "loyal"]


def test_a_customer_answering_twice_in_one_file_keeps_the_same_answer_in_any_order(  # type: ignore[no-untyped-def]
    imported, tmp_path
):
    rows = pd.DataFrame(
        {
            "respondent": ["r-b", "r-a", "r-c"],
            "customer_id": ["C1", "C1", "C2"],
            "barrier": ["price", "shipping_cost", "price"],
        }
    )
    kept = []
    for order in (rows, rows.iloc[::-1]):
        store = imported([order])
        frame = surveys.responses_frame(store=store, survey=SURVEY)
        kept.append(sorted(frame["respondent"]))
    assert kept[0] == kept[1] == ["r-a", "r-c"]
