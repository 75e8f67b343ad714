"""The ``<script>`` tag a shop pastes into its pages to show a survey pop-up or welcome bar."""

from __future__ import annotations

from html import escape

from shopperlens.errors import ShopperlensError

TRIGGERS = ("delay", "exit", "cart", "checkout_abandon")
MODES = ("popup", "bar")


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
    cart_path: str | None = None,
    checkout_path: str | None = None,
    target: str | None = None,
) -> str:
    """The tag: ``trigger`` is when the pop-up shows (after ``delay`` seconds, on exit intent,
    on the cart page, or on the next page after an abandoned checkout); ``mode="bar"`` shows a
    welcome bar linking to the survey page instead; ``days`` is the client-side fatigue window;
    ``target`` — a token signed by the server (:func:`shopperlens.surveys.links.sign_target`;
    ``popup_snippet(types=…)`` makes it) — shows it only to visitors of the customer types it
    names (the page should then set ``data-visitor-id`` to the visitor id its events carry)."""
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
        "data-cart-path": cart_path,
        "data-checkout-path": checkout_path,
        "data-target": target,
    }
    parts = " ".join(f'{k}="{escape(v, quote=True)}"' for k, v in attrs.items() if v)
    return f"<script {parts} async></script>"
