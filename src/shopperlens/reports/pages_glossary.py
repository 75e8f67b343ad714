"""Report page "Glossary": every technical term the report uses, defined once in plain words.

The other pages link their terms here (``glossary.term``), and the front page links the page
itself, so a reader who meets "P(alive)" or "lift" anywhere is one click from what it means.

The glossary lists the terms of the pages the report has, not every term shopperlens knows: a
shop without surveys or personas was told what TF-IDF + NMF and stability are, and a shop that
is not the demo how macro-F1 compares "with the demo's planted truth". Which pages a store
gets is known before any is built (``Page.available``), and which terms a page can show is
written in its template (``term("p_alive")``, ``terms_note("lift", …)``), so the glossary
reads both; terms a template shows only inside ``{% if demo %}`` count only for the demo.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, meta, nodes

from shopperlens.config import Settings
from shopperlens.reports.glossary import TERMS, Term
from shopperlens.reports.site import Page, environment, pages, register
from shopperlens.store import Store

#: the template functions that mark a term (their literal string arguments are term keys)
_MARKERS = ("term", "terms_note")
#: the template variable that holds the demo run: a block under ``{% if demo %}`` is the demo's
_DEMO = "demo"


def _is_demo(store: Store) -> bool:
    """Whether the store is the demo shop: the front page's own test (the demo's result,
    kept for the store by the run that made it), so the glossary and the front page agree."""
    from shopperlens.service import demo

    return demo.last_result(store=store) is not None


def _marked(node: nodes.Node, in_demo: bool, found: dict[str, bool]) -> None:
    """Collect into ``found`` each term key ``node`` marks, with whether every mark of it
    seen so far sits inside a ``{% if demo %}`` block (True: the demo's only)."""
    if isinstance(node, nodes.If) and isinstance(node.test, nodes.Name):
        demo_block = node.test.name == _DEMO
        for child in node.body:
            _marked(child, in_demo or demo_block, found)
        for child in [*node.elif_, *node.else_]:
            _marked(child, in_demo, found)
        return
    if (
        isinstance(node, nodes.Call)
        and isinstance(node.node, nodes.Name)
        and node.node.name in _MARKERS
    ):
        for arg in node.args:
            if isinstance(arg, nodes.Const) and isinstance(arg.value, str):
                found[arg.value] = found.get(arg.value, True) and in_demo
    for child in node.iter_child_nodes():
        _marked(child, in_demo, found)


def template_terms(env: Environment, name: str) -> dict[str, bool]:
    """The term keys template ``name`` (and the templates it extends or includes) marks, each
    with whether it is marked only inside ``{% if demo %}``."""
    found: dict[str, bool] = {}
    todo, seen = [name], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        if env.loader is None:  # the report's environment always has its package loader
            break
        source, _, _ = env.loader.get_source(env, current)
        tree = env.parse(source)
        _marked(tree, False, found)
        todo.extend(t for t in meta.find_referenced_templates(tree) if t)
    return found


def used_terms(store: Store) -> list[Term]:
    """The terms of the pages this store's report has, in the glossary's order (demo-only
    marks counted only for the demo)."""
    env = environment()
    demo = _is_demo(store)
    keys: set[str] = set()
    for page in pages():
        if page.slug == "glossary" or not page.available(store):
            continue
        for key, demo_only in template_terms(env, page.template).items():
            if demo or not demo_only:
                keys.add(key)
    return [t for t in TERMS.values() if t.key in keys]


def _build(store: Store | None, settings: Settings | None = None) -> dict[str, Any]:
    """The entries of the terms the report's pages use, in the glossary's order. Without a
    store (the reference of every term, as the tests and documentation read it) every entry,
    without the demo's sentences."""
    demo = store is not None and _is_demo(store)
    terms = list(TERMS.values()) if store is None else used_terms(store)
    return {
        "terms": [
            {
                "key": t.key,
                "anchor": t.anchor,
                "name": t.name,
                "short": t.short,
                "more": " ".join(x for x in (t.more, t.demo_more if demo else "") if x),
            }
            for t in terms
        ]
    }


register(Page(slug="glossary", title="Glossary", template="glossary.html", build=_build, order=95))
