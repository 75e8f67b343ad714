"""Session-level typing on the UCI Online Shoppers Purchasing Intention file (12,330 sessions).

Published facts of the file (tests/data/online_shoppers_intention/SOURCE.md; Sakar et al.
2019): 12,330 sessions, 1,908 with Revenue = TRUE and 10,422 without.
"""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import DATA
from shopperlens.service import types as svc
from shopperlens.store import Store, connect

UCI = DATA / "online_shoppers_intention" / "online_shoppers_intention.csv"


@pytest.fixture(scope="module")
def uci_store() -> Store:
    from shopperlens.service.imports import import_files

    s = connect(":memory:")
    import_files(store=s, kind="sessions", paths=[UCI])
    yield s
    s.close()


@pytest.fixture(scope="module")
def typed(uci_store: Store) -> pd.DataFrame:
    t = svc.session_types(store=uci_store)
    raw = uci_store.df("SELECT * FROM sessions WHERE origin = 'import' ORDER BY session_id")
    return t.merge(raw, on="session_id")


def test_every_uci_session_is_typed_once(typed: pd.DataFrame) -> None:
    assert len(typed) == 12_330
    assert set(typed["type"]) == {"need_based", "looker", "impulse", "untyped"}


def test_buyers_are_need_based_impulse_or_not_guessed_and_lookers_never_bought(
    typed: pd.DataFrame,
) -> None:
    typed_buying = typed["type"].isin(["need_based", "impulse"])
    assert typed.loc[typed_buying, "revenue"].all()
    assert (~typed.loc[typed["type"] == "looker", "revenue"]).all()
    unguessed = (typed["type"] == "untyped") & typed["revenue"]
    # the file's 1,908 Revenue = TRUE sessions: typed as buyers, or untyped and saying why
    assert typed_buying.sum() + unguessed.sum() == 1_908
    assert typed.loc[unguessed, "evidence"].str.contains("not guessed").all()
    assert (~typed["revenue"]).sum() == 10_422


def test_a_buying_session_that_fits_no_buying_type_is_not_guessed() -> None:
    """Planted: a short direct purchase, a purchase after a long browse far from any special
    day, and a purchase on the eve of one; only the first two differ in pages and minutes."""
    from shopperlens.types import load_config
    from shopperlens.types.sessions import type_sessions

    zero = dict.fromkeys(("administrative", "informational", "administrative_duration",
                          "informational_duration", "bounce_rate", "exit_rate"), 0.0)  # fmt: skip
    rows = pd.DataFrame(
        [
            {**zero, "session_id": "direct", "product_related": 3,
             "product_related_duration": 120, "page_value": 30, "special_day": 0, "revenue": True},
            {**zero, "session_id": "long", "product_related": 171,
             "product_related_duration": 5820, "page_value": 0, "special_day": 0, "revenue": True},
            {**zero, "session_id": "eve", "product_related": 171,
             "product_related_duration": 5820, "page_value": 0, "special_day": 0.8,
             "revenue": True},
        ]
    )  # fmt: skip
    typed = type_sessions(rows, load_config()).set_index("session_id")
    assert typed.loc["direct", "type"] == "need_based"
    assert typed.loc["long", "type"] == "untyped"
    assert typed.loc["long", "evidence"].startswith("bought after 171 product pages in 97 minutes")
    assert "not guessed" in typed.loc["long", "evidence"]
    assert typed.loc["eve", "type"] == "impulse"


def test_impulse_sessions_are_close_to_a_special_day(typed: pd.DataFrame) -> None:
    imp = typed[typed["type"] == "impulse"]
    assert len(imp) > 0
    assert (imp["special_day"] >= 0.2).all()
    assert imp["evidence"].str.startswith("bought close to a special day").all()


def test_bounces_are_untyped_and_say_so(typed: pd.DataFrame) -> None:
    un = typed[(typed["type"] == "untyped") & ~typed["revenue"]]
    pages = un["administrative"] + un["informational"] + un["product_related"]
    assert (pages < 2).all()
    assert un["evidence"].str.contains("too little to tell").all()


def test_summary_has_conversion_per_type(uci_store: Store) -> None:
    s = svc.session_summary(store=uci_store).set_index("type")
    assert s.loc["looker", "conversion"] == 0
    assert s.loc["need_based", "conversion"] == 1
    assert s["sessions"].sum() == 12_330
