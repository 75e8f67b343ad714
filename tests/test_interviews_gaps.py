"""Three gaps of the interview path, each against a hand-built shop or note:

* a note naming a customer the shop does not have is stored, as imports store rows naming ids
  the shop does not know yet, and every face says so (the note reaches no persona until the
  customer is imported, and a typo would otherwise go unnoticed);
* the recruit list as a CSV file for a booking or mail tool: only the people an invitation
  would reach, readable by the owner only, spreadsheet-safe;
* a note with block quotes keeps the quotes its prose gives in quotation marks.
"""

from __future__ import annotations

import csv
import io
import json
import stat
from pathlib import Path
from typing import Any

import pytest

import shopperlens
from conftest import _api_client
from shopperlens.errors import ShopperlensError
from shopperlens.service import interviews
from shopperlens.surveys import interviews as notes

MIXED = """# Interview 03: customer C3 (bad customer)

She said “too dear for a tent” twice, then “the boots fell apart after a month”.

> "The boots fell apart after a month, and support never answered."
"""


def test_a_note_with_block_quotes_keeps_its_inline_quotes() -> None:
    assert notes.quotes(MIXED) == [
        "too dear for a tent",
        "The boots fell apart after a month, and support never answered.",
    ]


# -- a note naming a customer the shop does not have -------------------------------------------
UNKNOWN = "# Interview 09: customer C99999 (bad customer)\n\n> “The parcel came late.”\n"
KNOWN = "# Interview 10: customer C1 (good customer)\n\n> “Quick delivery, every time.”\n"


def _note_files(tmp_path: Path) -> list[Path]:
    files = [tmp_path / "09.md", tmp_path / "10.md"]
    for f, text in zip(files, (UNKNOWN, KNOWN), strict=True):
        f.write_text(text, "utf-8")
    return files


def test_a_note_naming_an_unknown_customer_is_stored_and_said_in_python(
    shop: shopperlens.Shop, tmp_path: Path
) -> None:
    _buyers(shop, {"C1": True})
    res = shop.interviews_import(*_note_files(tmp_path))
    assert res.imported == 2
    assert len(res.notes) == 1
    assert "09.md names customer 'C99999', who is not in the shop's data" in res.notes[0]
    stored = shop.store.execute("SELECT customer_id FROM interview_notes ORDER BY 1").fetchall()
    assert stored == [("C1",), ("C99999",)]


def test_a_note_naming_an_unknown_customer_is_said_over_http(client: Any) -> None:
    files = [("files", ("09.md", UNKNOWN, "text/markdown"))]
    res = client.post("/api/interviews/notes", files=files)
    assert res.status_code == 200, res.text
    assert res.json()["imported"] == 1
    assert "'C99999'" in res.json()["notes"][0]


def test_a_note_naming_an_unknown_customer_is_said_on_the_command_line(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    res = cli("interviews", "import", *map(str, _note_files(tmp_path)))
    assert res.exit_code == 0, res.output
    said = [ln for ln in res.output.splitlines() if ln.startswith("note: ")]
    assert len(said) == 2  # (the shop has no customer C1 either)
    assert "09.md names customer 'C99999'" in said[0]
    assert "notes" not in res.output.split("themes")[0].split()  # no list in the table


# -- the recruit list for a booking or mail tool ------------------------------------------------
def _buyers(shop: shopperlens.Shop, consenting: dict[str, bool]) -> None:
    """One order each, worth more the later the id; ``consenting`` gives ``accepts_marketing``;
    the first is Anna Berg, the others Ben, Cleo, Dora."""
    names = ["Anna Berg", "Ben Cole", "Cleo Dunn", "Dora Eck"]
    for i, (cid, ok) in enumerate(consenting.items()):
        shop.store.execute(
            "INSERT INTO customers (customer_id, email, name, accepts_marketing) "
            "VALUES (?, ?, ?, ?)",
            [cid, f"c{i}@example.com", names[i], ok],
        )
        shop.store.execute(
            "INSERT INTO orders (order_id, customer_id, ordered_at) VALUES (?, ?, now())",
            [f"o{i}", cid],
        )
        shop.store.execute(
            "INSERT INTO order_lines VALUES (?, 1, 'p', 'P', 'x', 1, ?, NULL)",
            [f"o{i}", 10.0 * (i + 1)],
        )


def _recruit_shop(shop: shopperlens.Shop) -> None:
    """C1 consents, C2 does not, C3 said no to surveys, =C4 (an id a spreadsheet would run)
    consents and was invited to an interview before (longer ago than contact fatigue)."""
    _buyers(shop, {"C1": True, "C2": False, "C3": True, "=C4": True})
    shop.consent_set("C3", purpose="survey", granted=False)
    shop.store.execute(
        "INSERT INTO survey_invitations (invitation_id, survey, purpose, customer_id, audience, "
        "created_at, status) VALUES ('i1', 'interviews', 'interview', '=C4', 'interview', "
        "now() - INTERVAL 120 DAY, 'sent')"
    )


def _read(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text("utf-8-sig"))))


def test_the_recruit_list_holds_only_those_an_invitation_may_reach(
    shop: shopperlens.Shop, tmp_path: Path
) -> None:
    _recruit_shop(shop)
    out = tmp_path / "recruits.csv"
    rows = shop.interviews_recruit_list(2, prospects=0, out=out)
    assert list(rows.columns) == interviews.RECRUIT_LIST_COLUMNS
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    written = {r["customer_id"]: r for r in _read(out)}
    assert set(written) == {"C1", "'=C4"}  # C2 without consent, C3 refused surveys
    assert written["C1"]["first_name"] == "Anna"
    assert written["C1"]["email"] == "c0@example.com"
    assert written["C1"]["consent"] == "yes (accepts_marketing)"
    assert (written["C1"]["already_invited"], written["'=C4"]["already_invited"]) == (
        "False",
        "True",
    )
    assert {r["segment"] for r in written.values()} <= {"best", "worst"}


def test_the_recruit_list_leaves_out_those_contact_fatigue_protects(
    shop: shopperlens.Shop, tmp_path: Path
) -> None:
    """C1 was sent a survey yesterday: ``--invite`` passes her over (``fatigued``), so the
    list for a booking tool does not hand her on either."""
    _recruit_shop(shop)
    shop.store.execute(
        "INSERT INTO survey_invitations (invitation_id, survey, purpose, customer_id, audience, "
        "created_at, sent_at, status) VALUES ('s1', 'fit', 'survey', 'C1', 'all', "
        "now() - INTERVAL 1 DAY, now() - INTERVAL 1 DAY, 'sent')"
    )
    out = tmp_path / "recruits.csv"
    rows = shop.interviews_recruit_list(2, prospects=0, out=out)
    assert list(rows["customer_id"]) == ["=C4"]
    assert {r["customer_id"] for r in _read(out)} == {"'=C4"}
    shop.settings = shop.settings.model_copy(update={"survey_fatigue_days": 0})
    assert set(shop.interviews_recruit_list(2, prospects=0)["customer_id"]) == {"C1", "=C4"}


def _reasons(shop: shopperlens.Shop) -> dict[str, str]:
    table = shop.interviews_recruit(2, prospects=0)
    return dict(zip(table["customer_id"], table["reason"], strict=True))


def test_a_recruit_contact_fatigue_protects_says_so_in_the_table(
    shop: shopperlens.Shop,
) -> None:
    """The table `interviews recruit` prints says whom ``--invite`` passes over: C1, sent a
    survey yesterday, as well as the ones without consent or invited before."""
    _recruit_shop(shop)
    shop.store.execute(
        "INSERT INTO survey_invitations (invitation_id, survey, purpose, customer_id, audience, "
        "created_at, sent_at, status) VALUES ('s1', 'fit', 'survey', 'C1', 'all', "
        "now() - INTERVAL 1 DAY, now() - INTERVAL 1 DAY, 'sent')"
    )
    days = shop.settings.survey_fatigue_days
    recent = interviews.RECENTLY_CONTACTED.format(days=days)
    why = _reasons(shop)
    assert why["C1"].endswith(recent)
    assert why["=C4"].endswith(interviews.ALREADY_INVITED)  # (said once: never asked again)
    assert recent not in why["=C4"]
    shop.settings = shop.settings.model_copy(update={"survey_fatigue_days": 0})
    why = _reasons(shop)
    assert "e-mailed now" not in why["C1"]


def test_the_recruit_list_is_written_by_the_command_line_and_served_over_http(
    db_path: Path, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from shopperlens.cli import app

    with shopperlens.open(db_path) as shop:
        _recruit_shop(shop)
    monkeypatch.setenv("SHOPPERLENS_CSV_BOM", "true")
    out = tmp_path / "recruits.csv"
    out.write_text("left by an earlier run\n", "utf-8")
    out.chmod(0o644)
    args = ["--db", str(db_path), "interviews", "recruit", "--n", "2", "--prospects", "0"]
    res = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert f"wrote 2 people to {out}" in res.output
    assert "c0@example.com" not in res.output
    assert out.read_bytes().startswith(b"\xef\xbb\xbfcustomer_id,first_name,email,")
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    with shopperlens.open(db_path) as shop, _api_client(shop) as client:
        served = client.get("/api/interviews/recruit-list", params={"n": 2, "prospects": 0})
    assert served.status_code == 200, served.text
    assert served.headers["content-type"].startswith("text/csv")
    assert served.headers["cache-control"] == "no-store"
    assert served.content.replace(b"\r\n", b"\n") == out.read_bytes().replace(b"\r\n", b"\n")


def test_the_command_line_chooses_the_recruits_once_for_the_table_and_the_file(
    db_path: Path, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """``interviews recruit --out`` shows the recruits and writes those an invitation may
    reach from one choice of recruits (it chose them twice, once per output)."""
    from typer.testing import CliRunner

    from shopperlens.cli import app

    with shopperlens.open(db_path) as shop:
        _recruit_shop(shop)
    chosen: list[int] = []
    real = interviews._recruit_customers

    def counted(*args: Any) -> Any:
        chosen.append(1)
        return real(*args)

    monkeypatch.setattr(interviews, "_recruit_customers", counted)
    out = tmp_path / "recruits.csv"
    args = ["--db", str(db_path), "interviews", "recruit", "--n", "2", "--prospects", "0"]
    res = CliRunner().invoke(app, [*args, "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    assert len(chosen) == 1
    shown = {r["customer_id"] for r in json.loads(res.stdout)}
    assert {r["customer_id"] for r in _read(out)} == {"C1", "'=C4"}
    assert {"C1", "=C4"} <= shown


def test_the_recruit_list_refuses_a_file_that_is_no_csv(shop: shopperlens.Shop, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _recruit_shop(shop)
    with pytest.raises(ShopperlensError, match=r"must end in \.csv"):
        shop.interviews_recruit_list(2, prospects=0, out=tmp_path / "recruits.xlsx")
    assert not (tmp_path / "recruits.xlsx").exists()
