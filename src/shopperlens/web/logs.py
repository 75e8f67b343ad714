"""What the server's access log may say: method, path and status, without personal data.

uvicorn logs every request line as it came, query string included: ``?token=`` (the API token
of a dashboard link) and ``?visitor_id=`` of the public survey routes, and a path may carry an
e-mail (``DELETE /api/customers/ann@example.com``). The filter keeps the path, drops the query
and masks e-mail addresses, so the log never holds a token or a customer's e-mail.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote

ACCESS_LOGGER = "uvicorn.access"
_EMAIL = re.compile(r"[^/@\s]+@[^/@\s]+")


def redact_path(path: str) -> str:
    """``/api/customers/ann%40example.com?token=x`` -> ``/api/customers/<e-mail>?…``."""
    bare, query, _ = path.partition("?")
    return _EMAIL.sub("<e-mail>", unquote(bare)) + ("?…" if query else "")


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
