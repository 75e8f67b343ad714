"""The report site: a registry of pages, each a service call rendered by one template.

A concern adds its page with :func:`register` (for example ``reports/pages_types.py``); the
report writer renders every registered page whose data exists and links them from the index.
Each page is written as HTML next to a JSON file of the same data (Datasette's rule: one
object, two renderings). A page may bring files of its own (the personas page its printable
cards, Markdown and JSON): they are written beside it, and the dashboard serves them live under
the same names, so the page's links work in both.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import suppress
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from shopperlens import labels
from shopperlens.config import Settings
from shopperlens.errors import ShopperlensError
from shopperlens.plain import json_value, plain
from shopperlens.reports import glossary
from shopperlens.service._clock import utc_now
from shopperlens.service._shared import shared_reads
from shopperlens.store import Store
from shopperlens.store.connection import ERASED_MEANWHILE, check_no_erasure_since


def _always(store: Store) -> bool:
    return True


#: rows of an "at risk" list a page shows (Value, Customer types, the loyal playbook), all highest
#: CLV first, so the pages that list the same customers list them alike
AT_RISK_SHOWN = 25


@dataclass(frozen=True)
class Page:
    """One report page: ``build(store, settings)`` returns the template context (or None to
    skip it). ``settings`` carries the shop's own choices (its types config, income adjustment);
    pages fall back to the defaults without them. ``extra_pages(ctx)`` names the page's own
    files (``persona-…html``, ``personas.md`` …), each rendered to text only when asked for.

    ``available(store)`` says cheaply whether ``build`` would return a page (the dashboard's
    menu lists only those, as the written report does, without building every page for every
    request); ``needs`` says, as a sentence with its `commands`, what to import when not."""

    slug: str
    title: str
    template: str
    build: Callable[[Store, Settings | None], dict[str, Any] | None]
    order: int = 50
    extra_pages: Callable[[dict[str, Any]], dict[str, Callable[[], str]]] | None = field(
        default=None
    )
    available: Callable[[Store], bool] = _always
    needs: str = ""


_PAGES: dict[str, Page] = {}
#: the report being written in this context (an object of its own per :func:`write_report`)
_REPORT: ContextVar[object | None] = ContextVar("shopperlens_report", default=None)


def report_build() -> object | None:
    """The report being written (one object per :func:`write_report` call), None when a page
    is built for the dashboard. A page that keeps what it computed computes it again once per
    report, so a report never shows numbers kept from before it began; the dashboard reuses
    them while the data are unchanged."""
    return _REPORT.get()


def register(page: Page) -> Page:
    _PAGES[page.slug] = page
    return page


def pages() -> list[Page]:
    _load_builtin_pages()
    return sorted(_PAGES.values(), key=lambda p: (p.order, p.slug))


def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("shopperlens.reports", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = _num
    env.filters["pct"] = _pct
    env.filters["money"] = labels.money
    env.filters["type_label"] = labels.type_label
    env.filters["ticks"] = _ticks
    env.globals["term"] = glossary.term
    env.globals["terms_note"] = glossary.terms_note
    return env


def write_report(
    store: Store,
    out_dir: str | Path,
    *,
    title: str = "shopperlens report",
    settings: Settings | None = None,
    progress: Callable[..., None] | None = None,
) -> Path:
    """Render every page with data into ``out_dir``; returns the path of ``index.html``.

    ``out_dir`` is created when missing, inside a folder that exists (never its parents).

    ``progress(n, total=…, description=…)`` is told about each page as it is built.

    A customer erased while it ran may be on its pages: then the files it wrote are removed
    (and the folder, when it made it) and :class:`ShopperlensError` says to run it again.
    """
    from shopperlens.service._files import output_folder

    mark = store.erasure_mark()
    made = not Path(out_dir).exists()
    out = output_folder(out_dir)
    written: list[Path] = []
    try:
        building = _REPORT.set(object())
        try:
            with shared_reads():  # the pages read the events, orders and visits once between them
                _write_pages(store, out, written, title=title, settings=settings, progress=progress)
        finally:
            _REPORT.reset(building)
        with store.cursor() as cur:
            check_no_erasure_since(cur, mark)
    except ShopperlensError as exc:
        if str(exc) == ERASED_MEANWHILE:
            _unwrite(out, written, made)
        raise
    return out / "index.html"


def _unwrite(out: Path, written: list[Path], made: bool) -> None:
    """Remove the files a report wrote (and its folder when the report made it and nothing
    else is in it): they may name a customer erased while it ran."""
    for path in written:
        path.unlink(missing_ok=True)
    if made:
        with suppress(OSError):
            out.rmdir()


def _write_pages(
    store: Store,
    out: Path,
    written: list[Path],
    *,
    title: str,
    settings: Settings | None,
    progress: Callable[..., None] | None,
) -> None:
    """Build every page with data and write it into ``out``, noting each file in ``written``."""
    todo = pages()
    built = []
    for page in todo:
        if progress:
            progress(0, total=len(todo), description=f"page: {page.title}")
        ctx = page.build(store, settings)
        if ctx is not None:
            built.append((page, ctx))
        if progress:
            progress(1)
    nav = [{"slug": p.slug, "title": p.title} for p, _ in built]
    for page, ctx in built:
        _write(out / f"{page.slug}.html", render(page, ctx, nav, title=title), written)
        _write(out / f"{page.slug}.json", to_json(ctx), written)
        for name, text in extra_pages(page, ctx).items():
            _write(out / name, text(), written)


def _write(path: Path, text: str, written: list[Path]) -> None:
    written.append(path)
    path.write_text(text, encoding="utf-8")


def find(slug: str) -> Page | None:
    return next((p for p in pages() if p.slug == slug), None)


def available_nav(store: Store) -> list[dict[str, str]]:
    """The menu of the pages this store's data can fill (the written report's menu)."""
    return [{"slug": p.slug, "title": p.title} for p in pages() if p.available(store)]


def generated_at() -> str:
    """When a page is made, as its footer says it: UTC and marked so ("2026-12-06 16:07 UTC"),
    as the import times the report lists are; the machine's local time without a zone put a
    New York report five hours before the imports it showed."""
    return f"{utc_now():%Y-%m-%d %H:%M} UTC"


def render_missing(page: Page, nav: list[dict[str, str]], *, title: str = "shopperlens") -> str:
    """The page as HTML when its data are not imported yet: what it needs and how to add it."""
    generated = generated_at()
    return (
        environment()
        .get_template("missing.html")
        .render(page=page, nav=nav, report_title=title, generated=generated)
    )


def extra_pages(page: Page, ctx: dict[str, Any]) -> dict[str, Callable[[], str]]:
    """The page's own files by name (none for most pages)."""
    return page.extra_pages(ctx) if page.extra_pages else {}


def media_type(name: str) -> str:
    """The media type a file of the report is served as, from its name."""
    suffix = Path(name).suffix.lower()
    return {
        ".html": "text/html; charset=utf-8",
        ".json": "application/json",
        ".md": "text/markdown; charset=utf-8",
    }.get(suffix, "text/plain; charset=utf-8")


def render(
    page: Page, ctx: dict[str, Any], nav: list[dict[str, str]], *, title: str = "shopperlens"
) -> str:
    """One page as HTML: the page's template over the context ``page.build`` returned."""
    generated = generated_at()
    return (
        environment()
        .get_template(page.template)
        .render(**ctx, page=page, nav=nav, report_title=title, generated=generated)
    )


def to_json(ctx: dict[str, Any]) -> str:
    """The same context as JSON (keys starting with ``_`` are presentation-only and left out)."""
    return json.dumps(plain(ctx, drop_private=True), indent=2, default=json_value, allow_nan=False)


def _load_builtin_pages() -> None:
    """Import the modules that register pages (each concern adds its own module here)."""
    import importlib
    import pkgutil

    import shopperlens.reports as pkg

    for mod in pkgutil.iter_modules(pkg.__path__):
        if mod.name.startswith("pages_"):
            importlib.import_module(f"shopperlens.reports.{mod.name}")


def _ticks(text: Any) -> Markup:
    """Text with its `backticked` commands set as code (the rest escaped): the playbook's
    evidence is written once, as Markdown, for the CLI and the page."""
    parts = str(text).split("`")
    return Markup("").join(
        Markup("<code>{}</code>").format(p) if i % 2 else Markup.escape(p)
        for i, p in enumerate(parts)
    )


def _num(v: Any, digits: int = 0) -> str:
    if v is None:
        return "–"
    try:
        return f"{float(v):,.{digits}f}"
    except (TypeError, ValueError):
        return str(v)


def _pct(v: Any, digits: int = 0) -> str:
    """A share as a percentage, an exact half away from zero (:func:`labels.percent`)."""
    if v is None:
        return "–"
    return f"{labels.percent(float(v), digits)} %"
