"""An audience too small to use, or empty for want of types, is written with a word on
stderr (exit 0), never silently."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from shopperlens.store import connect


def _shop(db_path, people: int) -> None:
    """``people`` consenting customers with one recent order each (all typed ``new``)."""
    start = datetime(2024, 3, 1)
    with connect(db_path) as store:
        for i in range(people):
            store.execute(
                "INSERT INTO customers (customer_id, email, accepts_marketing) VALUES (?, ?, true)",
                [f"c{i}", f"c{i}@example.com"],
            )
            store.execute(
                "INSERT INTO orders (order_id, customer_id, ordered_at) VALUES (?, ?, ?)",
                [f"o{i}", f"c{i}", start + timedelta(hours=i)],
            )
            store.execute(
                "INSERT INTO order_lines (order_id, line_no, product_id, quantity, unit_price) "
                "VALUES (?, 1, 'P1', 1, 20.0)",
                [f"o{i}"],
            )


def _said(res) -> str:  # type: ignore[no-untyped-def]
    return " ".join(res.stderr.split())


@pytest.mark.parametrize(
    ("to", "rule"),
    [
        ("meta", "Meta needs at least 100 people from one country"),
        ("google", "Google serves a Customer Match list only once about 100"),
    ],
)
def test_a_tiny_ad_platform_audience_is_written_with_a_warning(cli, db_path, tmp_path, to, rule):
    _shop(db_path, 2)
    out = tmp_path / "aud.csv"
    res = cli("audience", "export", "--segment", "orders >= 1", "--to", to, "--out", str(out))
    assert res.exit_code == 0, res.output
    assert len(out.read_text().splitlines()) == 3  # header + 2 hashed addresses
    assert "wrote 2 rows" in res.stdout
    said = _said(res)
    assert said.startswith(f"warning: only 2 people in this {to} audience:") and rule in said


def test_the_warning_starts_below_100_people_and_only_for_ad_platforms(cli, db_path, tmp_path):
    _shop(db_path, 100)
    out = str(tmp_path / "aud.csv")
    res = cli("audience", "export", "--segment", "orders >= 1", "--to", "meta", "--out", out)
    assert res.exit_code == 0 and "wrote 100 rows" in res.stdout and res.stderr == ""
    fewer = "customer_id != 'c0'"
    res = cli("audience", "export", "--segment", fewer, "--to", "google", "--out", out)
    assert res.exit_code == 0 and _said(res).startswith("warning: only 99 people")
    res = cli("audience", "export", "--segment", fewer, "--to", "klaviyo", "--out", out)
    assert res.exit_code == 0 and res.stderr == ""  # an e-mail tool mails any number


def test_a_type_nobody_has_says_so(cli, db_path, tmp_path):
    _shop(db_path, 3)
    out = str(tmp_path / "aud.csv")
    res = cli("audience", "export", "--type", "looker", "--to", "csv", "--out", out)
    assert res.exit_code == 0, res.output
    assert "(0 selected" in " ".join(res.stdout.split())
    said = _said(res)
    assert "no customer is of type looker in the latest types run (new 3)" in said


def test_no_types_run_stored_says_run_types_first(cli, db_path, tmp_path, monkeypatch):
    from shopperlens.service import playbooks

    _shop(db_path, 3)
    # an installation that cannot type (no types concern): nothing is stored, nobody typed
    monkeypatch.setattr(playbooks, "resolve_types", lambda **_: playbooks.EMPTY_TYPES)
    out = str(tmp_path / "aud.csv")
    res = cli("audience", "export", "--type", "looker", "--to", "csv", "--out", out)
    assert res.exit_code == 0, res.output
    assert _said(res) == "warning: no types run stored: run shopperlens types first"


def test_http_and_python_give_the_same_warnings_as_the_cli(file_shop, tmp_path):
    """The reasons are the service's: HTTP sends them in a header (the body stays the file the
    platform takes), the Python API in the summary."""
    import json

    shop, client = file_shop
    _shop(shop.store.path, 2)
    res = client.get("/api/playbooks/audience", params={"to": "meta", "segment": "orders >= 1"})
    assert res.status_code == 200 and len(res.text.splitlines()) == 3
    (said,) = json.loads(res.headers["x-shopperlens-warnings"])
    assert said.startswith("only 2 people in this meta audience: Meta needs at least 100")
    res = client.get("/api/playbooks/audience", params={"to": "csv", "type": "looker"})
    assert res.status_code == 200 and len(res.text.splitlines()) == 1  # the header alone
    assert json.loads(res.headers["x-shopperlens-warnings"]) == [
        "no customer is of type looker in the latest types run (new 2); "
        "`shopperlens types` shows why each customer got their type"
    ]
    res = client.get("/api/playbooks/audience", params={"to": "klaviyo", "type": "new"})
    assert res.status_code == 200 and "x-shopperlens-warnings" not in res.headers
    summary = shop.audience(type="looker", to="csv", out=tmp_path / "a.csv")
    assert summary.selected == 0 and summary.warnings[0].startswith("no customer is of type")


@pytest.mark.parametrize("to", ["csv", "meta", "klaviyo"])
def test_the_audience_is_served_as_csv(file_shop, to: str) -> None:  # type: ignore[no-untyped-def]
    """As ``text/csv; charset=utf-8``: served as ``text/plain``, a browser showed the file
    instead of offering it to a spreadsheet or an upload."""
    shop, client = file_shop
    _shop(shop.store.path, 3)
    res = client.get("/api/playbooks/audience", params={"to": to, "segment": "orders >= 1"})
    assert res.status_code == 200, res.text
    assert res.headers["content-type"] == "text/csv; charset=utf-8"
    assert len(res.text.splitlines()) == 4  # the header and three people


def test_the_schema_says_text_csv(file_shop) -> None:  # type: ignore[no-untyped-def]
    _, client = file_shop
    spec = client.get("/openapi.json").json()
    answer = spec["paths"]["/api/playbooks/audience"]["get"]["responses"]["200"]["content"]
    assert list(answer) == ["text/csv"]
