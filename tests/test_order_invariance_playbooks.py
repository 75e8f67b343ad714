"""The playbooks read events at the same time by a rule, not by the order a file lists them.

Same-second events were taken in the order the store holds them (its row ids, i.e. the file's
row order): one shop's events listed in another order gave "0 lookers left a cart worth EUR 0"
one way and "3 lookers … EUR 300" the other, and moved the exit page from /returns-policy to
/shipping-info. Now ties go by event id, as an import's sessions order them, and an add and a
removal of one product at the same time cancel out.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

import shopperlens
from _ingest_data import write
from shopperlens.playbooks import checkout
from shopperlens.playbooks.visits import Visits

#: twelve buyers, so that the visitors below are lookers
BUYERS = "".join(
    f"VB{i},2025-0{1 + i % 6}-10 10:00:00,purchase,P1,/checkout,C{i:02d},\n" for i in range(12)
)


def _cart_rows(remove_first: bool) -> str:
    """Three lookers who, on three visits each, add the tent and remove it in the same second
    (no event ids: the import gives each a content hash)."""
    rows = []
    for w in range(3):
        for day in ("01", "03", "05"):
            rows.append(f"W{w},2025-10-{day} 11:00:00,page_view,,/p/tent,,\n")
            pair = [
                f"W{w},2025-10-{day} 11:01:00,add_to_cart,P1,/p/tent,,100\n",
                f"W{w},2025-10-{day} 11:01:00,remove_from_cart,P1,/p/tent,,100\n",
            ]
            rows.extend(pair[::-1] if remove_first else pair)
    return (
        "visitor_id,timestamp,event_name,product_id,page,customer_id,value\n"
        + BUYERS
        + ("".join(rows))
    )


def _exit_rows(swapped: bool) -> str:
    """Forty visitors with three visits each, whose last two page views share a second; the
    file lists them by event id, or the two swapped."""
    rows, n = [], 0
    for v in range(40):
        for s in range(3):
            visit = []
            for t, name, page, product in [
                ("10:00:00", "page_view", "/", ""),
                ("10:01:00", "view_item", "/p/tent", "P1"),
                ("10:02:00", "page_view", "/shipping-info", ""),
                ("10:02:00", "page_view", "/returns-policy", ""),
            ]:
                n += 1
                visit.append(
                    f"E{n:05d},S{v}_{s},V{v:03d},2025-10-{10 + s} {t},{name},{page},{product}\n"
                )
            if swapped:
                visit[2], visit[3] = visit[3], visit[2]
            rows.extend(visit)
    return "event_id,session_id,visitor_id,timestamp,event_name,page,product_id\n" + "".join(rows)


def _looker_playbook(tmp_path: Path, name: str, events: str) -> str:
    shop = shopperlens.open(":memory:")
    try:
        shop.import_events(write(tmp_path, f"{name}.csv", events))
        return shop.playbook("looker").markdown()
    finally:
        shop.close()


def _line(markdown: str, start: str) -> str:
    return next(line for line in markdown.splitlines() if line.startswith(start))


def test_a_same_second_add_and_removal_give_one_playbook_in_either_file_order(tmp_path) -> None:
    add_first = _looker_playbook(tmp_path, "a", _cart_rows(remove_first=False))
    remove_first = _looker_playbook(tmp_path, "b", _cart_rows(remove_first=True))
    assert add_first == remove_first
    # the removal cancels the add: nothing is left in these carts
    assert "- 0 lookers left a cart worth EUR 0" in add_first.splitlines()


def test_same_second_last_pages_give_one_exit_page_in_either_file_order(tmp_path) -> None:
    by_id = _looker_playbook(tmp_path, "a", _exit_rows(swapped=False))
    swapped = _looker_playbook(tmp_path, "b", _exit_rows(swapped=True))
    assert by_id == swapped
    # the last of the two by event id, as the import's sessions order them
    assert _line(by_id, "- pages that lose them:").startswith(
        "- pages that lose them: /returns-policy"
    )


@pytest.mark.parametrize("swapped", [False, True])
def test_an_events_frame_reads_ties_by_event_id_as_the_store_does(swapped) -> None:
    frame = pd.read_csv(io.StringIO(_exit_rows(swapped)), dtype=str)
    s = Visits.of(frame).sessions
    assert set(s.exit_page) == {"/returns-policy"}


def test_an_add_and_a_removal_at_the_same_time_leave_no_cart() -> None:
    rows = [
        ("remove_from_cart", "2025-10-01 11:01:00"),
        ("add_to_cart", "2025-10-01 11:01:00"),
        ("add_to_cart", "2025-10-02 11:01:00"),  # a later add is in the cart again
    ]
    for events in (rows[:2], rows[1::-1], rows, [rows[1], rows[0], rows[2]]):
        frame = pd.DataFrame(
            {
                "session_id": "s1",
                "visitor_id": "w",
                "event_name": [n for n, _ in events],
                "timestamp": [t for _, t in events],
                "product_id": "P1",
                "value": 100.0,
            }
        )
        carts = checkout.abandoned_carts(frame)
        assert len(carts) == (len(events) == 3)
