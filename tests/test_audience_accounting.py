"""An audience export accounts for everyone it selected, on every face, and a Mailchimp file
leaves out the addresses Mailchimp's import refuses (an accented letter before the ``@``).

Planted customers (every one bought once, all typed loyal):

* ``a1``–``a3`` — consenting, plain addresses;
* ``s1`` — consenting, ``A1@Example.COM``: a1's address, written once (under a1);
* ``n1`` (no e-mail), ``d1`` (``-dash@…``, read as a formula by a spreadsheet), ``t1`` (ending
  in ``.``) — consenting, no usable address;
* ``u1`` ``jürgen@example.de`` — consenting: Mailchimp refuses it, the others take it;
* ``u2`` ``info@bücher.de`` — consenting: accents after the ``@`` Mailchimp takes;
* ``x1``, ``x2`` — no marketing consent.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pandas as pd
import pytest

from shopperlens.service import playbooks as svc
from shopperlens.store import Store, connect

CUSTOMERS = [
    ("a1", "a1@example.com", True),
    ("a2", "a2@example.com", True),
    ("a3", "a3@example.com", True),
    ("d1", "-dash@example.com", True),
    ("n1", None, True),
    ("s1", "A1@Example.COM", True),
    ("t1", "dot@example.com.", True),
    ("u1", "jürgen@example.de", True),
    ("u2", "info@bücher.de", True),
    ("x1", "x1@example.com", False),
    ("x2", "x2@example.com", False),
]
LOYAL = pd.DataFrame(
    {"customer_id": [c for c, _, _ in CUSTOMERS], "visitor_id": None, "type": "loyal"}
)
EVERYONE = "orders >= 0"
MAILCHIMP_RULE = "1 left out: Mailchimp does not take accented letters before the @"
URL = "/api/playbooks/audience"


def plant(store: Store) -> Store:
    """Write the planted customers with one order each into ``store`` (as stored by older
    versions too: ``-dash@…`` and ``dot@example.com.`` are no longer imported)."""
    start = datetime(2024, 3, 1)
    for i, (cid, email, accepts) in enumerate(CUSTOMERS):
        store.execute(
            "INSERT INTO customers (customer_id, email, accepts_marketing) VALUES (?, ?, ?)",
            [cid, email, accepts],
        )
        store.execute(
            "INSERT INTO orders (order_id, customer_id, ordered_at) VALUES (?, ?, ?)",
            [f"o{i}", cid, start + timedelta(hours=i)],
        )
        store.execute(
            "INSERT INTO order_lines (order_id, line_no, product_id, quantity, unit_price) "
            "VALUES (?, 1, 'P1', 1, 20.0)",
            [f"o{i}"],
        )
    return store


def _line(res) -> str:  # type: ignore[no-untyped-def]
    return " ".join(res.stdout.split())


# -- Python ----------------------------------------------------------------------------------
@pytest.mark.parametrize("to", ["meta", "google", "klaviyo"])
def test_python_summary_accounts_for_everyone_selected(shop, tmp_path, to: str) -> None:  # type: ignore[no-untyped-def]
    plant(shop.store)
    s = shop.audience(segment=EVERYONE, to=to, types=LOYAL, out=tmp_path / "a.csv")
    assert (s.selected, s.without_consent, s.without_email, s.shared_email) == (11, 2, 3, 1)
    assert (s.not_importable, s.written) == (0, 5)  # a1, a2, a3, u1 and u2
    left = s.without_consent + s.without_email + s.shared_email + s.not_importable
    assert s.selected == s.written + left
    assert s.accounting() == (
        "11 selected: 2 without marketing consent, 3 without a usable e-mail address, "
        "1 sharing an address written once"
    )
    assert not any("Mailchimp" in w for w in s.warnings)


def test_python_mailchimp_leaves_out_an_accent_before_the_at(shop, tmp_path) -> None:  # type: ignore[no-untyped-def]
    plant(shop.store)
    out = tmp_path / "mc.csv"
    s = shop.audience(segment=EVERYONE, to="mailchimp", types=LOYAL, out=out)
    written = pd.read_csv(out, encoding="utf-8")["Email Address"].tolist()
    assert written == ["a1@example.com", "a2@example.com", "a3@example.com", "info@bücher.de"]
    assert (s.written, s.not_importable, s.without_email) == (4, 1, 3)
    assert MAILCHIMP_RULE in s.warnings
    assert s.accounting().endswith(f", {MAILCHIMP_RULE}")


def test_python_klaviyo_keeps_an_accent_before_the_at(shop) -> None:  # type: ignore[no-untyped-def]
    plant(shop.store)
    rows = shop.audience(segment=EVERYONE, to="klaviyo", types=LOYAL)
    assert "jürgen@example.de" in rows["Email"].tolist()


def test_python_plain_csv_lists_everyone_and_counts_the_empty_emails(shop, tmp_path) -> None:  # type: ignore[no-untyped-def]
    plant(shop.store)
    s = shop.audience(segment=EVERYONE, to="csv", types=LOYAL, out=tmp_path / "p.csv")
    assert (s.selected, s.written, s.without_consent, s.without_email) == (11, 11, 2, 3)
    assert (s.shared_email, s.not_importable) == (0, 0)  # the csv lists each customer


# -- CLI -------------------------------------------------------------------------------------
def test_cli_line_accounts_for_everyone_selected(cli, db_path, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with connect(db_path) as store:
        plant(store)
    out = str(tmp_path / "g.csv")
    res = cli("audience", "export", "--segment", EVERYONE, "--to", "google", "--out", out)
    assert res.exit_code == 0, res.output
    assert (
        f"wrote 5 rows to {out} (11 selected: 2 without marketing consent, 3 without a usable "
        "e-mail address, 1 sharing an address written once)"
    ) in _line(res)
    assert "@example" not in res.output  # counts only, never an address


def test_cli_mailchimp_line_and_warning_give_the_count(cli, db_path, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with connect(db_path) as store:
        plant(store)
    out = tmp_path / "mc.csv"
    res = cli("audience", "export", "--segment", EVERYONE, "--to", "mailchimp", "--out", str(out))
    assert res.exit_code == 0, res.output
    assert "wrote 4 rows" in _line(res) and f", {MAILCHIMP_RULE})" in _line(res)
    assert f"warning: {MAILCHIMP_RULE}" in " ".join(res.stderr.split())
    assert "jürgen" not in out.read_text(encoding="utf-8")


# -- HTTP ------------------------------------------------------------------------------------
def test_http_mailchimp_warning_gives_the_count(shop, client) -> None:  # type: ignore[no-untyped-def]
    plant(shop.store)
    res = client.get(URL, params={"to": "mailchimp", "segment": EVERYONE})
    assert res.status_code == 200
    assert MAILCHIMP_RULE in json.loads(res.headers["X-Shopperlens-Warnings"])
    assert "jürgen" not in res.text and "info@bücher.de" in res.text
    res = client.get(URL, params={"to": "klaviyo", "segment": EVERYONE})
    assert "X-Shopperlens-Warnings" not in res.headers and "jürgen@example.de" in res.text


# -- the playbook ----------------------------------------------------------------------------
def test_playbook_counts_the_unaddressed_as_the_export_does(store: Store) -> None:
    """The loyal rewards action prints a meta export of ``type == 'loyal'``: its reach says
    what ``audience export`` says of the same selection."""
    pb = svc.playbook(store=plant(store), types=LOYAL, type="loyal")
    rewards = {a.number: a for a in pb.actions}[2]
    summary, _ = svc.export_audience(
        store=store, destination="meta", segment=rewards.audience, types=LOYAL
    )
    assert (rewards.without_email, rewards.shared_email) == (3, 1)
    assert (rewards.without_email, rewards.shared_email, rewards.exportable) == (
        summary.without_email,
        summary.shared_email,
        summary.written,
    )
    assert "3 have no usable e-mail address; 1 share an address written once" in pb.markdown()


def test_cli_json_gives_the_counts_a_script_reads(cli, db_path, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A nightly export that left people out could be told only by reading the line's words;
    ``--json`` gives its counts, and stdout stays that JSON (the warnings go to stderr)."""
    with connect(db_path) as store:
        plant(store)
    out = tmp_path / "mc.csv"
    res = cli(
        "audience", "export", "--segment", EVERYONE, "--to", "mailchimp", "--out", str(out),
        "--json",
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert (summary["selected"], summary["written"], summary["not_importable"]) == (11, 4, 1)
    assert summary["without_consent"] + summary["without_email"] + summary["shared_email"] == 6
    assert summary["path"] == str(out) and summary["warnings"] == [MAILCHIMP_RULE]
    assert f"warning: {MAILCHIMP_RULE}" in " ".join(res.stderr.split())
