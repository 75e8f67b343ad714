"""A day without orders: a file with its header and no rows passes with ``--allow-empty``.

A daily job (``set -e``) importing each day's export stopped on the first quiet day: a
header-only file is refused ("the file has a header but no rows", exit 1), as it must be
when an export stopped after its header. ``--allow-empty`` (``allow_empty=True``,
``?allow_empty=true``) says the owner expects such days: the file imports nothing, exits 0,
and stores nothing, not even a ledger row; its header is still checked."""

from __future__ import annotations

from pathlib import Path

import pytest

import shopperlens
from shopperlens.errors import ShopperlensError
from test_partial_data import ORDER_COLUMNS, orders_csv, three_customers


def _files(tmp_path: Path) -> tuple[Path, Path]:
    quiet = tmp_path / "orders-2024-04-03.csv"
    quiet.write_text(ORDER_COLUMNS)
    busy = tmp_path / "orders-2024-04-02.csv"
    busy.write_text(orders_csv(three_customers()))
    return quiet, busy


def _stored(shop: shopperlens.Shop) -> tuple[int, int, int]:
    return tuple(  # type: ignore[return-value]
        shop.store.scalar(f"SELECT count(*) FROM {t}") for t in ("orders", "order_lines", "imports")
    )


def test_the_cli_refuses_a_quiet_day_and_names_the_option(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    quiet, _ = _files(tmp_path)
    res = cli("import", "orders", str(quiet))
    assert res.exit_code == 1
    assert "header but no rows" in res.output and "--allow-empty" in res.output
    assert "Traceback" not in res.output


def test_the_cli_passes_a_quiet_day_with_allow_empty(cli, db_path: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    quiet, busy = _files(tmp_path)
    res = cli("import", "orders", str(busy), str(quiet), "--allow-empty")
    assert res.exit_code == 0, res.output
    assert "nothing to import" in res.output
    again = cli("import", "orders", str(quiet), "--allow-empty")  # the same nothing again
    assert again.exit_code == 0, again.output
    with shopperlens.open(db_path, read_only=True) as shop:
        assert _stored(shop) == (5, 5, 1)  # the busy day only, one ledger row
        assert shop.imports()[0].file.endswith(busy.name)


def test_a_header_missing_a_column_is_still_refused(shop: shopperlens.Shop, tmp_path: Path) -> None:
    wrong = tmp_path / "orders.csv"
    wrong.write_text(ORDER_COLUMNS.replace("ordered_at,", ""))
    with pytest.raises(ShopperlensError, match="ordered_at"):
        shop.import_orders(wrong, allow_empty=True)
    assert _stored(shop) == (0, 0, 0)


def test_python_and_http_faces(shop: shopperlens.Shop, client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    quiet, _ = _files(tmp_path)
    result = shop.import_orders(quiet, allow_empty=True)
    assert (result.rows_read, result.files[0].note, result.files[0].skipped) == (
        0, "a header and no rows: nothing to import", False
    )  # fmt: skip
    refused = client.post("/api/imports/orders", json={"path": str(quiet)})
    assert refused.status_code == 400
    assert "?allow_empty=true" in refused.json()["detail"]
    assert "--allow-empty" not in refused.json()["detail"]
    passed = client.post("/api/imports/orders?allow_empty=true", json={"path": str(quiet)})
    assert passed.status_code == 200, passed.text
    assert passed.json()["files"][0]["note"] == "a header and no rows: nothing to import"
    assert _stored(shop) == (0, 0, 0)


def test_a_quiet_day_leaves_the_last_rejects_list(cli, db_path: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Yesterday's rejects stay listed beside the store until an import reads rows again."""
    quiet, busy = _files(tmp_path)
    bad = tmp_path / "orders-2024-04-01.csv"
    bad.write_text(busy.read_text().replace(",20.0,", ",-20.0,", 1))
    assert cli("import", "orders", str(bad), "--on-error", "skip").exit_code == 0
    rejects = db_path.with_name("shop.rejects.csv")
    assert rejects.exists()
    assert cli("import", "orders", str(quiet), "--allow-empty").exit_code == 0
    assert rejects.exists()


@pytest.mark.parametrize(
    ("name", "content"),
    [("events.jsonl", b""), ("events.jsonl", b"\n\n"), ("events.csv", b"\xef\xbb\xbf")],
    ids=["json-lines-no-bytes", "json-lines-blank-lines", "csv-bom-alone"],
)
def test_a_file_without_any_content(
    shop: shopperlens.Shop, tmp_path: Path, name: str, content: bytes
) -> None:
    """A day's JSON Lines export without an event has no header to show: nothing at all."""
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ShopperlensError, match="the file is empty.*--allow-empty"):
        shop.import_events(path)
    result = shop.import_events(path, allow_empty=True)
    assert (result.rows_read, result.files[0].note) == (0, "no content at all: nothing to import")
    assert shop.store.scalar("SELECT count(*) FROM imports") == 0


def test_rows_after_a_megabyte_of_blank_lines_are_read(
    shop: shopperlens.Shop, tmp_path: Path
) -> None:
    """A file is empty when it is blank to its end, not in its first megabyte: with
    --allow-empty such a file's rows were dropped with exit 0."""
    _, busy = _files(tmp_path)
    late = tmp_path / "late.csv"
    late.write_bytes(b"\n" * (1 << 20) + busy.read_bytes())
    result = shop.import_orders(late, allow_empty=True)
    assert result.rows_accepted == 5 and result.files[0].note == ""


def test_a_job_names_the_options_as_its_body_gives_them(client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """``POST /api/jobs/import`` said "allow_empty=True in Python" and "on_error='skip'": its
    caller writes JSON, so the options are named as the body takes them."""
    from conftest import finished_job

    def job(body: dict[str, object]) -> dict[str, object]:
        started = client.post("/api/jobs/import", json=body)
        assert started.status_code == 202, started.text
        return finished_job(client, started.json()["job_id"])  # type: ignore[no-any-return]

    quiet, _ = _files(tmp_path)
    said = job({"kind": "orders", "paths": [str(quiet)]})
    assert said["status"] == "failed"
    assert '"allow_empty": true' in said["message"] and "in Python" not in said["message"]
    assert job({"kind": "orders", "paths": [str(quiet)], "allow_empty": True})["status"] == "done"
    bad = tmp_path / "bad.csv"
    bad.write_text(orders_csv(three_customers()).replace(",1,", ",-1,", 1))
    said = job({"kind": "orders", "paths": [str(bad)]})
    assert '"on_error": "skip"' in said["message"] and "on_error='skip'" not in said["message"]
