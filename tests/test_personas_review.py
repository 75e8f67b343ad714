"""Personas, reviewed: privacy on every face, honest figures, working links, safe paths.

Each test plants its own truth (who belongs where, who bought what, who refused consent) in a
small store or frame and checks the faces against it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import shopperlens
from conftest import TOKEN
from shopperlens.personas import normalise_answers, synthesise
from shopperlens.reports.persona_cards import render_card
from shopperlens.service import personas as svc
from shopperlens.service.overview import overview
from shopperlens.store import Store

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")


# -- planted respondents ------------------------------------------------------------------------
def _group(prefix: str, n: int, **answers: object) -> list[dict[str, object]]:
    """``n`` respondents ``prefix0…`` giving the same ``answers`` (a callable: per person)."""
    return [
        {
            "respondent": f"{prefix}{i}",
            "submitted_at": "2025-06-01",
            **{k: v(i) if callable(v) else v for k, v in answers.items()},
        }
        for i in range(n)
    ]


def _two_groups(customers: bool = True) -> pd.DataFrame:
    """20 outdoorsy price-minded respondents (a0…) and 20 stylish quality-minded ones (b0…),
    customers ``a0``… and ``b0``… (or anonymous), each with a free-text answer naming them."""
    rows = _group(
        "a",
        20,
        values="price",
        hobbies="outdoors",
        barrier="price",
        age_bracket="25-34",
        novelty=lambda i: 1.0 + (i % 2),
        why_buy=lambda i: f"words of person a{i}, cheap and sturdy",
    ) + _group(
        "b",
        20,
        values="quality",
        hobbies="fashion",
        barrier="trust",
        age_bracket="45-54",
        novelty=lambda i: 4.0 + (i % 2),
        why_buy=lambda i: f"words of person b{i}, beautiful things",
    )
    df = pd.DataFrame(rows)
    df.insert(1, "customer_id", df["respondent"] if customers else None)
    return df


def _members(run: svc.PersonaRun, store: Store) -> dict[int, set[str]]:
    m = svc.members(store=store, run_id=run.run_id)
    return {int(k): set(v) for k, v in m.groupby("persona_id")["respondent"]}


def _persona_of(run: svc.PersonaRun, store: Store, respondent: str):  # type: ignore[no-untyped-def]
    pid = next(k for k, v in _members(run, store).items() if respondent in v)
    return run.persona(pid)


# -- 1. a persona under the minimum group size shows nothing ------------------------------------
SECRET = ("falconry", "75-84", "UNIQUEQUOTE", "carrier pigeon")


def _with_a_tiny_group() -> pd.DataFrame:
    """30 + 27 respondents and a planted group of 3 whose every answer is unique to it."""
    rng = np.random.default_rng(0)
    rows = (
        _group(
            "r",
            30,
            values="price",
            age_bracket="25-34",
            gender="female",
            hobbies="cooking",
            income=lambda i: 30_000 + rng.normal(0, 2_000),
            novelty=1.0,
            channels="facebook",
            why_buy=lambda i: f"cheap enough for me, person {i}",
        )
        + _group(
            "s",
            27,
            values="quality",
            age_bracket="45-54",
            gender="male",
            hobbies="reading",
            income=lambda i: 60_000 + rng.normal(0, 2_000),
            novelty=3.0,
            channels="google",
            why_buy=lambda i: f"it lasts for years, person {i}",
        )
        + _group(
            "t",
            3,
            values="brand",
            age_bracket="75-84",
            gender="other",
            hobbies="falconry",
            income=lambda i: 250_000 + rng.normal(0, 2_000),
            novelty=5.0,
            channels="carrier_pigeon",
            why_buy=lambda i: f"UNIQUEQUOTE my falconry gear, person {i}",
        )
    )
    return pd.DataFrame(rows)


def _shows_nothing_of_the_tiny_group(text: str, where: str) -> None:
    for secret in SECRET:
        assert secret not in text.replace("_", " "), f"{where} shows {secret!r}"


def test_a_persona_under_the_minimum_shows_nothing_on_any_face(client, shop, tmp_path):  # type: ignore[no-untyped-def]
    from shopperlens.reports import write_report

    run = shop.personas_build(frame=_with_a_tiny_group(), k=3)
    small = [p for p in run.personas if p.suppressed]
    assert len(small) == 1, [(p.name, p.size) for p in run.personas]
    tiny = small[0]
    assert _members(run, shop.store)[tiny.persona_id] == {"t0", "t1", "t2"}
    # nothing about its members: no size, share, answers, channels, quotes, income, stability
    assert tiny.size is None and tiny.share is None and tiny.stability is None
    assert tiny.statements == [] and tiny.quotes == [] and tiny.channels == []
    assert tiny.profile == {} and tiny.income_adjusted is None and tiny.spend_shift is None
    assert "average" not in tiny.trait and "fewer than 5" in tiny.trait
    # ... on every face: the API, the dashboard, the report files
    api = client.get("/api/personas").json()
    card = next(p for p in api["personas"] if p["persona_id"] == tiny.persona_id)
    assert card["size"] is None and card["share"] is None and card["statements"] == []
    faces = {
        "api json": json.dumps(api),
        "api card": client.get(f"/api/personas/{tiny.persona_id}/card").text,
        "api markdown": client.get("/api/personas/markdown").text,
        "dashboard page": client.get("/dashboard/personas.html").text,
        "dashboard json": client.get("/dashboard/personas.json").text,
    }
    write_report(shop.store, tmp_path)
    faces |= {f.name: f.read_text() for f in tmp_path.iterdir() if f.is_file()}
    for where, text in faces.items():
        _shows_nothing_of_the_tiny_group(text, where)
    tiny_card = (tmp_path / f"persona-{tiny.name.lower().replace(' ', '-')}.html").read_text()
    assert "of respondents" not in tiny_card and "group too small" in tiny_card
    md = (tmp_path / "personas.md").read_text().split(f"## {tiny.name}")[1].split("\n## ")[0]
    assert "respondents (" not in md and "withheld" in md
    # the other two are described as usual
    assert all(p.size and p.statements for p in run.personas if not p.suppressed)


def test_a_suppressed_personas_size_is_not_reported_by_diff(shop):  # type: ignore[no-untyped-def]
    frame = _with_a_tiny_group()
    shop.personas_build(frame=frame, k=3)
    shop.personas_build(frame=frame, k=3)
    evo = shop.personas_diff()
    tiny = [c for c in evo.changes if c.current_name and c.current_name.startswith("Small")]
    assert len(tiny) == 1 and tiny[0].status == "stable"  # matched through its members
    assert tiny[0].current_size is None and tiny[0].previous_share is None
    assert all(c.current_size for c in evo.changes if c not in tiny)


# -- 2. a channel figure rests on at least the minimum number of its users ----------------------
def test_channel_advice_needs_the_minimum_number_of_users():
    """Group 0: 40 people on facebook and e-mail, ONE also on tiktok; group 1: 10 of 40 on
    tiktok. One person must not make "spend more on tiktok" for group 0."""
    channels = ["facebook;email;tiktok" if i == 0 else "facebook;email" for i in range(40)] + [
        "instagram;tiktok" if i < 10 else "instagram;email" for i in range(40)
    ]
    df = normalise_answers(
        pd.DataFrame(
            {
                "respondent": [f"r{i}" for i in range(80)],
                "values": ["price"] * 40 + ["quality"] * 40,
                "channels": channels,
            }
        )
    )
    labels = np.array([0] * 40 + [1] * 40)
    one, ten = synthesise(df, labels, min_group_size=5)
    tiktok = next(c for c in one.channels if c.channel == "tiktok")
    assert tiktok.advice == "hidden"
    assert tiktok.share is None and tiktok.index is None and tiktok.suggested_budget_share is None
    assert "tiktok" not in (one.spend_shift or "")
    shown = {c.channel: c for c in one.channels if c.advice != "hidden"}
    assert set(shown) == {"facebook", "email"}
    assert sum(c.suggested_budget_share or 0 for c in shown.values()) == pytest.approx(1.0)
    assert shown["facebook"].users == 40
    theirs = next(c for c in ten.channels if c.channel == "tiktok")
    assert theirs.users == 10 and theirs.share == pytest.approx(10 / 40)
    assert theirs.advice == "more"


# -- 3. cancelled, refunded and failed orders are no purchases ----------------------------------
def _order(store: Store, order_id: str, customer: str | None, status: str, *lines) -> None:  # type: ignore[no-untyped-def]
    store.execute(
        "INSERT INTO orders (order_id, customer_id, ordered_at, status) VALUES (?, ?, ?, ?)",
        [order_id, customer, "2025-03-01", status],
    )
    for no, (product, category, price) in enumerate(lines, start=1):
        store.execute(
            "INSERT INTO order_lines (order_id, line_no, product_id, product_name, category, "
            "quantity, unit_price) VALUES (?, ?, ?, ?, ?, 1, ?)",
            [order_id, no, product, product, category, price],
        )


def test_the_overview_counts_only_real_purchases(store):  # type: ignore[no-untyped-def]
    _order(store, "o1", "c1", "paid", ("Tent", "camping", 100.0))
    _order(store, "o2", "c1", "cancelled", ("Kayak", "water", 1000.0))
    _order(store, "o3", "c2", "Refunded", ("Boat", "water", 500.0))
    _order(store, "o4", "c3", "paid", ("Mug", "kitchen", 50.0))
    _order(store, "o5", "c3", "failed", ("Sail", "water", 70.0))
    _order(store, "o6", None, None, ("Lamp", "camping", 20.0))  # a guest order, no status
    shop = overview(store=store)
    assert shop.orders == 3 and shop.revenue == pytest.approx(170.0)
    assert shop.buyers == 2 and shop.repeat_share == 0.0  # c1 bought once, c2 never
    assert dict(shop.top_categories) == {"camping": 120.0, "kitchen": 50.0}
    assert [(m.orders, m.revenue) for m in shop.months] == [(3, 170.0)]


def _shop_orders(store: Store) -> None:
    """a0…a19 each buy a tent, a stove and a lamp; a0…a5 also the cheap GPS Watch (their 4th
    product by spend). b0…b19 each buy a mug, and a kayak in an order that was cancelled;
    b0's boat was refunded and b1's sail failed."""
    for i in range(20):
        lines = [("Tent", "camping", 300.0), ("Stove", "camping", 200.0), ("Lamp", "light", 150)]
        if i < 6:
            lines.append(("GPS Watch", "electronics", 20.0))
        _order(store, f"oa{i}", f"a{i}", "paid", *lines)
        _order(store, f"ob{i}", f"b{i}", "paid", ("Mug", "kitchen", 100.0))
        _order(store, f"ok{i}", f"b{i}", "cancelled", ("Kayak", "water", 1000.0))
    _order(store, "boat", "b0", "refunded", ("Boat", "water", 5000.0))
    _order(store, "sail", "b1", "failed", ("Sail", "water", 700.0))


def test_personas_count_only_real_purchases_and_every_product_bought(store):  # type: ignore[no-untyped-def]
    _shop_orders(store)
    run = svc.build(store=store, frame=_two_groups(), k=2, n_resamples=3)
    a, b = _persona_of(run, store, "a0"), _persona_of(run, store, "b0")
    assert _members(run, store)[a.persona_id] == {f"a{i}" for i in range(20)}
    revenue_a, revenue_b = 20 * 650 + 6 * 20, 20 * 100
    assert a.revenue_share == pytest.approx(revenue_a / (revenue_a + revenue_b))
    assert b.revenue_share == pytest.approx(revenue_b / (revenue_a + revenue_b))
    bought_b = {s.evidence.answer for s in b.statements if s.evidence.question == "products_bought"}
    assert bought_b == {"Mug"}  # never the cancelled kayak, refunded boat or failed sail
    # "buy GPS Watch" is the share of members who bought it: 6 of the 20 who bought anything
    watch = next(s for s in a.statements if s.evidence.answer == "GPS Watch")
    assert (watch.evidence.count, watch.evidence.n) == (6, 20)
    assert watch.evidence.overall == pytest.approx(6 / 40)


# -- 4. every link of every dashboard page works ------------------------------------------------
def _links(html: str) -> list[str]:
    hrefs = re.findall(r'href="([^"#]*)"', html)
    return [h for h in hrefs if h and "://" not in h and not h.startswith("mailto:")]


def test_every_dashboard_link_works_with_the_token_kept_in_a_cookie(shop, tmp_path):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from _demo_data import demo_shop
    from _types_shopkit import ShopKit
    from shopperlens.config import Settings
    from shopperlens.service.surveys import ensure_builtin
    from shopperlens.web.app import create_app
    from test_types_faces import story

    story(ShopKit()).write(shop.store)
    ensure_builtin(store=shop.store, name="demo-profile")
    demo_shop().survey_answers.to_csv(tmp_path / "answers.csv", index=False)
    shop.survey_import(tmp_path / "answers.csv", survey="demo-profile")
    svc.build(store=shop.store, survey="demo-profile", n_resamples=3)
    with TestClient(create_app(Settings(token=TOKEN), shop=shop)) as browser:
        assert browser.get("/dashboard/personas.md").status_code == 401  # no token yet
        assert browser.get(f"/dashboard/index.html?token={TOKEN}").status_code == 200
        status: dict[str, int] = {}
        todo = ["/dashboard/index.html"]
        while todo:
            url = todo.pop()
            if url in status:
                continue
            res = browser.get(url)
            status[url] = res.status_code
            if res.status_code == 200 and "text/html" in res.headers["content-type"]:
                base = url.rsplit("/", 1)[0]
                todo += [h if h.startswith("/") else f"{base}/{h}" for h in _links(res.text)]
    broken = {u: s for u, s in status.items() if s != 200}
    assert not broken, broken
    cards = [u for u in status if re.search(r"/dashboard/persona-[a-z-]+\.html$", u)]
    assert len(cards) == 4
    assert {"/dashboard/personas.md", "/dashboard/personas-run.json"} <= set(status)


# -- 5. names are words --------------------------------------------------------------------------
def test_an_age_bracket_never_becomes_a_name():
    """Two groups that differ only in their age bracket: "35-44" is no adjective."""
    df = normalise_answers(
        pd.DataFrame(
            {
                "respondent": [f"r{i}" for i in range(40)],
                "age_bracket": ["35-44"] * 20 + ["18-24"] * 20,
                "gender": ["female", "male"] * 20,
            }
        )
    )
    personas = synthesise(df, np.array([0] * 20 + [1] * 20))
    assert [p.section("who")[0].evidence.answer for p in personas] == ["35-44", "18-24"]
    for p in personas:
        assert not re.search(r"\d", p.name), p.name
        assert re.fullmatch(r"[A-Z][A-Za-z-]+", p.adjective), p.adjective
        assert p.first_name[0] == p.adjective[0]


# -- 6. a missing id is NULL, never the text 'nan' ------------------------------------------------
def test_no_persona_table_holds_the_text_nan(store):  # type: ignore[no-untyped-def]
    frame = _two_groups(customers=False)
    frame.loc[frame["respondent"].isin(["a3", "b7"]), "customer_id"] = ["a3", "b7"]
    svc.build(store=store, frame=frame, k=2, n_resamples=3)
    assert store.scalar("SELECT count(*) FROM persona_quotes WHERE customer_id IS NULL") > 0
    for table in ("persona_runs", "personas", "persona_quotes", "persona_members"):
        cols = store.df(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
            "AND data_type = 'VARCHAR'",
            [table],
        )["column_name"]
        for col in cols:
            n = store.scalar(f"SELECT count(*) FROM {table} WHERE lower(\"{col}\") = 'nan'")
            assert n == 0, f"{table}.{col} holds 'nan' {n} times"


# -- 7. the README names the demo's personas ------------------------------------------------------
def test_the_readme_names_the_personas_the_demo_gets(store):  # type: ignore[no-untyped-def]
    from _demo_data import demo_shop

    section = README.split("<!-- section:personas -->")[1].split("<!-- /section:personas -->")[0]
    said = re.search(r"alliterative name \(([^)]*)\s+on the demo shop\)", section)
    assert said, "the personas section no longer names the demo's personas"
    names = set(re.findall(r'"([A-Z][a-z]+ [A-Z][a-z]+)"', said.group(1)))
    run = svc.build(store=store, frame=demo_shop().survey_answers, n_resamples=3)
    assert names == {p.name for p in run.personas}


# -- 8. --out never creates missing folders -------------------------------------------------------
def with_types_and_personas(db_path: Path) -> Path:
    """A store at ``db_path`` with types (c1 loyal) and a persona run."""
    from _types_shopkit import ShopKit
    from test_types_faces import story

    with shopperlens.open(db_path) as shop:
        story(ShopKit()).write(shop.store)
        svc.build(store=shop.store, frame=_two_groups(), k=2, n_resamples=3)
    return db_path


@pytest.fixture
def built(db_path: Path) -> Path:
    return with_types_and_personas(db_path)


OUT_COMMANDS = {
    "personas cards": (("personas", "cards"), "cards"),
    "personas members": (("personas", "members"), "members.csv"),
    "report": (("report",), "site"),
    "audience export": (("audience", "export", "--type", "loyal", "--to", "csv"), "aud.csv"),
}


@pytest.mark.parametrize("command", sorted(OUT_COMMANDS))
def test_out_into_a_missing_folder_is_one_line_and_creates_nothing(cli, built, tmp_path, command):  # type: ignore[no-untyped-def]
    args, name = OUT_COMMANDS[command]
    missing = tmp_path / "missing" / "deeper"
    res = cli(*args, "--out", str(missing / name))
    said = " ".join(res.output.split())
    assert res.exit_code == 1, res.output
    assert "does not exist" in said and "Traceback" not in said
    assert not (tmp_path / "missing").exists()
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    res = cli(*args, "--out", str(blocker / "sub" / name))
    said = " ".join(res.output.split())
    assert res.exit_code == 1 and f"{blocker} is a file, not a folder" in said, res.output
    # into a folder that exists it works (the report and card folders themselves are made)
    res = cli(*args, "--out", str(tmp_path / name))
    assert res.exit_code == 0, res.output
    assert (tmp_path / name).exists()


# -- 9. erasing over HTTP by e-mail, and with both id and e-mail ---------------------------------
def _three_customers(store: Store) -> None:
    store.execute(
        "INSERT INTO customers (customer_id, email) VALUES ('c1', 'ann@example.com'), "
        "('c2', 'bob@example.com'), ('c3', 'carl@example.com')"
    )
    for c in ("c1", "c2", "c3"):
        _order(store, f"o-{c}", c, "paid", ("Tent", "camping", 100.0))


def _customers(store: Store) -> set[str]:
    return set(store.df("SELECT customer_id FROM customers")["customer_id"])


def test_http_erases_by_e_mail_and_refuses_an_id_and_e_mail_of_two_people(client, shop):  # type: ignore[no-untyped-def]
    _three_customers(shop.store)
    erase = "/api/privacy/erase"
    res = client.post(erase, json={"customer_id": "c2", "email": "carl@example.com"})
    assert res.status_code == 400 and "e-mail" in res.json()["detail"]
    assert _customers(shop.store) == {"c1", "c2", "c3"}  # nobody erased
    res = client.post(erase, json={"email": "ANN@example.com"})
    assert res.status_code == 200 and res.json()["rows_deleted"]["customers"] == 1
    assert _customers(shop.store) == {"c2", "c3"}
    res = client.post(erase, json={"customer_id": "c3", "email": "carl@example.com"})
    assert res.status_code == 200 and _customers(shop.store) == {"c2"}


# -- 10. "who they are" lists what sets a persona apart --------------------------------------
def test_traits_are_answers_given_more_often_than_overall():
    """Persona A (100): most common age 25-34 at 22 % against 26 % overall (under-represented),
    and 55-64 at 18 % against 4.5 % overall (four times as common, under a 20 % bar)."""
    ages_a = ["25-34"] * 22 + ["55-64"] * 18 + ["35-44"] * 20 + ["45-54"] * 20 + ["18-24"] * 20
    ages_b = ["25-34"] * 82 + ["35-44"] * 80 + ["45-54"] * 70 + ["18-24"] * 68
    df = normalise_answers(
        pd.DataFrame(
            {
                "respondent": [f"r{i}" for i in range(400)],
                "age_bracket": ages_a + ages_b,
                "values": ["price"] * 100 + ["quality"] * 300,
            }
        )
    )
    a = synthesise(df, np.array([0] * 100 + [1] * 300))[0]
    ages = [s.evidence for s in a.statements if s.evidence.question == "age_bracket"]
    assert [(e.answer, e.count, e.n) for e in ages] == [("55-64", 18, 100)]
    assert ages[0].overall == pytest.approx(18 / 400)
    assert all((s.evidence.value or 0) > (s.evidence.overall or 0) for s in a.statements)


# -- 12. no quotes from people who refused consent ------------------------------------------
def test_quotes_never_come_from_a_member_who_refused(store):  # type: ignore[no-untyped-def]
    """a0…a16 refused case studies (a1 after first agreeing); a17…a19 did not refuse (a17
    first refused, then agreed). Only a17…a19 may be quoted in their persona."""
    rows = [(f"a{i}", "case_study", False, "2025-02-01") for i in range(17)]
    rows += [("a1", "case_study", True, "2025-01-01"), ("a17", "case_study", False, "2025-01-01")]
    rows += [("a17", "case_study", True, "2025-02-01"), ("a18", "marketing", False, "2025-02-01")]
    for r in rows:
        store.execute("INSERT INTO consents VALUES (?, ?, ?, ?, 'test')", list(r))
    run = svc.build(store=store, frame=_two_groups(), k=2, n_resamples=3)
    a = _persona_of(run, store, "a0")
    quoted = {re.search(r"person (a\d+)", q.text).group(1) for q in a.quotes}  # type: ignore[union-attr]
    assert quoted and quoted <= {"a17", "a18", "a19"}
    stored = store.df("SELECT customer_id FROM persona_quotes")["customer_id"]
    assert not set(stored) & {f"a{i}" for i in range(17)}
    assert "refused consent" in render_card(run, a)  # the card says where quotes come from


def test_interview_words_of_a_member_who_refused_are_not_quoted():
    df = normalise_answers(_two_groups())
    notes = pd.DataFrame(
        {
            "customer_id": ["a0", "a1"],
            "text": ["I refused, do not quote me please", "Happy to be quoted about tents"],
        }
    )
    a = synthesise(df, np.array([0] * 20 + [1] * 20), interviews=notes, unquotable={"a0"})[0]
    heard = [q.text for q in a.quotes if q.source == "interview"]
    assert heard == ["Happy to be quoted about tents"]
    assert not any("person a0," in q.text for q in a.quotes)


# -- and the customer-type mix shows no type held by fewer than the minimum ---------------------
def test_a_customer_type_of_fewer_than_the_minimum_is_not_in_the_mix():
    """18 loyal and 2 impulse customers: the 2 are not a figure (10 %) on the card."""
    df = normalise_answers(_two_groups())
    df["customer_type"] = ["loyal"] * 18 + ["impulse"] * 2 + ["new"] * 20
    a = synthesise(df, np.array([0] * 20 + [1] * 20))[0]
    assert a.types_mix == {"loyal": pytest.approx(0.9)}
