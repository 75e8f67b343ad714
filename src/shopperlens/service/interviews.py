"""Interviews: recruit the 10 best and 10 worst customers, invite them, import the notes and
tag them with psychographic themes and quotes (which personas cite).

Bad customers are recruited on purpose: they often tell more about a shop's problems.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from pathlib import Path

import pandas as pd
from pydantic import BaseModel

from shopperlens.config import Settings
from shopperlens.errors import ShopperlensError
from shopperlens.service import survey_delivery as dlv
from shopperlens.service.survey_results import optional
from shopperlens.store import Store
from shopperlens.surveys import interviews as notes_mod

#: the "survey" name interview invitations are filed under
INTERVIEWS = "interviews"


class NotesImport(BaseModel):
    files: int
    imported: int
    unchanged: int
    quotes: int
    tags: int


def recruit(*, store: Store, n: int = 10, best_by: str = "auto") -> pd.DataFrame:
    """The ``n`` best and ``n`` worst customers to interview, with the reason for each.

    Best: highest customer lifetime value (``service.clv`` when installed), else most revenue
    and orders. Worst: most complaints (support tickets) and returns relative to their orders.
    ``best_by`` is ``"clv"``, ``"revenue"`` or ``"auto"`` (CLV when available).
    Columns: ``customer_id, segment, score, reason``.
    """
    stats = store.df(
        "WITH o AS (SELECT o.customer_id, count(DISTINCT o.order_id) AS orders, "
        " sum(l.quantity * l.unit_price) AS revenue FROM orders o JOIN order_lines l "
        " USING (order_id) WHERE o.customer_id IS NOT NULL GROUP BY 1), "
        "t AS (SELECT customer_id, count(*) AS tickets FROM tickets GROUP BY 1), "
        "r AS (SELECT customer_id, count(*) AS returns FROM returns GROUP BY 1) "
        "SELECT o.customer_id, o.orders, o.revenue, coalesce(t.tickets, 0) AS tickets, "
        "coalesce(r.returns, 0) AS returns FROM o LEFT JOIN t USING (customer_id) "
        "LEFT JOIN r USING (customer_id)"
    )
    if stats.empty:
        raise ShopperlensError("no customers with orders yet: import orders first")
    clv = optional(store, "clv", "customer_value") if best_by in ("auto", "clv") else None
    if best_by == "clv" and (clv is None or "clv" not in clv):
        raise ShopperlensError("customer lifetime values are not available")
    if clv is not None and "clv" in clv:
        stats = stats.merge(clv[["customer_id", "clv"]], on="customer_id", how="left")
        stats["best_score"] = stats["clv"].fillna(0)
        best_reason = "expected lifetime value {:,.0f}"
    else:
        stats["best_score"] = stats["revenue"] * (1 + 0.1 * stats["orders"])
        best_reason = "revenue {:,.0f} over {} orders"
    stats["worst_score"] = (stats["tickets"] + 2 * stats["returns"]) / stats["orders"].clip(lower=1)
    stats = stats.sort_values("customer_id")
    best = stats.sort_values("best_score", ascending=False, kind="stable").head(n)
    rest = stats[~stats["customer_id"].isin(best["customer_id"])]
    worst = rest[rest["worst_score"] > 0].sort_values("worst_score", ascending=False, kind="stable")
    worst = worst.head(n)
    rows = []
    for r in best.itertuples(index=False):
        reason = (
            best_reason.format(r.best_score)
            if "clv" in stats
            else best_reason.format(r.revenue, r.orders)
        )
        rows.append(
            {
                "customer_id": r.customer_id,
                "segment": "best",
                "score": float(r.best_score),
                "reason": reason,
            }
        )
    for r in worst.itertuples(index=False):
        rows.append(
            {
                "customer_id": r.customer_id,
                "segment": "worst",
                "score": float(r.worst_score),
                "reason": f"{r.tickets} complaints and {r.returns} returns in {r.orders} orders",
            }
        )
    return pd.DataFrame(rows, columns=["customer_id", "segment", "score", "reason"])


def invite_interviewees(
    *,
    store: Store,
    settings: Settings,
    customer_ids: list[str],
    booking_url: str | None = None,
    reward: str | None = None,
    shop_name: str = "our shop",
    template: str | Path = "interview",
) -> dlv.SendReport:
    """E-mail an interview invitation (humble, honest, easy to accept) to each customer once,
    only with marketing consent."""
    report = dlv.SendReport(survey=INTERVIEWS, audience="interview", matched=len(customer_ids))
    allowed = dlv.consenting(store=store)
    asked = set(
        store.df("SELECT customer_id FROM survey_invitations WHERE purpose = 'interview'")[
            "customer_id"
        ]
    )
    todo = [c for c in dict.fromkeys(customer_ids) if c in allowed and c not in asked]
    report.no_consent = sum(c not in allowed for c in customer_ids)
    report.fatigued = sum(c in asked and c in allowed for c in customer_ids)
    dlv.invite(
        store=store, survey=INTERVIEWS, customer_ids=todo, purpose="interview", audience="interview"
    )
    report.invited = len(todo)
    report.sent, report.failed = dlv.deliver_pending(
        store=store,
        settings=settings,
        survey=INTERVIEWS,
        purpose="interview",
        template=template,
        shop_name=shop_name,
        link=booking_url or False,
        reward=reward,
    )
    return report


def import_notes(*, store: Store, paths: list[str | Path]) -> NotesImport:
    """Import interview notes (``.md``/``.txt`` files or folders of them) and tag them.

    Idempotent: an unchanged file is skipped; a changed one replaces its earlier version
    (matched by file name).
    """
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files.extend(sorted(f for f in p.iterdir() if f.suffix.lower() in (".md", ".txt")))
        elif p.is_file():
            files.append(p)
        else:
            raise ShopperlensError(f"no such file or folder: {p}")
    result = NotesImport(files=len(files), imported=0, unchanged=0, quotes=0, tags=0)
    now = datetime.now()
    with store.transaction() as con:
        for f in files:
            raw = f.read_bytes()
            checksum = hashlib.sha256(raw).hexdigest()
            if con.execute(
                "SELECT 1 FROM interview_notes WHERE checksum = ?", [checksum]
            ).fetchone():
                result.unchanged += 1
                continue
            note = notes_mod.parse_note(f.stem, raw.decode("utf-8", "replace"))
            old = [
                r[0]
                for r in con.execute(
                    "SELECT note_id FROM interview_notes WHERE interviewee = ?", [note.interviewee]
                ).fetchall()
            ]
            for nid in old:
                con.execute("DELETE FROM interview_tags WHERE note_id = ?", [nid])
                con.execute("DELETE FROM interview_notes WHERE note_id = ?", [nid])
            note_id = uuid.uuid4().hex
            con.execute(
                "INSERT INTO interview_notes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    note_id,
                    note.interviewee,
                    note.customer_id,
                    note.segment,
                    f.name,
                    checksum,
                    note.body,
                    note.interviewed_at,
                    now,
                ],
            )
            tags = notes_mod.tag_note(note)
            if tags:
                con.executemany(
                    "INSERT INTO interview_tags VALUES (?, ?, ?, ?)",
                    [[note_id, note.customer_id, theme, quote] for theme, quote in tags],
                )
            result.imported += 1
            result.quotes += len(note.quotes)
            result.tags += len(tags)
    return result


def interview_themes(*, store: Store) -> pd.DataFrame:
    """Themes across all interviews: how many notes touch each, and a quote to cite.

    Columns: ``theme, notes, best, worst, quote``.
    """
    return store.df(
        "SELECT t.theme, count(DISTINCT t.note_id) AS notes, "
        "count(DISTINCT t.note_id) FILTER (n.segment = 'best') AS best, "
        "count(DISTINCT t.note_id) FILTER (n.segment = 'worst') AS worst, "
        "arg_max(t.quote, length(t.quote)) AS quote "
        "FROM interview_tags t JOIN interview_notes n USING (note_id) "
        "GROUP BY 1 ORDER BY notes DESC, theme"
    )
