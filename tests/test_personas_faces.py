"""Personas through every face: CLI (on imported survey answers alone), HTTP, Python, report."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

import shopperlens
from _browser import chromium
from _demo_data import demo_shop
from shopperlens.reports import write_report


@pytest.fixture(scope="module")
def answers():  # type: ignore[no-untyped-def]
    return demo_shop().survey_answers


def test_cli_builds_personas_from_imported_survey_answers_alone(cli, db_path, tmp_path, answers):  # type: ignore[no-untyped-def]
    from shopperlens.service.surveys import ensure_builtin

    with shopperlens.open(db_path) as shop:
        ensure_builtin(store=shop.store, name="demo-profile")
    export = tmp_path / "answers.csv"
    answers.to_csv(export, index=False)
    res = cli("import", "survey", str(export), "--survey", "demo-profile")
    assert res.exit_code == 0, res.output

    res = cli("personas", "build", "--survey", "demo-profile", "--out", str(tmp_path / "cards"))
    assert res.exit_code == 0, res.output
    assert "Frugal" in res.output and "Eco" in res.output
    assert len(list((tmp_path / "cards").glob("persona-*.html"))) == 4

    out = tmp_path / "members.csv"
    res = cli("personas", "members", "--out", str(out))
    assert res.exit_code == 0, res.output
    with out.open() as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["respondent", "persona", "customer_id"]
    assert len(rows) == 1 + len(answers)
    assert {r[0] for r in rows[1:]} == set(answers["respondent"])

    res = cli("personas", "show", "0")
    assert res.exit_code == 0 and "evidence" not in res.output and "%" in res.output
    res = cli("personas", "build", "--survey", "demo-profile", "--k", "3")
    assert res.exit_code == 0, res.output
    assert "since run 1" in res.output
    res = cli("personas", "diff", "--json")
    assert res.exit_code == 0
    assert {c["status"] for c in json.loads(res.output)["changes"]} & {"vanished", "grew"}


def test_cli_build_json_writes_the_cards_too(cli, db_path, tmp_path, answers):  # type: ignore[no-untyped-def]
    """``personas build --json --out DIR`` printed the run and wrote no cards; stdout stays
    the JSON, and the line saying where the cards went is on stderr."""
    from shopperlens.service.surveys import ensure_builtin

    with shopperlens.open(db_path) as shop:
        ensure_builtin(store=shop.store, name="demo-profile")
    export = tmp_path / "answers.csv"
    answers.to_csv(export, index=False)
    assert cli("import", "survey", str(export), "--survey", "demo-profile").exit_code == 0
    cards = tmp_path / "cards"
    res = cli("personas", "build", "--survey", "demo-profile", "--json", "--out", str(cards))
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["run_id"] == 1
    assert len(list(cards.glob("persona-*.html"))) == json.loads(res.stdout)["n_personas"]
    assert res.stderr.startswith("wrote ") and str(cards) in res.stderr


def test_cli_errors_are_one_line(cli):  # type: ignore[no-untyped-def]
    res = cli("personas", "show")
    assert res.exit_code == 1
    assert "personas build" in res.output and "Traceback" not in res.output
    res = cli("personas", "build")
    assert res.exit_code == 1 and "survey" in res.output


def test_every_personas_command_has_help(cli):  # type: ignore[no-untyped-def]
    for cmd in ("build", "show", "diff", "members", "cards", "runs"):
        res = cli("personas", cmd, "--help")
        assert res.exit_code == 0 and len(res.output) > 100


def test_http_api(client, shop, answers, tmp_path):  # type: ignore[no-untyped-def]
    from shopperlens.service.surveys import ensure_builtin

    assert client.post("/api/personas/build", json={}).status_code == 400  # no answers yet
    ensure_builtin(store=shop.store, name="demo-profile")
    answers.to_csv(tmp_path / "a.csv", index=False)
    shop.survey_import(tmp_path / "a.csv", survey="demo-profile")
    built = client.post("/api/personas/build", json={"survey": "demo-profile", "k": 4})
    assert built.status_code == 200 and built.json()["n_personas"] == 4
    run = shop.personas()
    body = client.get("/api/personas").json()
    assert [p["name"] for p in body["personas"]] == [p.name for p in run.personas]
    first = client.get(f"/api/personas/{run.personas[0].name}").json()
    as_filed = run.personas[0].name.lower().replace(" ", "-")  # as the card's file names it
    assert client.get(f"/api/personas/{as_filed}").json()["name"] == run.personas[0].name
    assert first["statements"][0]["evidence"]["question"]
    card = client.get("/api/personas/0/card")
    assert card.status_code == 200 and run.personas[0].name in card.text
    members = client.get("/api/personas/members", params={"limit": 5}).json()
    assert len(members) == 5 and set(members[0]) == {"respondent", "persona", "customer_id"}
    assert client.get("/api/personas/diff").json()["changes"]
    assert "## " in client.get("/api/personas/markdown").text
    assert client.get("/api/personas/nobody").status_code == 404
    live = client.get("/dashboard/personas.html")
    assert live.status_code == 200 and 'data-live="/api/personas/0/card"' in live.text
    assert client.get("/api/personas", headers={"Authorization": "Bearer x"}).status_code == 401


def test_report_writes_cards_markdown_and_json(shop, answers, tmp_path):  # type: ignore[no-untyped-def]
    run = shop.personas_build(frame=answers)
    write_report(shop.store, tmp_path)
    page = (tmp_path / "personas.html").read_text()
    for p in run.personas:
        assert p.name in page
    card = next(tmp_path.glob("persona-frugal-*.html")).read_text()
    assert "@media print" in card and "<svg" in card and "Evidence" in card
    md = (tmp_path / "personas.md").read_text()
    assert md.count("\n## ") == run.n_personas
    data = json.loads((tmp_path / "personas-run.json").read_text())
    assert len(data["personas"]) == run.n_personas


def test_python_face(shop, answers):  # type: ignore[no-untyped-def]
    run = shop.personas_build(frame=answers, k=4)
    assert shop.personas().run_id == run.run_id
    assert list(shop.personas_members().columns[:2]) == ["respondent", "persona"]
    assert shop.personas_diff().basis == "none"


def test_models_stay_pure():
    text = (Path(shopperlens.__file__).parent / "models" / "clustering.py").read_text()
    for banned in ("duckdb", "ibis", "fastapi", "typer", "rich"):
        assert f"import {banned}" not in text and f"from {banned}" not in text


@pytest.mark.browser
def test_card_prints_as_a_front_and_an_evidence_back(shop, answers, tmp_path):  # type: ignore[no-untyped-def]
    """Printed to A4, a card is two pages: the persona on the front, its evidence on the back."""
    run = shop.personas_build(frame=answers, k=4)
    card = shop.personas_cards(tmp_path)[0]
    with chromium() as browser:
        page = browser.new_page()
        page.goto(card.as_uri())
        assert run.personas[0].name in page.inner_text("h1")
        pdf = page.pdf(format="A4")
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 2


def test_persona_counts_are_checked_on_every_face(cli, client, shop):  # type: ignore[no-untyped-def]
    """``--max-k 1`` once built 2 personas and ``--k 100`` a hundred one-person "personas":
    k must be 2…max_personas and max_personas 2…12, checked before the answers are read."""
    from shopperlens.errors import ShopperlensError

    def said(*args: str) -> str:
        res = cli("personas", "build", *args)
        assert res.exit_code == 1, res.output
        return " ".join(res.output.split())  # Rich wraps long lines

    text = said("--max-k", "1")
    assert "(max_personas, --max-k) must be a whole number from 2 to 12; got 1" in text
    assert "from 2 to 6 or 'auto'; got 100" in said("--k", "100")
    assert "from 2 to 6 or 'auto'; got 1" in said("--k", "1")
    assert "got 8 (raise max_personas, --max-k, to allow up to 12)" in said("--k", "8")
    for k in (1, 7, True):
        with pytest.raises(ShopperlensError, match="number of personas"):
            shop.personas_build(k=k)
    with pytest.raises(ShopperlensError, match="the seed"):
        shop.personas_build(seed=-1)
    res = client.post("/api/personas/build", json={"k": 100})
    assert res.status_code == 400 and "got 100" in res.json()["detail"]
    res = client.post("/api/personas/build", json={"max_personas": 13})
    assert res.status_code == 400 and "from 2 to 12; got 13" in res.json()["detail"]
    # a raised maximum lets k 8 through the check; the empty shop then has no answers
    res = client.post("/api/personas/build", json={"k": 8, "max_personas": 12})
    assert res.status_code == 400 and "no survey answers" in res.json()["detail"]
