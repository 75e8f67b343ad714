"""Erasure removes a customer everywhere and nobody else."""

from __future__ import annotations

import pytest

from shopperlens.errors import ShopperlensError


def _two_customers(store):
    store.execute(
        "INSERT INTO customers (customer_id, email, name) VALUES "
        "('c1', 'ann@example.com', 'Ann'), ('c2', 'bob@example.com', 'Bob')"
    )
    store.execute(
        "INSERT INTO orders (order_id, customer_id, ordered_at) VALUES "
        "('o1', 'c1', '2025-01-01'), ('o2', 'c2', '2025-01-02')"
    )
    store.execute(
        "INSERT INTO order_lines VALUES ('o1', 1, 'p1', 'Tent', 'camping', 1, 100, NULL),"
        " ('o2', 1, 'p1', 'Tent', 'camping', 1, 100, NULL)"
    )
    # an anonymous event of c1's visitor, linked only through identities
    store.execute(
        "INSERT INTO identities (visitor_id, customer_id) VALUES ('v1', 'c1'), ('v2', 'c2')"
    )
    store.execute(
        "INSERT INTO events (event_id, visitor_id, timestamp, event_name) VALUES "
        "('e1', 'v1', '2025-01-01', 'page_view'), ('e2', 'v2', '2025-01-01', 'page_view')"
    )
    store.execute("INSERT INTO consents VALUES ('c1', 'marketing', true, '2025-01-01', 'test')")


def test_erase_removes_every_trace_and_keeps_others(shop):
    _two_customers(shop.store)
    report = shop.erase_customer("c1")
    assert report.rows_deleted == {
        "customers": 1,
        "orders": 1,
        "order_lines": 1,
        "identities": 1,
        "events": 1,
        "consents": 1,
    }
    assert "c1" not in report.subject  # the ledger holds a hash, not the id
    for table in ("customers", "orders", "order_lines", "identities", "events"):
        assert shop.store.count(table) == 1, table
    assert shop.store.scalar("SELECT customer_id FROM customers") == "c2"


def test_erase_by_email_is_case_insensitive(shop):
    _two_customers(shop.store)
    shop.erase_customer(email="  BOB@example.com ")
    assert shop.store.scalar("SELECT count(*) FROM customers WHERE customer_id = 'c2'") == 0


def test_erase_unknown_customer_changes_nothing(shop):
    _two_customers(shop.store)
    with pytest.raises(ShopperlensError, match="no customer"):
        shop.erase_customer("nobody")
    assert shop.store.count("orders") == 2


def test_erase_refuses_an_id_and_an_email_of_different_customers(shop):
    _two_customers(shop.store)
    with pytest.raises(ShopperlensError, match="not the e-mail of that customer"):
        shop.erase_customer("c1", email="bob@example.com")
    with pytest.raises(ShopperlensError, match="not the e-mail of that customer"):
        shop.erase_customer("c1", email="x@y.z")
    shop.store.execute("INSERT INTO customers (customer_id) VALUES ('c3')")  # no e-mail stored
    with pytest.raises(ShopperlensError, match="belongs to another customer"):
        shop.erase_customer("c3", email="bob@example.com")
    assert shop.store.count("customers") == 3 and shop.store.count("orders") == 2
    assert shop.erase_customer("c1", email=" ANN@example.com").total > 0


def test_erase_through_cli_and_http(cli, db_path, client):
    import shopperlens

    with shopperlens.open(db_path) as s:
        _two_customers(s.store)
    res = cli("erase", "c1", "--yes")
    assert res.exit_code == 0, res.output
    assert "erased 6 rows" in res.output
    res = cli("erase", "c1", "--yes")
    assert res.exit_code == 1 and "no customer" in res.output
    _two_customers(client.app.state.shop.store)
    assert client.delete("/api/customers/c2").json()["rows_deleted"]["orders"] == 1


def test_erase_asks_first_and_no_means_nothing_changes(cli, db_path):
    import shopperlens

    with shopperlens.open(db_path) as s:
        _two_customers(s.store)
    res = cli("erase", "c1", input="n\n")
    assert res.exit_code == 1 and res.stderr.strip() == "error: nothing was erased"
    # no answer at all (stdin closed, as in a scheduled job): click said only "Aborted."
    res = cli("erase", "c1", input="")
    assert res.exit_code == 1 and "Aborted" not in res.output
    assert " ".join(res.stderr.split()) == (
        "error: erase asks for confirmation and no answer came (the input closed or "
        "interrupted): nothing was erased; add --yes to erase without asking"
    )
    with shopperlens.open(db_path) as s:
        assert s.store.count("customers") == 2


def test_erase_naming_nobody_is_refused_before_asking(cli) -> None:  # type: ignore[no-untyped-def]
    """``erase`` with neither an id nor ``--email`` asked "Erase this customer everywhere?"
    and only after the answer said that nobody was named."""
    res = cli("erase", input="y\n")
    assert res.exit_code == 1
    assert "Erase this customer" not in res.output
    assert res.stderr.strip() == "error: name the customer to erase: a customer id or an e-mail"


def test_reject_messages_leave_out_personal_values_which_the_rejects_file_keeps(
    cli, client, tmp_path
):
    """A malformed row, a bad e-mail-shaped id and a personal column: the CLI and the HTTP
    answer name line, column and reason, never the address or the name."""
    bad = tmp_path / "c.csv"
    bad.write_text(
        "customer_id,email,name,created_at,country,birth_year\n"
        "c7,carol.secret@example.com,Carol Hidden,2024-01-01,DE,1980,extra\n"  # malformed
        "dave.secret@example.com,dave@example.com,Dave,not-a-date,DE,1970\n"  # bad date
        "c9,ed@example.com,Ed Hidden,2024-01-01,DE,nineteen\n"  # bad birth year
    )
    res = cli("import", "customers", str(bad))
    said = res.output
    assert res.exit_code == 1 and "c.csv:2 (row)" in said and "c.csv:4 birth_year" in said
    assert "c.csv:3 created_at" in said
    for secret in ("carol.secret", "Carol Hidden", "dave.secret", "Ed Hidden", "nineteen"):
        assert secret not in said, secret
    http = client.post("/api/imports/customers", json={"path": str(bad)})
    assert http.status_code == 400 and "c.csv:4 birth_year" in http.json()["detail"]
    assert "carol.secret" not in http.text and "dave.secret" not in http.text
    cli("import", "customers", str(bad), "--on-error", "skip")
    kept = next(tmp_path.glob("*.rejects.csv")).read_text()
    assert "carol.secret@example.com" in kept and "nineteen" in kept  # for the shop to correct


def test_erase_with_stdin_closed_says_no_answer_came(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A job started with stdin closed (``<&-``, some schedulers) has no ``sys.stdin``: asking
    failed with "unexpected RuntimeError: input(): lost sys.stdin" and exit 2."""
    import os
    import subprocess
    import sys

    db = tmp_path / "shop.duckdb"
    out = subprocess.run(
        [sys.executable, "-m", "shopperlens", "--db", str(db), "erase", "c1"],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=lambda: os.close(0),
    )
    assert out.returncode == 1, out.stderr
    assert " ".join(out.stderr.split()) == (
        "error: erase asks for confirmation and no answer came (the input closed or "
        "interrupted): nothing was erased; add --yes to erase without asking"
    )
    assert not db.exists()
