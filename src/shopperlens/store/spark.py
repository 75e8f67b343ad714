"""The Spark engine: an Ibis PySpark backend over a copy of a store's canonical tables.

The features in :mod:`shopperlens.features` are Ibis expressions, so they run unchanged on
Spark once the tables exist there. :func:`spark_source` copies each table out of the DuckDB
store as Parquet (DuckDB writes it; Spark reads it) into a temporary directory and registers it
as a temporary view under a name of its own. Point it at a cluster's ``SparkSession`` for data
that no longer fits one machine; the store stays the system of record.

PySpark is an optional extra: ``pip install "shopperlens[spark]"`` (it needs Java 17).
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import shutil
import signal
import tempfile
import threading
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from shopperlens.errors import ShopperlensError
from shopperlens.store.connection import CANONICAL_TABLES, Store

#: settings ``ibis.pyspark.connect`` changes on the session it is given (the features need
#: them for the run); :class:`SparkSource` puts the session's own back when it closes
_IBIS_SETTINGS = ("spark.sql.session.timeZone", "spark.sql.mapKeyDedupPolicy")

#: log4j2 settings of the session shopperlens starts itself: errors only, and no "default log
#: level" notice (Spark prints it for the logger of PySpark's gateway unless that is set)
_QUIET_LOG4J2 = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n%ex
logger.gateway.name = org.apache.spark.api.python.PythonGatewayServer
logger.gateway.level = error
"""

#: set by Ctrl-C while the Spark session shopperlens started runs (see :func:`interrupted`)
_ctrl_c = threading.Event()


def _require_pyspark() -> Any:
    try:
        import pyspark.sql
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ShopperlensError(
            'the Spark engine needs PySpark: pip install "shopperlens[spark]" (and Java 17)'
        ) from exc
    return pyspark.sql


def local_session(app_name: str = "shopperlens") -> Any:
    """A local Spark session on every core, UTC, with a small shuffle (the CLI's default).

    A session this starts says errors only, without progress bars: the CLI's output is its
    own. When the process already runs a Spark session (the caller's), that one is returned
    as it is, its settings and log level untouched.
    """
    sql = _require_pyspark()
    from pyspark import SparkConf, SparkContext

    if SparkContext._active_spark_context is not None:
        return sql.SparkSession.builder.getOrCreate()
    _check_java()
    _quiet_py4j_ctrl_c()
    with tempfile.TemporaryDirectory(prefix="shopperlens-spark-log-") as folder:
        log4j2 = Path(folder) / "log4j2.properties"
        log4j2.write_text(_QUIET_LOG4J2, encoding="utf-8")
        conf = (
            SparkConf()
            .setMaster("local[*]")
            .setAppName(app_name)
            .set("spark.sql.shuffle.partitions", "8")
            .set("spark.sql.session.timeZone", "UTC")
            .set("spark.ui.enabled", "false")
            .set("spark.ui.showConsoleProgress", "false")
            .set("spark.driver.extraJavaOptions", f'-Dlog4j2.configurationFile="{log4j2}"')
        )
        gateway = None if SparkContext._gateway else _launch(conf)
        context = SparkContext(conf=conf, gateway=gateway)
    # before the session is built (seconds of calls into the JVM), which Ctrl-C may stop
    _catch_ctrl_c(context)
    context.setLogLevel("ERROR")
    return sql.SparkSession.builder.getOrCreate()


def _launch(conf: Any) -> Any:
    """Start Spark's JVM (PySpark's gateway to it); Ctrl-C meanwhile stops it once it is up.

    Stopped while it starts, PySpark abandons the JVM it launched, and that JVM ran on after
    this process had ended (it had failed before it watches its input, which closes then). A
    second Ctrl-C still stops at once.
    """
    from pyspark.java_gateway import launch_gateway

    pressed: list[int] = []

    def later(signum: int, frame: Any) -> None:
        if pressed:
            raise KeyboardInterrupt
        pressed.append(signum)

    previous = signal.getsignal(signal.SIGINT)
    defer = threading.current_thread() is threading.main_thread() and callable(previous)
    if defer:
        signal.signal(signal.SIGINT, later)
    try:
        gateway = launch_gateway(conf)
    except Exception as exc:
        if _gateway_exited(exc):
            raise _no_java() from exc
        raise
    finally:
        if defer:
            signal.signal(signal.SIGINT, previous)
    if pressed:
        gateway.proc.kill()
        gateway.proc.wait()
        raise KeyboardInterrupt
    return gateway


def _java() -> str | None:
    """The java Spark's launcher runs: ``$JAVA_HOME/bin/java`` when JAVA_HOME is set, else the
    first on PATH (None when there is none)."""
    home = os.environ.get("JAVA_HOME")
    if home:
        java = Path(home) / "bin" / "java"
        return str(java) if os.access(java, os.X_OK) else None
    return shutil.which("java")


def _check_java() -> None:
    """Refuse before Spark's launcher runs without a Java: it would fail with two lines of
    shell errors and PySpark's "Java gateway process exited", naming no Java."""
    if _java() is None:
        raise _no_java()


def _no_java() -> ShopperlensError:
    home, java = os.environ.get("JAVA_HOME"), _java()
    if home:
        where = f"JAVA_HOME is {home}"
    else:
        where = f"java is {java}" if java else "JAVA_HOME is not set and no java is on PATH"
    return ShopperlensError(
        f"Spark could not start its Java process ({where}): the Spark engine needs Java 17, "
        "and --engine duckdb works without it"
    )


def _gateway_exited(exc: BaseException) -> bool:
    """Whether ``exc`` is PySpark's "Java gateway process exited before sending its port"."""
    condition = getattr(exc, "getCondition", None)
    return callable(condition) and condition() == "JAVA_GATEWAY_EXITED"


def _catch_ctrl_c(context: Any) -> None:
    """Make Ctrl-C during a call into Spark end in ``KeyboardInterrupt``, and remember it.

    PySpark's SIGINT handler cancels the running jobs, then raises ``KeyboardInterrupt``; but
    it cancels them over the very connection to the JVM that the interrupted call is reading
    (one per thread): that fails ("reentrant call"), logs two tracebacks, leaves the jobs
    running, and the call ends in a ``Py4JError``. Closing the interrupted call's connection
    first makes PySpark's handler open a new one. :func:`interrupted` reads the mark.
    """
    spark_handler = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or not _is_pyspark(spark_handler):
        return
    client = getattr(getattr(context, "_gateway", None), "_gateway_client", None)
    this_thread = getattr(client, "get_thread_connection", None)

    def on_ctrl_c(signum: int, frame: Any) -> None:
        _ctrl_c.set()
        connection = this_thread() if callable(this_thread) else None
        if connection is not None:
            connection.close()
        spark_handler(signum, frame)

    signal.signal(signal.SIGINT, on_ctrl_c)
    atexit.register(_silent_after_ctrl_c, context)


def _silent_after_ctrl_c(context: Any) -> None:
    """At exit after Ctrl-C, turn the JVM's log off: it shuts down when this process ends,
    with tasks still being cancelled, and logged errors about them after the command had
    said "interrupted"."""
    if _ctrl_c.is_set():
        with contextlib.suppress(Exception):
            context.setLogLevel("OFF")


def _quiet_py4j_ctrl_c() -> None:
    """Py4J logs the ``KeyboardInterrupt`` that stops a call with its traceback, on the root
    logger (so on stderr): Ctrl-C printed a traceback above "error: interrupted"."""
    root = logging.getLogger()
    if not any(isinstance(f, _QuietCtrlC) for f in root.filters):
        root.addFilter(_QuietCtrlC())


class _QuietCtrlC(logging.Filter):
    """Drops Py4J's record of a call stopped by ``KeyboardInterrupt`` (the interrupt itself
    still propagates)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != "KeyboardInterrupt while sending command."


def _is_pyspark(handler: object) -> bool:
    return callable(handler) and getattr(handler, "__module__", "").startswith("pyspark.")


def interrupted(exc: BaseException) -> bool:
    """Whether ``exc`` came of Ctrl-C during a Spark run: a ``KeyboardInterrupt`` in its chain
    (an error in the clean-up after it), or a Ctrl-C that the session :func:`local_session`
    started received during the current :func:`spark_source`."""
    seen: set[int] = set()
    link: BaseException | None = exc
    while link is not None and id(link) not in seen:
        if isinstance(link, KeyboardInterrupt):
            return True
        seen.add(id(link))
        link = link.__cause__ or link.__context__
    return _ctrl_c.is_set()


class SparkSource:
    """Canonical tables registered in a Spark session, handed out as Ibis tables.

    Each table is a temporary view under a name of this source's own (``_sl_<id>_orders``),
    so a view of the caller's named ``orders`` stays as it was; :meth:`table` takes the
    canonical name. Ibis sets the session's time zone to UTC (and its map-key policy) for the
    run; :meth:`close` drops the views and the Parquet copies and, once no other source is
    open on the session, puts those settings back. Use it as a context manager (or call
    :meth:`close`).
    """

    def __init__(self, session: Any, directory: Path, views: dict[str, str]) -> None:
        import ibis

        self.session = session
        self.directory: Path | None = directory
        self.views = dict(views)
        _borrow(session)
        try:
            self.backend = ibis.pyspark.connect(session)
        except BaseException:
            _give_back(session)
            raise

    @property
    def names(self) -> tuple[str, ...]:
        """The canonical names of the tables copied."""
        return tuple(self.views)

    def table(self, name: str) -> Any:
        if name not in self.views:
            raise ShopperlensError(f"table {name!r} was not copied to Spark")
        return self.backend.table(self.views[name])

    def close(self) -> None:
        if self.directory is None:
            return
        try:
            for view in self.views.values():
                self.session.catalog.dropTempView(view)
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None
            _give_back(self.session)

    def __enter__(self) -> SparkSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


#: per session (by id) in use: how many sources are open on it, and its own values of
#: :data:`_IBIS_SETTINGS` from before the first; a session is shared (the server's jobs run
#: on one), so the values are put back when the last source closes, not under another's run
_borrowed: dict[int, tuple[int, dict[str, str | None]]] = {}
_borrowed_lock = threading.Lock()


def _borrow(session: Any) -> None:
    with _borrowed_lock:
        count, own = _borrowed.get(id(session), (0, {}))
        if count == 0:
            given = session.conf.getAll  # the settings set on it (None: Spark's default)
            own = {key: given.get(key) for key in _IBIS_SETTINGS}
        _borrowed[id(session)] = (count + 1, own)


def _give_back(session: Any) -> None:
    with _borrowed_lock:
        count, own = _borrowed.pop(id(session))
        if count > 1:
            _borrowed[id(session)] = (count - 1, own)
            return
        for key, value in own.items():
            if value is None:
                session.conf.unset(key)
            else:
                session.conf.set(key, value)


def spark_source(
    store: Store, session: Any | None = None, *, tables: Iterable[str] = CANONICAL_TABLES
) -> SparkSource:
    """Copy ``tables`` from ``store`` into ``session`` (a local one when None)."""
    _require_pyspark()
    _ctrl_c.clear()
    session = session or local_session()
    directory = Path(tempfile.mkdtemp(prefix="shopperlens-spark-"))
    prefix = f"_sl_{uuid.uuid4().hex[:12]}_"
    views: dict[str, str] = {}
    try:
        for name in tables:
            path = directory / f"{name}.parquet"
            with store.cursor() as cur:
                cur.execute(f"COPY (SELECT * FROM \"{name}\") TO '{path}' (FORMAT parquet)")
            views[name] = prefix + name
            session.read.parquet(str(path)).createOrReplaceTempView(views[name])
        return SparkSource(session, directory, views)
    except BaseException:
        _discard(session, views.values(), directory)
        raise


def _discard(session: Any, views: Iterable[str], directory: Path) -> None:
    """Undo a copy that failed half-way (the failure is what the caller hears)."""
    with contextlib.suppress(Exception):
        for view in views:
            session.catalog.dropTempView(view)
    shutil.rmtree(directory, ignore_errors=True)
