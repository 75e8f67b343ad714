"""Channel advice on planted personas whose right answer is known.

Three groups, each on its own channels: 50 frugal people all on facebook and e-mail (5 of
them on google too), 40 eco people all on instagram and pinterest, 35 busy people all on
google and e-mail. Overall 68 % use e-mail, 40 % facebook, 32 % google, instagram and
pinterest. Every group uses its own channels far more than everyone does: spend more there.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shopperlens.personas import normalise_answers, synthesise
from shopperlens.personas.synthesis import ChannelUse


def _planted() -> tuple[pd.DataFrame, np.ndarray]:
    channels = (
        ["facebook;email;google" if i < 5 else "facebook;email" for i in range(50)]
        + ["instagram;pinterest"] * 40
        + ["google;email"] * 35
    )
    values = ["price"] * 50 + ["sustainability"] * 40 + ["convenience"] * 35
    df = pd.DataFrame(
        {"respondent": [f"r{i}" for i in range(125)], "values": values, "channels": channels}
    )
    return normalise_answers(df), np.array([0] * 50 + [1] * 40 + [2] * 35)


def _by_channel(rows: list[ChannelUse]) -> dict[str, ChannelUse]:
    return {c.channel: c for c in rows}


def test_channels_a_persona_uses_far_more_than_everyone_get_more_spend() -> None:
    frugal, eco, busy = synthesise(*_planted(), min_group_size=5)
    f, e, b = (_by_channel(p.channels) for p in (frugal, eco, busy))
    # 100 % of the busy on e-mail against 68 % overall: index 1.47, never "less"
    assert b["email"].share == pytest.approx(1.0) and b["email"].overall == pytest.approx(0.68)
    assert b["email"].index == pytest.approx(1 / 0.68)
    assert b["email"].advice == "more" and b["google"].advice == "more"
    assert "away from" not in (busy.spend_shift or "")
    # channels only the eco persona uses are not "average" for it
    assert e["instagram"].index == pytest.approx(1 / 0.32)
    assert e["instagram"].advice == "more" and e["pinterest"].advice == "more"
    assert eco.spend_shift == "Shift spend towards instagram, pinterest."
    # frugal: facebook and e-mail more; google (10 % of them, 32 % overall) less
    assert f["facebook"].advice == "more" and f["email"].advice == "more"
    assert f["google"].index == pytest.approx(0.1 / 0.32) and f["google"].advice == "less"
    assert frugal.spend_shift == "Shift spend away from google towards facebook, email."


def test_a_gap_within_chance_for_a_small_persona_is_no_advice() -> None:
    """10 people of 200, 6 of them on instagram against 45 % of everyone: index 1.33, but
    drawing 10 people at random gives such a gap often. Keep, not "more"."""
    channels = ["instagram;email"] * 6 + ["email"] * 4 + ["instagram;email"] * 84
    channels += ["email"] * 106
    df = normalise_answers(
        pd.DataFrame({"respondent": [f"r{i}" for i in range(200)], "channels": channels})
    )
    small = synthesise(df, np.array([0] * 10 + [1] * 190), min_group_size=5)[0]
    insta = _by_channel(small.channels)["instagram"]
    assert insta.index == pytest.approx(0.6 / 0.45)
    assert insta.advice == "keep"
    assert small.spend_shift is None
