"""A query parameter an API address does not read is refused, not left out in silence:
``GET /api/types?as-of=…`` (a dash for the underscore) answered with the current types as if
no date had been asked for."""

from __future__ import annotations


def test_a_misspelt_parameter_is_refused_with_the_right_name(client) -> None:  # type: ignore[no-untyped-def]
    res = client.get("/api/types", params={"as-of": "2025-01-01"})
    assert res.status_code == 422
    detail = res.json()["detail"]
    assert detail.startswith("unknown query parameter 'as-of' (did you mean as_of?)")
    assert "/api/types takes: " in detail and "as_of" in detail
    res = client.get("/api/tables", params={"verbose": "1"})
    assert res.status_code == 422 and "'verbose'" in res.json()["detail"]


def test_known_parameters_and_the_token_pass(client) -> None:  # type: ignore[no-untyped-def]
    from conftest import TOKEN

    assert client.get("/api/tables").status_code == 200
    assert client.get("/api/tables", params={"token": TOKEN}).status_code == 200
    res = client.get("/api/types", params={"as_of": "2025-01-01"})
    assert "unknown query parameter" not in res.text


def test_public_survey_links_keep_their_tracking_tags(file_shop) -> None:  # type: ignore[no-untyped-def]
    _, client = file_shop
    res = client.get("/s/demo-profile", params={"utm_source": "newsletter"})
    assert res.status_code == 200


def test_no_parameter_an_address_declares_is_refused(client) -> None:  # type: ignore[no-untyped-def]
    """Every GET address of the API, asked with every query parameter its OpenAPI schema
    declares (a dependency's too), is not refused for any of them."""
    import re

    paths = client.get("/openapi.json").json()["paths"]
    asked = 0
    for path, ops in paths.items():
        if not path.startswith("/api/") or "get" not in ops:
            continue
        names = [p["name"] for p in ops["get"].get("parameters", []) if p["in"] == "query"]
        res = client.get(re.sub(r"\{[^}]+\}", "x", path), params=dict.fromkeys(names, "1"))
        assert "unknown query parameter" not in res.text, (path, res.text)
        asked += bool(names)
    assert asked >= 10
