"""The ``<script>`` tag a shop pastes into its pages to show a survey pop-up or welcome bar."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from shopperlens.errors import ShopperlensError

TRIGGERS = ("delay", "exit", "cart", "checkout_abandon")
MODES = ("popup", "bar")
#: page addresses: one path, several comma-separated, or a sequence of them
Paths = str | Sequence[str] | None


def script_tag(
    public_url: str,
    survey: str,
    *,
    question: str | None = None,
    trigger: str = "delay",
    delay: float | None = None,
    mode: str = "popup",
    text: str | None = None,
    days: int = 30,
    cart_path: Paths = None,
    checkout_path: Paths = None,
    complete_path: Paths = None,
    target: str | None = None,
) -> str:
    """The tag: ``trigger`` is when the pop-up shows (after ``delay`` seconds, on exit intent,
    on the cart page, or on the next page after an abandoned checkout); ``mode="bar"`` shows a
    welcome bar linking to the survey page instead; ``days`` is the client-side fatigue window;
    ``target`` — a token signed by the server (:func:`shopperlens.surveys.links.sign_target`;
    ``popup_snippet(types=…)`` makes it) — shows it only to visitors of the customer types it
    names (the page should then set ``data-visitor-id`` to the visitor id its events carry).

    ``cart_path``, ``checkout_path`` and ``complete_path`` are the shop's own page addresses
    (path prefixes, one or several: a list or comma-separated), where the defaults ``/cart``,
    ``/checkout`` and ``/thank`` are not its pages: the cart trigger and the abandoned-checkout
    trigger read them. The order-complete pages of common platforms (WooCommerce
    ``order-received``, Shopify ``thank-you``/``thank_you``/``orders`` …) are recognised
    besides ``complete_path``, so a buyer who just paid is not asked what stopped them."""
    if trigger not in TRIGGERS:
        raise ShopperlensError(f"trigger must be one of {', '.join(TRIGGERS)}")
    if mode not in MODES:
        raise ShopperlensError(f"mode must be one of {', '.join(MODES)}")
    attrs = {
        "src": f"{public_url.rstrip('/')}/s/popup.js",
        "data-survey": survey,
        "data-question": question,
        "data-trigger": trigger,
        "data-delay": None if delay is None else f"{delay:g}",
        "data-mode": mode,
        "data-text": text,
        "data-days": str(days),
        "data-cart-path": page_paths(cart_path, "cart"),
        "data-checkout-path": page_paths(checkout_path, "checkout"),
        "data-complete-path": page_paths(complete_path, "order-complete"),
        "data-target": target,
    }
    parts = " ".join(f'{k}="{escape(v, quote=True)}"' for k, v in attrs.items() if v)
    return f"<script {parts} async></script>"


def page_paths(value: Paths, page: str) -> str | None:
    """``value`` (one address, a comma-separated list or a sequence) as the comma-separated
    paths the tag carries; ``None`` for none.

    The pop-up compares them with the page's path, so an address that is not a path (a whole
    URL ``https://shop.example/checkout``, ``checkout`` without its ``/``) would never match:
    the trigger would silently never fire, or an order-complete page be taken for checkout.
    It is refused by name instead."""
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else [p for v in value for p in v.split(",")]
    paths = [p.strip() for p in items if p.strip()]
    for p in paths:
        if not p.startswith("/") or any(c.isspace() for c in p) or "?" in p or "#" in p:
            raise ShopperlensError(
                f"the {page} page address must be a path on the shop's site, starting "
                f"with '/' and without ?query or spaces (got {p!r})"
            )
    return ",".join(paths) or None


def missing_question_warning(
    mode: str, question: str | None, first: str, option: str = "--question ID"
) -> str | None:
    """What to say when a pop-up names no question: it then asks the survey's first one
    (``first``, e.g. "How old are you?"), not one chosen for the moment it appears ("What
    stopped you from completing your purchase?" after an abandoned checkout). ``None`` when a
    question is named, or for the welcome bar (it leads to the whole survey)."""
    if mode != "popup" or question is not None:
        return None
    return (
        f'no question chosen: the pop-up will ask the survey\'s first question ("{first}"); '
        f"choose the one for the moment it appears with {option}"
    )
