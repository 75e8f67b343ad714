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
