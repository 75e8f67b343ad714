"""The public survey endpoints: the only routes served without the API token.

Visitors, prospects and invited customers answer here, so everything is distrusted: bodies
are size-limited while they stream in, each IP has a rate limit, a honeypot field catches
form-filling bots, cross-origin calls are accepted only from ``Settings.allowed_origins``,
every answer is validated against the survey definition, and a signed link answers once.
Free text is stored as text and only ever rendered through autoescaping templates.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
import time
from collections import deque
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from shopperlens.errors import ShopperlensError
from shopperlens.service import surveys as svc
from shopperlens.surveys import links
from shopperlens.surveys.definition import AnswerError
from shopperlens.textfiles import parse_json

PUBLIC = True
router = APIRouter(prefix="/s", tags=["survey (public)"])

_env = Environment(
    loader=PackageLoader("shopperlens.web", "templates"), autoescape=select_autoescape(["html"])
)
_JS = resources.files("shopperlens.surveys").joinpath("static/popup.js").read_text("utf-8")


class _RateLimit:
    """A sliding one-minute window of submissions per client address."""

    def __init__(self) -> None:
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, ip: str, per_minute: int) -> bool:
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault(ip, deque())
            while hits and now - hits[0] > 60:
                hits.popleft()
            if len(hits) >= per_minute:
                return False
            hits.append(now)
            if len(self._hits) > 100_000:  # forget idle addresses rather than grow forever
                self._hits = {k: v for k, v in self._hits.items() if v and now - v[-1] < 60}
            return True


def _state(request: Request) -> tuple[svc.ResponseWriter, _RateLimit]:
    """The app's writer thread and rate limiter, created on first use."""
    app = request.app
    writer = getattr(app.state, "survey_writer", None)
    if writer is None:
        with _INIT:
            writer = getattr(app.state, "survey_writer", None)
            if writer is None:
                app.state.survey_limit = _RateLimit()
                writer = app.state.survey_writer = svc.ResponseWriter(app.state.shop.store)
                # The server's heap (pandas, scikit-learn, pydantic …) holds ~200k long-lived
                # objects; every full GC pass over them stalls all requests for 100+ ms.
                # Freezing them once per process (CPython's gc.freeze) took p99 from ~250 to
                # ~25 ms; objects frozen are still freed by reference counting.
                global _FROZEN
                if not _FROZEN:
                    gc.collect()
                    gc.freeze()
                    _FROZEN = True
    return writer, app.state.survey_limit


_INIT = threading.Lock()
_FROZEN = False


def _cors(request: Request) -> dict[str, str]:
    """CORS headers when the caller's origin is the shop's (configured) or our own."""
    origin = request.headers.get("origin")
    if origin and _origin_ok(request, origin):
        return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
    return {}


def _origin_ok(request: Request, origin: str) -> bool:
    """The shop's origins, the one this request reached, and that of the public URL the
    links are made with: behind a reverse proxy that terminates TLS or rewrites ``Host``, the
    request's own address is the proxy's view (``http://127.0.0.1:8765``) while the survey
    page the browser sends from is ``https://survey.example.com``."""
    settings = request.app.state.settings
    allowed = {_origin_of(o) for o in settings.allowed_origins}
    allowed |= {_origin_of(str(request.url)), _origin_of(settings.public_url)}
    return _origin_of(origin) in allowed


#: the port each scheme means when an address names none (a browser's Origin omits it)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin_of(url: str) -> str:
    """``scheme://host[:port]`` of an address as a browser's ``Origin`` writes it: lower
    case, without a path and without the scheme's default port."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    shown = f":{port}" if port and port != _DEFAULT_PORTS.get(scheme) else ""
    return f"{scheme}://{host}{shown}"


def _error(request: Request, status: int, detail: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"detail": detail, **extra}, status_code=status, headers=_cors(request))


@router.get("/popup.js", include_in_schema=False)
def popup_js() -> Response:
    """The embeddable pop-up / welcome-bar script (configured by its data- attributes)."""
    return Response(
        _JS,
        media_type="application/javascript",
        headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"},
    )


@router.get("/{name}/definition.json")
def definition(name: str, request: Request) -> JSONResponse:
    """The questions of a survey, for the pop-up and for other front ends."""
    try:
        survey = svc.get_survey(store=request.app.state.shop.store, name=name)
    except ShopperlensError:
        return _error(request, 404, "no such survey")
    body = survey.model_dump(exclude={"questions": {"__all__": {"relevant_to", "group"}}})
    return JSONResponse(body, headers=_cors(request))


_log = logging.getLogger("shopperlens.web")
#: surveys whose pop-up target this server could not verify, warned about once each
_WARNED: set[str] = set()


def _warn_unsigned(survey: str, has_key: bool) -> None:
    """Say once in the server log why a targeted pop-up shows to nobody (the visitor is told
    nothing): the snippet was signed under a key this server does not have."""
    if survey in _WARNED:
        return
    _WARNED.add(survey)
    why = "another SHOPPERLENS_SECRET_KEY" if has_key else "no SHOPPERLENS_SECRET_KEY"
    _log.warning(
        "survey %s: its pop-up target was not signed by this server (it runs with %s), so the "
        "pop-up shows to nobody; serve with the key the snippet was made with, or make the "
        "snippet again",
        survey[:80],
        why,
    )


@router.get("/{name}/eligible")
def eligible(
    name: str, request: Request, visitor_id: str = "", target: str = "", channel: str = ""
) -> JSONResponse:
    """Should the pop-up show to this visitor? Only ``{"show": true|false}``: never why.

    Never twice the same survey, no survey within ``Settings.survey_fatigue_days`` of the last
    one answered (counting the customer ``identities`` links the visitor to), and with the
    snippet's ``target`` (customer types signed by the server when the snippet was made) only
    visitors of those types. The caller cannot name the types: a visitor id is readable by any
    script on the shop's pages, and "is visitor X of type Y?" must not be answerable for any Y.
    A ``types`` parameter (a snippet made before targets were signed) or a target we did not
    sign gets ``false``: the pop-up stays hidden rather than show to everyone. A survey closed
    by its quota gets ``false`` (``channel=link``: the welcome bar, which leads to the form).
    """
    store = request.app.state.shop.store
    try:
        svc.get_survey(store=store, name=name)
    except ShopperlensError:
        return _error(request, 404, "no such survey")
    settings = request.app.state.settings
    types = None
    if target:
        types = links.verify_target(target, name, settings.secret_key)
        if types is None:
            _warn_unsigned(name, settings.secret_key is not None)
            return _answer(request, False)
    elif request.query_params.get("types"):
        return _answer(request, False)
    show, _why = svc.popup_eligibility(
        store=store,
        survey=name,
        visitor_id=visitor_id,
        types=types,
        fatigue_days=settings.survey_fatigue_days,
        visitor_types=_types_index(request) if types else None,
        channel="link" if channel == "link" else "popup",
    )
    return _answer(request, show)


def _answer(request: Request, show: bool) -> JSONResponse:
    return JSONResponse({"show": show}, headers=_cors(request))


def _types_index(request: Request) -> dict[str, str]:
    """Visitor -> type, refreshed at most every 10 minutes."""
    cached = getattr(request.app.state, "survey_types_index", None)
    if cached is None or time.monotonic() - cached[0] > 600:
        from shopperlens.service.survey_delivery import visitor_types

        cached = (time.monotonic(), visitor_types(store=request.app.state.shop.store))
        request.app.state.survey_types_index = cached
    return cached[1]


@router.options("/{name}/{rest:path}", include_in_schema=False)
def preflight(name: str, rest: str, request: Request) -> Response:
    origin = request.headers.get("origin", "")
    if not _origin_ok(request, origin):
        return Response(status_code=403)
    return Response(
        status_code=204,
        headers={
            **_cors(request),
            "Access-Control-Allow-Methods": "GET, POST",
            "Access-Control-Allow-Headers": "Content-Type",
            "Access-Control-Max-Age": "600",
        },
    )


@router.get("/{name}", response_class=HTMLResponse)
def form_page(
    name: str, request: Request, t: str | None = None, visitor_id: str | None = None
) -> HTMLResponse:
    """The public survey page: prospects' link, the welcome bar's target, e-mail links. The
    welcome bar's link names its ``visitor_id``: the form sends it with the answers, so the
    visitor is known to have answered (and is not asked again, by bar or pop-up)."""
    store = request.app.state.shop.store
    survey = _survey(request, name)
    if survey is None:
        return _not_found()
    full = svc.closed_quota(store=store, survey=name, channel="email" if t else "link")
    if full:  # its answers would be refused: say so before anyone fills it in
        return HTMLResponse(_page(survey, message=survey.texts.closed), status_code=410)
    refused = t and svc.link_refusal(
        store=store, survey=name, token=t, secret_key=request.app.state.settings.secret_key
    )
    if refused:  # a used, foreign or erased person's link: said before, not after, the answers
        status, why = refused
        message = (
            "You have already answered this survey with this link: thank you!"
            if status == 409
            else f"This link cannot be used to answer: {why}."
        )
        return HTMLResponse(_page(survey, message=message), status_code=status)
    visitor = visitor_id[:64] if visitor_id and not t else None
    return HTMLResponse(_page(survey, token=t, visitor=visitor, action=f"/s/{name}/responses"))


def _page(survey: Any, **ctx: Any) -> str:
    """The survey page; a form on it carries a new form id unless it is the same form shown
    again (``form`` given): the id lets that form's answers be stored once."""
    if ctx.get("action") and not ctx.get("form"):
        ctx["form"] = svc.form_id()
    return _env.get_template("survey_form.html").render(survey=survey, **ctx)


def _not_found() -> HTMLResponse:
    """The page of an address where no survey is (a mistyped or an old link)."""
    return HTMLResponse(_env.get_template("survey_form.html").render(), status_code=404)


def _again(payload: dict[str, Any], request: Request, **ctx: Any) -> dict[str, Any]:
    """What the form shown again shows of what was sent: the answers filled in, the same link
    token and the same form id (its answers are still not stored)."""
    form = payload.get("form")
    return {
        "token": _str(payload.get("token")),
        "visitor": _str(payload.get("visitor_id")),
        "form": form if isinstance(form, str) else None,
        "action": request.url.path,
        "answers": _given(payload.get("answers")),
        **ctx,
    }


def _corrections_page(
    survey: Any, payload: dict[str, Any], exc: AnswerError, request: Request
) -> str:
    """The form again after answers that do not fit: what was answered filled back in (a
    respondent used to get every field empty for one missing answer) and each problem named
    by its question's number and text, not the question's internal id."""
    return _page(
        survey,
        **_again(
            payload,
            request,
            problems=exc.problems,
            problem_list=_problem_list(survey, exc.problems),
        ),
    )


def _given(answers: Any) -> dict[str, list[str]]:
    """A form post's answers per question as the list of its values (one, or a multi-select's
    several), for the form to check and fill them in again."""
    if not isinstance(answers, dict):
        return {}
    return {
        str(k): [v] if isinstance(v, str) else [str(x) for x in v]
        for k, v in answers.items()
        if isinstance(v, str | list)
    }


def _problem_list(survey: Any, problems: dict[str, str]) -> list[tuple[str, str, str]]:
    """``(question, reason, anchor)`` per problem, in the order the questions are asked: the
    question as ``"2. How likely …"`` and the anchor of its field; a problem of no question
    ("no question was answered", a field the form does not have) has no anchor."""
    asked = {q.id: (f"{i}. {q.text}", f"q-{q.id}") for i, q in enumerate(survey.questions, 1)}
    place = {key: i for i, key in enumerate(asked)}
    keys = sorted(problems, key=lambda k: place.get(k, len(place)))
    out = []
    for key in keys:
        label, anchor = asked.get(key, ("" if key == "answers" else key, ""))
        out.append((label, problems[key], anchor))
    return out


def _refused_form(
    survey: Any, status: int, notice: str, raw: bytes | None, request: Request
) -> HTMLResponse:
    """A browser's form post refused before its answers were looked at (403 origin, 413 size,
    429 rate): the form again in the survey's language with ``notice`` above it and what was
    typed filled back in, when the body could be read, rather than a bare JSON line."""
    payload = _form_payload(raw) if raw is not None else {}
    html = _page(survey, **_again(payload, request, notice=notice))
    return HTMLResponse(html, status_code=status, headers=_cors(request))


async def _body(request: Request, most: int) -> bytes | None:
    """The request body, or None once it is larger than ``most`` bytes (counted as it streams
    in, so a lying or missing Content-Length holds no more than ``most`` in memory)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > most:
        return None
    raw = bytearray()
    async for chunk in request.stream():
        raw.extend(chunk)
        if len(raw) > most:
            return None
    return bytes(raw)


def _survey(request: Request, name: str) -> Any:
    """The survey ``name``, or None when there is none."""
    try:
        return svc.get_survey(store=request.app.state.shop.store, name=name)
    except ShopperlensError:
        return None


@router.post("/{name}/responses", status_code=201)
async def submit(name: str, request: Request) -> Response:
    """Store one answer set: JSON ``{"answers": {...}, "token"?, "visitor_id"?, "channel"?}``
    or an HTML form post (then the browser is redirected to a thank-you page)."""
    settings = request.app.state.settings
    writer, limit = _state(request)
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    is_form = ctype == "application/x-www-form-urlencoded"
    origin = request.headers.get("origin")
    ip = request.client.host if request.client else "?"
    refused: tuple[int, str, str] | None = None
    if origin and not _origin_ok(request, origin):
        refused = (403, "not_sent", "this origin may not submit survey answers")
    elif not limit.allow(ip, settings.survey_rate_limit):
        refused = (429, "too_many", "too many submissions from this address; try again later")
    if refused and not is_form:
        return _error(request, refused[0], refused[2])
    survey = _survey(request, name)
    if survey is None:
        return _not_found() if is_form else _error(request, 404, "no such survey")
    most = max(settings.survey_max_body, survey.max_submission_bytes())
    raw = await _body(request, most)
    if raw is None:
        if is_form:
            return _refused_form(survey, 413, survey.texts.too_long, None, request)
        return _error(request, 413, f"submission larger than {most} bytes")
    if refused:
        return _refused_form(survey, refused[0], getattr(survey.texts, refused[1]), raw, request)
    try:
        payload = _form_payload(raw) if is_form else _json_payload(raw, ctype)
    except (ValueError, ShopperlensError) as exc:
        return _error(request, 415 if "content type" in str(exc) else 400, str(exc))
    store = request.app.state.shop.store

    def fail(status: int, detail: str, **extra: Any) -> Response:
        """JSON for scripts; for a browser's form post, the message on a page."""
        if is_form:
            return HTMLResponse(_page(survey, message=detail), status_code=status)
        return _error(request, status, detail, **extra)

    if payload.get("website"):
        return fail(400, "submission refused")
    wrong = _not_text(payload, ("token", "visitor_id", "channel", "form"))
    if wrong:
        return fail(400, f"{wrong} must be text")
    try:
        sub = svc.prepare_submission(
            store=store,
            survey=name,
            answers=payload.get("answers"),
            token=payload.get("token") or None,
            visitor_id=_str(payload.get("visitor_id")),
            # respondents may say where they answered, not claim an e-mail or an import
            channel="popup" if payload.get("channel") == "popup" else "link",
            secret_key=settings.secret_key,
            form=_str(payload.get("form")),
        )
    except AnswerError as exc:
        if is_form:
            html = _corrections_page(survey, payload, exc, request)
            return HTMLResponse(html, status_code=422)
        return _error(request, 422, "answers do not fit the survey", problems=exc.problems)
    except ShopperlensError as exc:  # (the public is not told how the shop creates surveys)
        if str(exc).startswith("no survey"):
            return _not_found() if is_form else _error(request, 404, "no such survey")
        return fail(400, str(exc))
    try:
        response_id = await asyncio.wrap_future(writer.submit(sub))
    except svc.RepeatedFormError:  # Back, then Send: the answers are stored once already
        if is_form:
            return RedirectResponse(f"/s/{name}/thanks?again=1", status_code=303)
        return fail(409, survey.texts.sent_again)
    except svc.AlreadyAnsweredError as exc:  # a used link, or a visitor who answered
        return fail(409, str(exc))
    except svc.QuotaReachedError as exc:  # the respondent is told it is closed, not why
        return fail(410, survey.texts.closed, quota=exc.quota)
    if is_form:
        return RedirectResponse(f"/s/{name}/thanks", status_code=303)
    return JSONResponse({"response_id": response_id}, status_code=201, headers=_cors(request))


@router.get("/{name}/thanks", response_class=HTMLResponse, include_in_schema=False)
def thanks(name: str, request: Request, again: bool = False) -> HTMLResponse:
    """The page after the answers arrived; ``again`` after the same form arrived twice."""
    survey = _survey(request, name)
    if survey is None:
        return HTMLResponse("<h1>Thank you!</h1>")
    return HTMLResponse(_page(survey, done=True, again=again))


def _str(v: Any) -> str | None:
    return v if isinstance(v, str) and v else None


def _not_text(payload: dict[str, Any], fields: tuple[str, ...]) -> str | None:
    """The first of ``fields`` present with a value that is not text (a number, a list …):
    such a body is malformed, and must be refused as such rather than crash deeper down."""
    return next(
        (f for f in fields if payload.get(f) is not None and not isinstance(payload[f], str)),
        None,
    )


def _json_payload(raw: bytes, ctype: str) -> dict[str, Any]:
    """A JSON body as an object; a body that is no JSON (bad syntax, nested too deeply, a
    5,000-digit number) is a :class:`ShopperlensError` from ``parse_json``, any other wrong
    shape a ``ValueError``: the caller answers both with a 400 (a wrong type with a 415)."""
    if ctype not in ("application/json", "text/plain", ""):
        raise ValueError(f"unsupported content type {ctype!r}: send JSON or a form")
    data = parse_json(raw or b"null", "the body")
    if not isinstance(data, dict):
        raise ValueError('send an object: {"answers": {"question": "answer"}}')
    return data


def _form_payload(raw: bytes) -> dict[str, Any]:
    """An HTML form post: repeated fields (checkboxes) become lists."""
    fields = parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=200)
    meta = {
        k: fields.pop(k)[0]
        for k in ("token", "channel", "website", "visitor_id", "form")
        if k in fields
    }
    answers: dict[str, Any] = {}
    for key, values in fields.items():
        vals = [v for v in values if v.strip()]
        if vals:
            answers[key] = vals if len(vals) > 1 else vals[0]
    return {**meta, "answers": answers}
