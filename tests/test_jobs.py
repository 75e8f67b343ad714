"""Long jobs report their status through the API."""

from __future__ import annotations

from conftest import finished_job
from shopperlens.service.jobs import JobRunner


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


def test_report_job_over_http(client, tmp_path):
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
