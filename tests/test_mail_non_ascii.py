"""E-mail to non-ASCII addresses (``daan.müller@example.com``) and what fails before the DATA
command, over real SMTP servers (aiosmtpd on 127.0.0.1), one announcing SMTPUTF8 and one not.

smtplib refuses a non-ASCII address before sending anything when the server does not announce
SMTPUTF8: such an invitation reached nobody, so it is ``failed`` (not ``sending``, "may have
gone out"), uses up no quota and makes nobody fatigued. Only a connection broken during the
hand-over leaves an invitation ``sending``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from shopperlens.config import Settings
from shopperlens.service import interviews, surveys
from shopperlens.service import survey_delivery as dlv
from shopperlens.surveys import mail
from shopperlens.surveys.definition import demo_profile

DEMO = "demo-profile"
UMLAUT = "daan.müller720@example.com"

controller = pytest.importorskip("aiosmtpd.controller")


class Recorder:
    """An aiosmtpd handler keeping each envelope it takes (recipients, MAIL options, raw
    content); ``drop_rcpt`` breaks the connection at the RCPT command, before DATA."""

    def __init__(self) -> None:
        self.envelopes: list[tuple[list[str], list[str], str]] = []
        self.drop_rcpt = False

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]  # noqa: N802 - aiosmtpd hook name
        if self.drop_rcpt:
            server.transport.abort()  # the message was never handed over
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802 - aiosmtpd hook name
        content = envelope.content.decode("utf-8")
        self.envelopes.append((list(envelope.rcpt_tos), list(envelope.mail_options), content))
        return "250 OK"

    @property
    def rcpt(self) -> list[str]:
        return [to for tos, _, _ in self.envelopes for to in tos]


def _server(*, utf8: bool) -> Iterator[tuple[Recorder, Settings]]:
    from shopperlens.web.server import free_port

    handler, port = Recorder(), free_port()
    ctl = controller.Controller(handler, hostname="127.0.0.1", port=port, enable_SMTPUTF8=utf8)
    ctl.start()
    yield (
        handler,
        Settings(
            smtp_host="127.0.0.1", smtp_port=port, secret_key="k3y", public_url="http://shop.test"
        ),
    )
    ctl.stop()


@pytest.fixture
def utf8_smtp() -> Iterator[tuple[Recorder, Settings]]:
    """A server announcing SMTPUTF8 (non-ASCII addresses welcome)."""
    yield from _server(utf8=True)


@pytest.fixture
def ascii_smtp() -> Iterator[tuple[Recorder, Settings]]:
    """A server without SMTPUTF8 (aiosmtpd's default, like many real ones)."""
    yield from _server(utf8=False)


def _customer(store, cid: str, address: str | None = None) -> None:  # type: ignore[no-untyped-def]
    store.execute(
        "INSERT INTO customers (customer_id, email, name, country, accepts_marketing) "
        "VALUES (?, ?, ?, 'NL', true)",
        [cid, address or f"{cid}@example.com", f"Name{cid} Test"],
    )


def _status(store) -> dict[str, tuple[str, str | None]]:  # type: ignore[no-untyped-def]
    rows = store.execute(
        "SELECT customer_id, status, error FROM survey_invitations WHERE survey = ?", [DEMO]
    ).fetchall()
    return {cid: (status, error) for cid, status, error in rows}


def _send(store, settings: Settings, survey: str = DEMO, **kw):  # type: ignore[no-untyped-def]
    return dlv.send_invitations(
        store=store, settings=settings, survey=survey, audience=dlv.Audience(), **kw
    )


def test_without_smtputf8_a_non_ascii_invitation_fails_and_uses_no_quota_nor_fatigue(
    store, ascii_smtp
):  # type: ignore[no-untyped-def]
    """It was left ``sending`` ("may have gone out"), used a place of the quota and kept the
    person away from every survey for 90 days, though smtplib had sent nothing."""
    server, settings = ascii_smtp
    surveys.ensure_builtin(store=store)
    surveys.save_survey(store=store, survey=demo_profile().model_copy(update={"name": "b"}))
    _customer(store, "c1")
    _customer(store, "c2", UMLAUT)

    rep = _send(store, settings, quota=2)

    assert (rep.invited, rep.sent, rep.failed, rep.unconfirmed) == (1, 1, 1, 0)
    assert _status(store)["c2"] == ("failed", mail.NO_SMTPUTF8)
    assert server.rcpt == ["c1@example.com"]
    # the failed place is free again: a newcomer gets it
    _customer(store, "c3")
    again = _send(store, settings, quota=2)
    assert (again.invited, again.sent, again.over_quota, again.undeliverable) == (1, 1, 0, 1)
    # and c2 got no survey: only c1 and c3 are fatigued for another one
    other = _send(store, settings, survey="b", dry_run=True)
    assert (other.fatigued, other.invited) == (2, 1)


def test_with_smtputf8_a_non_ascii_address_gets_its_mail_and_reminders(
    store, utf8_smtp, ascii_smtp
):  # type: ignore[no-untyped-def]
    """A reminder the server could not take was counted as given (``unconfirmed``), so the
    person was never reminded once the server could take it."""
    server, settings = utf8_smtp
    surveys.ensure_builtin(store=store)
    _customer(store, "c2", UMLAUT)

    rep = _send(store, settings)

    assert (rep.sent, rep.failed) == (1, 0)
    assert _status(store)["c2"][0] == "sent"
    ((tos, options, content),) = server.envelopes
    assert tos == [UMLAUT] and "SMTPUTF8" in options
    assert f"To: {UMLAUT}\r\n" in content
    later = datetime.now() + timedelta(days=8)
    refused = dlv.send_reminders(store=store, settings=ascii_smtp[1], survey=DEMO, now=later)
    assert (refused.reminded, refused.failed, refused.unconfirmed) == (0, 1, 0)
    reminded = dlv.send_reminders(store=store, settings=settings, survey=DEMO, now=later)
    assert reminded.reminded == 1 and server.rcpt == [UMLAUT, UMLAUT]


def test_an_interview_invitation_to_a_non_ascii_address_fails(store, ascii_smtp):  # type: ignore[no-untyped-def]
    """It shares the delivery path: it was left ``sending`` and counted ``unconfirmed``."""
    _, settings = ascii_smtp
    _customer(store, "c2", UMLAUT)

    rep = interviews.invite_interviewees(store=store, settings=settings, customer_ids=["c2"])

    assert (rep.invited, rep.sent, rep.failed, rep.unconfirmed) == (0, 0, 1, 0)
    row = store.execute("SELECT status, error FROM survey_invitations").fetchone()
    assert row == ("failed", mail.NO_SMTPUTF8)


def test_what_fails_before_data_did_not_go_out(store, ascii_smtp):  # type: ignore[no-untyped-def]
    """A connection dropped at RCPT, or an address no e-mail header can hold, sent nothing:
    the first is retried on new connections, then waits for the next send (the send stops in
    one line), the second fails; neither is left ``sending``."""
    server, settings = ascii_smtp
    surveys.ensure_builtin(store=store)
    _customer(store, "c1")
    server.drop_rcpt = True

    with pytest.raises(mail.ConnectionLost, match="the connection was dropped"):
        _send(store, settings)

    assert _status(store)["c1"][0] == "pending"
    server.drop_rcpt = False
    _customer(store, "c4", "c4@example.com\nBcc: someone@example.com")
    rep = _send(store, settings)
    assert (rep.sent, rep.failed, rep.unconfirmed) == (1, 1, 0)
    assert _status(store)["c4"][0] == "failed" and server.rcpt == ["c1@example.com"]
