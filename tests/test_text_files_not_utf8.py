"""A small file a user hands over, written by a Windows editor in cp1252 (``één``), is refused
in one sentence naming it and the way to convert it: the types config gave HTTP 500s on every
types and playbook route and "unexpected UnicodeDecodeError" in the CLI; survey definitions,
e-mail templates and basket files raised it bare in Python."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopperlens.config import Settings
from shopperlens.errors import ShopperlensError
from shopperlens.models.basket import read_basket_file
from shopperlens.surveys.definition import load_definition
from shopperlens.surveys.mail import load_template
from shopperlens.types.config import load_config
from shopperlens.web.app import create_app, serve_warnings

CONVERT = "not a UTF-8 text file (byte 0xe9 on line 1 is not UTF-8"


def _cp1252(path: Path, text: str) -> Path:
    path.write_bytes(text.encode("cp1252"))
    return path


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return _cp1252(
        tmp_path / "drempels.yaml", "# drempels voor één winkel\nloyal:\n  min_orders: 3\n"
    )


def test_every_reader_names_the_file_and_the_conversion(tmp_path: Path, config: Path) -> None:
    survey = _cp1252(tmp_path / "s.yaml", "title: Qualité\nquestions: []\n")
    template = _cp1252(tmp_path / "t.txt", "Subject: Café\n\n{{ link }}\n")
    baskets = _cp1252(tmp_path / "b.csv", "café,thé\n")
    for read, path in (
        (load_config, config),
        (load_definition, survey),
        (load_template, template),
        (read_basket_file, baskets),
    ):
        with pytest.raises(ShopperlensError) as err:
            read(path)
        assert str(err.value).startswith(f"{path.name}: {CONVERT}"), str(err.value)
        assert "iconv -f cp1252 -t utf-8" in str(err.value)


def test_an_empty_types_config_still_changes_nothing(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    assert load_config(empty).digest == load_config().digest


def test_the_cli_says_it_in_one_line(cli, config: Path) -> None:  # type: ignore[no-untyped-def]
    res = cli("types", "--config", str(config))
    assert res.exit_code == 1 and "unexpected" not in res.output, res.output
    assert f"error: {config.name}: {CONVERT}" in " ".join(res.output.split())


def test_http_answers_400_not_500_and_serve_warns(shop, config: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    orders = tmp_path / "o.csv"
    orders.write_text(
        "order_id,customer_id,ordered_at,product_id,quantity,unit_price\no1,c1,2025-03-01,p1,1,10\n"
    )
    shop.import_orders(orders)
    settings = Settings(token="t" * 20, types_config=config)
    shop.settings = settings  # (as `serve` opens the store with them)
    with TestClient(create_app(settings, shop=shop)) as client:
        got = client.get("/api/types", headers={"Authorization": f"Bearer {'t' * 20}"})
    assert got.status_code == 400 and CONVERT in got.json()["detail"], got.text
    (warning,) = serve_warnings(settings)
    assert CONVERT in warning and "refused until it is fixed" in warning
