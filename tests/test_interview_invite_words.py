"""Interview invitations without a shop name speak as "we" (they read "We are our shop." and
were signed "our shop"); with ``--shop-name`` they introduce the shop. ``interviews recruit
--invite --json`` prints one JSON document (the send report's table followed the JSON)."""

from __future__ import annotations

import json

import shopperlens


def _shop_with_customers(db_path) -> None:  # type: ignore[no-untyped-def]
    with shopperlens.open(db_path) as shop:
        for i in range(6):
            shop.store.execute(
                "INSERT INTO customers (customer_id, email, accepts_marketing) VALUES (?, ?, true)",
                [f"c{i}", f"c{i}@example.com"],
            )
            shop.store.execute(
                "INSERT INTO orders (order_id, customer_id, ordered_at) VALUES (?, ?, now())",
                [f"o{i}", f"c{i}"],
            )
            shop.store.execute(
                "INSERT INTO order_lines VALUES (?, 1, 'p', 'P', 'x', 1, ?, NULL)",
                [f"o{i}", 10.0 * (i + 1)],
            )


def _body(message) -> str:  # type: ignore[no-untyped-def]
    part = message.get_body(("plain",)) if message.is_multipart() else message
    return part.get_payload(decode=True).decode().replace("\r\n", "\n")


def _env(monkeypatch, settings) -> None:  # type: ignore[no-untyped-def]
    for key in ("smtp_host", "smtp_port", "secret_key", "public_url"):
        monkeypatch.setenv(f"SHOPPERLENS_{key.upper()}", str(getattr(settings, key)))


def test_invitations_speak_as_we_without_a_shop_name(cli, db_path, smtp, monkeypatch):
    server, settings = smtp
    _env(monkeypatch, settings)
    _shop_with_customers(db_path)
    res = cli("interviews", "recruit", "--n", "2", "--prospects", "0", "--invite", "--json")
    assert res.exit_code == 0, res.output
    said = json.loads(res.stdout)  # one document
    assert {r["customer_id"] for r in said["recruits"]} == {"c5", "c4", "c0", "c1"}
    assert said["sent"]["sent"] == len(server.messages) == 4
    body = _body(server.messages[0])
    assert "our shop" not in body and "We are" not in body
    assert "We would like to learn how we can do better" in body
    assert body.rstrip().endswith("Thank you!")


def test_invitations_introduce_the_named_shop(cli, db_path, smtp, monkeypatch):
    server, settings = smtp
    _env(monkeypatch, settings)
    _shop_with_customers(db_path)
    args = ("--n", "1", "--prospects", "0", "--invite", "--shop-name", "Boot Corner")
    res = cli("interviews", "recruit", *args)
    assert res.exit_code == 0, res.output
    body = _body(server.messages[0])
    assert body.startswith("Hello") and "We are Boot Corner. We would like" in body
    assert body.rstrip().endswith("Thank you,\nBoot Corner")


def test_a_shops_own_template_naming_the_shop_needs_the_name(
    cli, db_path, smtp, monkeypatch, tmp_path
):
    """A custom template writing ``{{ shop_name }}`` said "News from None" without
    ``--shop-name``: refused before anything is sent; with the name it is used."""
    server, settings = smtp
    _env(monkeypatch, settings)
    _shop_with_customers(db_path)
    template = tmp_path / "news.txt"
    template.write_text("Subject: News from {{ shop_name }}\n\nHello, {{ link }}\n")
    assert cli("survey", "create", "demo-profile").exit_code == 0
    res = cli("survey", "send", "demo-profile", "--template", str(template))
    assert res.exit_code == 1 and "--shop-name" in res.output, res.output
    assert server.messages == []
    args = ("--template", str(template), "--shop-name", "Boot Corner")
    res = cli("survey", "send", "demo-profile", *args)
    assert res.exit_code == 0, res.output
    assert {m["Subject"] for m in server.messages} == {"News from Boot Corner"}
