"""The report's front page: what the shop's data holds, the demo's steps, the other pages."""

from __future__ import annotations

from typing import Any

from shopperlens.config import Settings
from shopperlens.playbooks.generator import NOT_IMPORTED
from shopperlens.reports.charts import pyplot, svg_data_uri
from shopperlens.reports.site import Page, register
from shopperlens.service import overview, tables
from shopperlens.service.readiness import readiness
from shopperlens.store import Store

#: one line per known page, shown on the front page's cards (unknown pages get their title)
BLURBS = {
    "types": "Every visitor and customer in one of five types, with the evidence and the "
    "movements between types.",
    "playbooks": "Each type's conversion playbook: the actions and the people to target.",
    "value": "What each customer is likely to be worth, who may have stopped buying, and the "
    "visitors closest to a first purchase.",
    "surveys": "The survey answers: who answered, what they said, cross-checked with analytics.",
    "personas": "The 3–4 named personas synthesised from surveys, interviews and analytics.",
    "privacy": "Consents and what may be used for what.",
    "playbook-need-based": "Need-based: frictionless checkout, the keywords that bring them, "
    "upsell.",
    "playbook-looker": "Lookers: lead magnets, the pages that lose them, campaigns.",
    "playbook-new": "New customers: onboarding, feedback, follow-ups after the first order.",
    "playbook-loyal": "Loyal customers: case studies (with consent), rewards, referrals.",
    "playbook-impulse": "Impulse buyers: limited-time offers, support macros and live chat.",
    "glossary": "What the report's technical terms mean, in plain words.",
}
#: the demo's truth-check metrics and their glossary entries
METRIC_TERMS = {"macro-F1": "macro_f1", "adjusted Rand": "adjusted_rand"}
#: the newest import-ledger rows the front page lists (a caption says when the ledger holds
#: more, and how to list them all)
REPORT_IMPORTS = 50
#: what adds the support figures when their table is empty: a table with no rows was not
#: imported, and its count reads "not imported", never "0 returns" beside 35 tickets
SUPPORT_IMPORTS = {
    "tickets": "`shopperlens import tickets FILE` adds them",
    "returns": "`shopperlens import returns FILE` adds them",
}


def _monthly_chart(months: list[overview.MonthFigures]) -> str | None:
    """Orders per month as an inline SVG bar chart (None without orders)."""
    if not months:
        return None
    plt = pyplot()

    fig, ax = plt.subplots(figsize=(7.5, 2.2), dpi=100)
    ax.bar([m.month[2:] for m in months], [m.orders for m in months], color="#2d6cdf")
    ax.set_ylabel("orders")
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(axis="x", labelsize=8, rotation=0 if len(months) <= 13 else 90)
    fig.tight_layout()
    return svg_data_uri(fig)


def monthly_chart_alt(months: list[overview.MonthFigures]) -> str:
    """What the orders chart shows, in words: its span, its busiest, quietest and latest
    month (a bare "orders per month" told a screen reader nothing the heading did not)."""
    if not months:
        return ""
    peak = max(months, key=lambda m: m.orders)
    low = min(months, key=lambda m: m.orders)
    last = months[-1]
    text = f"Orders per month, {months[0].month} to {last.month}: most in {peak.month} "
    text += f"({peak.orders:,} orders)"
    if low is not peak:
        text += f", fewest in {low.month} ({low.orders:,})"
    if last is not peak and last is not low:
        text += f", {last.orders:,} in the latest month"
    return text + "."


def _build(store: Store, settings: Settings | None = None) -> dict[str, Any]:
    from shopperlens.service import demo

    shop = overview.overview(store=store)
    run = demo.last_result(store=store)
    ledger = tables.import_history(store=store, limit=REPORT_IMPORTS)
    return {
        "shop": shop,
        "chart": _monthly_chart(shop.months),
        "_chart_alt": monthly_chart_alt(shop.months),
        "demo": run,
        "blurbs": BLURBS,
        # what a missing import reads as, in the playbook and types pages' words
        "_missing": NOT_IMPORTED,
        "_support_imports": SUPPORT_IMPORTS,
        "tables": tables.table_summaries(store=store),
        # per capability, whether this data is enough and what to run next (`shopperlens check`)
        "readiness": readiness(store=store, settings=settings),
        "imports": ledger,
        "imports_total": ledger.total,
        # "the newest 50 of 137 imports", or "" when the table lists every one
        "_imports_note": ledger.note,
        "_metric_terms": METRIC_TERMS,
    }


register(Page(slug="index", title="Overview", template="index.html", build=_build, order=0))
