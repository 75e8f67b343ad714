"""The server's shutdown stops its jobs cleanly: nothing half-written, and each job says so.

Stopping the server while an import job ran failed with DuckDB's "connection is busy with
another call" and "Application shutdown failed" in the log; the job vanished without a word,
and after a restart its id read like a mistyped one. Planted: a 1,000,000-event file imported
as a job, and a second job queued behind it.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import duckdb
from fastapi.testclient import TestClient

from conftest import TOKEN
from shopperlens.config import Settings
from shopperlens.service.jobs import NOT_STARTED, STOPPED
from shopperlens.web.app import create_app

EVENTS = 1_000_000


def _events_file(path: Path) -> Path:
    duckdb.sql(
        f"""COPY (SELECT 'e' || i AS event_id, 'v' || (i // 20) AS visitor_id,
                  TIMESTAMP '2024-01-01' + to_seconds(i * 7) AS timestamp,
                  'page_view' AS event_name, '/p' || (i % 50) AS page
           FROM range({EVENTS}) t(i)) TO '{path}' (HEADER)"""
    )
    return path


def test_a_running_job_is_stopped_and_rolled_back_a_queued_one_never_starts(
    tmp_path: Path,
) -> None:
    events = _events_file(tmp_path / "events.csv")
    db = tmp_path / "shop.duckdb"
    app = create_app(Settings(token=TOKEN, db=db))
    with TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"}) as c:
        running = c.post("/api/jobs/import", json={"kind": "events", "paths": [str(events)]})
        queued = c.post("/api/jobs/import", json={"kind": "events", "paths": [str(events)]})
        assert running.status_code == queued.status_code == 202
        job = running.json()["job_id"]
        deadline = time.monotonic() + 60
        while c.get(f"/api/jobs/{job}").json()["status"] == "queued":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(0.3)  # reading the file
        assert c.get(f"/api/jobs/{job}").json()["status"] == "running"
        runner = app.state.jobs
    # the shutdown ran (leaving the block) without an error; the jobs say what became of them
    jobs = {j.job_id: j for j in runner.all()}
    assert (jobs[job].status, jobs[job].message) == ("failed", STOPPED)
    other = jobs[queued.json()["job_id"]]
    assert (other.status, other.message) == ("failed", NOT_STARTED)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM events").fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM imports").fetchone() == (0,)


def test_an_unknown_job_id_says_jobs_do_not_survive_a_restart(tmp_path: Path) -> None:
    app = create_app(Settings(token=TOKEN, db=tmp_path / "shop.duckdb"))
    with TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"}) as c:
        res = c.get("/api/jobs/f124dbb00509")
    assert res.status_code == 404
    assert res.json()["detail"] == (
        "no job f124dbb00509 (jobs are kept in the server's memory: a restart forgets them)"
    )


def test_an_import_job_that_cannot_work_is_refused_before_it_is_queued(tmp_path: Path) -> None:
    """A misspelt kind, or ``update`` for orders, was accepted (202) and failed when it ran."""
    app = create_app(Settings(token=TOKEN, db=tmp_path / "shop.duckdb"))
    path = str(tmp_path / "orders.csv")
    with TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"}) as c:
        res = c.post("/api/jobs/import", json={"kind": "ordrs", "paths": [path]})
        assert res.status_code == 400
        assert res.json()["detail"].startswith("unknown import kind 'ordrs'; choose from ")
        res = c.post("/api/jobs/import", json={"kind": "orders", "paths": [path], "update": True})
        assert res.status_code == 400
        assert "update changes stored customers and products, not orders" in res.json()["detail"]
        assert c.get("/api/jobs").json() == []


def test_a_job_that_ends_during_the_stop_says_what_happened() -> None:
    """A job busy outside DuckDB when the server stops runs on: one that finishes keeps its
    result and is no stopped job; one that fails for its own reason says that reason."""
    from shopperlens.service.jobs import JobRunner

    def finishes(progress: Any) -> dict[str, int]:
        time.sleep(0.5)
        return {"rows": 1}

    def breaks(progress: Any) -> None:
        time.sleep(0.5)
        raise ValueError("a bug of its own")

    for work, status, message in ((finishes, "done", None), (breaks, "failed", "unexpected")):
        runner = JobRunner()
        job = runner.submit("work", work)
        while runner.get(job.job_id).status == "queued":
            time.sleep(0.01)
        stopped = runner.stop(lambda: None)
        got = runner.get(job.job_id)
        assert got.status == status
        if message is None:
            assert stopped == [] and got.result == {"rows": 1}
        else:
            assert [j.job_id for j in stopped] == [job.job_id]
            assert got.message is not None and got.message.startswith("unexpected ValueError")


def test_an_app_started_again_takes_jobs_again(tmp_path: Path) -> None:
    """Tests (and an embedding program) start one app's lifespan twice; the second must not
    answer 500 "cannot schedule new futures after shutdown"."""
    app = create_app(Settings(token=TOKEN, db=tmp_path / "shop.duckdb"))
    body = {"kind": "orders", "paths": [str(tmp_path / "none.csv")]}
    for _ in range(2):
        with TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"}) as c:
            assert c.post("/api/jobs/import", json=body).status_code == 202


def test_an_interrupt_between_two_statements_is_not_lost(tmp_path: Path) -> None:
    """The shutdown's interrupt stops the statement running; one that came while the job ran
    Python between two statements stopped nothing, and the job committed its import (seen
    under load: the running job above ended "done"). Now no transaction commits until the
    store resumes."""
    import pytest

    from shopperlens.store import connect
    from shopperlens.store.connection import interrupted

    store = connect(tmp_path / "shop.duckdb")
    try:
        with pytest.raises(duckdb.InterruptException) as err, store.transaction() as con:
            con.execute("CREATE TABLE t (x INTEGER)")
            store.interrupt()  # no statement is running now
            con.execute("INSERT INTO t VALUES (1)")
        assert interrupted(err.value)
        assert not store.scalar("SELECT count(*) FROM duckdb_tables() WHERE table_name = 't'")
        store.resume()
        with store.transaction() as con:
            con.execute("CREATE TABLE t (x INTEGER)")
        assert store.scalar("SELECT count(*) FROM t") == 0
    finally:
        store.close()
