"""Invitation e-mails: editable Jinja templates and an SMTP sender (the only delivery I/O).

A template is plain text whose first line is ``Subject: …``. The built-in ones
(``surveys/templates/*.txt.j2``) are humble, honest and short, as the profile method asks;
pass your own file to change the wording.

Every message to a customer carries their way out: the template's ``opt_out_link`` (a shop's
own template that does not write it gets a closing line with it, :func:`render`) and the
``List-Unsubscribe`` headers mail programs show as an "unsubscribe" button
(:func:`opt_out_headers`). It says who sends it (``From: Shop name <address>``) and when
(``Date``), as RFC 5322 asks.
"""

from __future__ import annotations

import contextlib
import email.errors
import email.policy
import re
import smtplib
import ssl
import unicodedata
from collections.abc import Mapping
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

from jinja2 import Environment, StrictUndefined

from shopperlens.config import Settings
from shopperlens.errors import ShopperlensError
from shopperlens.surveys import links
from shopperlens.textfiles import read_text_file

_env = Environment(autoescape=False, undefined=StrictUndefined, keep_trailing_newline=True)
_DEFAULTS = {
    "shop_name": None,
    "minutes": 3,
    # only a survey whose questions are all optional may be called so
    "all_optional": False,
    "first_name": None,
    "reward": None,
    "link": None,
    # the recipient's own page for saying "no more survey e-mails" (links.opt_out_url)
    "opt_out_link": None,
    # reminders: which one this is, of how many at most; only the last one may say so
    "reminder": None,
    "max_reminders": None,
    "last_reminder": False,
}


#: why a message to a non-ASCII address is not sent through a server without SMTPUTF8
NO_SMTPUTF8 = "the mail server does not accept non-ASCII addresses (SMTPUTF8)"


def ascii_address(address: str) -> str | None:
    """``address`` as a server without SMTPUTF8 takes it: its domain in IDNA's ASCII form
    (``jonas@bücher.de`` is ``jonas@xn--bcher-kva.de``, the same mailbox). None when it cannot
    be written so: a non-ASCII local part (``jürgen@…``) has no ASCII form, only SMTPUTF8
    carries it; nor has a domain IDNA refuses."""
    if address.isascii():
        return address
    local, _, domain = address.rpartition("@")
    if not local.isascii():
        return None
    ascii_domain = _idna(domain)
    return f"{local}@{ascii_domain}" if ascii_domain else None


def _idna(domain: str) -> str | None:
    """A domain name in IDNA 2008's ASCII form (the ``idna`` package, which httpx installs;
    UTS 46 mapping), or None when it is no valid name. Without the package: Python's IDNA
    2003 codec, only when it keeps the name as written (it turns ``straße.de`` into another
    domain, ``strasse.de``)."""
    try:
        import idna
    except ImportError:  # pragma: no cover - httpx, a dependency, installs idna
        try:
            encoded = domain.encode("idna")
        except UnicodeError:
            return None
        return encoded.decode("ascii") if encoded.decode("idna") == domain else None
    try:
        return str(idna.encode(domain, uts46=True).decode("ascii"))
    except (idna.IDNAError, UnicodeError):
        return None


#: Python's e-mail policy, but a header set raw (``set_raw``) is written as it is: the default
#: turned a ``List-Unsubscribe`` URL longer than a line into RFC 2047 encoded words, which no
#: mail program reads as a URL
_POLICY = email.policy.default.clone(refold_source="none")


class ConnectionClosed(smtplib.SMTPServerDisconnected):
    """The server had closed the connection (after a ``421``) before this message was sent,
    so it certainly did not go out."""


class NotSent(smtplib.SMTPException):
    """The message certainly did not go out, though no SMTP reply code says so: sending
    stopped before the DATA command (the server cannot take a non-ASCII address, the message
    cannot be written, the connection broke before the hand-over). ``retry`` says whether a
    later send may go better."""

    def __init__(self, reason: str, *, retry: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry = retry


class Stopped(ShopperlensError):
    """Sending cannot go on for any message, so the batch stops: the message being sent
    certainly did not go out and waits, with the rest, for the next send."""


class SenderRefused(Stopped):
    """The server refused the sender for good (a ``5xx`` to ``MAIL FROM``: it wants
    STARTTLS or a login first, or will not relay for that address). That says nothing of the
    recipient and would refuse every message alike, so it stops the batch: marked ``failed``
    instead, every invitation would stay unsent even once the settings are put right."""


class ConnectionLost(Stopped):
    """The connection was lost between messages and a new one could not be kept: opening it
    again failed, or the server closed it :data:`RECONNECTS` times in a row without taking a
    message. Every message would meet the same, so the batch stops."""


#: how many new connections a send opens in a row without the server answering a message in
#: between: a provider that closes after every 100 messages (``421``) is served without end,
#: one that closes at once is not asked forever
RECONNECTS = 3


class Refusal(NamedTuple):
    """Why a message certainly did not go out, and whether a later send may go better."""

    retry: bool
    reason: str


class _SMTP(smtplib.SMTP):
    """smtplib's client, noting when the message itself starts to go over (the DATA
    command): whatever broke before that sent nothing, whatever broke after may have."""

    handing_over = False

    def data(self, msg: bytes | str) -> tuple[int, bytes]:
        self.handing_over = True
        return super().data(msg)


class _SMTPS(_SMTP, smtplib.SMTP_SSL):
    """The same client over TLS from the first byte (port 465, "SMTPS"), so a message sent
    through it is judged as one sent in plain SMTP or after STARTTLS."""


#: the port registered for mail submission over TLS from the first byte (RFC 8314): no server
#: speaks plain SMTP there, so a plain client only waited for the timeout
SMTPS_PORT = 465


def implicit_tls(settings: Settings) -> bool:
    """Whether the connection speaks TLS from the first byte: ``SHOPPERLENS_SMTP_TLS``, or
    unset, whether the port is :data:`SMTPS_PORT`."""
    if settings.smtp_tls is None:
        return settings.smtp_port == SMTPS_PORT
    return settings.smtp_tls


def check_connection(settings: Settings) -> None:
    """Refuse SMTP settings that cannot work or would give the password away, before any
    connection: a sender that is no address (:func:`check_sender`), STARTTLS on a connection
    that is TLS already (no server offers it there), and a login to another machine without
    TLS, which sends the user name and password readable by anyone on the way. A server on
    this computer (``127.0.0.1``, ``::1``, ``localhost``: a local relay) may take a login in
    plain SMTP. A dry run calls it too, so it learns what the real send would refuse."""
    check_sender(settings)
    where = f"{settings.smtp_host}:{settings.smtp_port}"
    if settings.smtp_starttls and implicit_tls(settings):
        why = (
            "SHOPPERLENS_SMTP_TLS is on"
            if settings.smtp_tls
            else f"port {SMTPS_PORT} speaks TLS from the first byte"
        )
        raise ShopperlensError(
            f"the SMTP connection to {where} cannot use STARTTLS: {why}. Use one of the two: "
            "unset SHOPPERLENS_SMTP_STARTTLS, or set SHOPPERLENS_SMTP_TLS=false for a server "
            "that starts in plain SMTP (usually port 587)"
        )
    secure = settings.smtp_starttls or implicit_tls(settings)
    if settings.smtp_user and not secure and not _on_this_computer(settings.smtp_host):
        raise ShopperlensError(
            f"not logging in to the SMTP server {where} without TLS: the password would cross "
            "the network readable by anyone on the way. Set SHOPPERLENS_SMTP_STARTTLS=true "
            "(usually port 587) or SHOPPERLENS_SMTP_TLS=true (port 465), or unset "
            "SHOPPERLENS_SMTP_USER for a server that needs no login"
        )


def check_sender(settings: Settings) -> None:
    """Refuse a ``SHOPPERLENS_SMTP_SENDER`` no ``From`` header can carry (empty, no ``@``, a
    display name around it, a non-ASCII local part): every message would fail to be written,
    and each invitation of the batch was marked ``failed``, or left ``sending`` for good."""
    sender = settings.smtp_sender
    local, at, domain = sender.rpartition("@")
    try:
        usable = bool(at and local and domain) and bool(Address(addr_spec=sender).domain)
    except (ValueError, IndexError, email.errors.MessageError):
        usable = False
    if not usable:
        raise ShopperlensError(
            f"SHOPPERLENS_SMTP_SENDER={sender!r} is not an e-mail address the invitations can "
            "come from: set it to the shop's sending address, e.g. survey@yourshop.com"
        )


def load_template(name_or_path: str | Path) -> str:
    """A built-in template by name (``invitation``, ``reminder``, ``interview``) or a file."""
    p = Path(name_or_path)
    if p.suffix and p.exists():
        try:
            return read_text_file(p, what="an e-mail template (Jinja2 text)")
        except OSError as exc:
            raise ShopperlensError(f"cannot read {p}: {exc.strerror}") from None
    res = resources.files("shopperlens.surveys").joinpath(f"templates/{name_or_path}.txt.j2")
    if not res.is_file():
        raise ShopperlensError(f"no e-mail template {name_or_path!r} (a file or a built-in name)")
    return res.read_text("utf-8")


#: the built-in templates, which speak as "we" and "us" when no shop name is given
_BUILT_IN = ("invitation", "reminder", "interview")


@cache
def _built_in_texts() -> frozenset[str]:
    """The built-in templates' texts, read once (``render`` asks for every recipient)."""
    return frozenset(load_template(name) for name in _BUILT_IN)


def render(template: str, **context: Any) -> tuple[str, str]:
    """``(subject, body)`` of a template rendered with ``context``.

    A shop's own template that writes ``{{ shop_name }}`` needs the name: without it the
    e-mail said "News from None" (the built-in ones speak as "we" instead)."""
    values = {**_DEFAULTS, **context}
    if (
        values["shop_name"] is None
        and "shop_name" in template
        and template not in _built_in_texts()
    ):
        raise ShopperlensError(
            "the e-mail template writes the shop's name ({{ shop_name }}): give it "
            "(--shop-name NAME, shop_name= in Python and over HTTP)"
        )
    text = _env.from_string(template).render(**values)
    first, _, body = text.partition("\n")
    if not first.lower().startswith("subject:"):
        raise ShopperlensError("an e-mail template must start with a 'Subject: …' line")
    body = body.lstrip("\n")
    if values["opt_out_link"] and "opt_out_link" not in template:
        body = body.rstrip("\n") + "\n\n" + OPT_OUT_LINE.format(link=values["opt_out_link"])
    return first.split(":", 1)[1].strip(), body


#: the closing line a shop's own template without ``{{ opt_out_link }}`` gets: every survey
#: e-mail must say how to get no more of them
OPT_OUT_LINE = (
    "To get no more survey e-mails from us, open this page and press its button:\n{link}\n"
)


def opt_out_headers(url: str) -> dict[str, str]:
    """The headers that let a mail program offer "unsubscribe" for ``url`` (the recipient's
    opt-out page): ``List-Unsubscribe`` (RFC 2369) and, for an ``https`` page, the one-click
    ``List-Unsubscribe-Post`` (RFC 8058: the program POSTs ``List-Unsubscribe=One-Click`` to
    it, which records the refusal without the page's button). No ``mailto:`` is offered:
    nothing reads the sender's inbox to act on such a request."""
    headers = {"List-Unsubscribe": f"<{url}>"}
    if url.lower().startswith("https://"):
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return headers


#: salutations and titles that come before a name (compared without a trailing dot)
_TITLES = frozenset({
    "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "madam", "dame", "herr", "frau",
    "fräulein", "fr", "hr", "mme", "mlle", "m", "monsieur", "madame", "mademoiselle", "sr",
    "sra", "srta", "señor", "señora", "doña", "dott", "dottssa", "sig", "sig.ra", "signor",
    "signora", "mevr", "dhr", "pan", "pani",
})  # fmt: skip
#: lower-case words that begin a family name (van, de …): such a name is kept whole
_PARTICLES = frozenset({
    "van", "von", "de", "der", "den", "da", "di", "du", "le", "la", "del", "della", "dos",
    "das", "do", "ten", "ter", "zu", "af", "al", "el", "bin", "ibn",
})  # fmt: skip


def greeting_name(name: object) -> str | None:
    """The name to greet a customer by ("Hello Anna,"), or None for the neutral "Hello,".

    A name field holds what the shop got: ``Dr. Anna Schmidt``, ``Schmidt, Anna``, ``ANNA
    SCHMIDT``, an e-mail address typed into the name box. The first name is the first word
    after any titles (of ``Last, First`` the part after the comma), title-cased when the name
    was all capitals. A name that starts with a lower-case particle (``van der Berg Jan``) or
    is in a script that writes the family name first (``山田 太郎``) is used whole: which part
    is the first name cannot be told. Whenever the name is doubtful (an ``@`` or a digit in
    it, titles alone, a title and one word, which is a family name: ``Herr Schmidt``, an
    initial) there is no name: a wrong one is worse than none."""
    if not isinstance(name, str):
        return None
    text = " ".join(name.split())
    if not text or "@" in text or any(ch.isdigit() for ch in text) or text.count(",") > 1:
        return None
    shouted = text.isupper()
    if shouted:
        text = text.title()
    last, comma, first = text.partition(",")
    words = (first if comma and first.strip() else last).split()
    titled = False
    while words and words[0].lower().rstrip(".") in _TITLES:
        words.pop(0)
        titled = True
    if not words or (titled and len(words) == 1 and not comma):
        return None
    if words[0].lower() in _PARTICLES and (shouted or words[0].islower()):
        return None if shouted else " ".join(words)
    if any(_family_name_first(ch) for ch in words[0]):
        return " ".join(words)
    given = words[0]
    return given if len(given) > 1 and re.fullmatch(_GIVEN_NAME, given) else None


#: one given name: letters, maybe joined by a hyphen or an apostrophe (Anna-Lena, D'Arcy);
#: with a dot or a single letter it is an initial (``J.``)
_GIVEN_NAME = r"[^\W\d_]+(?:[-'’][^\W\d_]+)*"


def _family_name_first(ch: str) -> bool:
    """Is ``ch`` of a script whose names put the family name first (Chinese, Japanese,
    Korean)?"""
    return unicodedata.name(ch, "").startswith(("CJK", "HIRAGANA", "KATAKANA", "HANGUL"))


def _on_this_computer(host: str) -> bool:
    """Whether the SMTP host is this computer; an IPv6 address comes bare (``::1``), as
    smtplib takes it, and is read as a URL's ``[::1]``."""
    bare_ipv6 = ":" in host and not host.startswith("[")
    return links.is_loopback(f"[{host}]" if bare_ipv6 else host)


class Mailer:
    """One SMTP connection for a batch of messages (``with Mailer(settings) as m: m.send(…)``).

    STARTTLS and TLS from the first byte (:func:`implicit_tls`) check the server's certificate
    and host name against the trusted authorities (``SSL_CERT_FILE`` names a bundle to trust
    instead, e.g. the system's with a private authority added):
    smtplib's own default checks neither, so anyone on the way could pose as the server and
    read the password and every address. Settings that cannot work or would send the password
    in clear are refused before connecting (:func:`check_connection`).

    A connection lost between messages (the server answers ``421`` or drops it, as providers
    do after so many messages) is opened again and the message sent on it, as long as
    nothing of the message went over: at most :data:`RECONNECTS` times in a row without the
    server answering a message, then :class:`ConnectionLost` stops the batch."""

    def __init__(self, settings: Settings, *, from_name: str | None = None) -> None:
        self.settings = settings
        #: the name the From header shows beside the address (the shop's)
        self.from_name = from_name or settings.shop_name
        self._smtp: _SMTP | None = None
        #: new connections opened since the server last answered a message
        self._reconnects = 0
        #: the server was silent past the timeout: no new connection, it would be waited for
        #: again with every message
        self._stalled = False

    def __enter__(self) -> Mailer:
        check_connection(self.settings)
        self._open()
        return self

    def _open(self) -> None:
        """Connect, upgrade with STARTTLS and log in as the settings say; a failure is one
        :class:`ShopperlensError` naming what to check."""
        s = self.settings
        try:
            self._smtp = self._connect()
            if s.smtp_starttls:
                self._smtp.starttls(context=ssl.create_default_context())
            if s.smtp_user:
                self._smtp.login(s.smtp_user, s.smtp_password or "")
        except smtplib.SMTPAuthenticationError as exc:
            self.__exit__()
            raise ShopperlensError(
                f"the SMTP server {s.smtp_host}:{s.smtp_port} refused the user name or "
                f"password ({_reply(exc)}): check SHOPPERLENS_SMTP_USER and "
                "SHOPPERLENS_SMTP_PASSWORD"
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            if self._smtp is not None:
                self._smtp.close()
            raise ShopperlensError(
                f"cannot reach the SMTP server {s.smtp_host}:{s.smtp_port}: {exc}"
            ) from None

    def _reconnect(self, lost: BaseException) -> None:
        """Open a new connection for the next message after ``lost`` closed the last one;
        :class:`ConnectionLost` when :data:`RECONNECTS` new ones in a row were closed without
        the server answering a message, or it cannot be reached again."""
        s = self.settings
        where = f"{s.smtp_host}:{s.smtp_port}"
        if self._reconnects >= RECONNECTS:
            raise ConnectionLost(
                f"the SMTP server {where} closed the connection {RECONNECTS + 1} times in a row "
                f"without taking a message ({_loss(lost)}): the e-mails not sent wait for the "
                "next send"
            )
        self._reconnects += 1
        if self._smtp is not None:
            self._smtp.close()
        try:
            self._open()
        except ShopperlensError as exc:
            raise ConnectionLost(
                f"the SMTP server {where} closed the connection and opening a new one failed "
                f"({exc}): the e-mails not sent wait for the next send"
            ) from None

    def _connect(self) -> _SMTP:
        """The connection, in TLS from the first byte when :func:`implicit_tls` says so; the
        certificate is checked as for STARTTLS. ``SHOPPERLENS_SMTP_TIMEOUT`` bounds the wait
        for every answer, so a stalled server leaves the message unsent instead of hanging."""
        s = self.settings
        if implicit_tls(s):
            return _SMTPS(
                s.smtp_host, s.smtp_port, timeout=s.smtp_timeout,
                context=ssl.create_default_context(),
            )  # fmt: skip
        return _SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout)

    @property
    def handing_over(self) -> bool:
        """Whether the last message got as far as the DATA command (it may have gone out)."""
        return self._smtp is not None and self._smtp.handing_over

    def __exit__(self, *exc: object) -> None:
        if self._smtp is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self._smtp.quit()

    def send(
        self, to: str, subject: str, body: str, headers: Mapping[str, str] | None = None
    ) -> None:
        """Hand one message to the server; raises ``smtplib.SMTPException``/``OSError``, and
        :class:`NotSent` when it certainly did not go out without a reply code saying so.

        A non-ASCII address goes out with the ``SMTPUTF8`` option when the server announces
        it (``send_message`` adds the option for such an envelope address). A server without
        it gets the address's domain in IDNA's ASCII form (:func:`ascii_address`), in the
        envelope and the headers alike; only a non-ASCII local part cannot go through it.
        ``headers`` are added as given (:func:`opt_out_headers`).

        A connection found closed, or lost before the DATA command, is opened again and the
        message sent on it (:meth:`_reconnect`); one lost during the hand-over is not: the
        message may have gone out."""
        assert self._smtp is not None, "use Mailer as a context manager"
        lost: BaseException = ConnectionClosed("the SMTP server closed the connection")
        while True:
            if self._smtp.sock is None:  # smtplib closes the connection on a 421 reply
                if self._stalled:
                    raise ConnectionClosed("the SMTP server closed the connection")
                self._reconnect(lost)
            try:
                self._send_once(to, subject, body, headers)
            except Exception as exc:
                self._stalled = self._stalled or _timed_out(exc)
                if not self._lost_before_data(exc):
                    self._reconnects = 0  # the server answered this message
                    raise
                lost = exc
                continue
            self._reconnects = 0
            return

    def _lost_before_data(self, exc: Exception) -> bool:
        """Whether ``exc`` closed the connection before the DATA command (a ``421``, a
        dropped connection): the message certainly did not go out and may go on a new one.
        A timeout is no such loss: a stalled server would be waited for again and again."""
        smtp = self._smtp
        if smtp is None or smtp.handing_over or smtp.sock is not None or self._stalled:
            return False
        return (isinstance(exc, NotSent) and exc.retry) or refusal_code(exc) == 421

    def _send_once(
        self, to: str, subject: str, body: str, headers: Mapping[str, str] | None
    ) -> None:
        """One attempt at :meth:`send` on the current connection."""
        smtp = self._smtp
        assert smtp is not None
        smtp.handing_over = False
        try:
            sender = self.settings.smtp_sender
            smtp.ehlo_or_helo_if_needed()
            if not smtp.has_extn("smtputf8"):  # (else it fails as NO_SMTPUTF8 below)
                to, sender = ascii_address(to) or to, ascii_address(sender) or sender
            smtp.send_message(self._message(to, subject, body, sender, headers or {}))
        except smtplib.SMTPSenderRefused as exc:
            if exc.smtp_code < 500:
                raise  # for now: see refusal()
            raise SenderRefused(
                f"the SMTP server {self.settings.smtp_host}:{self.settings.smtp_port} refused "
                f"to take mail from {exc.sender} ({_reply(exc)}): check SHOPPERLENS_SMTP_SENDER, "
                "SHOPPERLENS_SMTP_USER, SHOPPERLENS_SMTP_STARTTLS and SHOPPERLENS_SMTP_TLS, "
                "then send again (the e-mails not sent wait for it)"
            ) from None
        except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused):
            raise  # the server refused it, with a reply code: see refusal()
        except Exception as exc:
            not_sent = _not_sent(exc, handing_over=smtp.handing_over)
            if not_sent is None:
                raise
            raise not_sent from exc

    def _message(
        self, to: str, subject: str, body: str, sender: str, headers: Mapping[str, str]
    ) -> EmailMessage:
        """The message, with the headers RFC 5322 asks for (``Date``, ``Message-ID``) and the
        shop's name beside the From address (a bare address looks like spam)."""
        msg = EmailMessage(policy=_POLICY)
        name = (self.from_name or "").strip()
        msg["From"] = Address(display_name=name, addr_spec=sender) if name else sender
        msg["To"] = to
        msg["Subject"] = subject
        msg["Date"] = formatdate(usegmt=True)
        msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
        for key, value in headers.items():
            if "\r" in value or "\n" in value:
                raise ValueError(f"a line break in the {key} header")
            msg.set_raw(key, value)  # as written: a URL folded into encoded words breaks
        msg.set_content(body)
        return msg


def _reply(exc: smtplib.SMTPResponseException) -> str:
    """The server's reply as one line of text: ``530 5.7.0 Authentication required``."""
    text = exc.smtp_error
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{exc.smtp_code} {' '.join(str(text).split())}"


def _not_sent(exc: Exception, *, handing_over: bool) -> NotSent | None:
    """What an exception raised before the DATA command means (nothing went out), or None
    when the message may have gone out: the connection broke during the hand-over.

    ``smtplib`` raises ``SMTPNotSupportedError`` before the MAIL command when an address is
    not ASCII and the server does not announce SMTPUTF8; an address or text that cannot be
    written as an e-mail (``jo@``: Python's e-mail package raises ``IndexError`` on it) fails
    before anything is sent. Neither goes better next time. A server that stalls past
    ``SHOPPERLENS_SMTP_TIMEOUT`` or drops the connection before the DATA command (smtplib says
    ``SMTPServerDisconnected``) sent nothing either: retried, as is any other failure before
    the DATA command (taken as "may have gone out", such an invitation stayed ``sending`` and
    was never sent). The texts name no address: they are stored with the invitation."""
    if handing_over:
        return None
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return NotSent(NO_SMTPUTF8, retry=False)
    if isinstance(exc, ValueError | IndexError | email.errors.MessageError):  # (UnicodeError)
        return NotSent(f"the message cannot be written ({_said(exc)})", retry=False)
    if isinstance(exc, OSError | smtplib.SMTPServerDisconnected):
        return NotSent(f"the connection broke before the message was sent ({exc})", retry=True)
    return NotSent(f"not sent ({_said(exc)})", retry=True)


#: an e-mail address in an exception's text (Python's e-mail package quotes what it parsed)
_ADDRESS = re.compile(r"\S*@\S*")


def _said(exc: BaseException) -> str:
    """``exc`` as ``Type: text`` with any e-mail address in the text left out."""
    text = _ADDRESS.sub("(an address)", " ".join(str(exc).split()))
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _timed_out(exc: BaseException) -> bool:
    """Whether ``exc`` came of waiting past ``SHOPPERLENS_SMTP_TIMEOUT`` (smtplib raises
    ``SMTPServerDisconnected`` while handling the ``TimeoutError``)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, TimeoutError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _loss(exc: BaseException) -> str:
    """How the connection was lost, in words naming no address: the server's ``421`` or a
    dropped connection."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):  # (keyed by address: only the reply)
        replies = [smtplib.SMTPResponseException(*r) for r in exc.recipients.values()]
        exc = next((r for r in replies if r.smtp_code == 421), exc)
    if isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code == 421:
        return f"last: {_reply(exc)}"
    return "last: SMTP 421" if refusal_code(exc) == 421 else "last: the connection was dropped"


def refusal(exc: BaseException) -> Refusal | None:
    """Why a message certainly did not go out (a refusal with a reply code, or
    :class:`NotSent`), and whether a later send may go better; None when the outcome is
    unknown (the connection broke or timed out during the hand-over: it may have gone out)."""
    if isinstance(exc, NotSent):
        return Refusal(exc.retry, exc.reason)
    if isinstance(exc, ConnectionClosed):  # no reply code of its own: the server had gone
        return Refusal(True, "the server had closed the connection: not sent")
    code = refusal_code(exc)
    if code is None:
        return None
    if code < 500:
        return Refusal(True, f"SMTP {code}: refused for now")
    return Refusal(False, f"SMTP {code}: refused")


def refusal_code(exc: BaseException) -> int | None:
    """The SMTP reply code with which the server refused a message, when it certainly did not
    take it (``4xx``: try again later, ``5xx``: never); None without a reply code (see
    :func:`refusal`, which also knows what failed before the DATA command)."""
    if isinstance(exc, ConnectionClosed):
        return 421
    if isinstance(exc, smtplib.SMTPRecipientsRefused) and exc.recipients:
        return max(int(code) for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException) and 400 <= exc.smtp_code < 600:
        return int(exc.smtp_code)
    return None
