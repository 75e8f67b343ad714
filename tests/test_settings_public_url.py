"""``SHOPPERLENS_PUBLIC_URL`` is where visitors reach shopperlens: ``survey.myshop.nl`` without
its scheme was taken, and the pop-up snippet's ``<script src="survey.myshop.nl/s/popup.js">``
is a relative address on the shop's site, where the pop-up never loads. ``serve --port``
outside 1–65535 said it ran on that port while listening on another one."""

from __future__ import annotations

import pytest

from shopperlens.config import Settings
from shopperlens.errors import ShopperlensError


@pytest.mark.parametrize(
    "value", ["https://survey.myshop.example", "http://127.0.0.1:8000", " HTTPS://a.example/s/ "]
)
def test_an_address_with_its_scheme_is_taken(monkeypatch, value: str) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SHOPPERLENS_PUBLIC_URL", value)
    assert Settings().public_url == value.strip()


@pytest.mark.parametrize("value", ["survey.myshop.nl", "ftp://a.example", "https://", "/s"])
def test_an_address_without_scheme_or_host_is_refused(monkeypatch, value: str) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SHOPPERLENS_PUBLIC_URL", value)
    with pytest.raises(ShopperlensError, match="is not a web address: give it with its scheme"):
        Settings()


def test_the_cli_says_it_in_one_line(cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SHOPPERLENS_PUBLIC_URL", "survey.myshop.nl")
    res = cli("survey", "link", "demo-profile")
    assert res.exit_code == 1
    assert res.output.strip().startswith(
        "error: SHOPPERLENS_PUBLIC_URL=survey.myshop.nl is not a web address"
    ), res.output


@pytest.mark.parametrize("port", ["99999", "0", "-1"])
def test_serve_refuses_a_port_out_of_range(cli, port: str) -> None:  # type: ignore[no-untyped-def]
    res = cli("serve", "--port", port)
    assert res.exit_code == 2 and "Invalid value for '--port'" in res.output, res.output
