"""Where results are written, on every face: a file in the format its name ends in, or refused
before any work; a file where an output folder goes, refused as such.

``clv --out x.parquet`` and ``intent --out x.parquet`` wrote CSV under that name (exit 0, and
``pd.read_parquet`` failed later), ``audience export --out a.xlsx`` CSV and ``playbook --out
p.pdf`` Markdown. A report folder that was a file said "File exists" in the CLI and raised a
bare ``FileExistsError`` in Python and in an HTTP job.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

import shopperlens
from _demo_data import demo_shop
from conftest import _api_client, finished_job
from shopperlens.demo import load
from shopperlens.errors import ShopperlensError
from shopperlens.store import connect
from test_personas_review import with_types_and_personas


@pytest.fixture
def built(db_path: Path) -> Path:
    return with_types_and_personas(db_path)


FILE_IS_NO_FOLDER = "is a file, not a folder"


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("out") / "demo.duckdb"
    with connect(path) as store:
        load(store, demo_shop(600))
    return path


@pytest.fixture
def demo_copy(demo_db: Path, db_path: Path) -> Path:
    """The demo store copied to the ``cli`` fixture's path."""
    shutil.copy(demo_db, db_path)
    return db_path


def _said(res) -> str:  # type: ignore[no-untyped-def]
    return " ".join(res.output.split())  # Rich wraps long lines


def test_tables_are_written_in_the_format_their_name_ends_in(cli, demo_copy, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Parquet is Parquet and JSON is JSON, for every command writing a table."""
    for args, name in (
        (("clv", "--no-save", "--top", "0"), "clv.parquet"),
        (("clv", "--no-save", "--top", "0"), "clv.json"),
        (("intent", "--no-save", "--top", "0"), "intent.parquet"),
        (("types", "--limit", "0"), "types.json"),
    ):
        out = tmp_path / name
        res = cli(*args, "--out", str(out))
        assert res.exit_code == 0, res.output
        frame = pd.read_parquet(out) if out.suffix == ".parquet" else pd.read_json(out)
        assert len(frame) and f"wrote {len(frame):,} rows" in _said(res), (name, res.output)
    with shopperlens.open(demo_copy) as shop:
        assert len(pd.read_parquet(tmp_path / "clv.parquet")) == len(shop.clv())


OTHER_FORMATS = {
    "clv": (("clv",), "clv.xlsx", ".csv, .parquet or .json"),
    "intent": (("intent",), "intent.txt", ".csv, .parquet or .json"),
    "types": (("types",), "types.xlsx", ".csv, .parquet or .json"),
    "types sessions": (("types", "sessions"), "sessions.xls", ".csv, .parquet or .json"),
    "personas members": (("personas", "members"), "members.xlsx", ".csv, .parquet or .json"),
    "audience export": (("audience", "export", "--type", "loyal"), "aud.xlsx", ".csv"),
    "playbook": (("playbook",), "playbook.pdf", ".md, .html or .json"),
}


@pytest.mark.parametrize("command", sorted(OTHER_FORMATS))
def test_another_format_is_refused_before_any_work(cli, tmp_path, command) -> None:  # type: ignore[no-untyped-def]
    """On an empty store: the name is refused first, not the missing data after it."""
    args, name, endings = OTHER_FORMATS[command]
    res = cli(*args, "--out", str(tmp_path / name))
    assert res.exit_code == 1, res.output
    assert f"error: cannot write {name}: the file's name must end in {endings}" in _said(res)
    assert not (tmp_path / name).exists()


def test_python_audience_refuses_another_format(shop: shopperlens.Shop, tmp_path: Path) -> None:
    with pytest.raises(ShopperlensError, match=r"a\.xlsx: the file's name must end in \.csv$"):
        shop.audience(type="loyal", out=tmp_path / "a.xlsx")
    assert not (tmp_path / "a.xlsx").exists()


def test_playbook_out_is_the_format_its_name_ends_in(cli, built, tmp_path) -> None:  # type: ignore[no-untyped-def]
    for name in ("p.md", "p.html", "p.json"):
        assert cli("playbook", "--out", str(tmp_path / name)).exit_code == 0
    assert (tmp_path / "p.md").read_text().startswith("#")
    assert (tmp_path / "p.html").read_text().lstrip().startswith("<")
    assert "actions" in json.loads((tmp_path / "p.json").read_text())
    res = cli("playbook", "--format", "html", "--out", str(tmp_path / "q.html"))
    assert res.exit_code == 0 and (tmp_path / "q.html").read_text().lstrip().startswith("<")
    for fmt in ("md", "table"):  # a --format the name belies: neither silently wins
        res = cli("playbook", "--format", fmt, "--out", str(tmp_path / "r.json"))
        assert res.exit_code == 1 and f"--format {fmt} does not match --out r.json" in _said(res)
        assert not (tmp_path / "r.json").exists()


def test_a_file_where_an_output_folder_goes_is_refused_on_every_face(  # type: ignore[no-untyped-def]
    cli, built, tmp_path
) -> None:
    taken = tmp_path / "taken"
    taken.write_text("x")
    said = f"cannot use that path: {taken} {FILE_IS_NO_FOLDER}"
    for args in (("report",), ("personas", "cards"), ("personas", "build", "--survey", "x")):
        res = cli(*args, "--out", str(taken))
        assert res.exit_code == 1 and said in _said(res), (args, res.output)
    res = cli("--db", str(tmp_path / "fresh.duckdb"), "demo", "--out", str(taken))
    assert res.exit_code == 1 and said in _said(res), res.output
    with shopperlens.open(built) as shop:
        for call in (shop.report, shop.personas_cards):
            with pytest.raises(ShopperlensError, match=FILE_IS_NO_FOLDER):
                call(taken)
        with _api_client(shop) as client:
            started = client.post("/api/jobs/report", json={"out_dir": str(taken)})
            job = finished_job(client, started.json()["job_id"])
    assert job["status"] == "failed" and job["message"] == said, job
    assert taken.read_text() == "x"


def test_a_file_where_the_demo_data_folder_goes_is_refused(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "rep").mkdir()
    (tmp_path / "rep" / "data").write_text("x")
    res = cli("demo", "--out", str(tmp_path / "rep"), "--customers", "100")
    assert res.exit_code == 1 and f"data {FILE_IS_NO_FOLDER}" in _said(res), res.output
