"""The Spark engine leaves a session it is given as it was, starts its own quietly, says so in
one line when there is no Java, and Ctrl-C during a Spark job is "interrupted" with exit 130.

Found running it: a given session lost its time zone (Ibis set it to UTC for good) and any
temporary view named like a canonical table (``orders``: replaced, then dropped); the CLI's own
session printed about 20 lines of WARN and progress bars; without Java the CLI said "unexpected
PySparkRuntimeError: [JAVA_GATEWAY_EXITED] …" (exit 2); Ctrl-C printed Py4J's tracebacks and
"unexpected Py4JError" (exit 2).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from _types_shopkit import ShopKit
from shopperlens.store import Store, connect
from test_interrupts import CTRL_C_AS_IN_A_TERMINAL
from test_playbooks_shop import fill

ZONE = "spark.sql.session.timeZone"
KEYS = (ZONE, "spark.sql.mapKeyDedupPolicy")
#: the one line Java itself prints as Spark starts it (Spark asks for an incubator module)
JAVA_SAYS = "WARNING: Using incubator modules: jdk.incubator.vector"


def _own(spark) -> dict[str, str | None]:  # type: ignore[no-untyped-def]
    given = spark.conf.getAll
    return {key: given.get(key) for key in KEYS}


def _shop(store: Store, *, orders: int) -> Store:
    kit = ShopKit().customer("c1")
    for day in range(orders):
        kit.order("c1", day, ("p1",))
    return kit.write(store)


def _ours(spark) -> list[str]:  # type: ignore[no-untyped-def]
    return [t.name for t in spark.catalog.listTables() if t.name.startswith("_sl_")]


@pytest.mark.spark
def test_a_given_session_keeps_its_zone_and_its_views(store: Store, spark) -> None:  # type: ignore[no-untyped-def]
    from shopperlens.service import playbooks as svc

    fill(store)
    spark.conf.set(ZONE, "Europe/Berlin")
    spark.createDataFrame([("mine",)], ["order_id"]).createOrReplaceTempView("orders")
    before = _own(spark)
    try:
        duck = svc.frequently_bought_together(store=store, min_orders=1)
        sp = svc.frequently_bought_together(
            store=store, min_orders=1, engine="spark", spark_session=spark
        )
        assert spark.conf.get(ZONE) == "Europe/Berlin"
        assert _own(spark) == before
        assert [r.order_id for r in spark.table("orders").collect()] == ["mine"]
        assert _ours(spark) == []
        pd.testing.assert_frame_equal(duck, sp, check_dtype=False)
        assert len(duck) > 0
    finally:
        spark.catalog.dropTempView("orders")
        spark.conf.set(ZONE, "UTC")


@pytest.mark.spark
def test_sources_open_together_keep_apart(store: Store, spark) -> None:  # type: ignore[no-untyped-def]
    """Each source hands out its own copies; the session's zone comes back when the last one
    closes (a server runs several jobs on one session), not under the other's run."""
    from shopperlens.store.spark import spark_source

    _shop(store, orders=1)
    other = _shop(connect(":memory:"), orders=2)
    spark.conf.set(ZONE, "Europe/Berlin")
    try:
        with spark_source(store, spark, tables=("orders",)) as one:
            mine = spark.createDataFrame([("a",), ("b",), ("c",)], ["order_id"])
            mine.createOrReplaceTempView("orders")
            with spark_source(other, spark, tables=("orders",)) as two:
                assert one.table("orders").count().execute() == 1
                assert two.table("orders").count().execute() == 2
            assert spark.conf.get(ZONE) == "UTC"  # one still runs
            assert one.table("orders").count().execute() == 1
            assert spark.table("orders").count() == 3
        assert spark.conf.get(ZONE) == "Europe/Berlin"
        assert _ours(spark) == []
    finally:
        other.close()
        spark.catalog.dropTempView("orders")
        spark.conf.set(ZONE, "UTC")


@pytest.mark.spark
def test_a_running_session_is_used_as_it_is(spark) -> None:  # type: ignore[no-untyped-def]
    """With a session of the caller's running, the "local" session is that one: its settings
    and its log level stay the caller's."""
    from shopperlens.store.spark import local_session

    jvm = spark.sparkContext._jvm
    level = str(jvm.org.apache.logging.log4j.LogManager.getRootLogger().getLevel())
    partitions = spark.conf.get("spark.sql.shuffle.partitions")
    session = local_session()
    assert session.sparkContext is spark.sparkContext
    assert spark.conf.get("spark.sql.shuffle.partitions") == partitions
    assert str(jvm.org.apache.logging.log4j.LogManager.getRootLogger().getLevel()) == level


def _run(script: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -c SCRIPT ARGS`` with its temporary files in ``tmp_path / "tmp"``."""
    (tmp_path / "tmp").mkdir(exist_ok=True)
    env = {**os.environ, "TMPDIR": str(tmp_path / "tmp")}
    return subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, env=env, timeout=120
    )


def _said(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line != JAVA_SAYS]


#: a local session copying one table and running a job of a few seconds (long enough for
#: Spark's progress bar)
QUIET = """
from shopperlens.store import connect
from shopperlens.store.spark import spark_source

with spark_source(connect(":memory:"), tables=("orders",)) as src:
    print(src.table("orders").count().execute())
    print(src.session.range(0, 2_000_000_000, numPartitions=16).selectExpr("sum(id)").collect())
"""


@pytest.mark.spark
@pytest.mark.slow
def test_the_own_session_is_quiet(tmp_path: Path) -> None:
    pytest.importorskip("pyspark")
    out = _run(QUIET, tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == "0"
    assert _said(out.stderr) == []
    assert list((tmp_path / "tmp").iterdir()) == []  # the log settings and the copies


def _cli(db: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shopperlens", "--db", str(db), "types", "--engine", "spark"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip


def _typable(db: Path) -> Path:
    _shop(connect(db), orders=1).close()
    return db


NO_JAVA = "the Spark engine needs Java 17, and --engine duckdb works without it"


@pytest.mark.spark
@pytest.mark.parametrize(
    ("java_home", "said"),
    [
        ("/nowhere", "JAVA_HOME is /nowhere"),
        (None, "JAVA_HOME is not set and no java is on PATH"),
    ],
)
def test_without_java_the_engine_says_so(
    db_path: Path, tmp_path: Path, java_home: str | None, said: str
) -> None:
    pytest.importorskip("pyspark")
    env = {k: v for k, v in os.environ.items() if k != "JAVA_HOME"}
    env["PATH"] = str(tmp_path)  # no java on it
    if java_home:
        env["JAVA_HOME"] = java_home
    out = _cli(_typable(db_path), env)
    assert (out.returncode, out.stderr) == (
        1,
        f"error: Spark could not start its Java process ({said}): {NO_JAVA}\n",
    )


@pytest.mark.spark
def test_a_java_that_cannot_start_spark_is_said_so(db_path: Path, tmp_path: Path) -> None:
    """A java there that fails (too old, broken): PySpark's "Java gateway process exited"
    becomes the same one line."""
    pytest.importorskip("pyspark")
    java = tmp_path / "jdk" / "bin" / "java"
    java.parent.mkdir(parents=True)
    java.write_text("#!/bin/sh\nexit 1\n")
    java.chmod(0o755)
    out = _cli(_typable(db_path), {**os.environ, "JAVA_HOME": str(java.parent.parent)})
    assert out.returncode == 1, out.stderr
    assert out.stderr.splitlines()[-1] == (
        f"error: Spark could not start its Java process (JAVA_HOME is {java.parent.parent}): "
        f"{NO_JAVA}"
    )


#: a CLI with one more command: a Spark job on the local session that runs until stopped
SPARK_SPIN = (
    CTRL_C_AS_IN_A_TERMINAL
    + """
import sys
import shopperlens.cli as cli
from shopperlens.cli._app import app
from shopperlens.store import connect
from shopperlens.store.spark import spark_source

@app.command("spin")
def spin() -> None:
    with spark_source(connect(":memory:"), tables=("orders",)) as src:
        print("ready", flush=True)
        src.session.range(0, 10**14, numPartitions=64).selectExpr("sum(id % 7)").collect()

cli.main(sys.argv[1:])
"""
)


@pytest.mark.spark
@pytest.mark.slow
def test_ctrl_c_during_a_spark_job(tmp_path: Path) -> None:
    """Ctrl-C (SIGINT to the command's process group, as a terminal sends it) while a job
    runs: one line, exit 130, the job cancelled and the copies removed."""
    pytest.importorskip("pyspark")
    (tmp_path / "tmp").mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-c", SPARK_SPIN, "spin"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        env={**os.environ, "TMPDIR": str(tmp_path / "tmp")},
    )  # fmt: skip
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        time.sleep(2)  # the job runs
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert (proc.returncode, _said(err)) == (130, ["error: interrupted"]), err
    assert list((tmp_path / "tmp").iterdir()) == []


#: a CLI with one more command that starts the local session, and Ctrl-C the moment PySpark
#: has launched Spark's JVM (whose process id it prints)
CTRL_C_AS_SPARK_STARTS = (
    CTRL_C_AS_IN_A_TERMINAL
    + """
import os, signal, subprocess, sys
import pyspark.java_gateway
import shopperlens.cli as cli
from shopperlens.cli._app import app
from shopperlens.store import connect
from shopperlens.store.spark import spark_source

class CtrlCAsItStarts(subprocess.Popen):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        print(self.pid, flush=True)
        os.kill(os.getpid(), signal.SIGINT)

pyspark.java_gateway.Popen = CtrlCAsItStarts

@app.command("start")
def start() -> None:
    with spark_source(connect(":memory:"), tables=("orders",)):
        pass

cli.main(sys.argv[1:])
"""
)


def _running(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie waiting for its parent does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


@pytest.mark.spark
def test_ctrl_c_as_spark_starts_leaves_no_java_behind(tmp_path: Path) -> None:
    """Stopped while it started, PySpark abandoned Spark's JVM, which ran on (with a core and
    memory) after the command had ended."""
    pytest.importorskip("pyspark")
    if not Path("/proc/self/stat").exists():
        pytest.skip("reads the process table in /proc")
    (tmp_path / "tmp").mkdir()
    said = tmp_path / "stderr.txt"
    with said.open("w") as err:  # a file: a JVM left running would hold a pipe open
        proc = subprocess.Popen(
            [sys.executable, "-c", CTRL_C_AS_SPARK_STARTS, "start"],
            stdout=subprocess.PIPE, stderr=err, text=True,
            env={**os.environ, "TMPDIR": str(tmp_path / "tmp")},
        )  # fmt: skip
    jvm = None
    try:
        assert proc.stdout is not None
        jvm = int(proc.stdout.readline())
        code = proc.wait(timeout=60)
        deadline = time.monotonic() + 10
        while _running(jvm) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _running(jvm)
    finally:
        proc.kill()
        if jvm is not None and _running(jvm):
            os.kill(jvm, signal.SIGKILL)
    assert (code, _said(said.read_text())) == (130, ["error: interrupted"])


def _group_raising(exc: BaseException) -> typer.Typer:
    """A CLI (the real error handling) whose one command raises ``exc``."""
    from shopperlens.cli._app import _Group

    app = typer.Typer(cls=_Group)

    @app.command()
    def fail() -> None:
        raise exc

    @app.command()
    def other() -> None:  # (two commands: ``fail`` is a subcommand, through the group)
        pass

    return app


def test_a_spark_call_stopped_by_ctrl_c_is_interrupted() -> None:
    """A call into Spark that Ctrl-C stopped, failing as it is cleaned up after."""
    protocol = pytest.importorskip("py4j.protocol")
    failed = protocol.Py4JError("An error occurred while calling o140.collectToPython")
    failed.__context__ = KeyboardInterrupt()  # raised while the interrupt was handled
    res = CliRunner().invoke(_group_raising(failed), ["fail"])
    assert (res.exit_code, res.stderr) == (130, "error: interrupted\n")


def test_a_spark_error_without_ctrl_c_is_still_unexpected() -> None:
    protocol = pytest.importorskip("py4j.protocol")
    failed = protocol.Py4JError("An error occurred while calling o140.collectToPython")
    res = CliRunner().invoke(_group_raising(failed), ["fail"])
    assert (res.exit_code, res.stderr) == (
        2,
        "error: unexpected Py4JError: An error occurred while calling o140.collectToPython "
        "(set SHOPPERLENS_DEBUG=1 for details)\n",
    )
