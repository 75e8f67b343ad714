"""The source that first brought a buyer is a visit up to the day of their first order.

A customer who first ordered before any visit on record (before the shop's tracking began,
by phone) was credited to whatever visit came later: a newsletter click years into the
relationship took the revenue of a long-standing customer in "Buyers by the source that first
brought them" and set their level in the CLV source comparison. The loyalty analysis already
read the first visit up to the first order's day; the three now read it alike."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from shopperlens.playbooks.traffic import acquisition_table
from shopperlens.service import clv as clv_svc
from shopperlens.service import playbooks as pb_svc
from test_partial_data import imported, orders_csv

TYPES = ("need-based", "looker", "new", "loyal", "impulse")
EVENTS = "event_id,session_id,visitor_id,customer_id,timestamp,event_name,utm_source,utm_medium\n"
#: (customer, first order day, [(visit day and time, source, medium)]):
#: c_before ordered before its one recorded visit (a newsletter click 3 weeks later);
#: c_search found the shop by a search 5 days before ordering, then read the newsletter;
#: c_sameday ordered on a day-only orders file's day (read as midnight) after an afternoon ad
PLANTED = [
    ("c_before", "2024-03-01", [("2024-03-22 09:00", "newsletter", "email")]),
    ("c_search", "2024-03-10", [("2024-03-05 12:00", "google", "organic"),
                                ("2024-03-12 08:00", "newsletter", "email")]),
    ("c_sameday", "2024-03-15", [("2024-03-15 16:00", "facebook", "paid_social")]),
]  # fmt: skip


def _files() -> tuple[str, str]:
    orders = [(f"o{k}", c, day, "P1", 40.0) for k, (c, day, _) in enumerate(PLANTED)]
    events, n = EVENTS, 0
    for c, _, visits in PLANTED:
        for at, source, medium in visits:
            n += 1
            events += f"e{n},s{n},v_{c},{c},{at}:00,page_view,{source},{medium}\n"
    return orders_csv(orders), events


def test_buyers_are_credited_to_a_visit_before_their_first_order() -> None:
    sessions = pd.DataFrame(
        [(c, pd.Timestamp(at), s, m) for c, _, visits in PLANTED for at, s, m in visits],
        columns=["customer_id", "started_at", "source", "medium"],
    )
    buyers = pd.DataFrame(
        {"customer_id": [c for c, _, _ in PLANTED], "revenue": 40.0,
         "first_order_at": [pd.Timestamp(day) for _, day, _ in PLANTED]}
    )  # fmt: skip
    table = acquisition_table(sessions, buyers)
    assert dict(zip(table.source, table.customers, strict=True)) == {"google": 1, "facebook": 1}
    assert table.attrs["left_out"] == 1  # c_before


def test_every_face_reads_the_same_first_source(shop, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    orders, events = _files()
    imported(shop, tmp_path, orders=orders, events=events)
    table = pb_svc.traffic_report(store=shop.store)["acquisition"]
    assert dict(zip(table.source, table.customers, strict=True)) == {"google": 1, "facebook": 1}
    assert table.attrs["left_out"] == 1
    levels = clv_svc._levels(shop.store, "source", pd.Timestamp("2024-12-31"))
    assert levels.to_dict() == {"c_search": "google", "c_sameday": "facebook"}


def test_the_report_says_who_is_in_no_row(shop, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from test_partial_data import page

    orders, events = _files()
    imported(shop, tmp_path, orders=orders, events=events)
    said = "1 buyer is in no row: no visit on record by the day of their first order"
    pages = {t: " ".join((page(shop.store, f"playbook-{t}") or "").split()) for t in TYPES}
    assert (
        [t for t, text in pages.items() if said in text]
        == [
            t for t, text in pages.items() if "Buyers by the source that first brought them" in text
        ]
        != []
    )


def test_the_note_stands_when_every_buyer_is_left_out(shop, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Only c_before's visit after its first order: no row, but the heading and the count."""
    from test_partial_data import page

    orders, events = _files()
    events = "".join(line for line in events.splitlines(True) if ",c_before," in line)
    imported(shop, tmp_path, orders=orders, events=EVENTS + events)
    text = " ".join((page(shop.store, "playbook-need-based") or "").split())
    assert "Buyers by the source that first brought them" in text
    assert "3 buyers are in no row" in text
