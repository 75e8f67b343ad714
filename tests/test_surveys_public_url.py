"""Survey links must reach the customers they are mailed to: a real send refuses links to an
address only this computer opens (the default ``http://127.0.0.1:8000``) while mail goes to
another machine; ``survey link`` and ``popup-snippet`` warn about such an address."""

from __future__ import annotations

import pytest

from shopperlens.config import Settings
from shopperlens.errors import ShopperlensError
from shopperlens.service import survey_delivery as dlv
from shopperlens.service import surveys
from shopperlens.surveys.links import is_loopback


@pytest.fixture
def inbox(smtp):  # type: ignore[no-untyped-def]
    return smtp[0]


def _customers(store, n: int = 2) -> None:
    for i in range(n):
        store.execute(
            "INSERT INTO customers (customer_id, email, accepts_marketing) VALUES (?, ?, true)",
            [f"c{i}", f"c{i}@example.com"],
        )
    surveys.ensure_builtin(store=store)


def _statuses(store) -> list[str]:
    rows = store.execute("SELECT status FROM survey_invitations ORDER BY customer_id").fetchall()
    return [r[0] for r in rows]


@pytest.mark.parametrize(
    "address",
    [
        "http://127.0.0.1:8000",
        "http://localhost:8000/",
        "http://[::1]:80",
        "127.0.0.2",
        "0.0.0.0",
        # spellings the resolver opens as this computer too
        "http://127.1",
        "http://0:8000",
        "http://2130706433/",
        "http://[::ffff:127.0.0.1]:8000",
        "localhost:8000",
        "127.0.0.1:8000",
    ],  # fmt: skip
)
def test_addresses_only_this_computer_opens(address):
    assert is_loopback(address)


@pytest.mark.parametrize(
    "address",
    [
        "https://shop.example.com",
        "http://10.0.0.5:8000",
        "smtp.example.com",
        "shop.example.com:443",
        "http://127.example.com",
        "http://[::ffff:10.0.0.5]",
    ],  # fmt: skip
)
def test_addresses_others_can_open(address):
    assert not is_loopback(address)


def test_a_real_send_with_loopback_links_is_refused_and_nobody_counts_as_invited(store, inbox):
    _customers(store)
    # mail through another machine, links to 127.0.0.1 (the default public_url)
    remote = Settings(smtp_host="smtp.example.com", smtp_port=inbox.port, secret_key="k")
    with pytest.raises(ShopperlensError, match="SHOPPERLENS_PUBLIC_URL") as refused:
        dlv.send_invitations(store=store, settings=remote, survey="demo-profile")
    assert "http://127.0.0.1:8000" in str(refused.value)
    # nothing was sent, nothing is "sending" (fatigue): the invitations wait
    assert inbox.messages == [] and _statuses(store) == ["pending", "pending"]
    # a dry run still counts who would be invited
    dry = dlv.send_invitations(store=store, settings=remote, survey="demo-profile", dry_run=True)
    assert dry.matched == 2
    # with an address customers reach, the waiting invitations go out
    public = Settings(
        smtp_host="127.0.0.1", smtp_port=inbox.port, secret_key="k", public_url="https://s.shop"
    )
    rep = dlv.send_invitations(store=store, settings=public, survey="demo-profile")
    assert rep.sent == 2 and _statuses(store) == ["sent", "sent"]
    body = inbox.messages[0].get_payload(decode=True).decode()
    assert "https://s.shop/s/demo-profile?t=" in body


def test_reminders_with_loopback_links_are_refused_too(store, inbox):
    from datetime import datetime, timedelta

    _customers(store, 1)
    local = Settings(smtp_host="127.0.0.1", smtp_port=inbox.port, secret_key="k")
    assert dlv.send_invitations(store=store, settings=local, survey="demo-profile").sent == 1
    remote = Settings(smtp_host="smtp.example.com", smtp_port=inbox.port, secret_key="k")
    later = datetime.now() + timedelta(days=30)
    with pytest.raises(ShopperlensError, match="reminder"):
        dlv.send_reminders(store=store, settings=remote, survey="demo-profile", now=later)
    assert len(inbox.messages) == 1


def test_loopback_smtp_with_loopback_links_is_a_test_setup_and_sends(store, inbox):
    _customers(store, 1)
    local = Settings(smtp_host="127.0.0.1", smtp_port=inbox.port, secret_key="k")
    rep = dlv.send_invitations(store=store, settings=local, survey="demo-profile")
    assert rep.sent == 1 and len(inbox.messages) == 1


def test_cli_send_refuses_in_one_line(cli, db_path, monkeypatch):
    import shopperlens

    monkeypatch.setenv("SHOPPERLENS_SMTP_HOST", "smtp.example.com")
    monkeypatch.setenv("SHOPPERLENS_SECRET_KEY", "k")
    monkeypatch.delenv("SHOPPERLENS_PUBLIC_URL", raising=False)
    assert cli("survey", "create", "demo-profile").exit_code == 0
    shop = shopperlens.open(str(db_path))
    _customers(shop.store, 1)
    shop.close()
    res = cli("survey", "send", "demo-profile")
    assert res.exit_code == 1 and "Traceback" not in res.output
    said = " ".join(res.stderr.split())
    assert said.startswith("error: not sending: survey links would point at http://127.0.0.1")
    assert "set SHOPPERLENS_PUBLIC_URL to the address customers can reach" in said.replace(
        "Set", "set"
    )


@pytest.mark.parametrize(
    "command", [["survey", "link"], ["survey", "popup-snippet", "--question", "novelty"]]
)
def test_link_and_snippet_warn_about_a_loopback_address(cli, monkeypatch, command):
    monkeypatch.delenv("SHOPPERLENS_PUBLIC_URL", raising=False)
    cli("survey", "create", "demo-profile")
    res = cli(*command, "demo-profile")
    assert res.exit_code == 0, res.output
    assert "127.0.0.1:8000" in res.stdout and "warning:" not in res.stdout
    assert "only this computer can open" in " ".join(res.stderr.split())
    monkeypatch.setenv("SHOPPERLENS_PUBLIC_URL", "https://shop.example.com")
    res = cli(*command, "demo-profile")
    assert res.exit_code == 0 and "https://shop.example.com" in res.stdout
    assert res.stderr == ""
