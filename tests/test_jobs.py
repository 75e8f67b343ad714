"""Long jobs report their status through the API."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import shopperlens
from _demo_data import demo_shop
from _types_shopkit import ShopKit
from conftest import TOKEN, finished_job
from shopperlens.config import Settings
from shopperlens.service.jobs import JobRunner
from shopperlens.web.app import create_app
from test_types_faces import story


def test_runner_reports_progress_and_result():
    runner = JobRunner()

    def work(progress, n):
        progress(0, total=n, description="counting")
        for _ in range(n):
            progress(1)
        return {"counted": n}

    job = runner.submit("count", work, n=5)
    done = runner.wait(job.job_id, timeout=10)
    assert done.status == "done"
    assert done.done == 5 and done.total == 5 and done.step == "counting"
    assert done.result == {"counted": 5}
    runner.shutdown()


def test_failed_job_keeps_its_message():
    from shopperlens.errors import ShopperlensError

    runner = JobRunner()

    def work(progress):
        raise ShopperlensError("no orders imported yet")

    job = runner.wait(runner.submit("x", work).job_id, timeout=10)
    assert job.status == "failed" and job.message == "no orders imported yet"
    runner.shutdown()


def test_report_job_over_http(client, shop, tmp_path):
    story(ShopKit()).write(shop.store)
    res = client.post("/api/jobs/report", json={"out_dir": str(tmp_path / "rep")})
    assert res.status_code == 202
    job = finished_job(client, res.json()["job_id"])
    assert job["status"] == "done", job
    assert (tmp_path / "rep" / "index.html").exists()
    assert client.post("/api/jobs/nope").status_code == 404


def test_job_parameters_are_checked_before_a_job_starts(client):
    """Unknown, missing and mistyped parameters are refused with 422 naming them; no job is
    queued (they once started jobs that failed with a TypeError and a traceback)."""
    cases = [
        ("types", {"bogus": 1}, {"bogus"}),
        ("import", {}, {"kind", "paths"}),
        ("demo", {}, {"out_dir"}),
        ("report", {"out_dir": "x", "settings": {}}, {"settings"}),
        ("clv", {"horizon_days": "a year"}, {"horizon_days"}),
    ]
    for name, body, named in cases:
        res = client.post(f"/api/jobs/{name}", json=body)
        assert res.status_code == 422, (name, res.json())
        detail = res.json()["detail"]
        assert {d["loc"][1] for d in detail} == named, detail
        assert all(any(repr(p) in d["msg"] for d in detail) for p in named), detail
    assert "it takes: as_of, save" in client.post("/api/jobs/types", json={"x": 1}).text
    assert client.get("/api/jobs").json() == []


def test_unexpected_failure_is_logged_not_shown(caplog):
    """A bug's traceback (server paths, code) stays in the server log, and the log gets no
    exception message (it may quote customer data); the status keeps one line."""
    runner = JobRunner()

    email = "ann" + "@example.com"  # data, not code: the log shows code lines only

    def work(progress):
        raise KeyError(email)

    with caplog.at_level("ERROR", logger="shopperlens.jobs"):
        job = runner.wait(runner.submit("x", work).job_id, timeout=10)
    runner.shutdown()
    assert job.status == "failed" and job.result is None
    assert job.message.startswith("unexpected KeyError") and job.job_id in job.message
    assert "Traceback" not in job.message and ".py" not in job.message
    logged = caplog.text
    assert "KeyError" in logged and "test_jobs.py" in logged and "in work" in logged
    assert "ann@example.com" not in logged


# -- jobs run with the shop's own settings -------------------------------------------------------
@pytest.fixture
def server(tmp_path: Path):  # type: ignore[no-untyped-def]
    """``server(**settings)``: an API client over an in-memory shop with these settings."""
    opened = []

    def make(**settings: object) -> tuple[TestClient, shopperlens.Shop]:
        shop = shopperlens.open(":memory:", settings=Settings(**settings))  # type: ignore[arg-type]
        client = TestClient(
            create_app(Settings(token=TOKEN), shop=shop),
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        opened.append((client, shop))
        return client, shop

    yield make
    for client, shop in opened:
        client.close()
        shop.close()


def _job(client: TestClient, name: str, body: dict[str, object]) -> dict[str, object]:
    started = client.post(f"/api/jobs/{name}", json=body)
    assert started.status_code == 202, started.text
    return finished_job(client, started.json()["job_id"])  # type: ignore[no-any-return]


def _strict_types(tmp_path: Path) -> Path:
    path = tmp_path / "strict.yaml"
    path.write_text("windows:\n  new_days: 1\n")
    return path


def _run_digests(shop: shopperlens.Shop) -> set[str]:
    return set(shop.sql("SELECT DISTINCT config_digest FROM type_runs")["config_digest"])


def test_types_job_uses_the_shops_thresholds_and_engine(server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The job once typed with the default thresholds and engine whatever the server was
    given; a request cannot name either (a thresholds file is a path on the server)."""
    from shopperlens.types import load_config

    config = _strict_types(tmp_path)
    client, shop = server(types_config=config)
    story(ShopKit()).write(shop.store)
    assert _job(client, "types", {})["status"] == "done"
    assert _run_digests(shop) == {load_config(config).digest}
    refused = client.post("/api/jobs/types", json={"config": str(config)})
    assert refused.status_code == 422 and "'config'" in refused.text

    from shopperlens.errors import ShopperlensError

    # an unknown engine is refused when the server's settings are read (test_engine_setting)
    with pytest.raises(ShopperlensError, match="SHOPPERLENS_ENGINE=nosuch is not an engine"):
        server(engine="nosuch")


def test_types_and_report_jobs_refuse_an_empty_store_as_the_cli_does(server, cli, tmp_path):
    """On an empty store the types job stored an empty run (then shown as the shop's
    types) and the report job ended ``done``; both now fail with the CLI's message."""
    client, shop = server()
    types_job = _job(client, "types", {})
    said = cli("types")
    assert said.exit_code == 1 and types_job["status"] == "failed"
    assert str(types_job["message"]) in " ".join(said.output.split())
    assert shop.store.count("type_runs") == 0
    report_job = _job(client, "report", {"out_dir": str(tmp_path / "rep")})
    said = cli("report", "--out", str(tmp_path / "cli-rep"))
    assert said.exit_code == 1 and report_job["status"] == "failed"
    assert "holds no orders, events, sessions or survey answers" in str(report_job["message"])
    assert not (tmp_path / "rep").exists()


def test_report_job_uses_the_shops_thresholds(server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from shopperlens.types import load_config

    config = _strict_types(tmp_path)
    client, shop = server(types_config=config)
    story(ShopKit()).write(shop.store)
    assert _job(client, "report", {"out_dir": str(tmp_path / "rep")})["status"] == "done"
    assert _run_digests(shop) == {load_config(config).digest}


@pytest.fixture(scope="module")
def answers_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("answers") / "answers.csv"
    demo_shop().survey_answers.to_csv(path, index=False)
    return path


def _with_answers(shop: shopperlens.Shop, path: Path) -> None:
    from shopperlens.service.surveys import ensure_builtin

    ensure_builtin(store=shop.store, name="demo-profile")
    shop.survey_import(path, survey="demo-profile")


def test_personas_job_keeps_the_privacy_threshold_and_income_adjustment(server, answers_csv):
    """``SHOPPERLENS_MIN_GROUP_SIZE`` keeps small groups anonymous: the route refused, but
    the job built (and stored as the latest run) with the default threshold."""
    client, shop = server(min_group_size=200, income_adjustment=0.5)
    _with_answers(shop, answers_csv)
    route = client.post("/api/personas/build", json={"seed": 0})
    job = _job(client, "personas", {"seed": 0, "n_resamples": 2})
    assert route.status_code == 400 and job["status"] == "failed", job
    assert job["message"] == route.json()["detail"]
    assert shop.store.count("persona_runs") == 0
    refused = client.post("/api/jobs/personas", json={"min_group_size": 1})
    assert refused.status_code == 422 and "'min_group_size'" in refused.text

    client, shop = server(min_group_size=7, income_adjustment=0.5)
    _with_answers(shop, answers_csv)
    job = _job(client, "personas", {"seed": 0, "n_resamples": 2})
    assert job["status"] == "done", job
    assert (shop.personas().min_group_size, shop.personas().income_adjustment) == (7, 0.5)


def test_a_personas_job_cannot_ask_for_endless_resamples(server, answers_csv):  # type: ignore[no-untyped-def]
    """Each resample refits the clustering: a request for a billion would hold the worker."""
    client, shop = server()
    _with_answers(shop, answers_csv)
    job = _job(client, "personas", {"seed": 0, "n_resamples": 10**9})
    assert job["status"] == "failed" and "n_resamples" in job["message"], job
    assert shop.store.count("persona_runs") == 0


def test_job_times_say_they_are_utc(client, shop, tmp_path):
    """A job's ``created_at`` and ``finished_at`` carry their zone: without one a service
    polling the job (JavaScript's ``Date``, ``datetime.fromisoformat`` made aware) read the
    server's UTC as its own local time."""
    from datetime import UTC, datetime, timedelta

    story(ShopKit()).write(shop.store)
    res = client.post("/api/jobs/report", json={"out_dir": str(tmp_path / "rep")})
    assert res.json()["created_at"].endswith("Z")
    job = finished_job(client, res.json()["job_id"])
    for moment in (job["created_at"], job["finished_at"]):
        read = datetime.fromisoformat(moment)
        assert read.utcoffset() == timedelta(0)
        assert abs(datetime.now(UTC) - read) < timedelta(minutes=5)
    assert client.get("/api/jobs").json()[0]["finished_at"] == job["finished_at"]
