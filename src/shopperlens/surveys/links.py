"""Signed per-recipient survey links, and signed pop-up targeting.

A personal link carries ``<invitation_id>.<signature>`` where the signature is an HMAC-SHA256
of the survey name and invitation id under ``Settings.secret_key``. The server can then trust
who answers (and link the response to the customer) without a login, and a link can be used
once: the response table keeps the invitation id unique.

An opt-out link carries ``<invitation_id>.<signature>`` too, signed for :data:`OPT_OUT` instead
of a survey (:func:`sign_opt_out`): it names the person an e-mail went to, so pressing its
button records their refusal of survey e-mails, and it cannot answer a survey.

A pop-up aimed at customer types carries ``<type,type>.<signature>`` (:func:`sign_target`):
the public eligibility check takes the types from it, so nobody can ask it about other types
(a visitor id is readable by any script on the shop's pages; answering "is visitor X of type
Y?" for any Y would hand out every visitor's type).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import socket
from urllib.parse import quote, urlsplit

from shopperlens.errors import ShopperlensError


def _key(secret_key: str | None) -> bytes:
    if not secret_key:
        raise ShopperlensError("set SHOPPERLENS_SECRET_KEY to sign personal survey links")
    return secret_key.encode("utf-8")


def sign(invitation_id: str, survey: str, secret_key: str | None) -> str:
    """The link token for one invitation."""
    mac = hmac.new(_key(secret_key), f"{survey}\x00{invitation_id}".encode(), hashlib.sha256)
    sig = base64.urlsafe_b64encode(mac.digest()[:18]).decode().rstrip("=")
    return f"{invitation_id}.{sig}"


def verify(token: object, survey: str, secret_key: str | None) -> str | None:
    """The invitation id if ``token`` was signed by us for ``survey``, else None.

    ``token`` comes from the outside world (a JSON body may carry a number or a list), so
    anything but text is simply not a valid token.
    """
    if not _is_text(token) or not token or "." not in token or len(token) > 200:
        return None
    invitation_id = token.split(".", 1)[0]
    try:
        expected = sign(invitation_id, survey, secret_key)
    except ShopperlensError:
        return None
    return invitation_id if _same(expected, token) else None


#: what opt-out links are signed for in place of a survey name: no survey is called so (a
#: survey name is lower-case letters, digits, ``-`` and ``_``)
OPT_OUT = "(opt-out)"


def sign_opt_out(invitation_id: str, secret_key: str | None) -> str:
    """The opt-out token for one invitation (its survey's link token does not opt out)."""
    return sign(invitation_id, OPT_OUT, secret_key)


def verify_opt_out(token: object, secret_key: str | None) -> str | None:
    """The invitation id if ``token`` is an opt-out token we signed, else None."""
    return verify(token, OPT_OUT, secret_key)


def opt_out_url(public_url: str, token: str) -> str:
    """Address of the public opt-out page for one invitation's token."""
    return f"{public_url.rstrip('/')}/survey-opt-out?t={quote(token)}"


def sign_target(types: list[str], survey: str, secret_key: str | None) -> str:
    """The pop-up's targeting token: the types (``,``-joined, as written) and an HMAC."""
    if not secret_key:
        raise ShopperlensError(
            "set SHOPPERLENS_SECRET_KEY to aim a pop-up at customer types: the server signs "
            "the targeting, so nobody can ask it about a visitor's type"
        )
    joined = ",".join(types)
    mac = hmac.new(_key(secret_key), f"target\x00{survey}\x00{joined}".encode(), hashlib.sha256)
    sig = base64.urlsafe_b64encode(mac.digest()[:18]).decode().rstrip("=")
    return f"{joined}.{sig}"


def verify_target(token: object, survey: str, secret_key: str | None) -> list[str] | None:
    """The types of a targeting token we signed for ``survey``, else None."""
    if not _is_text(token) or "." not in token or len(token) > 400 or not secret_key:
        return None
    joined = token.rsplit(".", 1)[0]
    types = [t for t in joined.split(",") if t]
    if not types:
        return None
    expected = sign_target(types, survey, secret_key)
    return types if _same(expected, token) else None


def _is_text(token: object) -> bool:
    """Is ``token`` text that UTF-8 can carry? JSON may hold a lone surrogate (``"\\ud800"``),
    which no signature covers and which would fail when signed or compared."""
    if not isinstance(token, str):
        return False
    try:
        token.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _same(expected: str, token: str) -> bool:
    """Constant-time equality of a token we made and one from outside, as UTF-8 bytes:
    ``hmac.compare_digest`` refuses ``str`` holding anything but ASCII, and a visitor's
    ``é`` in a link or a pop-up target was a 500 instead of "not ours"."""
    return hmac.compare_digest(expected.encode("utf-8"), token.encode("utf-8"))


def survey_url(public_url: str, survey: str, token: str | None = None) -> str:
    """Address of the survey's public page, personal when ``token`` is given."""
    base = f"{public_url.rstrip('/')}/s/{quote(survey)}"
    return f"{base}?t={quote(token)}" if token else base


def is_loopback(address: str) -> bool:
    """Does ``address`` (a URL, ``host:port`` or a host name) name this computer only:
    ``localhost``, a ``*.localhost`` name, a loopback or unspecified address in any spelling the
    system resolver accepts (``127.0.0.1``, ``127.1``, ``2130706433``, ``0``, ``::1``,
    ``::ffff:127.0.0.1``)? Nobody else can open it."""
    text = address.strip()
    if "//" not in text:
        text = "//" + text  # "localhost:8000" is a host and a port, not a scheme
    try:
        host = urlsplit(text).hostname or ""
    except ValueError:
        return False
    host = host.rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    return any(ip.is_loopback or ip.is_unspecified for ip in _addresses(host))


def _addresses(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """``host`` as IP addresses when it is one, in the spellings ``inet_aton`` accepts too
    (``127.1``, ``2130706433``): the resolver opens those as 127.0.0.1; an IPv4-mapped IPv6
    address counts as its IPv4 one. Names are not looked up."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        try:
            ip = ipaddress.ip_address(socket.inet_aton(host))
        except OSError:
            return []
    mapped = getattr(ip, "ipv4_mapped", None)
    return [ip] if mapped is None else [ip, mapped]


def loopback_warning(public_url: str) -> str | None:
    """What to say when links and snippets point at ``public_url`` only this computer
    reaches (the default ``http://127.0.0.1:8000``), else None."""
    if not is_loopback(public_url):
        return None
    return (
        f"SHOPPERLENS_PUBLIC_URL is {public_url}, which only this computer can open: set "
        "SHOPPERLENS_PUBLIC_URL to the address customers can reach shopperlens at (e.g. "
        "https://survey.example.com) before sharing it"
    )
