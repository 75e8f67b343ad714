"""E-mail invitations over real SMTP (aiosmtpd on 127.0.0.1): consent, fatigue, quotas,
reminders, resumable sending, signed links that answer once."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from shopperlens.config import Settings
from shopperlens.errors import ShopperlensError
from shopperlens.service import survey_delivery as dlv
from shopperlens.service import surveys
from shopperlens.web.server import free_port


def _people(store) -> None:
    """c1..c4 consent; c5 never did; c6 said yes on the shop but later revoked."""
    for i in range(1, 7):
        store.execute(
            "INSERT INTO customers (customer_id, email, name, accepts_marketing) VALUES (?,?,?,?)",
            [f"c{i}", f"c{i}@example.com", f"Person{i} Test", i != 5],
        )
    store.execute("INSERT INTO consents VALUES ('c6', 'marketing', false, now(), 'unsubscribe')")
    # c1, c2 have two orders; c1 bought a new category recently
    old, recent = datetime.now() - timedelta(days=200), datetime.now() - timedelta(days=5)
    for oid, cid, when, cat in [
        ("o1", "c1", old, "shoes"),
        ("o2", "c1", recent, "bags"),
        ("o3", "c2", old, "shoes"),
        ("o4", "c2", recent, "shoes"),
        ("o5", "c3", old, "shoes"),
    ]:
        store.execute(
            "INSERT INTO orders (order_id, customer_id, ordered_at) VALUES (?,?,?)",
            [oid, cid, when],
        )
        store.execute(
            "INSERT INTO order_lines VALUES (?, 1, 'p', 'P', ?, 1, 10.0, NULL)", [oid, cat]
        )


def test_invitations_reach_only_consenting_people_once(store, smtp):
    inbox, settings = smtp
    _people(store)
    surveys.ensure_builtin(store=store)
    rep = dlv.send_invitations(
        store=store, settings=settings, survey="demo-profile", shop_name="Boot Corner"
    )
    assert (rep.matched, rep.no_consent, rep.sent) == (6, 2, 4)
    to = sorted(m["To"] for m in inbox.messages)
    assert to == [f"c{i}@example.com" for i in range(1, 5)]
    msg = inbox.messages[0]
    body = msg.get_payload(decode=True).decode()
    assert "Boot Corner" in msg["Subject"] + body and "works once" in body
    assert body.startswith("Hello,")  # "Person1 Test" has a digit: no name, "Hello,"
    # never the same survey twice
    again = dlv.send_invitations(store=store, settings=settings, survey="demo-profile")
    assert again.sent == 0 and again.fatigued == 4 and len(inbox.messages) == 4
    # the signed link answers once, linked to the customer
    link = re.search(r"http://shop\.test/s/demo-profile\?t=(\S+)", body)
    assert link
    token = link.group(1)
    rid = surveys.submit_response(
        store=store, survey="demo-profile", answers={"novelty": 4}, token=token, secret_key="k3y"
    )
    assert store.scalar("SELECT customer_id FROM survey_responses WHERE response_id = ?", [rid])
    with pytest.raises(surveys.ReplayedLinkError):
        surveys.submit_response(
            store=store,
            survey="demo-profile",
            answers={"novelty": 2},
            token=token,
            secret_key="k3y",
        )
    with pytest.raises(ShopperlensError, match="not valid"):
        surveys.submit_response(
            store=store,
            survey="demo-profile",
            answers={"novelty": 2},
            token=token,
            secret_key="other-key",
        )


def test_fatigue_window_covers_other_surveys_and_targeting_by_behaviour(store, smtp):
    inbox, settings = smtp
    _people(store)
    surveys.ensure_builtin(store=store)
    second = surveys.builtin("demo-profile").model_copy(update={"name": "second"})
    surveys.save_survey(store=store, survey=second)
    rep = dlv.send_invitations(
        store=store, settings=settings, survey="demo-profile", audience=dlv.Audience(min_orders=2)
    )
    assert rep.sent == 2 and sorted(m["To"] for m in inbox.messages) == [
        "c1@example.com",
        "c2@example.com",
    ]
    rep = dlv.send_invitations(
        store=store, settings=settings, survey="second", audience=dlv.Audience(new_category_days=30)
    )
    assert rep.matched == 1 and rep.fatigued == 1 and rep.sent == 0  # c1 got a survey lately
    later = datetime.now() + timedelta(days=settings.survey_fatigue_days + 1)
    rep = dlv.send_invitations(
        store=store,
        settings=settings,
        survey="second",
        audience=dlv.Audience(new_category_days=200),
        now=later,
    )
    assert rep.sent == 1 and inbox.messages[-1]["To"] == "c1@example.com"


def test_quota_and_reminders_with_max_count_and_gap(store, smtp):
    inbox, settings = smtp
    _people(store)
    surveys.ensure_builtin(store=store)
    rep = dlv.send_invitations(store=store, settings=settings, survey="demo-profile", quota=3)
    assert rep.sent == 3 and rep.over_quota == 1
    assert dlv.send_reminders(store=store, settings=settings, survey="demo-profile").reminded == 0
    later = datetime.now() + timedelta(days=8)
    r1 = dlv.send_reminders(store=store, settings=settings, survey="demo-profile", now=later)
    assert r1.reminded == 3 and "reminder" in inbox.messages[-1]["Subject"]
    r2 = dlv.send_reminders(
        store=store, settings=settings, survey="demo-profile", now=later + timedelta(days=30)
    )
    assert r2.reminded == 0  # max one reminder
    assert len(inbox.messages) == 6


def test_sending_resumes_and_never_repeats(store, smtp):
    inbox, settings = smtp
    _people(store)
    surveys.ensure_builtin(store=store)
    ids = dlv.invite(store=store, survey="demo-profile", customer_ids=["c1", "c2", "c5"])
    # a crash after c1 was handed to SMTP but before it was marked sent
    store.execute(
        "UPDATE survey_invitations SET status = 'sending' WHERE invitation_id = ?", [ids[0]]
    )
    sent, failed = dlv.deliver_pending(store=store, settings=settings, survey="demo-profile")
    assert (sent, failed) == (1, 0)  # c2 only: c1 may have gone out, c5 has no consent
    assert [m["To"] for m in inbox.messages] == ["c2@example.com"]
    assert dlv.deliver_pending(store=store, settings=settings, survey="demo-profile") == (0, 0)


def test_unreachable_smtp_is_a_clear_error(store):
    _people(store)
    surveys.ensure_builtin(store=store)
    bad = Settings(smtp_host="127.0.0.1", smtp_port=free_port(), secret_key="k")
    with pytest.raises(ShopperlensError, match="cannot reach the SMTP server"):
        dlv.send_invitations(store=store, settings=bad, survey="demo-profile")


def test_interview_invitations_once_with_consent(store, smtp):
    from shopperlens.service import interviews

    inbox, settings = smtp
    _people(store)
    rep = interviews.invite_interviewees(
        store=store,
        settings=settings,
        customer_ids=["c1", "c5", "c2"],
        booking_url="https://cal.example/boot-corner",
        reward="a 20 EUR voucher",
        shop_name="Boot Corner",
    )
    assert (rep.sent, rep.no_consent) == (2, 1)
    body = inbox.messages[0].get_payload(decode=True).decode()
    assert "20 minutes" in inbox.messages[0]["Subject"]
    assert "https://cal.example/boot-corner" in body and "20 EUR voucher" in body
    again = interviews.invite_interviewees(store=store, settings=settings, customer_ids=["c1"])
    assert again.sent == 0 and len(inbox.messages) == 2


def test_erasure_removes_survey_traces(store, smtp, tmp_path):
    from shopperlens.service import interviews
    from shopperlens.service.privacy import erase_customer

    inbox, settings = smtp
    _people(store)
    surveys.ensure_builtin(store=store)
    dlv.send_invitations(store=store, settings=settings, survey="demo-profile")
    inv = store.scalar("SELECT invitation_id FROM survey_invitations WHERE customer_id = 'c1'")
    from shopperlens.surveys import links

    surveys.submit_response(
        store=store,
        survey="demo-profile",
        answers={"novelty": 3},
        token=links.sign(inv, "demo-profile", "k3y"),
        secret_key="k3y",
    )
    note = tmp_path / "n.md"
    note.write_text('# Interview: customer c1\n\n> "Shipping was slow but the price was fair."\n')
    interviews.import_notes(store=store, paths=[note])
    erase_customer(store=store, customer_id="c1")
    for table in ("survey_invitations", "survey_responses", "interview_notes", "interview_tags"):
        assert store.scalar(f"SELECT count(*) FROM {table} WHERE customer_id = 'c1'") == 0
    assert store.count("survey_answers") == 0 and store.count("survey_deliveries") == 3


def test_prospects_get_the_interview_invitation_once_with_consent(store, smtp):
    from shopperlens.service import interviews

    inbox, settings = smtp
    _people(store)  # c4..c6 never ordered: c4 consents, c5 never did, c6 revoked
    store.execute("INSERT INTO identities (visitor_id, customer_id) VALUES ('v5', 'c5')")
    store.execute(
        "INSERT INTO events (event_id, session_id, visitor_id, timestamp, event_name) "
        "VALUES ('e1', 's1', 'v5', now(), 'sign_up')"
    )
    picked = interviews.recruit(store=store, n=1, best_by="revenue")
    pros = picked[picked["segment"] == "prospect"]["customer_id"].tolist()
    assert sorted(pros) == ["c4", "c5"]  # c5 signed up; c6 neither consents nor signed up
    rep = interviews.invite_interviewees(
        store=store, settings=settings, customer_ids=pros, shop_name="Boot Corner"
    )
    assert (rep.sent, rep.no_consent) == (1, 1)
    assert [m["To"] for m in inbox.messages] == ["c4@example.com"]
    again = interviews.invite_interviewees(store=store, settings=settings, customer_ids=pros)
    assert again.sent == 0 and again.fatigued == 1 and len(inbox.messages) == 1


def test_inviting_an_unknown_id_to_an_interview_is_not_found(store, smtp, shop, client):
    """``NOPE`` was counted as matched and without consent, a 200 that invited nobody: a
    typo looked like a customer who said no. Nothing is sent, nobody is recorded."""
    from shopperlens.errors import NotFoundError
    from shopperlens.service import interviews

    inbox, settings = smtp
    _people(store)
    with pytest.raises(NotFoundError, match="no customer 'NOPE'"):
        interviews.invite_interviewees(store=store, settings=settings, customer_ids=["c1", "NOPE"])
    assert inbox.messages == [] and store.count("survey_invitations") == 0
    _people(shop.store)
    res = client.post("/api/interviews/invite", json={"customer_ids": ["NOPE"]})
    assert res.status_code == 404 and "no customer 'NOPE'" in res.json()["detail"]
    assert shop.store.count("survey_invitations") == 0


def test_a_negative_quota_is_refused_in_every_face(store, smtp, shop, client, cli):
    """``quota: -1`` with ``dry_run`` was accepted (and counted everyone over quota)."""
    _, settings = smtp
    _people(store)
    surveys.ensure_builtin(store=store)
    for option in ("quota", "response_quota"):
        with pytest.raises(ShopperlensError, match="whole number of 0 or more; got -1"):
            dlv.send_invitations(
                store=store, settings=settings, survey="demo-profile", dry_run=True, **{option: -1}
            )
    surveys.ensure_builtin(store=shop.store)
    for option in ("quota", "response_quota"):
        res = client.post("/api/surveys/demo-profile/send", json={option: -1, "dry_run": True})
        assert res.status_code == 422 and option in res.text, res.text
    res = cli("survey", "send", "demo-profile", "--quota", "-1", "--dry-run")
    assert res.exit_code == 1 and "got -1" in res.output and "Traceback" not in res.output
    ok = dlv.send_invitations(
        store=store, settings=settings, survey="demo-profile", dry_run=True, quota=0
    )
    assert ok.invited == 0 and ok.over_quota == 4


def test_a_customer_erased_during_a_send_is_not_mailed(store, smtp) -> None:
    """The pending invitations were read before the SMTP loop: a customer erased while the
    first e-mails went out was still mailed, and a delivery row named their invitation."""
    from shopperlens.service.privacy import erase_customer

    inbox, settings = smtp
    for i in range(3):
        store.execute(
            "INSERT INTO customers (customer_id, email, accepts_marketing) VALUES (?, ?, true)",
            [f"e{i}", f"e{i}@example.com"],
        )
    surveys.ensure_builtin(store=store)
    erased: list[str] = []

    def erase_the_others(msg) -> None:  # type: ignore[no-untyped-def]
        if not erased:  # the first e-mail is out: erase everyone not yet mailed
            for cid in ("e0", "e1", "e2"):
                if f"{cid}@example.com" != msg["To"]:
                    erase_customer(store=store, customer_id=cid)
                    erased.append(cid)

    inbox.on_message = erase_the_others
    rep = dlv.send_invitations(store=store, settings=settings, survey="demo-profile")
    assert len(inbox.messages) == 1 and (rep.sent, rep.erased) == (1, 2) and len(erased) == 2
    left = store.scalar("SELECT count(*) FROM survey_deliveries")
    assert left == 1 and store.scalar("SELECT count(*) FROM survey_invitations") == 1
