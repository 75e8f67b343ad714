"""`analytics check` compared the survey `demo-profile` unless told otherwise: on a shop's own
survey it failed with "no survey named 'demo-profile'" on every face (the README lists the HTTP
route without a parameter). By default it now takes the survey with answers, as personas do."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopperlens.errors import ShopperlensError
from shopperlens.service import audience

GA4 = Path(__file__).parent / "data" / "ga4_audience"


def _own_survey(shop, name: str = "boots", married: int = 18) -> None:  # type: ignore[no-untyped-def]
    shop.survey_create(from_bank=["age_bracket", "marital_status"], name=name, title="Boots")
    for i in range(20):
        status = "married" if i < married else "single"
        shop.survey_submit(name, {"age_bracket": "45-54", "marital_status": status})


def test_the_check_takes_the_survey_with_answers(shop, client) -> None:  # type: ignore[no-untyped-def]
    audience.import_analytics(store=shop.store, path=GA4 / "ga4_age.csv")
    with pytest.raises(ShopperlensError, match="no survey has answers yet"):
        shop.analytics_check()  # (nothing of the shop's own to compare either)
    _own_survey(shop)
    found = shop.analytics_check()
    assert any("90 % married" in f.message for f in found if f.kind == "contradiction")
    http = client.get("/api/analytics/check")
    assert http.status_code == 200 and [f["message"] for f in http.json()] == [
        f.message for f in found
    ]


def test_several_surveys_are_named_not_guessed(shop, cli, db_path) -> None:  # type: ignore[no-untyped-def]
    import shopperlens

    with shopperlens.open(db_path) as own:
        audience.import_analytics(store=own.store, path=GA4 / "ga4_age.csv")
        _own_survey(own, "boots")
        _own_survey(own, "socks", married=2)
    res = cli("analytics", "check")
    assert res.exit_code == 1 and "several surveys have answers (boots, socks): name one" in (
        " ".join(res.output.split())
    )
    assert cli("analytics", "check", "--survey", "socks").exit_code == 0
    with pytest.raises(ShopperlensError, match="name one"), shopperlens.open(db_path) as own:
        own.analytics_check()
