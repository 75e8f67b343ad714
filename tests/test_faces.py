"""The three faces exist, agree and guard what they must."""

from __future__ import annotations

from fastapi.testclient import TestClient

from shopperlens.config import Settings
from shopperlens.web.app import create_app


def test_cli_tables_lists_canonical_tables(cli):
    res = cli("tables", "--json")
    assert res.exit_code == 0, res.output
    assert '"order_lines"' in res.output


def test_api_tables_needs_token(shop):
    app = create_app(Settings(token="s3cret"), shop=shop)
    with TestClient(app) as c:
        assert c.get("/api/tables").status_code == 401
        assert c.get("/api/tables", headers={"Authorization": "Bearer wrong"}).status_code == 401
        ok = c.get("/api/tables", headers={"Authorization": "Bearer s3cret"})
        assert ok.status_code == 200
        assert {t["name"] for t in ok.json()} >= {"orders", "events"}


def test_api_without_configured_token_refuses(shop):
    app = create_app(Settings(token=None), shop=shop)
    with TestClient(app) as c:
        assert c.get("/api/tables").status_code == 503


def test_python_api_matches_http(shop, client):
    assert [t.model_dump() for t in shop.tables()] == client.get("/api/tables").json()


def test_cli_user_error_is_one_line_without_traceback(tmp_path):
    """A store that cannot be opened gives one clear message and exit 1."""
    from typer.testing import CliRunner

    from shopperlens.cli import app

    not_a_db = tmp_path / "x.duckdb"
    not_a_db.write_text("this is not a database")
    res = CliRunner().invoke(app, ["--db", str(not_a_db), "tables"])
    assert res.exit_code == 1
    assert "not a shopperlens store" in res.output
    assert "Traceback" not in res.output


def test_dashboard_page_and_its_json_share_one_object(shop):
    shop.store.execute("INSERT INTO customers (customer_id) VALUES ('c1')")
    app = create_app(Settings(token="t"), shop=shop)
    with TestClient(app) as c:
        assert c.get("/dashboard/index.html").status_code == 401
        page = c.get("/dashboard/index.html?token=t")
        assert page.status_code == 200 and "customers" in page.text
        # the cookie set by the first visit authorises the page's relative links
        data = c.get("/dashboard/index.json").json()
        rows = {t["name"]: t["rows"] for t in data["tables"]}
        assert rows["customers"] == 1
        assert c.get("/dashboard/nope.html").status_code == 404


def test_cli_path_errors_are_one_line(cli, tmp_path):
    """A path the user gave that cannot be written (a missing folder, a file where a folder
    goes) is a user error: one line, exit 1."""
    res = cli("types", "--out", str(tmp_path / "missing" / "dir" / "t.csv"))
    assert res.exit_code == 1, res.output
    assert "cannot use that path" in res.output and "Traceback" not in res.output
    from _ingest_data import ORDERS, write

    assert cli("import", "orders", str(write(tmp_path, "o.csv", ORDERS))).exit_code == 0
    taken = tmp_path / "taken"
    taken.write_text("x")
    res = cli("report", "--out", str(taken))
    assert res.exit_code == 1, res.output
    said = " ".join(res.output.split())  # Rich wraps long lines (a long tmp path)
    assert "cannot use that path" in said and f"{taken} is a file, not a folder" in said


def test_cli_rows_to_print_cannot_be_negative(cli):
    """``--limit``/``--top`` only say how many rows to print; a negative one is a usage error
    (``head(-1)`` printed every row but the last)."""
    for args in (("types", "--limit", "-1"), ("clv", "--top", "-1"), ("rules", "--limit", "-1")):
        res = cli(*args)
        assert res.exit_code == 2, (args, res.output)
        assert "greater than or equal to 0" in res.output and "Traceback" not in res.output


def test_http_answers_404_for_what_is_not_there_and_400_for_a_bad_request(client):
    """A missing customer, survey or job is a 404 (it was a 400, like a malformed request)."""
    for method, url in [
        ("delete", "/api/customers/nobody"),
        ("get", "/api/surveys/nope/results"),
        ("get", "/api/jobs/no-such-job"),
        ("get", "/api/types/nobody/explain"),
    ]:
        res = getattr(client, method)(url)
        assert res.status_code == 404, (url, res.status_code, res.text)
        assert res.json()["detail"].startswith("no "), res.text
    res = client.post("/api/privacy/erase", json={"email": "nobody@example.com"})
    assert res.status_code == 404 and res.json()["detail"].startswith("no "), res.text
    assert client.get("/api/types", params={"type": "bogus"}).status_code == 400
