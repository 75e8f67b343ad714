"""What the server's access log may say: method, path and status, without personal data.

uvicorn logs every request line as it came, query string included: ``?token=`` (the API token
of a dashboard link) and ``?visitor_id=`` of the public survey routes, and a path may carry an
e-mail (``DELETE /api/customers/ann@example.com``). The filter keeps the path, drops the query
and masks e-mail addresses, so the log never holds a token or a customer's e-mail, however
often it was percent-encoded (``ann%2540example.com`` decodes once to ``ann%40example.com``,
which reads back as the address).

The path is decoded only to find what to mask: what is logged keeps every control character
(``%0A``, ``%0D``, ``%1B``, ``%00`` …), every invisible formatting one (``%E2%80%AE``, which
turns text around) and ``"`` percent-encoded. Logged decoded, a caller without a token wrote
lines of its own into the log (``/s/x%0AINFO: …``), cleared the screen of whoever read it, or
made the log a binary file.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from urllib.parse import unquote

ACCESS_LOGGER = "uvicorn.access"
#: an e-mail address: its ``@`` plain or still percent-encoded, once or more (``%40``,
#: ``%2540`` …), as it may be after :data:`_DECODINGS` decodings of a path encoded more often
_EMAIL = re.compile(r"[^/@\s]+(?:@|%(?:25)*40)[^/@\s]+")
#: how many times a path is percent-decoded before e-mails are looked for: until it stops
#: changing, at most this often (a bound: a crafted path cannot keep the filter busy)
_DECODINGS = 3
#: Unicode categories logged percent-encoded: controls, formatting (bidi overrides, zero
#: widths), surrogates, private and unassigned code points, line and paragraph separators
_HIDDEN = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
#: what the log may show as it is: printable ASCII but ``"`` (which ends the logged request)
_PLAIN = re.compile(r"[\x20\x21\x23-\x7e]*")


def redact_path(path: str) -> str:
    """``/api/customers/ann%40example.com?token=x`` -> ``/api/customers/<e-mail>?…``.

    The path is decoded until it stops changing (at most :data:`_DECODINGS` times) before
    e-mails are masked: decoded once, as before, ``ann%2540example.com`` (an ``@`` encoded
    twice) was logged as ``ann%40example.com``, which anyone reading the log decodes back to
    the address. An ``@`` still encoded after the last decoding counts as one. What the
    decoding turned into something a log must not hold is encoded again (:func:`_loggable`)."""
    bare, query, _ = path.partition("?")
    for _ in range(_DECODINGS):
        decoded = unquote(bare, errors="surrogateescape")
        if decoded == bare:
            break
        bare = decoded
    return _loggable(_EMAIL.sub("<e-mail>", bare)) + ("?…" if query else "")


def _loggable(text: str) -> str:
    """``text`` with each character a log line must not hold percent-encoded (its UTF-8
    bytes; a byte that was no UTF-8 as it came): see :data:`_HIDDEN`, and ``"``."""
    if _PLAIN.fullmatch(text):
        return text
    return "".join(_percent(c) if _hidden(c) else c for c in text)


def _hidden(char: str) -> bool:
    return char == '"' or unicodedata.category(char) in _HIDDEN


def _percent(char: str) -> str:
    """``\\n`` -> ``%0A``; a byte kept as a surrogate by the decoding -> that byte."""
    try:
        data = char.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate the decoding did not make
        data = char.encode("utf-8", "surrogatepass")
    return "".join(f"%{b:02X}" for b in data)


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
