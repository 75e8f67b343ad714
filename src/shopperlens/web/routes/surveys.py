"""The private survey API (token required): definitions, sending, results, interviews,
analytics cross-checks. Respondents use the public routes in ``survey_public``."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Query, UploadFile
from fastapi.responses import PlainTextResponse
from pydantic import Field

from shopperlens.service import audience as au_svc
from shopperlens.service import interviews as iv_svc
from shopperlens.service import survey_delivery as dl_svc
from shopperlens.service import survey_results as sr_svc
from shopperlens.service import surveys as sv_svc
from shopperlens.web.deps import RequestBody, SettingsDep, ShopDep, upload_name, upload_path
from shopperlens.web.routes.playbooks import WARNINGS, CsvResponse
from shopperlens.web.times import ZonedRoute

router = APIRouter(prefix="/api", tags=["surveys"], route_class=ZonedRoute)
#: the largest uploaded file (survey export, notes, analytics report) accepted
MAX_UPLOAD = 50 << 20


@contextmanager
def _saved(files: list[UploadFile]) -> Iterator[list[Path]]:
    """Uploaded files written to a temporary folder under their own (sanitised, if need be
    shortened) names, each in a folder of its own: two uploads named alike (``best/01.md`` and
    ``worst/01.md`` arrive as ``01.md``) overwrote each other, and the first was reported
    "unchanged"."""
    from shopperlens.errors import ShopperlensError

    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, f in enumerate(files):
            data = f.file.read(MAX_UPLOAD + 1)
            if len(data) > MAX_UPLOAD:
                name = upload_name(f.filename, f"upload-{i}")
                raise ShopperlensError(f"{name} is larger than {MAX_UPLOAD >> 20} MB")
            path = upload_path(Path(tmp) / str(i), f.filename, f"upload-{i}")
            path.write_bytes(data)
            paths.append(path)
        yield paths


class SurveyCreate(RequestBody):
    """A definition: ``{"name", "title", "questions": [...]}`` and/or ``"from_bank": [ids]``."""

    definition: dict[str, Any]


class SendRequest(RequestBody):
    audience: dl_svc.Audience = dl_svc.Audience()
    quota: int | None = Field(None, ge=0, description="At most this many invitations.")
    response_quota: int | None = Field(
        None, ge=0, description="Send nothing once the survey has this many responses."
    )
    shop_name: str | None = None
    dry_run: bool = False


class InviteRequest(RequestBody):
    customer_ids: list[str]
    booking_url: str | None = None
    reward: str | None = None
    shop_name: str | None = None


@router.get("/surveys", response_model=list[sv_svc.SurveyInfo])
def list_surveys(shop: ShopDep) -> list[sv_svc.SurveyInfo]:
    return shop.survey_list()


@router.post("/surveys", response_model=sv_svc.SurveyInfo, status_code=201)
def create_survey(body: SurveyCreate, shop: ShopDep) -> sv_svc.SurveyInfo:
    from shopperlens.surveys.definition import survey_from_dict

    return shop.survey_create(survey_from_dict(body.definition))


@router.get("/surveys/{name}")
def get_survey(name: str, shop: ShopDep) -> dict[str, Any]:
    return sv_svc.get_survey(store=shop.store, name=name).model_dump()


@router.get("/surveys/{name}/results", response_model=sr_svc.SurveyResults)
def results(name: str, shop: ShopDep) -> sr_svc.SurveyResults:
    return shop.survey_results(name)


@router.get("/surveys/{name}/responses")
def responses(name: str, shop: ShopDep) -> list[dict[str, Any]]:
    frame = shop.survey_responses(name)
    frame["submitted_at"] = frame["submitted_at"].astype(str)
    return frame.astype(object).where(frame.notna(), None).to_dict(orient="records")


@router.post("/surveys/{name}/send", response_model=dl_svc.SendReport)
def send(name: str, body: SendRequest, shop: ShopDep) -> dl_svc.SendReport:
    return shop.survey_send(
        name,
        audience=body.audience,
        quota=body.quota,
        response_quota=body.response_quota,
        shop_name=body.shop_name,
        dry_run=body.dry_run,
    )


@router.post("/surveys/{name}/remind", response_model=dl_svc.SendReport)
def remind(
    name: str,
    shop: ShopDep,
    max_reminders: int = Query(1, description="Reminders per person at most (1 or more)."),
    gap_days: float = Query(7, description="Days since the last e-mail (0 to 3650)."),
) -> dl_svc.SendReport:
    """Remind invitees who have not answered (``survey send --remind``).

    The service checks both options (a 400 naming the option and the value), not FastAPI
    bounds here: a 422 in FastAPI's words would differ from what the CLI and Python say."""
    return shop.survey_remind(name, max_reminders=max_reminders, min_gap_days=gap_days)


@router.get("/surveys/{name}/popup-snippet", response_class=PlainTextResponse)
def popup_snippet(
    name: str,
    shop: ShopDep,
    settings: SettingsDep,
    question: str | None = None,
    trigger: str = "delay",
    delay: float | None = None,
    mode: str = "popup",
    text: str | None = None,
    days: int = 30,
    types: str | None = Query(None, description="Comma-separated customer types to target."),
    cart_path: str | None = Query(None, description="Cart page address(es), comma-separated."),
    checkout_path: str | None = Query(None, description="Checkout address(es), comma-separated."),
    complete_path: str | None = Query(
        None, description="Order-complete address(es), comma-separated."
    ),
) -> PlainTextResponse:
    """The tag the CLI's ``survey popup-snippet`` prints, with the same options; ``types``
    are signed with this server's ``SHOPPERLENS_SECRET_KEY`` (which the public eligibility
    check verifies).

    What the CLI warns about a pop-up naming no question (it asks the survey's first one)
    comes in the ``X-Shopperlens-Warnings`` header, a JSON list of texts, so the body stays
    the tag to paste."""
    wanted = [t for t in (types or "").split(",") if t.strip()] or None
    tag = shop.survey_popup_snippet(
        name, question=question, trigger=trigger, delay=delay, mode=mode, text=text, days=days,
        types=wanted, secret_key=settings.secret_key, cart_path=cart_path,
        checkout_path=checkout_path, complete_path=complete_path,
    )  # fmt: skip
    warning = sv_svc.popup_warning(
        store=shop.store, survey=name, mode=mode, question=question, option="?question=ID"
    )
    headers = {WARNINGS: json.dumps([warning])} if warning else None
    return PlainTextResponse(tag, headers=headers)


@router.get("/interviews/recruit")
def recruit(shop: ShopDep, n: int = 10, prospects: int = 10) -> list[dict[str, Any]]:
    """The n best and n worst customers and ``prospects`` prospects to interview."""
    return shop.interviews_recruit(n, prospects=prospects).to_dict(orient="records")


@router.get("/interviews/recruit-list", response_class=CsvResponse)
def recruit_list(
    shop: ShopDep, settings: SettingsDep, n: int = 10, prospects: int = 10
) -> CsvResponse:
    """The recruits an interview invitation may reach, as the CSV file ``interviews recruit
    --out`` writes for a booking or mail tool (``csv_bom`` setting too): personal data, so
    never stored by a browser or a proxy (``Cache-Control: no-store``)."""
    rows = shop.interviews_recruit_list(n, prospects=prospects)
    text = iv_svc.recruit_csv(rows, bom=settings.csv_bom)
    return CsvResponse(text, headers={"Cache-Control": "no-store"})


@router.post("/interviews/invite", response_model=dl_svc.SendReport)
def invite(body: InviteRequest, shop: ShopDep) -> dl_svc.SendReport:
    return shop.interviews_invite(
        body.customer_ids,
        booking_url=body.booking_url,
        reward=body.reward,
        shop_name=body.shop_name,
    )


@router.get("/interviews/themes")
def themes(shop: ShopDep) -> list[dict[str, Any]]:
    return iv_svc.interview_themes(store=shop.store).to_dict(orient="records")


@router.get("/analytics/audience")
def audience(shop: ShopDep) -> list[dict[str, Any]]:
    frame = au_svc.audience(store=shop.store)
    return frame.astype(object).where(frame.notna(), None).to_dict(orient="records")


@router.get("/analytics/check", response_model=list[au_svc.CheckFinding])
def check(shop: ShopDep, survey: str | None = None) -> list[au_svc.CheckFinding]:
    return shop.analytics_check(survey)


@router.post("/surveys/{name}/import", response_model=sv_svc.SurveyImportResult)
def import_answers(
    name: str,
    file: UploadFile,
    shop: ShopDep,
    on_error: str = "abort",
    decimal_comma: bool = False,
) -> sv_svc.SurveyImportResult:
    """Upload a survey tool's CSV export (multipart field ``file``; ``?decimal_comma=true``:
    its number answers are written as ``1.234,50``).

    The upload is saved to a temporary folder deleted once read, so its rejects go to the
    rejects file beside the store, as ``/api/imports``' do, and the answer lists the first of
    them: a ``FILE.rejects.csv`` beside the upload was gone before anyone could open it. The
    answer names the file as uploaded, not the temporary copy."""
    with _saved([file]) as (path,):
        res = sv_svc.import_survey_csv(
            store=shop.store,
            survey=name,
            path=path,
            on_error=on_error,
            rejects_beside_store=True,
            decimal_comma=decimal_comma,
        )
    return res.model_copy(update={"file": path.name})


@router.post("/interviews/notes", response_model=iv_svc.NotesImport)
def import_notes(files: list[UploadFile], shop: ShopDep) -> iv_svc.NotesImport:
    """Upload interview notes (Markdown/text files, multipart field ``files``)."""
    with _saved(files) as paths:
        return shop.interviews_import(*paths)


@router.post("/analytics/import", response_model=au_svc.AudienceImport)
def import_analytics(
    file: UploadFile, shop: ShopDep, source: str = "ga4", name: str | None = None
) -> au_svc.AudienceImport:
    """Upload a GA4 audience export or a competitor audience CSV (multipart field ``file``)."""
    with _saved([file]) as (path,):
        return shop.analytics_import(path, source=source, name=name)
