"""Erasure of a person (the right to be forgotten), and their export, by id or e-mail.

An e-mail never travels in a URL: proxies, load balancers and browser histories log URLs
whatever this server's access log masks. ``POST /api/privacy/erase`` with ``{"customer_id":
…}``, ``{"email": …}`` or both in the JSON body erases; both name the person only when they
are the same customer: the service then refuses when they belong to different customers,
rather than delete someone else's rows. ``DELETE /api/customers/{id}`` still erases by id; an
e-mail in its path (an ``@``) or in ``?email=`` is refused with a 400 naming the POST, before
anything is read. By e-mail every customer id of that address is erased; by id that id, and
the id derived from its e-mail only when no other customer has that address (``ids_kept``
counts what was left, ``note`` says to erase by e-mail to take it). The answer counts the rows
per table and per id (``customers``) and the anonymous rows of a browser shared with another
customer that were kept (``kept``), and the rows removed from the rejects file beside the
store (``rejects_removed``). The store's file is rewritten without the person while other
requests wait a moment (they are answered after); see :mod:`shopperlens.service.privacy`.

``POST /api/privacy/export`` (the same body) answers the person's request to see and take
away their data: every row erase would delete for the same request, table by table, with what
each table is (:func:`~shopperlens.service.privacy.export_person`); it writes nothing. ``GET
/api/privacy/export/{id}`` exports by id; an e-mail in its URL is refused as for erase. The
access log still masks an e-mail in a path (``web.logs``), refused or not.

``POST /api/compact`` rewrites the store's file alone: it finishes an erasure whose rewrite
failed (its answer said the rows are deleted and to run compact).
"""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from pydantic import Field

from shopperlens.errors import ShopperlensError
from shopperlens.service.privacy import CompactReport, ErasureReport, PersonExport
from shopperlens.web.deps import RequestBody, ShopDep
from shopperlens.web.times import ZonedRoute

router = APIRouter(prefix="/api", tags=["privacy"], route_class=ZonedRoute)


class PersonIn(RequestBody):
    """Whom an erase or an export names: an id, an e-mail, or both (checked against each
    other). In the body, not the URL, so no log on the way holds the e-mail."""

    customer_id: str | None = Field(None, description="The customer's id.")
    email: str | None = Field(None, description="The customer's e-mail (every id of it).")


@router.post("/privacy/erase", response_model=ErasureReport)
def erase_person(body: PersonIn, shop: ShopDep, request: Request) -> ErasureReport:
    """Delete every row about one person, named by id and/or e-mail in the JSON body."""
    return _erase(shop, request, body.customer_id, body.email)


@router.delete("/customers/{customer:path}", response_model=ErasureReport)
def erase(
    customer: str,
    shop: ShopDep,
    request: Request,
    email: str | None = Query(None, include_in_schema=False),  # (refused: see _no_email_in_url)
) -> ErasureReport:
    """Delete every row about one person by id (by e-mail: ``POST /api/privacy/erase``)."""
    _no_email_in_url(customer, email, "erase")
    return _erase(shop, request, customer, None)


def _erase(
    shop: ShopDep, request: Request, customer_id: str | None, email: str | None
) -> ErasureReport:
    try:
        return shop.erase_customer(customer_id=customer_id, email=email)
    finally:  # (also when the rows are deleted but the file's rewrite failed)
        jobs = getattr(request.app.state, "jobs", None)
        if jobs is not None:  # results kept in memory may quote or list the person
            jobs.forget_results()


@router.post("/privacy/export", response_model=PersonExport)
def export_by_body(body: PersonIn, shop: ShopDep) -> PersonExport:
    """Every row the store holds about one person, table by table (access and portability),
    named by id and/or e-mail in the JSON body as for erase."""
    return shop.export_person(customer_id=body.customer_id, email=body.email)


@router.get("/privacy/export/{customer:path}", response_model=PersonExport)
def export_person(
    customer: str,
    shop: ShopDep,
    email: str | None = Query(None, include_in_schema=False),  # (refused: see _no_email_in_url)
) -> PersonExport:
    """Every row the store holds about one person by id (by e-mail: ``POST
    /api/privacy/export``)."""
    _no_email_in_url(customer, email, "export")
    return shop.export_person(customer_id=customer)


@router.post("/compact", response_model=CompactReport)
def compact(shop: ShopDep) -> CompactReport:
    """Rewrite the store's file with the live rows only (finishing a failed erasure's)."""
    return shop.compact()


def _no_email_in_url(customer: str, email: str | None, verb: str) -> None:
    """Refuse an e-mail in the path (an ``@``) or in ``?email=``: a URL is logged by every
    proxy and browser on the way, so the address would outlive the erasure it asked for."""
    if "@" in customer or email is not None:
        raise ShopperlensError(
            f"an e-mail in a URL is written to proxy and browser logs; "
            f'POST /api/privacy/{verb} with {{"email": …}} in the JSON body instead'
        )
