"""Long jobs run in the background with a status the HTTP API reports.

The CLI shows a Rich progress bar for the same work; both pass a ``progress`` callback with the
signature ``progress(n=1, total=None, description=None)`` to the service function. Jobs run one
at a time on a single worker thread: DuckDB has one writer, and a queue keeps that simple.
"""

from __future__ import annotations

import logging
import threading
import traceback
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_serializer

from shopperlens.errors import NotFoundError, ShopperlensError
from shopperlens.service._clock import utc_now

JobFn = Callable[..., Any]
#: the progress callback every long service function takes: ``progress(n=1, total=None,
#: description=None)`` (a Rich bar in the CLI, a job's status in the API)
Progress = Callable[..., Any]

#: where an unexpected job failure is logged (by the server, never in the job's status)
log = logging.getLogger("shopperlens.jobs")


#: a finished job's message once an erase dropped its result
FORGOTTEN = "result removed: a customer was erased after this job ended; run it again"
#: what a job the server's shutdown stopped, or never started, says (see JobRunner.stop)
STOPPED = (
    "stopped: the server shut down while this job ran; nothing it was writing was stored "
    "(start it again)"
)
NOT_STARTED = "not started: the server shut down first (start it again)"
#: an unknown job id: jobs live in the server's memory
NO_JOB = "no job {job_id} (jobs are kept in the server's memory: a restart forgets them)"


class JobStatus(BaseModel):
    job_id: str
    name: str
    status: Literal["queued", "running", "done", "failed"]
    done: float = 0
    total: float | None = None
    step: str | None = None
    message: str | None = None
    result: Any = None
    created_at: datetime = Field(description="when the job was queued, in UTC")
    finished_at: datetime | None = Field(None, description="when the job ended, in UTC")

    @field_serializer("created_at", "finished_at", when_used="json")
    def _with_zone(self, moment: datetime | None) -> datetime | None:
        """In JSON with its zone (``2026-12-07T16:27:46Z``): the store's times are UTC
        without one, and a service polling a job read ``2026-12-07T16:27:46`` as its own
        local time (JavaScript's ``Date`` does), hours off east or west of UTC."""
        return None if moment is None else moment.replace(tzinfo=UTC)

    @property
    def fraction(self) -> float | None:
        return None if not self.total else min(1.0, self.done / self.total)


class JobRunner:
    """Queue of background jobs with their live status."""

    def __init__(self) -> None:
        self._jobs: dict[str, JobStatus] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="shopperlens-job")
        #: erasures seen (:meth:`forget_results`): a job running across one keeps no result
        self._erasures = 0
        self._futures: list[Future[None]] = []
        #: set by :meth:`stop`: a job failing from now on was stopped, not broken
        self._stopping = False

    def submit(self, name: str, fn: JobFn, **kwargs: Any) -> JobStatus:
        job = JobStatus(
            job_id=uuid.uuid4().hex[:12], name=name, status="queued", created_at=utc_now()
        )
        with self._lock:
            self._jobs[job.job_id] = job
            self._futures = [f for f in self._futures if not f.done()]
            self._futures.append(self._pool.submit(self._run, job.job_id, fn, kwargs))
        return job.model_copy()

    def get(self, job_id: str) -> JobStatus:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                raise NotFoundError(NO_JOB.format(job_id=job_id))
            return job.model_copy()

    def all(self) -> list[JobStatus]:
        with self._lock:
            return [j.model_copy() for j in self._jobs.values()]

    def wait(self, job_id: str, timeout: float = 60) -> JobStatus:
        """Block until the job ends (tests and scripts)."""
        import time

        end = time.monotonic() + timeout
        while time.monotonic() < end:
            job = self.get(job_id)
            if job.status in ("done", "failed"):
                return job
            time.sleep(0.02)
        raise TimeoutError(f"job {job_id} still running after {timeout} s")

    def forget_results(self) -> int:
        """Drop the results of finished jobs, keeping their status (after an erase: a result
        held in memory may quote or list the erased person), and of the jobs running now
        when they finish. How many were dropped."""
        with self._lock:
            self._erasures += 1
            ended = [k for k, j in self._jobs.items() if j.status == "done" and j.result]
            for k in ended:
                self._jobs[k] = self._jobs[k].model_copy(
                    update={"result": None, "message": FORGOTTEN}
                )
        return len(ended)

    def shutdown(self) -> None:
        """Let the queued and running jobs finish, then stop the worker (scripts, tests)."""
        self._pool.shutdown(wait=True)

    def stop(self, interrupt: Callable[[], None], timeout: float = 30) -> list[JobStatus]:
        """At the server's shutdown, before its store closes: the queued jobs never start,
        the running one is interrupted (``interrupt`` stops the store's statements, so its
        transaction rolls back) and waited for, at most ``timeout`` seconds. Returns the jobs
        stopped or not started, each failed with a message saying so (:data:`STOPPED`,
        :data:`NOT_STARTED`), and one still running when the wait ran out. A job busy outside
        DuckDB (fitting a model) goes on until its next statement; one that finishes within
        the wait keeps its result. The runner takes no job after this.

        Closing the store under a running job failed with DuckDB's "connection is busy", the
        shutdown with a traceback, and the job vanished without a word."""
        with self._lock:
            self._stopping = True
            futures = list(self._futures)
            ended = {k for k, j in self._jobs.items() if j.status in ("done", "failed")}
        self._pool.shutdown(wait=False, cancel_futures=True)
        with self._lock:
            for k, j in self._jobs.items():
                if j.status == "queued":
                    self._jobs[k] = j.model_copy(
                        update={"status": "failed", "message": NOT_STARTED,
                                "finished_at": utc_now()}
                    )  # fmt: skip
        interrupt()
        # (a future cancelled above is not "done" for wait() until a worker would have taken it)
        wait([f for f in futures if not f.cancelled()], timeout=timeout)
        with self._lock:  # a job that finished meanwhile (busy outside DuckDB) is no news
            return [
                j.model_copy()
                for k, j in self._jobs.items()
                if k not in ended and j.status != "done"
            ]

    def _update(self, job_id: str, **changes: Any) -> None:
        with self._lock:
            job = self._jobs[job_id]
            self._jobs[job_id] = job.model_copy(update=changes)

    def _run(self, job_id: str, fn: JobFn, kwargs: dict[str, Any]) -> None:
        with self._lock:
            if self._stopping:  # (stop() marks it)
                return
            self._jobs[job_id] = self._jobs[job_id].model_copy(update={"status": "running"})
        erasures = self._erasures

        def progress(
            n: float = 1, total: float | None = None, description: str | None = None
        ) -> None:
            with self._lock:
                job = self._jobs[job_id]
                upd: dict[str, Any] = {"done": job.done + n}
                if total is not None:
                    upd["total"] = total
                if description is not None:
                    upd["step"] = description
                self._jobs[job_id] = job.model_copy(update=upd)

        try:
            result = fn(progress=progress, **kwargs)
            if hasattr(result, "model_dump"):
                result = result.model_dump(mode="json")
            elif hasattr(result, "to_dict") and hasattr(result, "columns"):
                result = {"rows": len(result)}
            with self._lock:  # (an erase during the job: its result may name the person)
                erased = self._erasures != erasures
            self._update(
                job_id,
                **_finished_progress(self.get(job_id)),
                status="done",
                result=None if erased else result,
                message=FORGOTTEN if erased else None,
                finished_at=utc_now(),
            )
        except Exception as exc:
            self._failed(job_id, exc)

    def _failed(self, job_id: str, exc: Exception) -> None:
        """Record why the job failed: stopped by the shutdown, the shop's data (a
        :class:`ShopperlensError`, said as it is), or something unexpected (logged)."""
        if self._stopping and _from_interrupt(exc):  # stop() interrupted its statement
            self._update(job_id, status="failed", message=STOPPED, finished_at=utc_now())
        elif isinstance(exc, ShopperlensError):
            self._update(job_id, status="failed", message=str(exc), finished_at=utc_now())
        else:  # reported in the status, never lost
            _log_failure(job_id, self.get(job_id).name, exc)
            self._update(
                job_id,
                status="failed",
                message=f"unexpected {type(exc).__name__}: {_first_line(exc)} "
                f"(where: in the server log, job {job_id})",
                finished_at=utc_now(),
            )


def _from_interrupt(exc: BaseException) -> bool:
    """Whether a job failed because its DuckDB statement was interrupted: DuckDB's own error,
    or a service's one-line message raised while handling it (``raise … from None`` keeps it
    as the context)."""
    from shopperlens.store.connection import interrupted

    seen: BaseException | None = exc
    for _ in range(10):  # (a chain of handlers, never a loop)
        if seen is None:
            return False
        if interrupted(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _finished_progress(job: JobStatus) -> dict[str, Any]:
    """A finished job's progress: all of it done, whatever the service function reported (one
    that never calls ``progress``, as CLV's and the personas', left ``0`` of no total and no
    step, which reads as not started); a step it named is kept."""
    total = job.total or max(job.done, 1)
    return {"done": total, "total": total, "step": job.step or "done"}


def _first_line(exc: BaseException, limit: int = 300) -> str:
    """The error's own message, first line only and cut short: the status must not carry a
    multi-line dump (a traceback, a data excerpt) to the API's caller."""
    text = str(exc).strip().splitlines()
    return text[0][:limit] if text else "no message"


def _log_failure(job_id: str, name: str, exc: BaseException) -> None:
    """Log where an unexpected failure happened, for whoever runs the server.

    Only the exception's type and the code locations go to the log, not its message: a message
    can quote customer data (an e-mail address, a row), and logs are kept and shipped
    elsewhere. The status the caller sees keeps the message's first line, never a traceback.
    """
    frames = "".join(traceback.format_list(traceback.extract_tb(exc.__traceback__)))
    log.error("job %s (%s) failed with %s at:\n%s", job_id, name, type(exc).__name__, frames)
