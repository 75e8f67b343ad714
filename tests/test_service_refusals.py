"""Values the service refuses (or reads) alike on every face, so that no face answers with a
false reason or a bare Python exception.

``recommend together --top 0`` said "no two products were bought together…" (exit 0) while
HTTP answered 422 and Python returned an empty table; and Python calls raised ``ValueError``,
``AttributeError``, ``TypeError`` or Ibis's errors where the README promises
:class:`ShopperlensError`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest

import shopperlens
from shopperlens.errors import ShopperlensError
from shopperlens.service.surveys import ensure_builtin
from test_api_misuse import _fill

TOP_REFUSED = "top (recommendations per {}) must be a whole number of 1 or more; got {}"
RECOMMENDERS = {
    "together": ("product", lambda s, top: s.frequently_bought_together(top=top)),
    "related": ("product", lambda s, top: s.related_products(top=top)),
    "upsell": ("customer", lambda s, top: s.upsell_picks(top=top)),
}


@pytest.fixture
def filled(shop: shopperlens.Shop, tmp_path) -> shopperlens.Shop:  # type: ignore[no-untyped-def]
    """Orders and visits (test_api_misuse's), and the built-in surveys."""
    ensure_builtin(store=shop.store)
    return _fill(shop, tmp_path)


@pytest.mark.parametrize("command", sorted(RECOMMENDERS))
@pytest.mark.parametrize("top", [0, -1])
def test_top_below_one_is_refused_in_one_sentence(cli, shop, client, command, top) -> None:  # type: ignore[no-untyped-def]
    per, call = RECOMMENDERS[command]
    said = TOP_REFUSED.format(per, top)
    res = cli("recommend", command, "--top", str(top))
    assert res.exit_code == 1 and f"error: {said}" in " ".join(res.output.split()), res.output
    with pytest.raises(ShopperlensError) as refused:
        call(shop, top)
    assert str(refused.value) == said
    assert client.get(f"/api/playbooks/{command}", params={"top": top}).status_code == 422


def test_top_as_digits_is_that_number(filled: shopperlens.Shop) -> None:
    as_text = filled.frequently_bought_together(top="3")
    pd.testing.assert_frame_equal(as_text, filled.frequently_bought_together(top=3))
    with pytest.raises(ShopperlensError, match="got 'three'"):
        filled.frequently_bought_together(top="three")


MISUSES: dict[str, tuple[Callable[[shopperlens.Shop], Any], str]] = {
    "band -1": (lambda s: s.shipping_threshold(band=-1), "band .* above 0 and below 1"),
    "band 1": (lambda s: s.shipping_threshold(band=1), "band .* above 0 and below 1"),
    "topup_rate 0": (
        lambda s: s.shipping_threshold(topup_rate=0),
        "topup_rate .* above 0 and at most 1",
    ),
    "funnel types text": (
        lambda s: s.funnels(types="x"),
        "types must be a DataFrame with a type column .*, not 'x'",
    ),
    "funnel types columns": (
        lambda s: s.funnels(types=pd.DataFrame({"id": ["00001"]})),
        "not a DataFrame with the columns id$",
    ),
    "send audience text": (
        lambda s: s.survey_send("demo-profile", audience="x", dry_run=True),
        r"audience must be an Audience or a dict of its rules \(types, min_orders",
    ),
    "send audience rule": (
        lambda s: s.survey_send("demo-profile", audience={"type": ["loyal"]}, dry_run=True),
        "audience rule type: no such rule",
    ),
    "send option": (
        lambda s: s.survey_send("demo-profile", gap_days=1),
        "survey_send.. has no option 'gap_days'; it takes: audience, quota",
    ),
    "survey create number": (lambda s: s.survey_create(5), "survey_create needs a survey: .* 5$"),
    "remind option": (
        lambda s: s.survey_remind("demo-profile", gap=1),
        "survey_remind.. has no option 'gap'; it takes: max_reminders, min_gap_days",
    ),
    "import option": (
        lambda s: s.import_orders("orders.csv", on_errors="skip"),
        "import_orders.. has no option 'on_errors'; it takes: fmt, mapping, on_error, ",
    ),
    "remind gap twice": (
        lambda s: s.survey_remind("demo-profile", gap_days=1, min_gap_days=2),
        "gap_days or as min_gap_days, not both",
    ),
    "remind gap_days checked": (
        lambda s: s.survey_remind("demo-profile", gap_days=-1),
        "min_gap_days, gap_days, --gap-days",
    ),
}


@pytest.mark.parametrize("misuse", sorted(MISUSES))
def test_python_misuse_is_a_shopperlens_error(filled: shopperlens.Shop, misuse: str) -> None:
    call, said = MISUSES[misuse]
    with pytest.raises(ShopperlensError, match=said):
        call(filled)


def test_what_the_http_body_takes_python_takes(filled: shopperlens.Shop) -> None:
    """A survey as a dict (the HTTP body's ``definition``), an audience as a dict of rules
    (the HTTP body's ``audience``), and the reminders' gap as ``gap_days``."""
    info = filled.survey_create({"name": "short", "title": "Short", "from_bank": ["income"]})
    assert (info.name, info.version, info.questions) == ("short", 1, 1)
    sent = filled.survey_send("demo-profile", audience={"min_orders": 1}, dry_run=True)
    assert sent.audience == "orders>=1" and sent.matched == 4
    assert filled.survey_remind("demo-profile", gap_days=1).matched == 0
    types = filled.latest_types()[["customer_id", "type"]]  # no visitor ids: read as none
    assert set(filled.funnels(types=types)["type"]) <= {*types["type"], "untyped"}
