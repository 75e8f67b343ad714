"""Erase, hardened: nothing brings an erased customer back, a failed rewrite can be finished,
the files keep their mode and owner, and the rejects file loses only the person's rows.

Timing is planted: the erase runs inside the computation (between computing and storing), so
each race is the same on every run.
"""

from __future__ import annotations

import csv
import os
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

import shopperlens
from shopperlens.config import Settings
from shopperlens.errors import NotFoundError, ShopperlensError
from shopperlens.reports import site
from shopperlens.service import clv as clv_svc
from shopperlens.service import privacy
from shopperlens.service import types as types_svc
from shopperlens.store import Store, connect
from shopperlens.store.connection import ERASED_MEANWHILE, keep_mode_and_owner
from shopperlens.web.app import create_app
from shopperlens.web.server import serve_in_thread

ERASED = "C10104"
ERASED_EMAIL = "erased.person@example.org"


def _fill(store: Store, n: int = 150) -> None:
    """``n`` customers with a year of repeat orders, ``ERASED`` among them."""
    store.execute(
        "INSERT INTO customers (customer_id, email, name) SELECT 'C' || (10100 + i), "
        "'p' || i || '@example.org', 'Person ' || i FROM range(?) t(i)",
        [n],
    )
    store.execute("UPDATE customers SET email = ? WHERE customer_id = ?", [ERASED_EMAIL, ERASED])
    store.execute(  # 1 to 6 orders each over the year, at a pace of their own
        "INSERT INTO orders (order_id, customer_id, ordered_at) SELECT 'o' || i || '-' || j, "
        "'C' || (10100 + i), TIMESTAMP '2024-01-05' + INTERVAL (i % 20 + j * (25 + i % 30)) DAY "
        "FROM range(?) t(i), range(1 + i % 6) u(j)",
        [n],
    )
    store.execute(
        "INSERT INTO order_lines (order_id, line_no, product_id, quantity, unit_price) "
        "SELECT order_id, 1, 'p' || (hash(order_id) % 7), 1, 20 + hash(order_id) % 80 "
        "FROM orders"
    )


def _leaks(path: Path) -> bool:
    data = b"".join(p.read_bytes() for p in (path, Path(f"{path}.wal")) if p.exists())
    return ERASED.encode() in data or ERASED_EMAIL.encode() in data


@pytest.fixture
def shop(tmp_path: Path) -> Any:
    s = shopperlens.open(tmp_path / "shop.duckdb")
    _fill(s.store)
    yield s
    s.close()


# -- (1) a computation running during an erase stores nothing ---------------------------------
def test_a_types_run_during_an_erase_is_refused_and_stores_nothing(shop, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    classify = types_svc.classify

    def erase_then_classify(*args: Any, **kwargs: Any) -> Any:
        privacy.erase_customer(store=shop.store, customer_id=ERASED)  # features hold them
        return classify(*args, **kwargs)

    monkeypatch.setattr(types_svc, "classify", erase_then_classify)
    with pytest.raises(ShopperlensError, match="erased while this ran: nothing was stored"):
        types_svc.customer_types(store=shop.store)
    assert shop.store.count("type_runs") == 0
    assert shop.store.count("customer_types") == 0
    monkeypatch.setattr(types_svc, "classify", classify)
    typed = types_svc.customer_types(store=shop.store)  # run again: without them
    assert ERASED not in set(typed["customer_id"]) and len(typed) > 0


def test_a_clv_run_during_an_erase_is_refused(shop, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    score = clv_svc._score

    def erase_then_score(*args: Any, **kwargs: Any) -> Any:
        privacy.erase_customer(store=shop.store, customer_id=ERASED)
        return score(*args, **kwargs)

    monkeypatch.setattr(clv_svc, "_score", erase_then_score)
    with pytest.raises(ShopperlensError, match="erased while this ran"):
        clv_svc.customer_value(store=shop.store, save=True)
    assert shop.store.count("customer_value") == 0


def test_a_report_written_during_an_erase_is_removed(shop, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    write_pages = site._write_pages

    def write_then_erase(*args: Any, **kwargs: Any) -> None:
        write_pages(*args, **kwargs)
        privacy.erase_customer(store=shop.store, customer_id=ERASED)

    monkeypatch.setattr(site, "_write_pages", write_then_erase)
    out = tmp_path / "report"
    with pytest.raises(ShopperlensError, match="erased while this ran"):
        site.write_report(shop.store, out)
    assert not out.exists()


def test_a_types_job_over_http_during_an_erase_fails(shop, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    app = create_app(Settings(token="t0k"), shop=shop)
    classify = types_svc.classify
    erased: list[int] = []
    with (
        serve_in_thread(app) as base,
        httpx.Client(base_url=base, headers={"Authorization": "Bearer t0k"}, timeout=60) as http,
    ):

        def erase_over_http_then_classify(*args: Any, **kwargs: Any) -> Any:
            erased.append(http.delete(f"/api/customers/{ERASED}").status_code)
            return classify(*args, **kwargs)

        monkeypatch.setattr(types_svc, "classify", erase_over_http_then_classify)
        job = http.post("/api/jobs/types", json={}).json()
        for _ in range(600):
            job = http.get(f"/api/jobs/{job['job_id']}").json()
            if job["status"] in ("done", "failed"):
                break
            time.sleep(0.05)
    assert erased == [200]
    assert job["status"] == "failed" and job["message"] == ERASED_MEANWHILE
    assert shop.store.count("customer_types") == 0


# -- (2) a failed rewrite is finished by compact, or by the next erase --------------------------
def _fail_once(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    copy_live = Store._copy_live
    calls: list[int] = []

    def failing(self: Store) -> Path:
        calls.append(1)
        if len(calls) == 1:
            raise ShopperlensError("cannot rewrite the store: No space left on device")
        return copy_live(self)

    monkeypatch.setattr(Store, "_copy_live", failing)


def test_a_failed_rewrite_says_run_compact_and_compact_finishes_it(shop, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _fail_once(monkeypatch)
    with pytest.raises(ShopperlensError, match="rows are deleted.*run `shopperlens compact`"):
        shop.erase_customer(ERASED)
    db = Path(shop.store.path)
    assert shop.store.pending_compaction() == 1 and _leaks(db)
    done = shop.compact()
    assert done.erasures_finished == 1 and shop.store.pending_compaction() == 0
    assert shop.store.scalar("SELECT count(*) FROM erasures WHERE compacted_at IS NULL") == 0
    assert not _leaks(db)


def test_a_rewrite_is_refused_while_the_file_is_open_twice_and_no_write_is_lost(shop) -> None:  # type: ignore[no-untyped-def]
    """A notebook's second ``shopperlens.open`` of the same file shares DuckDB's database: the
    rewrite left the other handle on the replaced file, and every write either made afterwards
    (an import, a consent, the ledger's own "compacted") was gone on the next open."""
    db = Path(shop.store.path)
    with shopperlens.open(db) as second:
        with pytest.raises(ShopperlensError) as refused:
            second.erase_customer(ERASED)
        assert "rows are deleted" in str(refused.value)
        assert "this process has it open 2 times" in str(refused.value)
        shop.store.execute("INSERT INTO customers (customer_id) VALUES ('written-after')")
    assert shop.store.pending_compaction() == 1 and _leaks(db)
    assert shop.compact().erasures_finished == 1  # the other handle closed: done now
    shop.store.execute("INSERT INTO customers (customer_id) VALUES ('written-after-compact')")
    shop.close()
    with shopperlens.open(db) as again:
        kept = again.store.df("SELECT customer_id FROM customers WHERE customer_id LIKE 'wr%'")
        assert sorted(kept.customer_id) == ["written-after", "written-after-compact"]
        assert again.store.pending_compaction() == 0
    assert not _leaks(db)


def test_an_erase_finding_nobody_finishes_a_pending_rewrite(shop, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _fail_once(monkeypatch)
    with pytest.raises(ShopperlensError):
        shop.erase_customer(ERASED)
    with pytest.raises(NotFoundError, match="no customer with that id .*left pending is done now"):
        shop.erase_customer(ERASED)
    assert not _leaks(Path(shop.store.path)) and shop.store.pending_compaction() == 0


def test_compact_over_http(shop, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _fail_once(monkeypatch)
    with pytest.raises(ShopperlensError):
        shop.erase_customer(ERASED)
    app = create_app(Settings(token="t0k"), shop=shop)
    with serve_in_thread(app) as base:
        assert httpx.post(f"{base}/api/compact").status_code == 401
        res = httpx.post(f"{base}/api/compact", headers={"Authorization": "Bearer t0k"}, timeout=60)
    assert res.status_code == 200 and res.json()["erasures_finished"] == 1
    assert not _leaks(Path(shop.store.path))


def _pending_erasure(db_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A store at ``db_path`` whose erasure's file rewrite failed (its bytes still there)."""
    s = shopperlens.open(db_path)
    _fill(s.store, n=5)
    _fail_once(monkeypatch)
    with pytest.raises(ShopperlensError):
        s.erase_customer(ERASED)
    s.close()


def test_compact_on_the_cli_finishes_a_failed_erasure(cli, db_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _pending_erasure(db_path, monkeypatch)
    res = cli("compact")
    assert res.exit_code == 0 and "finished 1 pending" in res.output, res.output
    assert not _leaks(db_path)


def test_compact_on_a_read_only_store_is_refused_not_claimed(cli, db_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """It said "rewrote the store's file" and exited 0, while the erasure stayed pending and the
    erased customer's bytes in the file."""
    _pending_erasure(db_path, monkeypatch)
    res = cli("--read-only", "compact")
    assert res.exit_code == 1 and "rewrote" not in res.output, res.output
    assert "open it for writing" in " ".join(res.output.split())
    with shopperlens.open(db_path, read_only=True) as ro:
        assert ro.store.pending_compaction() == 1
        with pytest.raises(ShopperlensError, match="read-only"):
            ro.compact()


@pytest.mark.parametrize("name", ['a"b.duckdb', "_shopperlens_compact.duckdb"])
def test_a_store_with_an_awkward_name_is_rewritten(tmp_path: Path, name: str) -> None:
    s = shopperlens.open(tmp_path / name)
    _fill(s.store, n=5)
    s.erase_customer(ERASED)
    assert s.store.pending_compaction() == 0
    s.close()
    assert not _leaks(tmp_path / name)


def test_reads_go_on_while_a_compaction_waits_for_a_long_block(tmp_path: Path) -> None:
    store = connect(tmp_path / "shop.duckdb")
    _fill(store, n=5)
    started = threading.Event()
    waited: list[float] = []

    def long_block() -> None:
        with store.cursor() as cur:
            cur.execute("SELECT count(*) FROM customers").fetchall()
            started.set()
            time.sleep(2.5)

    def reader() -> None:
        time.sleep(0.6)  # the compaction is waiting for the long block by now
        t = time.monotonic()
        store.scalar("SELECT count(*) FROM customers")
        waited.append(time.monotonic() - t)

    threads = [threading.Thread(target=long_block), threading.Thread(target=reader)]
    threads[0].start()
    started.wait(5)
    threads[1].start()
    store.compact()
    for t in threads:
        t.join()
    assert store.count("customers") == 5
    store.close()
    assert waited and waited[0] < 0.5, waited


# -- (3) the rewritten files keep their mode and owner ----------------------------------------
def test_the_rewrite_keeps_mode_and_owner(shop, tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = Path(shop.store.path)
    rejects = db.with_name("shop.rejects.csv")
    rejects.write_text(
        f"file,line,column,value,reason\no.csv,2,customer_id,{ERASED},not known\n"
        "o.csv,3,quantity,x,not a whole number\n",
        encoding="utf-8",
    )
    root = hasattr(os, "geteuid") and os.geteuid() == 0
    for path in (db, rejects):
        path.chmod(0o600)
        if root:
            os.chown(path, 4321, 4322)
    report = shop.erase_customer(ERASED)
    assert report.rejects_removed == 1
    for path in (db, rejects):
        st = path.stat()
        assert st.st_mode & 0o777 == 0o600, (path.name, oct(st.st_mode))
        if root:
            assert (st.st_uid, st.st_gid) == (4321, 4322), path.name


def test_keep_mode_and_owner_copies_the_bits(tmp_path: Path) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    old.write_text("a")
    new.write_text("b")
    old.chmod(0o640)
    new.chmod(0o666)
    keep_mode_and_owner(old, new)
    assert new.stat().st_mode & 0o777 == 0o640


# -- (4) the scrub takes turns with an import writing the rejects file ------------------------
def test_an_import_writing_rejects_during_the_scrub_keeps_them(shop, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    rejects = Path(shop.store.path).with_name("shop.rejects.csv")
    rejects.write_text(
        f"file,line,column,value,reason\no.csv,2,customer_id,{ERASED},not known\n",
        encoding="utf-8",
    )
    imported = "file,line,column,value,reason\nnew.csv,9,quantity,x,not a whole number\n"
    write = privacy._write_atomically
    wrote = threading.Event()

    def an_import() -> None:  # as imports do: replace the file inside a transaction
        with shop.store.transaction():
            rejects.write_text(imported, encoding="utf-8")
        wrote.set()

    def import_meanwhile(*args: Any, **kwargs: Any) -> None:
        threading.Thread(target=an_import).start()
        wrote.wait(0.5)  # it writes now unless the scrub holds the write lock
        write(*args, **kwargs)

    monkeypatch.setattr(privacy, "_write_atomically", import_meanwhile)
    shop.erase_customer(ERASED)
    assert wrote.wait(10)
    assert rejects.read_text(encoding="utf-8") == imported


# -- (5) only the rows that name the person go, with the file's line endings ------------------
def test_numeric_ids_remove_only_their_own_rejects(tmp_path: Path) -> None:
    s = shopperlens.open(tmp_path / "shop.duckdb")
    s.store.execute(
        "INSERT INTO customers (customer_id, email) VALUES ('13', 'thirteen@example.org'), "
        "('c5', 'five@example.org'), ('C1', 'upper@example.org'), ('c1', 'lower@example.org')"
    )
    rows = [
        ("o.csv", "2", "quantity", "13 pcs", "not a whole number"),  # c5's row
        ("o.csv", "3", "ordered_at", "13/01/2024", "not a date"),  # c5's row
        ("o.csv", "4", "customer_id", "13", "not known"),  # theirs
        ("o.csv", "5", "(row)", "o9,13,2024-01-01,p1,1", "malformed row: too many"),  # theirs
        ("o.csv", "6", "(row)", "o8,c5,2024-01-13,p1,2", "malformed row: too many"),
        ("c.csv", "7", "email", "Thirteen@Example.org", "duplicate"),  # theirs
        ("o.csv", "8", "customer_id", "c1", "not known"),  # not C1's
    ]
    rejects = tmp_path / "shop.rejects.csv"
    rejects.write_bytes(
        ("file,line,column,value,reason\n" + "".join(",".join(r) + "\n" for r in rows))
        .replace("o9,13,2024-01-01,p1,1", '"o9,13,2024-01-01,p1,1"')
        .replace("o8,c5,2024-01-13,p1,2", '"o8,c5,2024-01-13,p1,2"')
        .encode()
    )
    assert s.erase_customer("13").rejects_removed == 3
    assert s.erase_customer("C1").rejects_removed == 0
    s.close()
    raw = rejects.read_bytes()
    assert b"\r\n" not in raw
    with rejects.open(newline="", encoding="utf-8") as fh:
        left = [r["line"] for r in csv.DictReader(fh)]
    assert left == ["2", "3", "6", "8"]


def test_an_audience_file_is_not_written_with_someone_erased_meanwhile(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The file was written with the erased customer's id after the erase returned."""
    import pytest

    import shopperlens
    from shopperlens.errors import ShopperlensError
    from shopperlens.service import playbooks, privacy

    with shopperlens.open(":memory:") as shop:
        shop.store.execute(
            "INSERT INTO customers (customer_id, email, accepts_marketing) "
            "VALUES ('k1', 'k1@example.org', true), ('k2', 'k2@example.org', true)"
        )
        real = playbooks.audience_customers

        def erase_while_reading(**kw):  # type: ignore[no-untyped-def]
            got = real(**kw)  # the audience read, then the erase commits
            privacy.erase_customer(store=shop.store, customer_id="k1")
            return got

        playbooks.audience_customers = erase_while_reading  # type: ignore[assignment]
        try:
            out = tmp_path / "aud.csv"
            with pytest.raises(ShopperlensError, match="erased while this ran"):
                playbooks.export_audience(store=shop.store, segment="orders >= 0", out=out)
            assert not out.exists()
        finally:
            playbooks.audience_customers = real  # type: ignore[assignment]


def test_a_mistyped_id_is_not_reported_erased_while_a_rewrite_is_pending(
    tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """With an earlier erasure's rewrite unfinished (the disk full), erasing a mistyped id
    answered "the customer's rows are deleted, but …" as if it had erased someone."""
    import pytest

    import shopperlens
    from shopperlens.errors import NotFoundError, ShopperlensError
    from shopperlens.service import privacy
    from shopperlens.store.connection import Store

    with shopperlens.open(tmp_path / "s.duckdb") as shop:
        shop.store.execute("INSERT INTO customers (customer_id, email) VALUES ('k1', 'k@x.org')")

        def full_disk(self, **kw):  # type: ignore[no-untyped-def]
            raise ShopperlensError("cannot rewrite the store: No space left on device")

        monkeypatch.setattr(Store, "compact", full_disk)
        with pytest.raises(ShopperlensError, match="rows are deleted"):
            privacy.erase_customer(store=shop.store, customer_id="k1")
        assert shop.store.pending_compaction() == 1
        with pytest.raises(NotFoundError) as typo:
            privacy.erase_customer(store=shop.store, customer_id="NO-SUCH-ID")
        assert "rows are deleted" not in str(typo.value)
        assert "still unfinished" in str(typo.value) and "shopperlens compact" in str(typo.value)


def test_an_erase_over_http_drops_finished_jobs_results(client) -> None:  # type: ignore[no-untyped-def]
    """A finished job's result stayed in the server's memory after an erase (a personas
    job's result quotes people): the status stays, the result goes."""
    from conftest import finished_job

    shop = client.app.state.shop
    shop.store.execute(
        "INSERT INTO customers (customer_id, email, created_at) VALUES "
        "('k1', 'k1@example.org', TIMESTAMP '2024-01-01'), "
        "('k2', 'k2@example.org', TIMESTAMP '2024-01-01')"
    )
    shop.store.execute(
        "INSERT INTO orders (order_id, customer_id, ordered_at) VALUES "
        "('o1', 'k1', TIMESTAMP '2024-02-01')"
    )
    job = finished_job(client, client.post("/api/jobs/types", json={}).json()["job_id"])
    assert job["status"] == "done" and job["result"]  # (a personas job's would quote people)
    assert client.delete("/api/customers/k1").status_code == 200
    after = client.get(f"/api/jobs/{job['job_id']}").json()
    assert after["status"] == "done" and after["result"] is None
    assert "erased" in after["message"] and "k1" not in str(after)


def test_a_job_running_across_an_erase_keeps_no_result() -> None:
    """forget_results dropped only finished jobs': one finishing just after the erase kept a
    result that could quote the person."""
    import threading

    from shopperlens.service.jobs import FORGOTTEN, JobRunner

    runner = JobRunner()
    read, release = threading.Event(), threading.Event()

    def quotes(progress):  # type: ignore[no-untyped-def]
        read.set()
        release.wait(5)
        return {"quotes": ["k1@example.org said: too expensive"]}

    job = runner.submit("personas", quotes)
    assert read.wait(5)
    runner.forget_results()  # the erase, while the job runs
    release.set()
    done = runner.wait(job.job_id)
    assert done.status == "done" and done.result is None and done.message == FORGOTTEN
    again = runner.wait(runner.submit("personas", lambda progress: {"n": 1}).job_id)
    assert again.result == {"n": 1}  # a job started after the erase keeps its result
    runner.shutdown()


def test_the_http_audience_is_refused_with_someone_erased_meanwhile(client) -> None:  # type: ignore[no-untyped-def]
    """The guard ran only when a file was written: the HTTP download handed the rows back."""
    from shopperlens.service import playbooks, privacy

    shop = client.app.state.shop
    shop.store.execute(
        "INSERT INTO customers (customer_id, email, accepts_marketing) "
        "VALUES ('k1', 'k1@example.org', true), ('k2', 'k2@example.org', true)"
    )
    real = playbooks.audience_customers

    def erase_while_reading(**kw):  # type: ignore[no-untyped-def]
        got = real(**kw)
        privacy.erase_customer(store=shop.store, customer_id="k1")
        return got

    playbooks.audience_customers = erase_while_reading  # type: ignore[assignment]
    try:
        res = client.get("/api/playbooks/audience", params={"segment": "orders >= 0"})
    finally:
        playbooks.audience_customers = real  # type: ignore[assignment]
    assert res.status_code == 400 and "erased while this ran" in res.text
    assert "k1@example.org" not in res.text


def test_an_erase_whose_rewrite_fails_still_drops_job_results(client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The rows were deleted but the answer was an error, and the results stayed."""
    from conftest import finished_job
    from shopperlens.errors import ShopperlensError
    from shopperlens.store.connection import Store

    shop = client.app.state.shop
    shop.store.execute("INSERT INTO customers (customer_id, email) VALUES ('k1', 'k1@x.org')")
    shop.store.execute(
        "INSERT INTO orders (order_id, customer_id, ordered_at) VALUES "
        "('o1', 'k1', TIMESTAMP '2024-02-01')"
    )
    job = finished_job(client, client.post("/api/jobs/types", json={}).json()["job_id"])
    assert job["result"]

    def full_disk(self, **kw):  # type: ignore[no-untyped-def]
        raise ShopperlensError("cannot rewrite the store: No space left on device")

    monkeypatch.setattr(Store, "compact", full_disk)
    res = client.delete("/api/customers/k1")
    assert "rows are deleted" in res.text
    assert client.get(f"/api/jobs/{job['job_id']}").json()["result"] is None
