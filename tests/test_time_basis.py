"""Every time shopperlens stores is naive UTC, whatever the machine's time zone.

DuckDB's session ``TimeZone`` follows the process's zone when the store is opened, and it
reads an aware Python time in that zone when it becomes a ``TIMESTAMP``; ``datetime.now()`` is
the machine's local time. So these tests open their stores with ``TZ`` set to a zone west of
UTC (New York) and one east of it (Berlin), and check the stored values against the UTC times
the planted data stands for.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import shopperlens
from _zones import zoned_shop
from shopperlens.errors import ShopperlensError
from shopperlens.service import consent, surveys
from shopperlens.service import survey_delivery as dlv
from shopperlens.store import Store


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@pytest.fixture
def shop(machine_zone: str) -> Iterator[shopperlens.Shop]:
    with zoned_shop(machine_zone) as s:
        yield s


def _customers(store: Store, *ids: str) -> None:
    for cid in ids:
        store.execute(
            "INSERT INTO customers (customer_id, email, name, accepts_marketing) "
            "VALUES (?, ?, ?, true)",
            [cid, f"{cid.lower()}@example.com", f"Person {cid}"],
        )


def _recorded(store: Store, cid: str) -> list[tuple[bool, datetime]]:
    rows = store.execute(
        "SELECT granted, recorded_at FROM consents WHERE customer_id = ? ORDER BY recorded_at",
        [cid],
    ).fetchall()
    return [(bool(g), t) for g, t in rows]


# -- consent --------------------------------------------------------------------------------
REFUSED_AT = "2024-06-01T10:00:00+02:00"  # 08:00 UTC
EIGHT_UTC = datetime(2024, 6, 1, 8, 0)


def test_a_consent_given_with_an_offset_is_stored_in_utc_in_python(
    shop: shopperlens.Shop,
) -> None:
    _customers(shop.store, "C1")
    rec = shop.consent_set("C1", purpose="marketing", granted=False, recorded_at=REFUSED_AT)
    assert _recorded(shop.store, "C1") == [(False, EIGHT_UTC)]
    assert rec.recorded_at == EIGHT_UTC  # what the faces show is what is stored


def test_a_later_yes_does_not_outrank_an_earlier_no(shop: shopperlens.Shop, tmp_path: Path) -> None:
    """A "no" at 08:00 UTC and a "yes" imported later but given at 07:00 UTC: the no is the
    customer's latest word, and they are left out of marketing (west of UTC the no was stored
    at 04:00 and the yes won)."""
    _customers(shop.store, "C1")
    shop.consent_set("C1", purpose="marketing", granted=False, recorded_at=REFUSED_AT)
    f = tmp_path / "checkout.csv"
    f.write_text("customer_id,purpose,granted,recorded_at\nC1,marketing,yes,2024-06-01T07:00Z\n")
    shop.consent_import(f)
    assert _recorded(shop.store, "C1") == [(True, datetime(2024, 6, 1, 7)), (False, EIGHT_UTC)]
    assert "C1" not in consent.allowed(store=shop.store)


def test_a_consent_given_with_an_offset_is_stored_in_utc_by_the_cli(
    machine_zone: str, cli, db_path: Path
) -> None:  # type: ignore[no-untyped-def]
    with shopperlens.open(db_path) as s:
        _customers(s.store, "C1")
    r = cli("consent", "set", "C1", "--purpose", "marketing", "--refused", "--at", REFUSED_AT)
    assert r.exit_code == 0, r.output
    assert "(2024-06-01 08:00 UTC)" in r.output  # (the message says which clock)
    with shopperlens.open(db_path) as s:
        assert _recorded(s.store, "C1") == [(False, EIGHT_UTC)]
    listed = cli("consent", "list", "C1")
    assert listed.exit_code == 0 and "times in UTC" in listed.output
    assert "2024-06-01T08:00:00" in listed.output


def test_a_consent_given_with_an_offset_is_stored_in_utc_over_http(
    shop: shopperlens.Shop, client
) -> None:  # type: ignore[no-untyped-def]
    _customers(shop.store, "C1")
    body = {"customer_id": "C1", "purpose": "marketing", "granted": False}
    res = client.post("/api/consents", json=body | {"recorded_at": REFUSED_AT})
    assert res.status_code == 201, res.text
    assert res.json()["recorded_at"] == "2024-06-01T08:00:00Z"
    assert _recorded(shop.store, "C1") == [(False, EIGHT_UTC)]


# -- survey answers -------------------------------------------------------------------------
def _answer_times(store: Store) -> dict[str, datetime]:
    rows = store.execute("SELECT respondent, submitted_at FROM survey_responses").fetchall()
    return dict(rows)


def test_imported_answer_times_are_stored_in_utc(shop: shopperlens.Shop, tmp_path: Path) -> None:
    """An offset is converted, a time without one is UTC (as in every import), a date is its
    midnight UTC; one zoned value in the file changes none of the others."""
    surveys.ensure_builtin(store=shop.store)
    f = tmp_path / "answers.csv"
    f.write_text(
        "respondent,submitted_at,novelty\n"
        "r1,2024-03-31T10:00:00+02:00,3\n"
        "r2,2024-03-31 10:00,3\n"
        "r3,2024-03-31T10:00:00Z,3\n"
        "r4,2024-03-31 10:00 +0100,3\n"
        "r5,2024-03-31,3\n"
    )
    shop.survey_import(f, survey="demo-profile")
    day = datetime(2024, 3, 31)
    assert _answer_times(shop.store) == {
        "r1": day.replace(hour=8),
        "r2": day.replace(hour=10),
        "r3": day.replace(hour=10),
        "r4": day.replace(hour=9),
        "r5": day,
    }


def test_an_answer_time_with_an_offset_but_no_time_is_refused(
    shop: shopperlens.Shop, tmp_path: Path
) -> None:
    """Python reads any character between date and time: "2024-03-31+02:00" was stored as
    02:00 on 31 March. It is a reject naming its line, column and value; nothing is written."""
    surveys.ensure_builtin(store=shop.store)
    f = tmp_path / "answers.csv"
    f.write_text("respondent,submitted_at,novelty\nr1,2024-03-31T10:00Z,3\nr2,2024-03-31+02:00,3\n")
    with pytest.raises(ShopperlensError) as err:
        shop.survey_import(f, survey="demo-profile")
    assert str(err.value).startswith("answers.csv: 1 problem, nothing imported")
    assert "answers.csv:3 submitted_at='2024-03-31+02:00': is not an ISO date/time" in str(
        err.value
    )
    assert shop.store.count("survey_responses") == 0


def test_answers_without_a_time_are_stamped_in_utc(shop: shopperlens.Shop, tmp_path: Path) -> None:
    """An imported answer without ``submitted_at`` and one sent through the form are dated
    now in UTC (the machine's clock put them hours off in New York and Berlin)."""
    surveys.ensure_builtin(store=shop.store)
    f = tmp_path / "answers.csv"
    f.write_text("respondent,novelty\nr1,3\n")
    before = utc_now()
    surveys.import_survey_csv(store=shop.store, survey="demo-profile", path=f)
    surveys.submit_response(
        store=shop.store, survey="demo-profile", answers={"novelty": 4}, visitor_id="v1"
    )
    after = utc_now()
    times = _answer_times(shop.store)
    assert times.keys() == {"r1", "v:v1"}
    assert all(before <= t <= after for t in times.values()), (before, times, after)


def test_answers_from_the_public_form_are_stamped_in_utc(shop: shopperlens.Shop, client) -> None:  # type: ignore[no-untyped-def]
    surveys.ensure_builtin(store=shop.store)
    before = utc_now()
    res = client.post(
        "/s/demo-profile/responses", json={"answers": {"novelty": 2}, "visitor_id": "v9"}
    )
    after = utc_now()
    assert res.status_code in (200, 201), res.text
    (stamp,) = _answer_times(shop.store).values()
    assert before <= stamp <= after, (before, stamp, after)


def test_survey_fatigue_counts_days_in_utc(shop: shopperlens.Shop) -> None:
    """v1 answered another survey just over the fatigue window ago, v2 just inside it: v1 may
    be asked again, v2 not (a local clock moved both by hours and swapped one of them)."""
    surveys.ensure_builtin(store=shop.store)
    days = 30
    now = utc_now()
    for vid, ago in (
        ("v1", timedelta(days=days, hours=2)),
        ("v2", timedelta(days=days) - timedelta(hours=1)),
    ):
        shop.store.execute(
            "INSERT INTO survey_responses (response_id, survey, version, respondent, visitor_id, "
            "channel, submitted_at) VALUES (?, 'other', 1, ?, ?, 'popup', ?)",
            [f"r-{vid}", f"v:{vid}", vid, now - ago],
        )

    def shows(vid: str) -> bool:
        return surveys.popup_eligibility(
            store=shop.store, survey="demo-profile", visitor_id=vid, types=None, fatigue_days=days
        )[0]

    assert (shows("v1"), shows("v2")) == (True, False)


# -- invitations and reminders --------------------------------------------------------------
def test_invitations_and_reminders_are_stamped_in_utc(shop: shopperlens.Shop, smtp) -> None:  # type: ignore[no-untyped-def]
    _, settings = smtp
    _customers(shop.store, "C1", "C2")
    surveys.ensure_builtin(store=shop.store)
    before = utc_now()
    rep = dlv.send_invitations(
        store=shop.store, settings=settings, survey="demo-profile", shop_name="Boot Corner"
    )
    assert rep.sent == 2
    rem = dlv.send_reminders(
        store=shop.store, settings=settings, survey="demo-profile", min_gap_days=0
    )
    assert rem.reminded == 2
    after = utc_now()
    invited = "SELECT created_at, sent_at, last_sent_at FROM survey_invitations"
    stamps = (
        shop.store.execute(invited).fetchall()
        + shop.store.execute("SELECT sent_at, sent_at, sent_at FROM survey_deliveries").fetchall()
    )
    assert len(stamps) == 2 + 4  # two invitations; two invitation and two reminder deliveries
    assert all(before <= t <= after for row in stamps for t in row), (before, stamps, after)


# -- abandoned checkouts --------------------------------------------------------------------
def test_an_order_given_by_its_day_is_no_abandoned_checkout(store: Store) -> None:
    """All three checked out at 14:00 on 1 June. C1 ordered that day (the file gives the day
    only), C2 never, C3 at 13:00 (before the checkout): C2 and C3 left without buying."""
    _customers(store, "C1", "C2", "C3")
    checkout = datetime(2024, 6, 1, 14, 0)
    for cid in ("C1", "C2", "C3"):
        store.execute(
            "INSERT INTO events (event_id, visitor_id, customer_id, timestamp, event_name) "
            "VALUES (?, ?, ?, ?, 'begin_checkout')",
            [f"e-{cid}", f"v-{cid}", cid, checkout],
        )
    store.execute(
        "INSERT INTO orders (order_id, customer_id, ordered_at) VALUES "
        "('o1', 'C1', '2024-06-01 00:00:00'), ('o3', 'C3', '2024-06-01 13:00:00')"
    )
    people = dlv.target(
        store=store,
        audience=dlv.Audience(abandoned_checkout_days=14),
        now=datetime(2024, 6, 2),
    )
    assert set(people["customer_id"]) == {"C2", "C3"}


# -- the types job --------------------------------------------------------------------------
NUMBER = "is a number; give the date as text such as '2025-06-01'"


@pytest.mark.parametrize("as_of", [1717200000, 1717200000000, 20240601, 1717200000.5])
def test_the_types_job_refuses_a_number_for_as_of(
    shop: shopperlens.Shop, client, as_of: float
) -> None:  # type: ignore[no-untyped-def]
    """A number is neither a date nor read as seconds since 1970: one message, no job."""
    _customers(shop.store, "C1")
    shop.store.execute(
        "INSERT INTO orders (order_id, customer_id, ordered_at) "
        "VALUES ('o1', 'C1', '2024-05-10 12:00:00')"
    )
    res = client.post("/api/jobs/types", json={"as_of": as_of})
    assert res.status_code == 422, res.text
    (problem,) = res.json()["detail"]
    assert problem["msg"] == (
        f"parameter 'as_of' of job types: not a date: {as_of} {NUMBER} "
        "(a number is read neither as a date nor as seconds since 1970)"
    )
    assert client.get("/api/jobs").json() == []
    assert shop.store.count("type_runs") == 0
