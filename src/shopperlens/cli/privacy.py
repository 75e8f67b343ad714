"""`shopperlens erase`: remove a customer everywhere; `shopperlens export-person`: write what
the store holds about them; `shopperlens consent …`: record and list what customers allowed
(case studies, testimonials, marketing …)."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from shopperlens.cli import _render
from shopperlens.cli._app import app, open_shop
from shopperlens.errors import ShopperlensError

consent_app = typer.Typer(
    help="Record and list customers' consent (case_study, testimonial, marketing …).",
    no_args_is_help=True,
)
app.add_typer(consent_app, name="consent")


#: an erase asked for confirmation that never came
NO_ANSWER = (
    "erase asks for confirmation and no answer came (the input closed or interrupted): "
    "nothing was erased; add --yes to erase without asking"
)


def _confirm_erasure() -> None:
    """Ask before erasing; a "no", or no answer at all (stdin at its end, as in a scheduled
    job, where click said only "Aborted."), stops with one line saying that nothing was erased.

    A stdin closed outright (``<&-``) is no stream at all: asking failed with "unexpected
    RuntimeError: input(): lost sys.stdin" and exit 2."""
    if sys.stdin is None:
        raise ShopperlensError(NO_ANSWER)
    try:
        agreed = typer.confirm("Erase this customer everywhere? This cannot be undone")
    except typer.Abort:  # end of input or Ctrl-C
        raise ShopperlensError(NO_ANSWER) from None
    if not agreed:
        raise ShopperlensError("nothing was erased")


@app.command("erase")
def erase_cmd(
    ctx: typer.Context,
    customer_id: Annotated[
        str | None, typer.Argument(help="The customer's id (or use --email).")
    ] = None,
    email: Annotated[str | None, typer.Option(help="Find the customer by e-mail.")] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Erase one person from every table (orders, events, surveys, personas …) and from the
    rejects file beside the store, then rewrite the store's file without them. By e-mail:
    every customer id of that address. By id: that id, and the id derived from its e-mail
    unless another customer has the same e-mail (a shared inbox: those are kept)."""
    from shopperlens.service.privacy import check_named

    check_named(customer_id, email, "erase")  # before asking: a command naming nobody
    if not yes:
        _confirm_erasure()
    report = open_shop(ctx).erase_customer(customer_id=customer_id, email=email)
    ids = len(report.customers)
    _render.message(
        f"erased {report.total} rows in {len(report.rows_deleted)} tables"
        + (f" under {ids} customer ids (the same e-mail)" if ids > 1 else "")
    )
    _render.table(
        [
            {"customer (sha256)": c.subject[:12] + "…", "table": t, "rows": n}
            for c in report.customers
            for t, n in sorted(c.rows_deleted.items())
        ]
    )
    if report.kept:
        kept = ", ".join(f"{n} in {t}" for t, n in sorted(report.kept.items()))
        _render.message(
            f"kept {sum(report.kept.values())} anonymous rows ({kept}) of browsers shared with "
            "other customers: they name nobody and cannot be told apart (they go with the last "
            "customer of that browser)"
        )
    if report.rejects_removed:
        _render.message(
            f"removed {report.rejects_removed} rejected rows naming them from the rejects file "
            "beside the store"
        )
    if report.import_files_redacted:
        _render.message(
            f"replaced them by [erased] in {report.import_files_redacted} file name(s) of the "
            "import ledger"
        )
    if report.ids_kept:
        _render.message(
            f"kept {report.ids_kept} customer id derived from the e-mail: another customer has "
            "the same e-mail, so its rows could be either person's; erasing by e-mail "
            "(--email) takes every id of that address"
        )
    if report.refusals_kept:
        _render.message(
            f"kept {report.refusals_kept} refusal(s) (marketing, survey, referral) for their "
            "e-mail address as a SHA-256 of it, no id: an objection must keep working, so no "
            "other customer id of that address is mailed until one says yes after this erase"
        )


@app.command("export-person")
def export_person_cmd(
    ctx: typer.Context,
    out: Annotated[
        Path,
        typer.Option("--out", help="The JSON file to write (FILE.json), readable by you only."),
    ],
    customer_id: Annotated[
        str | None, typer.Argument(help="The customer's id (or use --email).")
    ] = None,
    email: Annotated[str | None, typer.Option(help="Find the customer by e-mail.")] = None,
) -> None:
    """Write every row the store holds about one person to a JSON file, table by table, with
    what each table is: their right of access and to take their data away (GDPR Art. 15 and
    20). It holds exactly the rows `shopperlens erase` would delete for the same id or e-mail,
    and never writes to the store (--read-only works)."""
    export = open_shop(ctx).export_person(customer_id=customer_id, email=email, out=out)
    ids = len(export.customer_ids)
    _render.message(
        f"wrote {export.total} rows in {len(export.rows)} tables"
        + (f" under {ids} customer ids (the same e-mail)" if ids > 1 else "")
        + f" to {out}"
    )
    _render.table([{"table": t, "rows": n} for t, n in sorted(export.rows.items())])
    if export.rejects:
        _render.message(f"and {len(export.rejects)} rejected row(s) naming them beside the store")
    if export.suppressions:
        _render.message(f"and {len(export.suppressions)} refusal(s) kept for their address")
    if export.import_files:
        _render.message(
            f"and {len(export.import_files)} imported file name(s) naming them in the import ledger"
        )
    if export.kept:
        kept = ", ".join(f"{n} in {t}" for t, n in sorted(export.kept.items()))
        _render.message(
            f"left out {sum(export.kept.values())} anonymous rows ({kept}) of browsers shared "
            "with other customers: they name nobody and cannot be told apart"
        )
    if export.ids_kept:
        _render.message(
            f"left out {export.ids_kept} customer id derived from the e-mail: another customer "
            "has the same e-mail, so its rows could be either person's; --email takes every id "
            "of that address"
        )


@app.command("compact")
def compact_cmd(ctx: typer.Context) -> None:
    """Rewrite the store's file with the live rows only. Run it when `shopperlens erase` said
    the rows are deleted but the file could not be rewritten (a busy store, a full disk): the
    deleted rows' bytes stay in the file until then."""
    report = open_shop(ctx).compact()
    finished = report.erasures_finished
    _render.message(
        f"rewrote the store's file ({report.bytes_before:,} → {report.bytes_after:,} bytes)"
        + (f"; finished {finished} pending erasure(s)" if finished else "")
    )


@consent_app.command("set")
def consent_set_cmd(
    ctx: typer.Context,
    customer_id: Annotated[str, typer.Argument(help="The customer's id.")],
    purpose: Annotated[
        str,
        typer.Option(help="case_study, testimonial, marketing, survey or referral."),
    ],
    granted: Annotated[
        bool | None,
        typer.Option("--granted/--refused", help="What the customer said (one is required)."),
    ] = None,
    source: Annotated[
        str | None, typer.Option(help="Where it was given: a form, a call, a ticket number.")
    ] = None,
    at: Annotated[
        datetime | None,
        typer.Option(
            "--at",
            help="When it was given, YYYY-MM-DD or YYYY-MM-DD HH:MM in UTC (default: now; "
            "not in the future).",
        ),
    ] = None,
) -> None:
    """Record a customer's consent or refusal for one purpose (their latest word counts)."""
    if granted is None:
        raise ShopperlensError("say what the customer said: --granted or --refused")
    rec = open_shop(ctx).consent_set(
        customer_id, purpose=purpose, granted=granted, source=source or "cli", recorded_at=at
    )
    said = "granted" if rec.granted else "refused"
    _render.message(f"recorded: {rec.purpose} {said} ({rec.recorded_at:%Y-%m-%d %H:%M} UTC)")


@consent_app.command("list")
def consent_list_cmd(
    ctx: typer.Context,
    customer_id: Annotated[
        str | None, typer.Argument(help="One customer's records (default: everyone's).")
    ] = None,
    purpose: Annotated[
        str | None,
        typer.Option(
            help="Only records for this purpose: case_study, testimonial, marketing, survey "
            "or referral."
        ),
    ] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print JSON instead of a table.")
    ] = False,
) -> None:
    """Consent records, newest first per customer."""
    rows = open_shop(ctx).consents(customer_id, purpose=purpose)
    if json_out:
        _render.as_json(rows)
    else:
        _render.table(rows, title="consents (times in UTC)")


@consent_app.command("import")
def consent_import_cmd(
    ctx: typer.Context,
    path: Annotated[
        Path,
        typer.Argument(
            help="CSV: customer_id, purpose, granted[, recorded_at, source]; a row without "
            "recorded_at that repeats a record held is not added again."
        ),
    ],
) -> None:
    """Import consent records from a CSV file (all or nothing)."""
    res = open_shop(ctx).consent_import(path)
    if res.already_imported:
        _render.message(f"{path.name}: already imported (same file)")
        return
    _render.message(
        f"{path.name}: {res.added} consent records added, {res.unchanged} already there"
    )
    if res.superseded:
        rows = "row repeats" if res.superseded == 1 else "rows repeat"
        _render.message(
            f"{res.superseded} undated {rows} an answer a later record contradicts: not added, "
            "the later record still counts (give recorded_at to record it as new)"
        )
