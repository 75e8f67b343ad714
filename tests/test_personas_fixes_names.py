"""A persona's first name never says more than its people's answers do: a woman's or a man's
name only for a group that is clearly women or men, and nothing at all for a group too small to
describe.

Planted: the gender answers of every group, and a group whose members leave between two runs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from shopperlens.personas import normalise_answers, synthesise
from shopperlens.personas.naming import _FEMALE, _MALE
from shopperlens.service import personas as svc

WOMEN, MEN = set(_FEMALE.values()), set(_MALE.values())


def _two_groups(genders_a: list[str], genders_b: list[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """Group A values price, group B quality; their gender answers are the ones given."""
    rows = [{"values": "price", "hobbies": "diy", "gender": g} for g in genders_a]
    rows += [{"values": "quality", "hobbies": "fashion", "gender": g} for g in genders_b]
    frame = pd.DataFrame(rows)
    frame.insert(0, "respondent", [f"r{i}" for i in range(len(frame))])
    return normalise_answers(frame), np.array([0] * len(genders_a) + [1] * len(genders_b))


def test_a_group_all_of_another_gender_gets_a_neutral_name():
    frame, labels = _two_groups(["other"] * 20, ["female", "male"] * 10)
    other = synthesise(frame, labels)[0]
    assert other.first_name not in WOMEN | MEN
    assert "are other" not in other.trait


def test_a_share_of_women_close_to_everyones_gives_a_neutral_name():
    """52 % women in A and 44 % in B against 48 % overall: neither group is women or men."""
    a = ["female"] * 13 + ["male"] * 12
    b = ["female"] * 11 + ["male"] * 14
    frame, labels = _two_groups(a, b)
    for persona in synthesise(frame, labels):
        assert persona.first_name not in WOMEN | MEN, persona.name


def test_a_group_clearly_women_or_men_is_named_so():
    a = ["female"] * 18 + ["male"] * 2
    b = ["male"] * 17 + ["female"] * 3
    frame, labels = _two_groups(a, b)
    women, men = synthesise(frame, labels)
    assert women.first_name in WOMEN
    assert men.first_name in MEN


def _three_groups(eco_members: int) -> pd.DataFrame:
    """Eco-minded men (``eco0``…), price-minded and quality-minded respondents of both genders:
    ``eco_members`` of the eco group answered this time."""
    groups = {
        "eco": ({"values": "sustainability", "motivation": "eco_friendly", "hobbies": "outdoors",
                 "barrier": "product_info"}, ["male"]),
        "price": ({"values": "price", "motivation": "save_money", "hobbies": "diy",
                   "barrier": "price"}, ["female", "male"]),
        "quality": ({"values": "quality", "motivation": "best_quality", "hobbies": "reading",
                     "barrier": "trust"}, ["female", "male"]),
    }  # fmt: skip
    rows = []
    for name, (answers, genders) in groups.items():
        n = eco_members if name == "eco" else 20
        for i in range(n):
            rows.append(
                {"respondent": f"{name}{i}", **answers, "gender": genders[i % len(genders)]}
            )
    return pd.DataFrame(rows)


def test_a_group_too_small_to_show_keeps_no_name_from_an_earlier_run(store):  # type: ignore[no-untyped-def]
    """Run 1 names the eco men (an "Eco" and a man's name); in run 2 only three of them answer:
    their persona, too small to describe, must not carry that name on."""
    first = svc.build(store=store, frame=_three_groups(20), k=3, n_resamples=0)
    members = svc.members(store=store, run_id=first.run_id).set_index("respondent")
    eco = first.persona(int(members.loc["eco0", "persona_id"]))
    assert eco.adjective == "Eco" and eco.first_name in MEN  # what could leak
    second = svc.build(store=store, frame=_three_groups(3), k=3, n_resamples=0)
    members = svc.members(store=store, run_id=second.run_id).set_index("respondent")
    small = second.persona(int(members.loc["eco0", "persona_id"]))
    assert small.suppressed
    assert "Eco" not in small.name
    assert small.first_name.split(" ")[0] not in WOMEN | MEN
