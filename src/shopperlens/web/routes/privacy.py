"""Erasure of a person (the right to be forgotten), by id or e-mail as on the CLI.

``DELETE /api/customers/{id}`` erases by id, ``DELETE /api/customers/{e-mail}`` (a path with
an ``@``) by e-mail, and ``DELETE /api/customers/{id}?email=…`` names both: the service then
refuses when they belong to different customers, rather than delete someone else's rows.
By e-mail every customer id of that address is erased; by id that id, and the id derived
from its e-mail only when no other customer has that address (``ids_kept`` counts what was
left, ``note`` says to erase by e-mail to take it). The answer counts the rows per table and
per id (``customers``) and the anonymous rows of a browser shared with another customer that
were kept (``kept``), and the rows removed from the rejects file beside the store
(``rejects_removed``). The store's file is rewritten without the person while other requests
wait a moment (they are answered after); see :mod:`shopperlens.service.privacy`.

``GET /api/privacy/export/{id or e-mail}`` (``?email=`` as for erase) answers the person's
request to see and take away their data: every row erase would delete for the same request,
table by table, with what each table is (:func:`~shopperlens.service.privacy.export_person`);
it writes nothing. The access log masks an e-mail in the path (``web.logs``).

``POST /api/compact`` rewrites the store's file alone: it finishes an erasure whose rewrite
failed (its answer said the rows are deleted and to run compact).
"""

from __future__ import annotations

from fastapi import APIRouter, Query, Request

from shopperlens.emails import normalise_email
from shopperlens.errors import ShopperlensError
from shopperlens.service.privacy import CompactReport, ErasureReport, PersonExport
from shopperlens.web.deps import ShopDep
from shopperlens.web.times import ZonedRoute

router = APIRouter(prefix="/api", tags=["privacy"], route_class=ZonedRoute)


@router.delete("/customers/{customer:path}", response_model=ErasureReport)
def erase(
    customer: str,
    shop: ShopDep,
    request: Request,
    email: str | None = Query(
        None, description="The customer's e-mail: checked against the id (or erase by it)."
    ),
) -> ErasureReport:
    """Delete every row about one person; ``customer`` is an id or (with an ``@``) an
    e-mail."""
    customer_id, email = _subject(customer, email)
    try:
        return shop.erase_customer(customer_id=customer_id, email=email)
    finally:  # (also when the rows are deleted but the file's rewrite failed)
        jobs = getattr(request.app.state, "jobs", None)
        if jobs is not None:  # results kept in memory may quote or list the person
            jobs.forget_results()


@router.get("/privacy/export/{customer:path}", response_model=PersonExport)
def export_person(
    customer: str,
    shop: ShopDep,
    email: str | None = Query(
        None, description="The customer's e-mail: checked against the id (or export by it)."
    ),
) -> PersonExport:
    """Every row the store holds about one person, table by table (access and portability);
    ``customer`` is an id or (with an ``@``) an e-mail, named as for erase."""
    customer_id, email = _subject(customer, email)
    return shop.export_person(customer_id=customer_id, email=email)


@router.post("/compact", response_model=CompactReport)
def compact(shop: ShopDep) -> CompactReport:
    """Rewrite the store's file with the live rows only (finishing a failed erasure's)."""
    return shop.compact()


def _subject(customer: str, email: str | None) -> tuple[str | None, str | None]:
    """(customer id, e-mail) from the path and ``?email=``: a path with an ``@`` is an e-mail.

    The service takes one e-mail; a path e-mail and a different ``?email=`` would name two
    people, so they are refused rather than one of them silently dropped.
    """
    if "@" not in customer:
        return customer, email
    if email is not None and normalise_email(email) != normalise_email(customer):
        raise ShopperlensError("the path and ?email= name two different e-mails; give one")
    return None, customer
