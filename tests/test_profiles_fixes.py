"""Review findings on customer profiles, each against planted data whose answer is known.

1. ``interviews import notes/`` read the folder's top level only: notes filed in subfolders
   (``notes/best/01.md``) imported "files 0" and exited 0, and a folder without notes was a
   success too.
2. A prospect's reason left out checkouts, which count double in the engagement score: 6.5
   and 4.5 both read "1 visits, 1 product views, 1 carts, no order".
3. Personas on identical answers: "collect more responses" (more of the same would not help),
   a forced k=3 stored one persona under a run claiming 3 and stability 1.00, and pages of
   scikit-learn ConvergenceWarnings reached the user.
"""

from __future__ import annotations

import warnings
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sklearn.exceptions import ConvergenceWarning

from shopperlens.errors import InsufficientDataError, ShopperlensError
from shopperlens.service import interviews
from shopperlens.service import personas as svc
from shopperlens.store import Store, connect

T0 = datetime(2026, 3, 1, 10, 0)


# -- 1. interview notes in folders of folders -------------------------------------------------
def _note(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _filed_by_segment(root: Path) -> None:
    """Three notes filed by segment, plus what a notes folder also holds and is no note: a
    recording, a hidden draft, an editor's swap file and a hidden folder's note."""
    _note(root / "best" / "anna.md", '# Interview: customer C001 (best)\n> "Great quality."\n')
    _note(root / "worst" / "bob.md", '# Interview: customer C002 (worst)\n> "Too late."\n')
    _note(root / "prospects" / "2026" / "cleo.txt", '# Interview (prospect)\n> "Cheap?"\n')
    (root / "best" / "anna.m4a").write_bytes(b"\x00\x01 not text")
    _note(root / ".drafts" / "dora.md", '# Interview: customer C004 (best)\n> "Draft."\n')
    _note(root / "worst" / ".bob.md.swp", "swap")
    _note(root / ".eve.md", '# Interview: customer C005 (worst)\n> "Hidden."\n')


def test_a_folder_of_folders_imports_every_note_in_it(store: Store, tmp_path: Path) -> None:
    """Notes filed as ``best/``, ``worst/``, ``prospects/2026/`` are all imported, with the
    segment and customer of each; hidden files and folders and other file types are not."""
    _filed_by_segment(tmp_path / "notes")
    res = interviews.import_notes(store=store, paths=[tmp_path / "notes"])
    assert (res.files, res.imported, res.unchanged) == (3, 3, 0)
    stored = store.df(
        "SELECT interviewee, coalesce(customer_id, '-') AS customer_id, segment "
        "FROM interview_notes ORDER BY interviewee"
    )
    assert stored.to_dict("records") == [
        {"interviewee": "anna", "customer_id": "C001", "segment": "best"},
        {"interviewee": "bob", "customer_id": "C002", "segment": "worst"},
        {"interviewee": "cleo", "customer_id": "-", "segment": "prospect"},
    ]
    # the same folder again changes nothing
    again = interviews.import_notes(store=store, paths=[tmp_path / "notes"])
    assert (again.files, again.imported, again.unchanged) == (3, 0, 3)


def test_a_folders_notes_come_in_path_order(tmp_path: Path) -> None:
    """The order is by path inside the folder, whatever order the file system lists them in:
    the same folder imports the same way on every machine."""
    root = tmp_path / "notes"
    for name in ("z/02.md", "a/10.txt", "a/02.md", "m.md", "a/b/01.md"):
        _note(root / name, '# Interview\n> "Something said here."\n')
    found = interviews.notes_in_folder(root)
    assert [f.relative_to(root).as_posix() for f in found] == [
        "a/02.md",
        "a/10.txt",
        "a/b/01.md",
        "m.md",
        "z/02.md",
    ]


def test_two_subfolders_notes_of_one_name_are_refused(store: Store, tmp_path: Path) -> None:
    """The README's own example: ``best/01.md`` and ``worst/01.md`` name one interviewee "01",
    so the second would replace the first; refused, nothing stored. Before, the folder's
    subfolders were not read, and the import "succeeded" with 0 files."""
    root = tmp_path / "notes2"
    _note(root / "best" / "01.md", '# Interview 01: customer K0170 (best)\n> "Great boots."\n')
    _note(root / "worst" / "01.md", '# Interview 01: customer K0006 (worst)\n> "Too dear."\n')
    with pytest.raises(ShopperlensError, match="two notes of interviewee '01' in one import"):
        interviews.import_notes(store=store, paths=[root])
    assert store.scalar("SELECT count(*) FROM interview_notes") == 0


def test_a_folder_without_notes_is_refused_on_the_cli(
    cli: Any, db_path: Path, tmp_path: Path
) -> None:
    """A folder holding no note (only a recording and a hidden note) is an error that says
    what a note is, exit 1, nothing stored: it was "files 0, imported 0" and exit 0."""
    root = tmp_path / "empty"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "call.m4a").write_bytes(b"\x00")
    _note(root / ".hidden" / "01.md", '# Interview\n> "Not to be read."\n')
    res = cli("interviews", "import", str(root))
    assert res.exit_code == 1, res.output
    said = " ".join(res.output.split())
    assert f"no interview notes in {root}" in said and ".md and .txt files" in said
    assert "Traceback" not in res.output
    with connect(db_path) as store:
        assert store.scalar("SELECT count(*) FROM interview_notes") == 0


# -- 2. a prospect's reason names every part of its score ---------------------------------------
def _event(store: Store, n: int, session: str, name: str, customer: str) -> None:
    store.execute(
        "INSERT INTO events (event_id, session_id, customer_id, timestamp, event_name) "
        "VALUES (?, ?, ?, ?, ?)",
        [f"e{n}", session, customer, T0 + timedelta(minutes=n), name],
    )


def test_a_prospects_reason_names_every_part_of_its_score(store: Store) -> None:
    """Planted engagement (visits + views / 2 + 3 × carts + 2 × checkouts):

    k1: 1 visit, 1 view, 1 cart, 1 checkout            -> 1 + 0.5 + 3 + 2 = 6.5
    k2: 1 visit, 1 view, 1 cart                        -> 1 + 0.5 + 3     = 4.5
    k3: 2 visits, 3 views, 0 carts, 2 checkouts        -> 2 + 1.5 + 0 + 4 = 7.5

    k1 and k2 once had the same reason; each count now has its noun in the right number.
    """
    for cid in ("k1", "k2", "k3"):
        store.execute(
            "INSERT INTO customers (customer_id, email, accepts_marketing) VALUES (?, ?, true)",
            [cid, f"{cid}@example.com"],
        )
    store.execute("INSERT INTO customers (customer_id, email) VALUES ('buyer', 'b@example.com')")
    store.execute(
        "INSERT INTO orders (order_id, customer_id, ordered_at) VALUES ('o1', 'buyer', ?)", [T0]
    )
    planted = {
        "k1": [("s1", "view_item"), ("s1", "add_to_cart"), ("s1", "begin_checkout")],
        "k2": [("s2", "view_item"), ("s2", "add_to_cart")],
        "k3": [("s3", "view_item"), ("s3", "view_item"), ("s4", "view_item")]
        + [("s3", "begin_checkout"), ("s4", "begin_checkout")],
    }
    n = 0
    for cid, events in planted.items():
        for session, name in events:
            n += 1
            _event(store, n, session, name, cid)
    pros = interviews.recruit_prospects(store=store).set_index("customer_id")
    assert pros["score"].to_dict() == {"k3": 7.5, "k1": 6.5, "k2": 4.5}
    assert pros.loc["k1", "reason"] == "1 visit, 1 product view, 1 cart, 1 checkout, no order"
    assert pros.loc["k2", "reason"] == "1 visit, 1 product view, 1 cart, 0 checkouts, no order"
    assert pros.loc["k3", "reason"] == ("2 visits, 3 product views, 0 carts, 2 checkouts, no order")
    # the reason's counts give back the score: nothing that counts is left out of it
    for cid, row in pros.iterrows():
        counts = [float(part.split()[0]) for part in row["reason"].split(", ")[:4]]
        visits, views, carts, checkouts = counts
        assert visits + views / 2 + 3 * carts + 2 * checkouts == row["score"], cid


# -- 3. personas on answers too alike to split --------------------------------------------------
def _respondents(prefix: str, n: int, **answers: object) -> list[dict[str, object]]:
    """``n`` respondents ``prefix0…`` all giving ``answers`` (ids and free text aside)."""
    return [
        {
            "respondent": f"{prefix}{i}",
            "submitted_at": "2026-03-01",
            **answers,
            "why_buy": f"person {prefix}{i} says the boots are made well and last long",
        }
        for i in range(n)
    ]


SOPHIE = {
    "values": "sustainability",
    "age_bracket": "25-34",
    "gender": "female",
    "channels": "instagram;pinterest",
    "novelty": 4.0,
    "income": 50_000.0,
}


def _same(n: int = 40) -> pd.DataFrame:
    """A shop's ``same.csv``: every respondent gives one set of answers."""
    return pd.DataFrame(_respondents("s", n, **SOPHIE))


def _build(store: Store, frame: pd.DataFrame, k: int | str = "auto") -> tuple[Any, list[Any]]:
    """Build personas, returning the run (or the error) and the warnings the build raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            run: Any = svc.build(store=store, frame=frame, k=k, n_resamples=5)  # type: ignore[arg-type]
        except ShopperlensError as exc:
            run = exc
    return run, [w for w in caught if issubclass(w.category, ConvergenceWarning | RuntimeWarning)]


def test_identical_answers_are_one_profile_not_a_call_for_more_responses(store: Store) -> None:
    """40 identical answers were told "collect more responses": more of the same would not
    help. The message says what the data is, and nothing is stored."""
    err, caught = _build(store, _same())
    assert isinstance(err, InsufficientDataError)
    said = str(err)
    assert said.startswith("all 40 respondents gave the same answers: there is one profile")
    assert "collect more responses" not in said and "answer differently" in said
    assert store.scalar("SELECT count(*) FROM persona_runs") == 0
    assert caught == [], [str(w.message) for w in caught]


def test_nearly_identical_answers_say_so_not_just_more_responses(store: Store) -> None:
    """39 identical answers and one other: the service's own check lets two sets of answers
    through, and the clustering said only "collect more responses" (more of the same would not
    help). It now says that 39 of 40 answered alike."""
    frame = pd.DataFrame(
        _respondents("s", 39, **SOPHIE)
        + _respondents("o", 1, **{**SOPHIE, "values": "price", "age_bracket": "55-64"})
    )
    err, _ = _build(store, frame)
    assert isinstance(err, InsufficientDataError), err
    assert "39 of 40 respondents gave the same answers" in str(err)
    assert "who answer differently" in str(err)
    assert store.scalar("SELECT count(*) FROM persona_runs") == 0


def test_a_forced_k_on_identical_answers_is_refused_not_stored(store: Store) -> None:
    """``--k 3`` once stored ONE persona ("Steady Sophie", 100 %) under a run recording
    ``n_personas`` 3 and stability 1.00, with ConvergenceWarnings printed. Now refused in
    words, no run stored, and no warning reaches the user."""
    err, caught = _build(store, _same(), k=3)
    assert isinstance(err, InsufficientDataError), err
    assert "all 40 respondents gave the same answers: there is one profile, not 3" in str(err)
    assert store.scalar("SELECT count(*) FROM persona_runs") == 0
    assert caught == [], [str(w.message) for w in caught]


def test_a_forced_k_above_the_different_answers_is_refused(store: Store) -> None:
    """Two planted groups of 20 identical answers each: k=3 cannot be made (it once stored 2
    personas as a run of 3); k=2 finds the two groups exactly."""
    frame = pd.DataFrame(
        _respondents("a", 20, **SOPHIE)
        + _respondents("b", 20, **{**SOPHIE, "values": "price", "age_bracket": "55-64"})
    )
    err, caught = _build(store, frame, k=3)
    assert isinstance(err, InsufficientDataError), err
    assert "only 2 different sets of answers" in str(err) and "at most 2" in str(err)
    assert store.scalar("SELECT count(*) FROM persona_runs") == 0
    assert caught == []
    run, caught = _build(store, frame, k=2)
    assert run.n_personas == 2 and len(run.personas) == 2
    groups = svc.members(store=store).groupby("persona_id")["respondent"].apply(set)
    assert sorted(groups, key=min) == [{f"a{i}" for i in range(20)}, {f"b{i}" for i in range(20)}]
    assert caught == []


def test_auto_k_on_few_answer_patterns_finds_them_without_warnings(store: Store) -> None:
    """Three planted groups of 10 identical answers: auto tries k = 2…6, and k-means warned
    "Number of distinct clusters (3) found smaller than n_clusters (4)" for each k above 3
    (and each resample). The build finds the three groups, and no warning is shown."""
    frame = pd.DataFrame(
        _respondents("a", 10, **SOPHIE)
        + _respondents("b", 10, **{**SOPHIE, "values": "price", "age_bracket": "55-64"})
        + _respondents("c", 10, **{**SOPHIE, "values": "quality", "novelty": 1.0})
    )
    run, caught = _build(store, frame)
    assert not isinstance(run, Exception), run
    assert caught == [], [str(w.message) for w in caught]
    assert run.n_personas == 3 and len(run.personas) == 3
    groups = svc.members(store=store).groupby("persona_id")["respondent"].apply(set)
    assert sorted(groups, key=min) == [{f"{g}{i}" for i in range(10)} for g in ("a", "b", "c")]
