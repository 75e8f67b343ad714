"""What the server's access log may say: method, path and status, without personal data.

uvicorn logs every request line as it came, query string included: ``?token=`` (the API token
of a dashboard link) and ``?visitor_id=`` of the public survey routes, and a path may carry an
e-mail (``DELETE /api/customers/ann@example.com``). The filter keeps the path, drops the query
and masks e-mail addresses, so the log never holds a token or a customer's e-mail, however
often it was percent-encoded (``ann%2540example.com`` decodes once to ``ann%40example.com``,
which reads back as the address).
"""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote

ACCESS_LOGGER = "uvicorn.access"
#: an e-mail address: its ``@`` plain or still percent-encoded, once or more (``%40``,
#: ``%2540`` …), as it may be after :data:`_DECODINGS` decodings of a path encoded more often
_EMAIL = re.compile(r"[^/@\s]+(?:@|%(?:25)*40)[^/@\s]+")
#: how many times a path is percent-decoded before e-mails are looked for: until it stops
#: changing, at most this often (a bound: a crafted path cannot keep the filter busy)
_DECODINGS = 3


def redact_path(path: str) -> str:
    """``/api/customers/ann%40example.com?token=x`` -> ``/api/customers/<e-mail>?…``.

    The path is decoded until it stops changing (at most :data:`_DECODINGS` times) before
    e-mails are masked: decoded once, as before, ``ann%2540example.com`` (an ``@`` encoded
    twice) was logged as ``ann%40example.com``, which anyone reading the log decodes back to
    the address. An ``@`` still encoded after the last decoding counts as one."""
    bare, query, _ = path.partition("?")
    for _ in range(_DECODINGS):
        decoded = unquote(bare)
        if decoded == bare:
            break
        bare = decoded
    return _EMAIL.sub("<e-mail>", bare) + ("?…" if query else "")


class RedactAccessLog(logging.Filter):
    """Rewrites the path argument of uvicorn's access records (``client, method, path,
    http version, status``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact_path(args[2]), *args[3:])
        return True


def redact_access_log() -> None:
    """Install :class:`RedactAccessLog` on uvicorn's access logger (once per process)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, RedactAccessLog) for f in logger.filters):
        logger.addFilter(RedactAccessLog())
