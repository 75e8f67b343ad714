"""Re-imports change nothing, overlaps add only new rows; sessions cut at 30 minutes;
identity stitching; the HTTP face (upload and server-side path, with the token)."""

from __future__ import annotations

from _ingest_data import EVENTS, ORDERS, SHOPIFY, counts, write
from conftest import TOKEN

HEADER = EVENTS.splitlines()[0]


def _events(*rows: str) -> str:
    return HEADER + "\n" + "\n".join(rows) + "\n"


def test_same_file_twice_changes_nothing(shop, tmp_path):
    path = write(tmp_path, "orders.csv", ORDERS)
    shop.import_orders(path)
    before = counts(shop)
    again = shop.import_orders(path)
    assert again.files[0].skipped and again.added == {}
    assert counts(shop) == before  # the ledger too: no second entry


def test_same_content_under_another_name_is_recognised(shop, tmp_path):
    shop.import_orders(SHOPIFY)
    copy = tmp_path / "copy.csv"
    copy.write_bytes(SHOPIFY.read_bytes())
    assert shop.import_orders(copy).files[0].skipped


def test_overlapping_file_adds_only_new_rows(shop, tmp_path):
    shop.import_orders(write(tmp_path, "jan.csv", ORDERS))
    lines = ORDERS.splitlines()
    overlap = (
        "\n".join([lines[0], lines[3], lines[4], "o4,c1,2024-03-01 09:00:00,p2,Tea,food,5,4.00,"])
        + "\n"
    )
    res = shop.import_orders(write(tmp_path, "feb.csv", overlap))
    assert res.rows_rejected == 0
    assert res.added == {"orders": 1, "order_lines": 1, "products": 0, "customers": 0}
    assert counts(shop, "orders", "order_lines", "imports") == {
        "orders": 4,
        "order_lines": 5,
        "imports": 2,
    }


def test_overlapping_events_and_sessions(shop, tmp_path):
    rows = EVENTS.splitlines()[1:]
    shop.import_events(write(tmp_path, "a.csv", _events(*rows[:3])))
    res = shop.import_events(write(tmp_path, "b.csv", _events(*rows[1:])))
    assert res.added["events"] == 2
    assert counts(shop, "events", "sessions") == {"events": 5, "sessions": 3}


def test_sessions_cut_at_30_minutes_of_inactivity(shop, tmp_path):
    shop.import_events(write(tmp_path, "e.csv", EVENTS))
    got = shop.sql(
        "SELECT visitor_id, started_at, ended_at, n_events, page_views, purchases, landing_page, "
        "utm_source, utm_campaign, utm_term, duration_s FROM sessions ORDER BY started_at"
    )
    assert [
        tuple("-" if v is None or v != v else str(v) for v in r) for r in got.values.tolist()
    ] == [
        # 09:00 -> 09:29: gaps of 10 and 19 min stay one session
        (
            "v1",
            "2024-01-05 09:00:00",
            "2024-01-05 09:29:00",
            "3",
            "1",
            "1",
            "/",
            "google",
            "mugs",
            "blue mug",
            "1740.0",
        ),
        # 45 minutes later: a new session with its own source
        (
            "v1",
            "2024-01-05 10:14:00",
            "2024-01-05 10:14:00",
            "1",
            "1",
            "0",
            "/",
            "newsletter",
            "jan",
            "-",
            "0.0",
        ),
        (
            "v2",
            "2024-01-05 10:20:00",
            "2024-01-05 10:20:00",
            "1",
            "1",
            "0",
            "/blog",
            "-",
            "-",
            "-",
            "0.0",
        ),
    ]
    # every event carries its session id
    assert shop.sql("SELECT count(*) FROM events WHERE session_id IS NULL").iloc[0, 0] == 0


def test_gap_of_exactly_30_minutes_is_one_session_31_is_two(shop, tmp_path):
    text = _events(
        "a1,v9,,2024-01-05 09:00:00,page_view,/,,,,,,",
        "a2,v9,,2024-01-05 09:30:00,page_view,/a,,,,,,",
        "a3,v9,,2024-01-05 10:01:00,page_view,/b,,,,,,",
    )
    shop.import_events(write(tmp_path, "e.csv", text))
    assert shop.sql("SELECT n_events FROM sessions ORDER BY started_at").n_events.tolist() == [2, 1]


def test_a_later_file_that_fills_a_gap_merges_sessions(shop, tmp_path):
    shop.import_events(
        write(
            tmp_path,
            "a.csv",
            _events(
                "g1,v7,,2024-01-05 09:00:00,page_view,/,,,,,,",
                "g3,v7,,2024-01-05 09:50:00,page_view,/c,,,,,,",
            ),
        )
    )
    assert shop.store.count("sessions") == 2
    shop.import_events(
        write(tmp_path, "b.csv", _events("g2,v7,,2024-01-05 09:25:00,view_item,/p,p1,,,,,"))
    )
    got = shop.sql("SELECT n_events, product_views FROM sessions").values.tolist()
    assert got == [[3, 1]]
    assert shop.sql("SELECT count(DISTINCT session_id) FROM events").iloc[0, 0] == 1


def test_given_session_ids_are_kept(shop, tmp_path):
    text = "event_id,session_id,visitor_id,timestamp,event_name\n" + (
        "k1,S-1,v1,2024-01-05 09:00:00,page_view\nk2,S-1,v1,2024-01-05 11:00:00,page_view\n"
    )
    shop.import_events(write(tmp_path, "e.csv", text))
    assert shop.sql("SELECT session_id, n_events FROM sessions").values.tolist() == [["S-1", 2]]


def _resolved(shop, visitor):
    """The customers a visitor's events resolve to (their own id, else the identity link)."""
    return set(
        shop.sql(
            "SELECT coalesce(e.customer_id, i.customer_id) AS c FROM events e "
            f"LEFT JOIN identities i USING (visitor_id) WHERE e.visitor_id = '{visitor}'"
        ).c.dropna()
    )


def test_identity_stitching_links_visitors_and_fills_sessions(shop, tmp_path):
    shop.import_events(write(tmp_path, "e.csv", EVENTS))
    assert shop.sql("SELECT visitor_id, customer_id FROM identities").values.tolist() == [
        ["v1", "c1"]
    ]
    assert _resolved(shop, "v1") == {"c1"}
    # events keep what the file said: v1 browsed anonymously before buying as c1
    anonymous = "SELECT count(*) FROM events WHERE visitor_id='v1' AND customer_id IS NULL"
    assert shop.sql(anonymous).iloc[0, 0] == 3
    assert shop.sql(
        "SELECT customer_id FROM sessions WHERE visitor_id='v1'"
    ).customer_id.tolist() == [
        "c1",
        "c1",
    ]
    # a later file reveals v2: its earlier anonymous sessions now name c2
    assert _resolved(shop, "v2") == set()
    shop.import_events(
        write(tmp_path, "f.csv", _events("e9,v2,c2,2024-02-01 10:00:00,sign_up,/join,,,,,,"))
    )
    assert _resolved(shop, "v2") == {"c2"}
    assert (
        shop.sql("SELECT count(*) FROM sessions WHERE visitor_id='v2' AND customer_id='c2'").iloc[
            0, 0
        ]
        == 2
    )


def test_cli_import_and_reimport(cli, tmp_path):
    path = write(tmp_path, "orders.csv", ORDERS)
    first = cli("import", "orders", str(path))
    assert first.exit_code == 0, first.output
    assert "order_lines +4" in first.output
    second = cli("import", "orders", str(path))
    assert second.exit_code == 0 and "already imported" in second.output
    ledger = cli("imports", "--json")
    assert ledger.output.count('"checksum"') == 1


def test_cli_map_option(cli, tmp_path):
    path = write(tmp_path, "o.csv", ORDERS.replace("ordered_at", "Date"))
    res = cli("import", "orders", str(path), "--map", "Date=ordered_at", "--json")
    assert res.exit_code == 0, res.output
    assert '"rows_accepted": 4' in res.output


def test_http_upload_and_server_path(client, tmp_path):
    up = client.post(
        "/api/imports/orders",
        files={"file": ("orders.csv", ORDERS.encode(), "text/csv")},
    )
    assert up.status_code == 200, up.text
    assert up.json()["added"]["order_lines"] == 4
    assert up.json()["files"][0]["file"] == "orders.csv"
    events = write(tmp_path, "events.csv", EVENTS)
    by_path = client.post("/api/imports/events", json={"path": str(events)})
    assert by_path.status_code == 200 and by_path.json()["added"]["sessions"] == 3
    ledger = client.get("/api/imports").json()
    assert [r["kind"] for r in ledger] == ["events", "orders"]


def test_http_bad_file_is_400_with_message_and_needs_token(client, shop):
    bad = client.post(
        "/api/imports/orders",
        files={"file": ("o.csv", b"", "text/csv")},
    )
    assert bad.status_code == 400 and "empty" in bad.json()["detail"]
    assert client.post("/api/imports/nonsense", json={"path": "x.csv"}).status_code == 400
    skip = client.post(
        "/api/imports/orders?on_error=skip",
        files={
            "file": (
                "o.csv",
                ORDERS.replace("p3,Towel,textile,3", "p3,Towel,textile,-3").encode(),
                "text/csv",
            )
        },
    )
    assert skip.status_code == 200 and skip.json()["rejects"][0]["reason"] == "negative quantity"
    from fastapi.testclient import TestClient

    from shopperlens.config import Settings
    from shopperlens.web.app import create_app

    with TestClient(create_app(Settings(token=TOKEN), shop=shop)) as anon:
        assert anon.post("/api/imports/orders", json={"path": "x.csv"}).status_code == 401


def test_identical_duplicate_rows_in_a_file_are_one_row(shop, tmp_path):
    """The optimistic insert meets the repeated key; the call is redone on the exact path."""
    res = shop.import_events(write(tmp_path, "e.csv", EVENTS + EVENTS.splitlines()[-1] + "\n"))
    assert (res.rows_read, res.rows_rejected, res.added["events"]) == (6, 0, 5)
    assert counts(shop, "events", "imports") == {"events": 5, "imports": 1}


def test_cli_shows_progress_for_big_imports(cli, tmp_path, monkeypatch):
    import shopperlens.cli.imports as cli_imports

    monkeypatch.setattr(cli_imports, "PROGRESS_BYTES", 0)  # every file counts as big
    res = cli("import", "events", str(write(tmp_path, "e.csv", EVENTS)))
    assert res.exit_code == 0, res.output
    assert "events +5" in res.output


def test_customers_and_products_after_orders_complete_the_placeholders(shop, tmp_path):
    """Orders first create bare customers/products; the real files then fill them in."""
    from _ingest_data import CUSTOMERS, PRODUCTS

    shop.import_orders(write(tmp_path, "orders.csv", ORDERS))
    catalogue = PRODUCTS.replace("p1,Mug,kitchen,9.50", "p1,Stoneware Mug,kitchen,11.00")
    res = shop.import_products(write(tmp_path, "products.csv", catalogue))
    assert res.rows_rejected == 0
    res = shop.import_customers(write(tmp_path, "customers.csv", CUSTOMERS))
    assert res.rows_rejected == 0 and res.added == {"customers": 1}  # c3 is new
    c1 = shop.sql("SELECT email, country, created_at FROM customers WHERE customer_id = 'c1'")
    assert [str(v) for v in c1.values[0]] == ["anna@example.com", "NL", "2023-01-02 00:00:00"]
    p1 = shop.sql("SELECT product_name, price FROM products WHERE product_id = 'p1'")
    assert p1.values.tolist() == [["Stoneware Mug", 11.0]]
    assert shop.sql("SELECT kind, key FROM ingest_placeholders ORDER BY 1, 2").values.tolist() == [
        ["customers", "c9"],
        ["products", "p3"],
    ]


def test_a_file_the_ledger_holds_stays_out_of_an_emptied_table(shop, tmp_path):
    """The first file into an empty table is loaded while its checksum is read; when the
    ledger already holds that checksum (the rows were deleted since), the load is taken out
    again: the file is skipped and nothing comes back."""
    path = write(tmp_path, "e.csv", EVENTS)
    shop.import_events(path)
    shop.store.execute("DELETE FROM events")
    again = shop.import_events(path)
    assert again.files[0].skipped and again.added == {}
    assert shop.store.count("events") == 0
    assert len(shop.imports()) == 1
    # a mapping that no longer fits is not even read for a file the ledger holds
    third = shop.import_events(path, mapping={"event_id": "no_such_column"})
    assert third.files[0].skipped
