"""Movements between two dates in the wrong order: one refusal that names both dates, in the
terms of each face (the CLI's options, the Python and HTTP parameters)."""

from __future__ import annotations

import pytest

import shopperlens
from shopperlens.errors import ShopperlensError

SAID = "2025-10-01 is not before 2025-03-01"


def test_python_names_its_parameters_and_the_dates(shop: shopperlens.Shop) -> None:
    with pytest.raises(ShopperlensError) as caught:
        shop.type_moves("2025-10-01", "2025-03-01")
    assert "date_from" in str(caught.value) and "date_to" in str(caught.value)
    assert SAID in str(caught.value)


def test_the_same_date_twice_is_refused(shop: shopperlens.Shop) -> None:
    with pytest.raises(ShopperlensError, match="2025-03-01 is not before 2025-03-01"):
        shop.type_moves("2025-03-01", "2025-03-01")


def test_cli_exits_1_with_one_line(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("types", "moves", "--from", "2025-10-01", "--to", "2025-03-01")
    assert result.exit_code == 1
    assert "--from" in result.output and SAID in result.output
    assert "Traceback" not in result.output


def test_http_is_a_4xx_naming_its_query_parameters(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/types/moves", params={"from": "2025-10-01", "to": "2025-03-01"})
    assert 400 <= r.status_code < 500
    assert SAID in r.text and "from" in r.text
