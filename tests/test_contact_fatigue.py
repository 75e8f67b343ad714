"""One contact-fatigue rule over real SMTP (aiosmtpd on 127.0.0.1): whoever was sent a survey or
an interview invitation within ``survey_fatigue_days`` is left alone by survey sends and
interview invitations alike, counted ``fatigued``; a reminder of the same survey still goes."""

from __future__ import annotations

from datetime import datetime, timedelta

from shopperlens.service import interviews, surveys
from shopperlens.service import survey_delivery as dlv

DEMO = "demo-profile"


def _customers(store, *ids: str, email_: str | None = None) -> None:  # type: ignore[no-untyped-def]
    """Consenting customers, each with their own address unless ``email_`` is given."""
    for cid in ids:
        store.execute(
            "INSERT INTO customers (customer_id, email, name, accepts_marketing) "
            "VALUES (?, ?, ?, true)",
            [cid, email_ or f"{cid}@example.com", f"Name{cid} Test"],
        )


def test_interview_invitees_get_no_survey_within_the_window(store, smtp):
    server, settings = smtp
    surveys.ensure_builtin(store=store)
    _customers(store, "c1", "c2", "c3")
    asked = interviews.invite_interviewees(
        store=store, settings=settings, customer_ids=["c1", "c2"]
    )
    assert asked.sent == 2

    rep = dlv.send_invitations(store=store, settings=settings, survey=DEMO)

    assert (rep.matched, rep.fatigued, rep.sent) == (3, 2, 1)
    assert server.to[2:] == ["c3@example.com"]
    later = datetime.now() + timedelta(days=settings.survey_fatigue_days + 1)
    after = dlv.send_invitations(store=store, settings=settings, survey=DEMO, now=later)
    assert (after.fatigued, after.sent) == (1, 2)  # c3 got this survey; c1, c2 rested enough


def test_survey_recipients_get_no_interview_invitation_within_the_window(store, smtp):
    server, settings = smtp
    surveys.ensure_builtin(store=store)
    _customers(store, "c1", "c2")
    _customers(store, "c3", "c3b", email_="family@example.com")
    dlv.send_invitations(
        store=store, settings=settings, survey=DEMO, audience={"customers": ["c1", "c3"]}
    )
    assert sorted(server.to) == ["c1@example.com", "family@example.com"]

    rep = interviews.invite_interviewees(
        store=store, settings=settings, customer_ids=["c1", "c2", "c3b"]
    )

    # c1 was sent a survey, c3b's address too (through c3): only c2 is asked
    assert (rep.fatigued, rep.sent) == (2, 1) and server.to[2:] == ["c2@example.com"]
    later = datetime.now() + timedelta(days=settings.survey_fatigue_days + 1)
    after = interviews.invite_interviewees(
        store=store, settings=settings, customer_ids=["c1", "c2"], now=later
    )
    assert (after.fatigued, after.sent) == (1, 1) and server.to[-1] == "c1@example.com"


def test_a_reminder_of_the_same_survey_still_goes_after_an_interview_invitation(store, smtp):
    server, settings = smtp
    surveys.ensure_builtin(store=store)
    _customers(store, "c1")
    dlv.send_invitations(store=store, settings=settings, survey=DEMO)
    store.execute(
        "INSERT INTO survey_invitations (invitation_id, survey, purpose, customer_id, "
        "created_at, status, sent_at) VALUES ('i2', 'interviews', 'interview', 'c1', now(), "
        "'sent', now())"
    )
    later = datetime.now() + timedelta(days=8)

    rep = dlv.send_reminders(store=store, settings=settings, survey=DEMO, now=later)

    assert rep.reminded == 1 and server.to == ["c1@example.com", "c1@example.com"]
