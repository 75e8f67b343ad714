"""An e-mail never travels in a URL over HTTP: proxies, load balancers and browser histories
log URLs whatever the server's own access log masks. Erase and export take it in a POST's
JSON body; a URL holding one (in the path or ``?email=``) is refused before anything is read."""

from __future__ import annotations

from fastapi.testclient import TestClient

from shopperlens.config import Settings
from shopperlens.web.app import create_app

ANN = "ann@example.com"


def _two_customers(shop) -> None:  # type: ignore[no-untyped-def]
    shop.store.execute(
        "INSERT INTO customers (customer_id, email) VALUES ('c1', ?), ('c2', 'bob@example.com')",
        [ANN],
    )


def _ids(shop) -> set[str]:  # type: ignore[no-untyped-def]
    return set(shop.store.df("SELECT customer_id FROM customers")["customer_id"])


def test_export_by_e_mail_is_a_post_with_a_json_body(shop, client):  # type: ignore[no-untyped-def]
    _two_customers(shop)
    got = client.post("/api/privacy/export", json={"email": ANN})
    assert got.status_code == 200, got.text
    assert got.json()["customer_ids"] == ["c1"]
    got = client.post("/api/privacy/export", json={"customer_id": "c2"})
    assert got.status_code == 200 and got.json()["customer_ids"] == ["c2"]
    assert client.post("/api/privacy/export", json={}).status_code == 400
    assert client.post("/api/privacy/export", json={"mail": ANN}).status_code == 422
    anon = TestClient(create_app(Settings(token="test-token"), shop=shop))
    assert anon.post("/api/privacy/export", json={"email": ANN}).status_code == 401


def test_an_e_mail_in_an_export_url_is_refused(shop, client):  # type: ignore[no-untyped-def]
    _two_customers(shop)
    for url, params in [
        (f"/api/privacy/export/{ANN}", None),
        ("/api/privacy/export/c1", {"email": ANN}),
    ]:
        got = client.get(url, params=params)
        assert got.status_code == 400, (url, got.text)
        assert "POST /api/privacy/export" in got.json()["detail"]
    assert client.get("/api/privacy/export/c1").json()["customer_ids"] == ["c1"]


def test_erase_by_e_mail_is_a_post_and_an_e_mail_in_its_url_is_refused(shop, client):  # type: ignore[no-untyped-def]
    _two_customers(shop)
    for url, params in [(f"/api/customers/{ANN}", None), ("/api/customers/c1", {"email": ANN})]:
        got = client.delete(url, params=params)
        assert got.status_code == 400, (url, got.text)
        assert "POST /api/privacy/erase" in got.json()["detail"]
    assert _ids(shop) == {"c1", "c2"}  # nothing erased
    anon = TestClient(create_app(Settings(token="test-token"), shop=shop))
    assert anon.post("/api/privacy/erase", json={"email": ANN}).status_code == 401
    got = client.post("/api/privacy/erase", json={"email": ANN})
    assert got.status_code == 200 and got.json()["rows_deleted"]["customers"] == 1
    assert _ids(shop) == {"c2"}
    assert client.delete("/api/customers/c2").status_code == 200
    assert _ids(shop) == set()


def test_the_api_docs_offer_no_e_mail_in_a_url(client):  # type: ignore[no-untyped-def]
    """The refused ``?email=`` is not documented as a parameter: the docs show the POSTs."""
    paths = client.get("/openapi.json").json()["paths"]
    for path, method in [
        ("/api/customers/{customer}", "delete"),
        ("/api/privacy/export/{customer}", "get"),
    ]:
        names = {p["name"] for p in paths[path][method].get("parameters", [])}
        assert names == {"customer"}, (path, names)
    assert {"/api/privacy/erase", "/api/privacy/export"} <= set(paths)
