"""Typed dependencies shared by every route: settings, the store, token auth, and where an
upload is written."""

from __future__ import annotations

import errno
import functools
import hashlib
import ipaddress
import itertools
import math
import os
import re
import secrets
import tempfile
import threading
import time
import unicodedata
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, unquote, urlsplit

from fastapi import Depends, HTTPException, Request, Response, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict

from shopperlens.api import Shop
from shopperlens.config import Settings

_bearer = HTTPBearer(auto_error=False)
#: the dashboard's cookie, holding the token percent-encoded (:func:`remember_token`)
COOKIE = "shopperlens_token"
#: methods that change nothing, which a page of another site may make the browser send
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CROSS_SITE = "cross-site request refused"
#: wrong tokens one client address may send within :data:`GUESS_WINDOW` seconds; past them
#: its tokens wait (429) until the oldest of them is that old
GUESSES = 10
GUESS_WINDOW = 60.0
TOO_MANY_GUESSES = "too many wrong tokens from this address: try again later"


class RequestBody(BaseModel):
    """A JSON request body that refuses keys it does not know (422, naming them).

    Ignored keys act silently: ``{"audience": {"type": ["looker"]}}`` (the CLI's ``--type``)
    selected every customer, and ``"dryrun": true`` really sent the e-mails."""

    model_config = ConfigDict(extra="forbid")


#: the longest file name, in bytes, when the file system does not say (ext4, XFS, Btrfs, APFS)
NAME_MAX = 255
#: the extensions a shortened name keeps: one or two of up to 8 letters or digits (``.csv.gz``)
_EXTENSIONS = re.compile(r"(?:\.[A-Za-z0-9]{1,8}){1,2}$")
#: what no file name may hold: NUL, and lone surrogates (no UTF-8 byte sequence)
_UNNAMEABLE = re.compile(r"[\x00\ud800-\udfff]")
#: a name the file system refused, for what it is (too long, a character it does not take)
_NAME_ERRORS = frozenset({errno.ENAMETOOLONG, errno.EINVAL, errno.EILSEQ})


def upload_name(filename: str | None, default: str, *, limit: int | None = None) -> str:
    """An uploaded file's base name, safe as a file name in a folder of our own: the last part
    of what the client sent, or ``default`` when that is empty, ``.`` or ``..`` (which gave a
    500 where a file was written under it).

    A name longer than the file system takes (what the temporary folder's file system says,
    or ``limit`` bytes if fewer) is shortened, its extensions kept (:func:`_fitted`): written
    as sent, it was a 500, with a traceback in the server's log quoting the name."""
    name = _UNNAMEABLE.sub("_", Path(filename or "").name)
    if name in ("", ".", ".."):
        return default
    return _fitted(name, min(limit or _name_max(), _name_max()))


def _fitted(name: str, limit: int) -> str:
    """``name`` if its UTF-8 bytes fit in ``limit``, else its start, ``~`` and 8 hex digits of
    the whole name's SHA-256, and its extensions, within ``limit`` bytes, cut between
    characters (a Cyrillic or CJK name has 2 or 3 bytes to one). The digits keep two names
    apart that differ only past the cut: two interview notes ``… клиент Анна Петрова.md`` and
    ``… клиент Борис Смирнов.md`` became one interviewee, the second note replacing the
    first."""
    if len(name.encode("utf-8")) <= limit:
        return name
    found = _EXTENSIONS.search(name)
    stem, ext = (name[: found.start()], found.group()) if found and found.start() else (name, "")
    tail = "~" + hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:8] + ext
    room = limit - len(tail.encode("utf-8"))
    kept, used = [], 0
    for char in stem:
        used += len(char.encode("utf-8"))
        if used > room:
            break
        kept.append(char)
    return "".join(kept) + tail


@functools.cache
def _name_max() -> int:
    """The longest file name the temporary folder's file system takes, in bytes."""
    try:
        return int(os.pathconf(tempfile.gettempdir(), "PC_NAME_MAX"))
    except (AttributeError, OSError, ValueError):  # no pathconf (Windows), or no answer
        return NAME_MAX


def upload_path(
    folder: Path, filename: str | None, default: str, *, limit: int | None = None
) -> Path:
    """An empty file in ``folder`` (created with it) for an upload to be written to: under
    :func:`upload_name` (``limit`` as there), or ``default`` where the file system refuses
    that name all the same (a character it does not take): a client's file name is never a
    500."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / upload_name(filename, default, limit=limit)
    try:
        target.touch(exist_ok=False)
    except OSError as exc:
        if exc.errno not in _NAME_ERRORS:
            raise
        target = folder / default
        target.touch(exist_ok=False)
    return target


class Guesses:
    """Distinct wrong tokens per client address in a sliding window: after ``limit`` of them
    within ``window`` seconds, an address's tokens are not checked until the oldest is that
    old.

    Unchecked means the right one too. A right token answered while wrong ones wait would be
    told apart by its status (200, not 429), so a guesser would still learn every answer, as
    fast as before: the limit would stop nothing. Other addresses are never slowed, nor is
    one that sends no wrong token, and a request sending no token is no guess (a browser
    opening the dashboard before logging in). The same wrong token again is no new guess: a
    browser's old cookie after the token changed, or a job still sending the old token, tells
    a guesser nothing new, and counted each time it locked out the owner on the same address.
    IPv6 addresses count by their /64 network, which one client holds whole; past
    :data:`MAX_ADDRESSES` the longest-known addresses are forgotten first.
    """

    def __init__(self, limit: int = GUESSES, window: float = GUESS_WINDOW) -> None:
        self.limit, self.window = limit, window
        #: address -> hash of each distinct wrong token -> when it was first sent
        self._wrong: dict[str, dict[bytes, float]] = {}
        self._lock = threading.Lock()

    def judge(self, address: str, right: bool, token: bytes = b"") -> int | None:
        """The seconds ``address`` must wait before its token is checked (its verdict kept
        from it), or None: the token is checked now, and a wrong one counted. One lock for
        both, so guesses sent at once cannot all pass the count before any is counted."""
        now = time.monotonic()
        key = _address_key(address)
        with self._lock:
            wrong = self._wrong.get(key, {})
            for seen, at in list(wrong.items()):  # (at most ``limit`` of them)
                if now - at >= self.window:
                    del wrong[seen]
            if len(wrong) >= self.limit:
                return max(1, math.ceil(self.window - (now - min(wrong.values()))))
            if right:
                return None
            wrong.setdefault(hashlib.sha256(token).digest()[:16], now)
            self._wrong.pop(key, None)  # (re-inserted last: the dict runs oldest first)
            self._wrong[key] = wrong
            if len(self._wrong) > MAX_ADDRESSES:
                for old in list(itertools.islice(self._wrong, len(self._wrong) // 2)):
                    del self._wrong[old]
            return None


#: client addresses :class:`Guesses` keeps at most (about 85 MB at 100,000)
MAX_ADDRESSES = 100_000


def _address_key(address: str) -> str:
    """The client an address stands for: an IPv6 address's /64 network (one client's whole
    allocation), any other address as it is."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # an IPv4 client on a dual-stack socket
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_shop(request: Request) -> Shop:
    return request.app.state.shop


def require_token(
    request: Request,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Every endpoint except the public survey ones needs ``Authorization: Bearer <token>``.

    With no token configured the API refuses everything: an open API would expose customer data.
    A ``?token=`` query parameter (or the dashboard's cookie) is accepted too so dashboard
    pages open in a browser. A browser sends the cookie whoever made it send the request, so a
    request the cookie alone authorizes must come from a page of this server unless it only
    reads (GET, HEAD, OPTIONS): a page elsewhere, even on another port of the same host (which
    ``SameSite`` treats as the same site), could otherwise import files or start jobs.

    An address that sent :data:`GUESSES` wrong tokens within a minute is answered 429 (with
    ``Retry-After``) until the oldest is a minute old, its right token included (see
    :class:`Guesses`): unslowed, a client could try 500 tokens a second.
    """
    expected = request.app.state.settings.token
    if not expected:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, "set SHOPPERLENS_TOKEN to use the API"
        )
    given = _given_token(request, creds)
    right = given is not None and secrets.compare_digest(given, expected.encode("utf-8"))
    if given:  # a guess, right or wrong (see Guesses)
        address = request.client.host if request.client else "?"
        wait = request.app.state.guesses.judge(address, right, given)
        if wait is not None:
            raise HTTPException(
                status.HTTP_429_TOO_MANY_REQUESTS,
                TOO_MANY_GUESSES,
                headers={"Retry-After": str(wait)},
            )
    if not right:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing or wrong token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    by_cookie = not creds and not request.query_params.get("token")  # as _given_token reads
    if by_cookie and request.method not in SAFE_METHODS and same_origin(request) is not True:
        raise HTTPException(status.HTTP_403_FORBIDDEN, CROSS_SITE)


def remember_token(request: Request, response: Response) -> Response:
    """Keep a right ``?token=`` in the cookie so pages that link to each other, or fetch
    from the API (the dashboard, ``/docs``), carry it (percent-encoded: a cookie holds Latin-1
    only, and a token with ``€`` in it was a 500).

    A wrong one is not kept even when the request passed with a right ``Authorization``
    header: the cookie would refuse every page after. ``SameSite=Lax``, not ``Strict``: the
    browser withheld a ``Strict`` cookie from the redirect that follows a login link clicked
    on another site, which then showed the login page."""
    token = request.query_params.get("token")
    expected = request.app.state.settings.token or ""
    if token and secrets.compare_digest(token.encode("utf-8"), expected.encode("utf-8")):
        response.set_cookie(COOKIE, quote(token, safe=""), httponly=True, samesite="lax")
    return response


def without_token(request: Request) -> str:
    """The address asked for, less its ``token`` (kept in the cookie instead of the history)."""
    url = request.url.remove_query_params("token")
    return url.path + (f"?{url.query}" if url.query else "")


def same_origin(request: Request) -> bool | None:
    """Whether the browser says the request comes from a page of this server (scheme, host and
    port of the request itself): ``Sec-Fetch-Site: same-origin``, else ``Origin``, else the
    origin of ``Referer``. ``None`` when the request says nothing of where it comes from (not
    a browser's POST: browsers send ``Origin`` with every one; ``null`` counts as foreign)."""
    if request.headers.get("sec-fetch-site") == "same-origin":
        return True
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source:
        return None
    return _origin_of(source) == _origin_of(str(request.url))


def _origin_of(url: str) -> tuple[str, str, int | None] | None:
    """``(scheme, host, port)`` of ``url``, the default port written out; None if unreadable."""
    try:
        parts = urlsplit(url)
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())
    except ValueError:
        return None
    if not parts.scheme or not parts.hostname:
        return None
    return parts.scheme.lower(), parts.hostname.lower(), port


def _given_token(request: Request, creds: HTTPAuthorizationCredentials | None) -> bytes | None:
    """The token the request sent, as the UTF-8 bytes the configured token is compared with.

    ``secrets.compare_digest`` refuses ``str`` holding anything but ASCII (a ``TypeError``,
    so a stray ``é`` in a query, a cookie or ``SHOPPERLENS_TOKEN`` itself was a 500), hence
    bytes. A header reaches us decoded as Latin-1, so encoding it back gives the bytes the
    client sent; a query parameter arrives as the text itself, the dashboard's cookie
    percent-encoded (see :func:`remember_token`).
    """
    if creds:
        return creds.credentials.encode("latin-1", errors="replace")
    text = request.query_params.get("token")
    if not text and request.cookies.get(COOKIE):
        text = unquote(request.cookies[COOKIE])
    return text.encode("utf-8") if text else None


SettingsDep = Annotated[Settings, Depends(get_settings)]
ShopDep = Annotated[Shop, Depends(get_shop)]
Authorized = [Depends(require_token)]


def _route_parameters(route: object) -> frozenset[str]:
    """The query parameters an API route reads: its own and its dependencies' (FastAPI's
    ``Dependant`` tree)."""
    names: set[str] = set()
    todo = [getattr(route, "dependant", None)]
    while todo:
        dependant = todo.pop()
        if dependant is None:
            continue
        names.update(f.alias for f in dependant.query_params)
        todo.extend(dependant.dependencies)
    return frozenset(names)


def known_query(request: Request) -> None:
    """Refuse a query parameter an API address does not read: FastAPI leaves it out in
    silence, so ``GET /api/types?as-of=2024-01-01`` (a dash for the underscore) answered with
    the current types as if no date had been asked for. The dashboard's pages and the public
    survey addresses are left alone (a link may carry tracking tags); ``token`` is read by
    the authentication."""
    if not request.url.path.startswith("/api/"):
        return
    route: Any = request.scope.get("route")
    known = getattr(route, "_shopperlens_query", None)  # (worked out once per route)
    if known is None:
        known = _route_parameters(route) | {"token"}
        route._shopperlens_query = known
    unknown = [k for k in dict.fromkeys(request.query_params) if k not in known]
    if not unknown:
        return
    import difflib

    name = unknown[0]
    close = difflib.get_close_matches(name.replace("-", "_"), sorted(known - {"token"}), n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    takes = ", ".join(sorted(known - {"token"})) or "none"
    raise HTTPException(
        422,
        f"unknown query parameter {name!r}{hint}; {request.url.path} takes: {takes}",
    )


CheckedQuery = [Depends(known_query)]


#: the header an answer whose body is rows says in one sentence what the rows leave out
NOTE = "X-Shopperlens-Note"


def header_text(text: str) -> str:
    """``text`` as an HTTP header carries it (Latin-1 only): "…" as "...", dashes as "-"."""
    plain = unicodedata.normalize("NFKC", text).replace("—", "-").replace("–", "-")
    return plain.encode("latin-1", "replace").decode("latin-1")
