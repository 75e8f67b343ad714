"""A real SMTP server for the tests (aiosmtpd on 127.0.0.1) that keeps what it is sent.

The test sets how it answers: ``reply`` (``250 OK``, a temporary ``451 …`` or a permanent
``550 …``; only a 250 keeps the message) and ``break_at`` (the n-th message's connection is
dropped before the server says whether it took it).
"""

from __future__ import annotations

import email
from email.message import Message


class SmtpSink:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.reply = "250 OK"
        self.break_at: int | None = None
        self.seen = 0
        self.port = 0
        #: called with each message taken (in the server's thread), e.g. to erase someone
        self.on_message = None

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802 - aiosmtpd hook name
        self.seen += 1
        if self.seen == self.break_at:
            server.transport.abort()  # no reply: the client cannot know whether it went out
            return "250 OK"
        if self.reply.startswith("250"):
            self.messages.append(email.message_from_bytes(envelope.content))
            if self.on_message is not None:
                self.on_message(self.messages[-1])
        return self.reply

    @property
    def to(self) -> list[str]:
        return [m["To"] for m in self.messages]
