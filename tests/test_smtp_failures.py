"""Survey and interview e-mail under a real mail server's failures (aiosmtpd on 127.0.0.1):
recipients refused one by one, a sender refused for every message, STARTTLS and TLS from the
first byte with a certificate that nobody vouches for, a wrong password, a login that would
cross the network in clear, and a server that stalls."""

from __future__ import annotations

import _thread
import asyncio
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from shopperlens.config import Settings
from shopperlens.errors import ShopperlensError
from shopperlens.service import interviews, surveys
from shopperlens.service import survey_delivery as dlv
from shopperlens.store import Store
from shopperlens.surveys import mail
from shopperlens.web.server import free_port

controller = pytest.importorskip("aiosmtpd.controller")
from aiosmtpd.smtp import AuthResult  # noqa: E402 - only with aiosmtpd

DEMO = "demo-profile"


class Server:
    """Takes mail, but answers ``MAIL FROM`` with ``mail_reply`` and each recipient whose
    address starts with a key of ``refuse`` with its reply."""

    def __init__(self) -> None:
        self.mail_reply = "250 OK"
        self.refuse: dict[str, str] = {}
        self.data_reply = "250 OK"
        self.got: list[str] = []

    async def handle_MAIL(self, server, session, envelope, address, options):  # type: ignore[no-untyped-def]  # noqa: N802 - aiosmtpd hook name
        if self.mail_reply.startswith("250"):
            envelope.mail_from = address
        return self.mail_reply

    async def handle_RCPT(self, server, session, envelope, address, options):  # type: ignore[no-untyped-def]  # noqa: N802 - aiosmtpd hook name
        for start, reply in self.refuse.items():
            if address.startswith(start):
                return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802 - aiosmtpd hook name
        if self.data_reply.startswith("250"):
            self.got.extend(envelope.rcpt_tos)
        return self.data_reply


def _start(handler: Server, **options: object) -> tuple[object, int]:
    port = free_port()
    ctl = controller.Controller(handler, hostname="127.0.0.1", port=port, **options)
    ctl.start()
    return ctl, port


@pytest.fixture
def mta() -> Iterator[tuple[Server, Settings]]:
    handler = Server()
    ctl, port = _start(handler)
    yield (
        handler,
        Settings(
            smtp_host="127.0.0.1", smtp_port=port, secret_key="k3y", public_url="http://shop.test"
        ),
    )
    ctl.stop()  # type: ignore[attr-defined]


def _people(store: Store, n: int) -> None:
    surveys.ensure_builtin(store=store)
    for i in range(1, n + 1):
        store.execute(
            "INSERT INTO customers (customer_id, email, name, accepts_marketing) "
            "VALUES (?, ?, 'Anna Test', true)",
            [f"c{i}", f"c{i}@example.com"],
        )


def _status(store: Store) -> dict[str, tuple[str, str | None]]:
    rows = store.execute("SELECT customer_id, status, error FROM survey_invitations").fetchall()
    return {c: (s, e) for c, s, e in rows}


def test_refused_recipients_fail_alone_and_a_451_is_retried(store, mta):
    server, settings = mta
    _people(store, 5)
    server.refuse = {"c2@": "550 5.1.1 no such user", "c4@": "553 5.1.3 bad address",
                     "c5@": "451 4.3.0 try later"}  # fmt: skip
    rep = dlv.send_invitations(store=store, settings=settings, survey=DEMO)
    assert (rep.sent, rep.failed, rep.deferred) == (2, 2, 1)
    status = _status(store)
    assert status["c2"] == ("failed", "SMTP 550: refused")
    assert status["c4"] == ("failed", "SMTP 553: refused")
    assert status["c5"][0] == "pending"
    server.refuse = {}
    rep = dlv.send_invitations(store=store, settings=settings, survey=DEMO)
    assert (rep.sent, rep.undeliverable) == (1, 2)
    assert sorted(server.got) == ["c1@example.com", "c3@example.com", "c5@example.com"]
    assert _status(store)["c5"] == ("sent", None)  # the 451 of the first try is gone


def test_a_sender_refused_for_good_stops_the_send_and_fails_nobody(store, mta):
    server, settings = mta
    _people(store, 3)
    server.mail_reply = "530 5.7.0 Must issue a STARTTLS command first"
    with pytest.raises(ShopperlensError, match="refused to take mail from shop@example.com") as e:
        dlv.send_invitations(store=store, settings=settings, survey=DEMO)
    assert "530 5.7.0 Must issue a STARTTLS command first" in str(e.value)
    assert "SHOPPERLENS_SMTP_STARTTLS" in str(e.value)
    assert {s for s, _ in _status(store).values()} == {"pending"}
    store.execute(
        "UPDATE survey_invitations SET status = 'sent', last_sent_at = now() - INTERVAL 30 DAY"
    )
    with pytest.raises(ShopperlensError, match="refused to take mail"):
        dlv.send_reminders(store=store, settings=settings, survey=DEMO)
    assert store.scalar("SELECT sum(reminders) FROM survey_invitations") == 0
    store.execute("UPDATE survey_invitations SET status = 'pending', last_sent_at = NULL")
    with pytest.raises(ShopperlensError, match="refused to take mail"):
        interviews.invite_interviewees(store=store, settings=settings, customer_ids=["c1"])
    assert store.scalar("SELECT status FROM survey_invitations WHERE purpose = 'interview'") == (
        "pending"
    )
    server.mail_reply = "250 OK"  # the settings put right: everyone gets it, once
    rep = dlv.send_invitations(store=store, settings=settings, survey=DEMO)
    assert (rep.sent, rep.failed, rep.undeliverable) == (3, 0, 0)
    assert sorted(server.got) == [f"c{i}@example.com" for i in (1, 2, 3)]


def test_the_cli_says_a_refused_sender_in_one_line(mta, cli, db_path, monkeypatch):
    import shopperlens

    server, settings = mta
    server.mail_reply = "553 5.7.1 sender not allowed to relay"
    monkeypatch.setenv("SHOPPERLENS_SMTP_PORT", str(settings.smtp_port))
    monkeypatch.setenv("SHOPPERLENS_SECRET_KEY", "k3y")
    monkeypatch.setenv("SHOPPERLENS_PUBLIC_URL", "http://shop.test")
    assert cli("survey", "create", DEMO).exit_code == 0
    shop = shopperlens.open(str(db_path))
    _people(shop.store, 2)
    shop.close()
    res = cli("survey", "send", DEMO)
    assert res.exit_code == 1 and "Traceback" not in res.output
    said = " ".join(res.stderr.split())
    assert said.startswith("error: the SMTP server 127.0.0.1:")
    assert "553 5.7.1 sender not allowed to relay" in said
    assert "c1@example.com" not in res.output and "c2@example.com" not in res.output


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key (``openssl``)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1",
         "-addext", "basicConstraints=critical,CA:TRUE"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def _password(server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
    login, password = (bytes(v).decode() for v in (auth_data.login, auth_data.password))
    return AuthResult(success=(login, password) == ("shop", "right"), handled=False)


@pytest.fixture
def tls_mta(certificate) -> Iterator[tuple[Server, Settings]]:  # type: ignore[no-untyped-def]
    """A server that takes mail only after STARTTLS and a login (shop / right)."""
    handler = Server()
    ctl, port = _start(
        handler, tls_context=_server_tls(certificate), require_starttls=True,
        auth_required=True, authenticator=_password,
    )  # fmt: skip
    yield handler, _login_settings(port, smtp_starttls=True)
    ctl.stop()  # type: ignore[attr-defined]


def _server_tls(certificate):  # type: ignore[no-untyped-def]
    """The server side's TLS context, with the self-signed certificate."""
    import ssl

    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def _login_settings(port: int, **tls: bool) -> Settings:
    """Settings that log in as shop / right to the server on ``port`` over ``tls``."""
    return Settings(
        smtp_host="127.0.0.1", smtp_port=port, secret_key="k3y", public_url="http://shop.test",
        smtp_user="shop", smtp_password="right", **tls,
    )  # fmt: skip


def test_starttls_checks_the_servers_certificate(store, tls_mta, certificate, monkeypatch):
    server, settings = tls_mta
    _people(store, 1)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    with pytest.raises(ShopperlensError, match="certificate verify failed"):
        dlv.send_invitations(store=store, settings=settings, survey=DEMO)
    assert server.got == [] and _status(store)["c1"][0] == "pending"
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))  # the shop trusts it
    rep = dlv.send_invitations(store=store, settings=settings, survey=DEMO)
    assert rep.sent == 1 and server.got == ["c1@example.com"]


def test_a_wrong_password_is_named_and_not_shown(store, tls_mta, certificate, monkeypatch):
    server, settings = tls_mta
    _people(store, 1)
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    wrong = settings.model_copy(update={"smtp_password": "s3cret-wrong"})
    with pytest.raises(ShopperlensError) as e:
        dlv.send_invitations(store=store, settings=wrong, survey=DEMO)
    said = str(e.value)
    assert "refused the user name or password (535" in said
    assert "SHOPPERLENS_SMTP_PASSWORD" in said and "s3cret-wrong" not in said
    assert "cannot reach" not in said
    assert server.got == [] and _status(store)["c1"][0] == "pending"


class Interrupting(Server):
    """Stops the sending program (as Ctrl-C does) while it waits for the answer to the
    ``at``-th recipient, before that message itself is sent."""

    def __init__(self, at: int) -> None:
        super().__init__()
        self.at = at

    async def handle_RCPT(self, server, session, envelope, address, options):  # type: ignore[no-untyped-def]  # noqa: N802 - aiosmtpd hook name
        self.at -= 1
        if self.at == 0:
            _thread.interrupt_main()
        return await super().handle_RCPT(server, session, envelope, address, options)


def test_a_send_stopped_with_ctrl_c_goes_on_with_exactly_those_not_sent(store):
    handler = Interrupting(at=3)
    ctl, port = _start(handler)
    settings = Settings(
        smtp_host="127.0.0.1", smtp_port=port, secret_key="k3y", public_url="http://shop.test"
    )
    _people(store, 5)
    try:
        with pytest.raises(KeyboardInterrupt):
            dlv.send_invitations(store=store, settings=settings, survey=DEMO)
        assert len(handler.got) == 2
        status = sorted(s for s, _ in _status(store).values())
        assert status == ["pending"] * 3 + ["sent"] * 2  # the third is not left 'sending'
        rep = dlv.send_invitations(store=store, settings=settings, survey=DEMO)
        assert (rep.sent, rep.unconfirmed, rep.failed) == (3, 0, 0)
        assert sorted(handler.got) == [f"c{i}@example.com" for i in range(1, 6)]
    finally:
        ctl.stop()  # type: ignore[attr-defined]


@pytest.fixture
def smtps(certificate) -> Iterator[tuple[Server, Settings]]:  # type: ignore[no-untyped-def]
    """A server that speaks TLS from the first byte (as on port 465) and takes mail only after
    a login (shop / right)."""
    handler = Server()
    ctl, port = _start(  # (aiosmtpd counts only STARTTLS as TLS for AUTH: told it is fine)
        handler, ssl_context=_server_tls(certificate), auth_required=True,
        auth_require_tls=False, authenticator=_password,
    )  # fmt: skip
    yield handler, _login_settings(port, smtp_tls=True)
    ctl.stop()  # type: ignore[attr-defined]


_AUTH_IN_CLEAR = "ignore:Requiring AUTH while not requiring TLS:UserWarning"


@pytest.mark.filterwarnings(_AUTH_IN_CLEAR)
def test_tls_from_the_first_byte_checks_the_certificate_and_keeps_refusals(
    store, smtps, certificate, monkeypatch
):
    server, settings = smtps
    _people(store, 3)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    with pytest.raises(ShopperlensError, match="certificate verify failed"):
        dlv.send_invitations(store=store, settings=settings, survey=DEMO)
    assert server.got == [] and {s for s, _ in _status(store).values()} == {"pending"}
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))  # the shop trusts it
    server.refuse = {"c2@": "451 4.3.0 try later", "c3@": "550 5.1.1 no such user"}
    rep = dlv.send_invitations(store=store, settings=settings, survey=DEMO)
    assert (rep.sent, rep.deferred, rep.failed) == (1, 1, 1)
    assert server.got == ["c1@example.com"]
    status = _status(store)
    assert status["c2"][0] == "pending" and status["c3"] == ("failed", "SMTP 550: refused")
    with mail.Mailer(settings) as mailer:  # the DATA command is noted over TLS too
        mailer.send("jonas@bücher.de", "Hi", "Hello")
        assert mailer.handing_over
    assert server.got[-1] == "jonas@bücher.de"  # as written: aiosmtpd announces SMTPUTF8


def test_port_465_means_tls_from_the_first_byte_unless_told_otherwise():
    assert mail.implicit_tls(Settings(smtp_port=465))
    assert mail.implicit_tls(Settings(smtp_port=465, smtp_tls=""))  # an empty .env line: unset
    assert not mail.implicit_tls(Settings(smtp_port=465, smtp_tls=False))
    assert not mail.implicit_tls(Settings(smtp_port=587))
    assert mail.implicit_tls(Settings(smtp_port=2465, smtp_tls=True))


@pytest.mark.parametrize(
    ("options", "said"),
    [
        ({"smtp_port": 2465, "smtp_tls": True}, "SHOPPERLENS_SMTP_TLS is on"),
        ({"smtp_port": 465}, "port 465 speaks TLS from the first byte"),
    ],
)
def test_starttls_and_tls_from_the_first_byte_together_is_one_clear_error(options, said):
    settings = Settings(smtp_host="smtp.example.com", smtp_starttls=True, **options)
    with pytest.raises(ShopperlensError) as e:
        mail.Mailer(settings).__enter__()
    assert said in str(e.value) and "\n" not in str(e.value)
    assert "unset SHOPPERLENS_SMTP_STARTTLS" in str(e.value)
    assert "SHOPPERLENS_SMTP_TLS=false" in str(e.value)


def test_a_login_in_clear_to_another_machine_is_refused_before_connecting(store):
    _people(store, 1)
    settings = Settings(
        smtp_host="smtp.invalid", smtp_port=587, smtp_user="shop", smtp_password="s3cret",
        secret_key="k3y", public_url="https://survey.shop.test",
    )  # fmt: skip
    with pytest.raises(ShopperlensError) as e:
        dlv.send_invitations(store=store, settings=settings, survey=DEMO)
    said = str(e.value)
    assert said.startswith("not logging in to the SMTP server smtp.invalid:587 without TLS")
    for name in ("SHOPPERLENS_SMTP_STARTTLS", "SHOPPERLENS_SMTP_TLS", "SHOPPERLENS_SMTP_USER"):
        assert name in said
    assert "s3cret" not in said and "cannot reach" not in said
    assert _status(store)["c1"][0] == "pending"
    for local in ("127.0.0.1", "::1", "localhost"):  # a relay on this computer may take one
        mail.check_connection(settings.model_copy(update={"smtp_host": local}))
    for secure in ({"smtp_starttls": True}, {"smtp_tls": True}):
        mail.check_connection(settings.model_copy(update=secure))


@pytest.mark.filterwarnings(_AUTH_IN_CLEAR)
def test_a_login_to_a_relay_on_this_computer_works_without_tls(store):
    handler = Server()
    ctl, port = _start(handler, auth_required=True, auth_require_tls=False, authenticator=_password)
    settings = Settings(
        smtp_host="127.0.0.1", smtp_port=port, smtp_user="shop", smtp_password="right",
        secret_key="k3y", public_url="http://shop.test",
    )  # fmt: skip
    _people(store, 1)
    try:
        rep = dlv.send_invitations(store=store, settings=settings, survey=DEMO)
    finally:
        ctl.stop()  # type: ignore[attr-defined]
    assert rep.sent == 1 and handler.got == ["c1@example.com"]


def test_a_server_that_closes_at_once_every_time_stops_the_send_in_one_line(store, mta):
    server, settings = mta
    _people(store, 2)
    server.refuse = {"c": "421 4.3.2 shutting down"}  # smtplib closes the connection on it
    with pytest.raises(mail.ConnectionLost) as e:
        dlv.send_invitations(store=store, settings=settings, survey=DEMO)
    said = str(e.value)
    assert said.startswith("the SMTP server 127.0.0.1:") and "\n" not in said
    assert "4 times in a row without taking a message (last: 421 4.3.2 shutting down)" in said
    assert "@" not in said
    assert {s for s, _ in _status(store).values()} == {"pending"} and server.got == []
    server.refuse = {}
    assert dlv.send_invitations(store=store, settings=settings, survey=DEMO).sent == 2


class Closing(Server):
    """Takes ``per_connection`` messages on a connection, then ends it: dropped without a
    word after the last one's ``250`` (``drop``), or with ``421`` to the next ``MAIL FROM``,
    as providers limiting messages per connection do."""

    def __init__(self, per_connection: int, *, drop: bool) -> None:
        super().__init__()
        self.per_connection = per_connection
        self.drop = drop
        self.connections = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # type: ignore[no-untyped-def]  # noqa: N802 - aiosmtpd hook name
        self.connections += 1
        session.taken = 0
        session.host_name = hostname
        return responses

    async def handle_MAIL(self, server, session, envelope, address, options):  # type: ignore[no-untyped-def]  # noqa: N802 - aiosmtpd hook name
        if session.taken >= self.per_connection:
            return "421 4.7.0 too many messages on this connection"
        return await super().handle_MAIL(server, session, envelope, address, options)

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802 - aiosmtpd hook name
        session.taken += 1
        if self.drop and session.taken >= self.per_connection:
            asyncio.get_running_loop().call_later(0.05, server.transport.close)
        return await super().handle_DATA(server, session, envelope)


@pytest.mark.parametrize("drop", [True, False], ids=["dropped", "421"])
def test_a_connection_closed_between_messages_is_opened_again(store, drop):
    handler = Closing(per_connection=2, drop=drop)
    ctl, port = _start(handler)
    settings = Settings(
        smtp_host="127.0.0.1", smtp_port=port, secret_key="k3y", public_url="http://shop.test"
    )
    _people(store, 7)
    try:
        rep = dlv.send_invitations(store=store, settings=settings, survey=DEMO)
    finally:
        ctl.stop()  # type: ignore[attr-defined]
    assert (rep.sent, rep.deferred, rep.unconfirmed, rep.failed) == (7, 0, 0, 0)
    assert sorted(handler.got) == [f"c{i}@example.com" for i in range(1, 8)]  # each once
    assert handler.connections == 4
    assert {s for s, _ in _status(store).values()} == {"sent"}


class Stalling(Server):
    """Says nothing for ``seconds`` after a recipient, as an overloaded server may."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds

    async def handle_RCPT(self, server, session, envelope, address, options):  # type: ignore[no-untyped-def]  # noqa: N802 - aiosmtpd hook name
        await asyncio.sleep(self.seconds)
        return await super().handle_RCPT(server, session, envelope, address, options)


def test_a_server_that_stalls_past_the_timeout_leaves_the_invitations_pending(store):
    handler = Stalling(seconds=5)
    ctl, port = _start(handler)
    settings = Settings(
        smtp_host="127.0.0.1", smtp_port=port, secret_key="k3y", public_url="http://shop.test",
        smtp_timeout="0.5",
    )  # fmt: skip
    _people(store, 2)
    began = time.monotonic()
    try:
        rep = dlv.send_invitations(store=store, settings=settings, survey=DEMO)
    finally:
        ctl.stop()  # type: ignore[attr-defined]
    assert time.monotonic() - began < 3  # one timeout, not one per message nor the old 30 s
    assert (rep.sent, rep.deferred, rep.unconfirmed) == (0, 2, 0)
    errors = sorted(error for status, error in _status(store).values() if status == "pending")
    assert len(errors) == 2 and handler.got == []
    assert errors[0].startswith("the connection broke before the message was sent (")
    assert "timed out" in errors[0]
    assert errors[1].startswith("the server had closed the connection: not sent")


@pytest.mark.parametrize("value", ["0", "-1", "nan", "soon"])
def test_an_smtp_timeout_that_is_no_wait_is_refused(value):
    with pytest.raises(ShopperlensError, match=f"SHOPPERLENS_SMTP_TIMEOUT={value} is not"):
        Settings(smtp_timeout=value)


_REFUSED_SETTINGS = {
    "login in clear": {"smtp_host": "smtp.example.com", "smtp_port": 587, "smtp_user": "shop"},
    "starttls and tls": {"smtp_host": "smtp.example.com", "smtp_port": 465, "smtp_starttls": True},
    "no sender": {"smtp_sender": ""},
    "sender without domain": {"smtp_sender": "shop"},
    "sender with a name": {"smtp_sender": "Shop <shop@example.com>"},
    "sender ending in @": {"smtp_sender": "shop@"},
}


@pytest.mark.parametrize("options", _REFUSED_SETTINGS.values(), ids=_REFUSED_SETTINGS)
def test_a_dry_run_refuses_the_smtp_settings_the_send_would_refuse(store, options):
    _people(store, 2)
    settings = Settings(secret_key="k3y", public_url="https://survey.shop.test", **options)
    with pytest.raises(ShopperlensError) as dry:
        dlv.send_invitations(store=store, settings=settings, survey=DEMO, dry_run=True)
    assert store.scalar("SELECT count(*) FROM survey_invitations") == 0
    with pytest.raises(ShopperlensError) as real:
        dlv.send_invitations(store=store, settings=settings, survey=DEMO)
    assert str(dry.value) == str(real.value) and "\n" not in str(dry.value)
    assert {s for s, _ in _status(store).values()} == {"pending"}  # they wait, none sent


def test_the_cli_dry_run_says_a_sender_that_is_no_address(cli, monkeypatch):
    monkeypatch.setenv("SHOPPERLENS_SMTP_SENDER", "Boot Corner")
    assert cli("survey", "create", DEMO).exit_code == 0
    res = cli("survey", "send", DEMO, "--dry-run")
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert res.stderr.startswith("error: SHOPPERLENS_SMTP_SENDER='Boot Corner' is not an e-mail")


def test_a_sender_that_is_an_address_passes(store, smtp):
    server, settings = smtp
    _people(store, 1)
    for sender in ("shop@localhost", "jonas@bücher.de", '"boot corner"@example.com'):
        mail.check_sender(settings.model_copy(update={"smtp_sender": sender}))
    rep = dlv.send_invitations(store=store, settings=settings, survey=DEMO, dry_run=True)
    assert rep.invited == 1 and server.messages == []


@pytest.mark.parametrize("address", ["jo@", "jo.@"])
def test_an_address_no_message_can_carry_fails_and_is_not_left_sending(store, mta, address):
    server, settings = mta
    _people(store, 2)
    store.execute("UPDATE customers SET email = ? WHERE customer_id = 'c1'", [address])
    rep = dlv.send_invitations(store=store, settings=settings, survey=DEMO)
    assert (rep.sent, rep.failed, rep.unconfirmed) == (1, 1, 0)
    status, error = _status(store)["c1"]
    assert status == "failed" and error.startswith("the message cannot be written (")
    assert "@" not in error and server.got == ["c2@example.com"]
