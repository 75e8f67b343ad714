"""Invitation e-mails: editable Jinja templates and an SMTP sender (the only delivery I/O).

A template is plain text whose first line is ``Subject: …``. The built-in ones
(``surveys/templates/*.txt.j2``) are humble, honest and short, as the profile method asks;
pass your own file to change the wording.
"""

from __future__ import annotations

import contextlib
import smtplib
from email.message import EmailMessage
from email.utils import make_msgid
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, StrictUndefined

from shopperlens.config import Settings
from shopperlens.errors import ShopperlensError

_env = Environment(autoescape=False, undefined=StrictUndefined, keep_trailing_newline=True)
_DEFAULTS = {
    "shop_name": "our shop",
    "minutes": 3,
    # only a survey whose questions are all optional may be called so
    "all_optional": False,
    "first_name": None,
    "reward": None,
    "link": None,
    # reminders: which one this is, of how many at most; only the last one may say so
    "reminder": None,
    "max_reminders": None,
    "last_reminder": False,
}


class ConnectionClosed(smtplib.SMTPServerDisconnected):
    """The server had closed the connection (after a ``421``) before this message was sent,
    so it certainly did not go out."""


def load_template(name_or_path: str | Path) -> str:
    """A built-in template by name (``invitation``, ``reminder``, ``interview``) or a file."""
    p = Path(name_or_path)
    if p.suffix and p.exists():
        return p.read_text("utf-8")
    res = resources.files("shopperlens.surveys").joinpath(f"templates/{name_or_path}.txt.j2")
    if not res.is_file():
        raise ShopperlensError(f"no e-mail template {name_or_path!r} (a file or a built-in name)")
    return res.read_text("utf-8")


def render(template: str, **context: Any) -> tuple[str, str]:
    """``(subject, body)`` of a template rendered with ``context``."""
    text = _env.from_string(template).render(**{**_DEFAULTS, **context})
    first, _, body = text.partition("\n")
    if not first.lower().startswith("subject:"):
        raise ShopperlensError("an e-mail template must start with a 'Subject: …' line")
    return first.split(":", 1)[1].strip(), body.lstrip("\n")


class Mailer:
    """One SMTP connection for a batch of messages (``with Mailer(settings) as m: m.send(…)``)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Mailer:
        s = self.settings
        try:
            self._smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=30)
            if s.smtp_starttls:
                self._smtp.starttls()
            if s.smtp_user:
                self._smtp.login(s.smtp_user, s.smtp_password or "")
        except (OSError, smtplib.SMTPException) as exc:
            raise ShopperlensError(
                f"cannot reach the SMTP server {s.smtp_host}:{s.smtp_port}: {exc}"
            ) from None
        return self

    def __exit__(self, *exc: object) -> None:
        if self._smtp is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self._smtp.quit()

    def send(self, to: str, subject: str, body: str) -> None:
        """Hand one message to the server; raises ``smtplib.SMTPException``/``OSError``."""
        assert self._smtp is not None, "use Mailer as a context manager"
        if self._smtp.sock is None:  # smtplib closes the connection on a 421 reply
            raise ConnectionClosed("the SMTP server closed the connection")
        msg = EmailMessage()
        msg["From"] = self.settings.smtp_sender
        msg["To"] = to
        msg["Subject"] = subject
        msg["Message-ID"] = make_msgid(domain=self.settings.smtp_sender.rpartition("@")[2] or None)
        msg.set_content(body)
        self._smtp.send_message(msg)


def refusal_code(exc: BaseException) -> int | None:
    """The SMTP reply code with which the server refused a message, when it certainly did not
    take it (``4xx``: try again later, ``5xx``: never); None when the outcome is unknown (the
    connection broke or timed out half-way, so the message may have gone out)."""
    if isinstance(exc, ConnectionClosed):
        return 421
    if isinstance(exc, smtplib.SMTPRecipientsRefused) and exc.recipients:
        return max(int(code) for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException) and 400 <= exc.smtp_code < 600:
        return int(exc.smtp_code)
    return None
