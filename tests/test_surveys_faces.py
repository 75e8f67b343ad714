"""The surveys concern through its faces: CLI, HTTP (public and private), Python, report;
plus the CSV import contract, interviews and the analytics cross-check."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shopperlens.errors import ShopperlensError
from shopperlens.service import audience, interviews, surveys

GA4 = Path(__file__).parent / "data" / "ga4_audience"


def _export(tmp_path: Path, rows: list[str], name: str = "export.csv") -> Path:
    f = tmp_path / name
    f.write_text(
        "respondent,customer_id,age_bracket,marital_status,values,novelty,why_buy\n"
        + "\n".join(rows)
        + "\n"
    )
    return f


def test_cli_create_import_results_snippet(cli, tmp_path):
    res = cli("survey", "create", "demo-profile")
    assert res.exit_code == 0, res.output
    assert "17 questions" in res.output
    res = cli("survey", "create", "tiny", "--from-bank", "age_bracket,values")
    assert res.exit_code == 0 and "fewer than 7" in res.output
    f = _export(tmp_path, [f"r{i},,25-34,single,price;quality,{1 + i % 5},cheap" for i in range(8)])
    res = cli("import", "survey", str(f), "--survey", "demo-profile")
    assert res.exit_code == 0, res.output
    assert "8 of 8 responses" in res.output
    assert "imported before" in cli("import", "survey", str(f), "--survey", "demo-profile").output
    res = cli("survey", "results", "demo-profile", "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["respondents"] == 8
    res = cli(
        "survey", "popup-snippet", "demo-profile", "--question", "what_stopped", "--trigger", "exit"
    )
    assert res.exit_code == 0
    assert '<script src="http://127.0.0.1:8000/s/popup.js" data-survey="demo-profile"' in res.output
    assert 'data-trigger="exit"' in res.output
    assert cli("survey", "popup-snippet", "demo-profile", "--trigger", "never").exit_code == 1
    assert "name: demo-profile" in cli("survey", "show", "demo-profile").output
    assert cli("survey", "show", "nope").exit_code == 1


def test_csv_import_rejects_are_located_and_atomic(store, tmp_path):
    surveys.ensure_builtin(store=store)
    f = _export(
        tmp_path,
        [
            "r1,,25-34,single,price,3,ok",
            "r2,,99-99,single,price,3,ok",
            "r3,,25-34,single,price;caviar,9,ok",
            "r1,,25-34,single,price,3,dup",
        ],
    )
    with pytest.raises(ShopperlensError, match="nothing imported") as err:
        surveys.import_survey_csv(store=store, survey="demo-profile", path=f)
    assert "export.csv:3 age_bracket='99-99'" in str(err.value)
    assert store.count("survey_responses") == 0
    rejects = (tmp_path / "export.csv.rejects.csv").read_text().splitlines()
    assert rejects[0] == "file,line,column,value,reason"
    assert {r.split(",")[2] for r in rejects[1:]} == {
        "age_bracket",
        "values",
        "novelty",
        "respondent",
    }
    res = surveys.import_survey_csv(store=store, survey="demo-profile", path=f, on_error="skip")
    assert (res.rows_read, res.rows_accepted, res.rows_rejected) == (4, 1, 3)
    # a corrected export replaces the same respondents instead of duplicating them
    g = _export(
        tmp_path, ["r1,,35-44,married,brand,5,fixed", "r2,,25-34,single,price,3,ok"], "fixed.csv"
    )
    surveys.import_survey_csv(store=store, survey="demo-profile", path=g)
    frame = surveys.responses_frame(store=store, survey="demo-profile")
    assert sorted(frame["respondent"]) == ["r1", "r2"]
    r1 = frame.set_index("respondent").loc["r1"]
    assert r1["values"] == ["brand"] and r1["novelty"] == 5.0 and r1["age_bracket"] == "35-44"
    with pytest.raises(ShopperlensError, match="columns not in survey"):
        bad = tmp_path / "bad.csv"
        bad.write_text("respondent,shoe_size\nr1,44\n")
        surveys.import_survey_csv(store=store, survey="demo-profile", path=bad)


def test_public_endpoints_cors_rate_limit_and_escaping(shop):
    from fastapi.testclient import TestClient

    from shopperlens.config import Settings
    from shopperlens.web.app import create_app

    surveys.ensure_builtin(store=shop.store)
    settings = Settings(
        token="t", secret_key="k", allowed_origins=["https://shop.example"], survey_rate_limit=5
    )
    with TestClient(create_app(settings, shop=shop)) as c:
        ok = c.post(
            "/s/demo-profile/responses",
            json={"answers": {"novelty": 3}},
            headers={"Origin": "https://shop.example"},
        )
        assert ok.status_code == 201
        assert ok.headers["access-control-allow-origin"] == "https://shop.example"
        evil = c.post(
            "/s/demo-profile/responses",
            json={"answers": {"novelty": 3}},
            headers={"Origin": "https://evil.example"},
        )
        assert evil.status_code == 403
        pre = c.options(
            "/s/demo-profile/responses",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
        assert pre.status_code == 403
        assert c.get("/s/nope/definition.json").status_code == 404
        codes = [
            c.post("/s/demo-profile/responses", json={"answers": {"novelty": 3}}).status_code
            for _ in range(6)
        ]
        assert codes.count(429) >= 2 and "429" not in str(codes[:3])
        # the private API needs the token; the public one does not
        assert c.get("/api/surveys").status_code == 401
        assert c.get("/api/surveys", headers={"Authorization": "Bearer t"}).json()[0]["name"] == (
            "demo-profile"
        )
    # text that merely mentions a comparison is fine; markup is refused, and the form page
    # renders whatever is stored escaped
    shop.survey_submit("demo-profile", {"why_buy": "price < 20 & quality > brand"})
    with pytest.raises(ShopperlensError):
        shop.survey_submit("demo-profile", {"why_buy": "<script>alert(1)</script>"})


def test_report_page_escapes_answers(shop, tmp_path):
    from shopperlens.reports.pages_surveys import build
    from shopperlens.reports.site import environment

    surveys.ensure_builtin(store=shop.store)
    texts = ["cheap & fast delivery < 3 days", "bargain price < 20 euro, cheap"]
    for i in range(6):
        shop.survey_submit(
            "demo-profile",
            {"why_buy": f"{texts[i % 2]} (answer {i})", "values": ["price"], "income": 50000 + i},
        )
    ctx = build(shop.store)
    assert ctx is not None and ctx["results"]["income"]["adjusted_mean"] == pytest.approx(
        0.9 * 50002.5
    )
    from shopperlens.reports.site import Page

    page = Page(slug="surveys", title="Surveys", template="surveys.html", build=build)
    html = (
        environment()
        .get_template("surveys.html")
        .render(**ctx, page=page, nav=[], report_title="t", generated="now")
    )
    assert "&lt; 3 days" in html and "< 3 days" not in html


def test_interviews_recruit_invite_and_tag(store, tmp_path):
    for i in range(30):
        store.execute(
            "INSERT INTO customers (customer_id, email, accepts_marketing) VALUES (?, ?, true)",
            [f"c{i:02d}", f"c{i:02d}@example.com"],
        )
        for k in range(1 + i % 4):
            store.execute(
                "INSERT INTO orders (order_id, customer_id, ordered_at) VALUES (?, ?, now())",
                [f"o{i}-{k}", f"c{i:02d}"],
            )
            store.execute(
                "INSERT INTO order_lines VALUES (?, 1, 'p', 'P', 'x', 1, ?, NULL)",
                [f"o{i}-{k}", 10.0 * (i + 1)],
            )
    for i in range(5):  # c00..c04 complain; c00 most
        for j in range(5 - i):
            store.execute(
                "INSERT INTO tickets (ticket_id, customer_id, created_at) VALUES (?, ?, now())",
                [f"t{i}-{j}", f"c{i:02d}"],
            )
    picked = interviews.recruit(store=store, n=3, best_by="revenue")
    best = picked[picked["segment"] == "best"]["customer_id"].tolist()
    worst = picked[picked["segment"] == "worst"]["customer_id"].tolist()
    assert best == ["c27", "c23", "c19"]  # 4 orders of 10 x (i + 1) each: the planted top
    assert worst[0] == "c00" and len(worst) == 3
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "interview-01.md").write_text(
        "# Interview 01: customer c00 (bad customer)\n\n*Date:* 2026-03-02\n\n"
        '> "Shipping took two weeks and nobody answered my support ticket."\n\n'
        '> "The price was fine, I just want to trust the delivery date."\n'
    )
    (notes / "interview-02.txt").write_text(
        "Interview with customer c27 (good customer)\n"
        'She said "I love that the packaging is recycled and plastic free" and '
        '"reordering takes me one click, that saves time".\n'
    )
    res = interviews.import_notes(store=store, paths=[notes])
    assert (res.files, res.imported, res.quotes) == (2, 2, 4)
    assert interviews.import_notes(store=store, paths=[notes]).unchanged == 2
    tags = store.df("SELECT * FROM interview_tags")
    by = tags.groupby("customer_id")["theme"].apply(set)
    assert {"delivery", "service", "price", "trust"} <= by["c00"]
    assert {"sustainability", "convenience"} <= by["c27"]
    themes = interviews.interview_themes(store=store).set_index("theme")
    assert themes.loc["delivery", "worst"] == 1
    assert store.scalar("SELECT segment FROM interview_notes WHERE customer_id = 'c27'") == "best"


def test_analytics_import_and_cross_check_flags_contradictions(store, tmp_path):
    surveys.ensure_builtin(store=store)
    for f in ("ga4_age.csv", "ga4_gender.csv", "ga4_device.csv"):
        audience.import_analytics(store=store, path=GA4 / f)
    audience.import_analytics(
        store=store, path=GA4 / "competitor_audience.csv", source="competitor", name="rival"
    )
    aud = audience.audience(store=store)
    ga4_age = aud[(aud["source"] == "ga4") & (aud["dimension"] == "age_bracket")]
    assert ga4_age.set_index("value").loc["18-24", "share"] == pytest.approx(1200 / 2000)
    assert aud[(aud["dimension"] == "device") & (aud["value"] == "mobile")]["users"].iloc[0] == 2100
    # 20 respondents: 90 % married, mostly 45+
    rows = [
        f"r{i},,{'45-54' if i % 2 else '55-64'},{'married' if i < 18 else 'single'},price,3,x"
        for i in range(20)
    ]
    surveys.import_survey_csv(store=store, survey="demo-profile", path=_export(tmp_path, rows))
    found = audience.analytics_check(store=store, survey="demo-profile")
    text = [f.message for f in found if f.kind == "contradiction"]
    assert any("90 % married" in m and "60 % of visitors aged 18–24" in m for m in text), text
    assert any(f.dimension == "age_bracket" and f.source == "competitor:rival" for f in found)
    with pytest.raises(ShopperlensError, match="not a known dimension"):
        bad = tmp_path / "weird.csv"
        bad.write_text("# x\nShoe size,Active users\n44,3\n")
        audience.import_analytics(store=store, path=bad)


def test_python_and_http_agree(shop, client):
    surveys.ensure_builtin(store=shop.store)
    shop.survey_submit("demo-profile", {"novelty": 4, "values": ["price"]})
    shop.survey_submit("demo-profile", {"novelty": 2, "values": ["brand", "price"]})
    py = shop.survey_results("demo-profile")
    http = client.get("/api/surveys/demo-profile/results").json()
    assert http["respondents"] == py.respondents == 2
    assert http["distributions"] == json.loads(py.model_dump_json())["distributions"]
    assert client.get("/api/surveys/demo-profile/popup-snippet").text.startswith("<script")
    params = {"types": "need-based,lookers", "days": 7}
    # targeting is signed with the server's key (the public check verifies it): none, refused
    refused = client.get("/api/surveys/demo-profile/popup-snippet", params=params)
    assert refused.status_code == 400 and "SHOPPERLENS_SECRET_KEY" in refused.json()["detail"]
    settings = client.app.state.settings
    client.app.state.settings = settings.model_copy(update={"secret_key": "k"})
    targeted = client.get(
        "/api/surveys/demo-profile/popup-snippet", params=params
    ).text  # the options the CLI has, over HTTP too
    client.app.state.settings = settings
    assert 'data-target="need_based,looker.' in targeted and 'data-days="7"' in targeted
    assert len(client.get("/api/surveys/demo-profile/responses").json()) == 2


def test_popup_targeting_by_customer_type(shop):
    """The pop-up asks /eligible first: only visitors of the targeted types (signed into the
    snippet, never named by the caller), never twice; the answer is only yes or no."""
    from fastapi.testclient import TestClient

    from shopperlens.config import Settings
    from shopperlens.demo import generate, load
    from shopperlens.service import types
    from shopperlens.surveys.snippet import script_tag
    from shopperlens.web.app import create_app

    def target(*kinds: str) -> str:
        tag = surveys.popup_snippet(
            store=shop.store, public_url="x", survey="demo-profile", types=list(kinds),
            secret_key="k",
        )  # fmt: skip
        return tag.split('data-target="')[1].split('"')[0]

    load(shop.store, generate(seed=7, n_customers=150))
    surveys.ensure_builtin(store=shop.store)
    with TestClient(create_app(Settings(token="t", secret_key="k"), shop=shop)) as c:
        url = "/s/demo-profile/eligible"
        looker = target("looker")
        assert c.get(url, params={"visitor_id": "v1", "target": looker}).json()["show"] is False
        typed = types.customer_types(store=shop.store)
        lookers = typed[(typed["type"] == "looker") & typed["visitor_id"].notna()]
        loyal = typed[(typed["type"] == "loyal") & typed["visitor_id"].notna()]
        c.app.state.survey_types_index = None  # a new types run: refresh
        v_looker, v_loyal = lookers["visitor_id"].iloc[0], loyal["visitor_id"].iloc[0]
        both = target("looker", "impulse")
        assert c.get(url, params={"visitor_id": v_looker, "target": both}).json() == {"show": True}
        assert c.get(url, params={"visitor_id": v_loyal, "target": looker}).json() == {
            "show": False
        }
        # types as people write them; an unknown one is refused, not silently never shown
        said = c.get(url, params={"visitor_id": v_looker, "target": target("Lookers", "impulse")})
        assert said.json() == {"show": True}
        with pytest.raises(ShopperlensError, match="unknown customer type"):
            target("bogus")
        # the caller cannot pick the types
        assert c.get(url, params={"visitor_id": v_loyal, "types": "loyal"}).json() == {
            "show": False
        }
        c.post(
            "/s/demo-profile/responses",
            json={"answers": {"novelty": 2}, "visitor_id": v_looker, "channel": "popup"},
        )
        assert c.get(url, params={"visitor_id": v_looker}).json() == {"show": False}
    tag = script_tag("https://s.example", "demo-profile", target="looker,impulse.sig")
    assert 'data-target="looker,impulse.sig"' in tag


def test_definition_file_through_cli_and_http(cli, client, tmp_path):
    spec = tmp_path / "boots.yaml"
    spec.write_text(
        "name: boots\ntitle: Boots survey\n"
        "from_bank: [age_bracket, gender, education, occupation, income, values, barrier]\n"
        "questions:\n"
        '  - {id: boot_use, kind: multi, text: "What for?", choices: [hiking, city]}\n'
    )
    res = cli("survey", "create", "boots", "--from", str(spec))
    assert res.exit_code == 0 and "8 questions" in res.output, res.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\ntitle: x\nquestions:\n  - {id: q, kind: single, text: t}\n")
    res = cli("survey", "create", "bad", "--from", str(bad))
    assert res.exit_code == 1 and "distinct choices" in res.output
    made = client.post(
        "/api/surveys",
        json={
            "definition": {"name": "web", "title": "Web", "from_bank": ["age_bracket", "values"]}
        },
    )
    assert made.status_code == 201 and made.json()["version"] == 1
    assert any("fewer than 7" in w for w in made.json()["warnings"])
    assert client.get("/api/surveys/web").json()["questions"][1]["id"] == "values"


def test_response_quotas_per_survey_and_channel(shop):
    from fastapi.testclient import TestClient

    from shopperlens.config import Settings
    from shopperlens.surveys.definition import demo_profile
    from shopperlens.web.app import create_app

    survey = demo_profile().model_copy(update={"name": "q", "quotas": {"total": 3, "popup": 1}})
    surveys.save_survey(store=shop.store, survey=survey)
    with TestClient(create_app(Settings(token="t"), shop=shop)) as c:
        post = lambda ch: c.post("/s/q/responses", json={"answers": {"novelty": 1}, "channel": ch})  # noqa: E731
        assert [post("popup").status_code, post("popup").status_code] == [201, 410]
        closed = post("popup").json()
        assert closed["quota"] == "popup" and "quota" not in closed["detail"]
        assert [post("link").status_code, post("link").status_code] == [201, 201]
        assert post("link").status_code == 410
    assert shop.store.scalar("SELECT count(*) FROM survey_responses WHERE survey = 'q'") == 3


def test_personal_link_form_answers_once(shop):
    from fastapi.testclient import TestClient

    from shopperlens.config import Settings
    from shopperlens.service import survey_delivery
    from shopperlens.surveys import links
    from shopperlens.web.app import create_app

    surveys.ensure_builtin(store=shop.store)
    shop.store.execute("INSERT INTO customers (customer_id, email) VALUES ('c1', 'a@b.c')")
    inv = survey_delivery.invite(store=shop.store, survey="demo-profile", customer_ids=["c1"])[0]
    token = links.sign(inv, "demo-profile", "k")
    with TestClient(create_app(Settings(token="t", secret_key="k"), shop=shop)) as c:
        page = c.get("/s/demo-profile", params={"t": token}).text
        assert f'name="token" value="{token}"' in page
        form = {"token": token, "novelty": "4", "values": ["price", "brand"], "website": ""}
        first = c.post("/s/demo-profile/responses", data=form, follow_redirects=False)
        assert first.status_code == 303 and first.headers["location"] == "/s/demo-profile/thanks"
        again = c.post("/s/demo-profile/responses", data=form, follow_redirects=False)
        assert again.status_code == 409 and "already used" in again.text
        assert again.headers["content-type"].startswith("text/html")
        bad = c.post("/s/demo-profile/responses", data={"novelty": "9"}, follow_redirects=False)
        assert bad.status_code == 422 and "Please check" in bad.text
    frame = surveys.responses_frame(store=shop.store, survey="demo-profile")
    assert list(frame["customer_id"]) == ["c1"] and frame["values"][0] == ["price", "brand"]


def test_uploads_over_http(shop, client, tmp_path):
    surveys.ensure_builtin(store=shop.store)
    csv_text = "respondent,age_bracket,values\nr1,25-34,price;brand\nr2,65+,quality\n"
    res = client.post(
        "/api/surveys/demo-profile/import", files={"file": ("export.csv", csv_text, "text/csv")}
    )
    assert res.status_code == 200 and res.json()["rows_accepted"] == 2
    bad = client.post(
        "/api/surveys/demo-profile/import",
        files={"file": ("bad.csv", "respondent,age_bracket\nr9,7\n", "text/csv")},
    )
    assert bad.status_code == 400 and "age_bracket" in bad.json()["detail"]
    note = '# Interview: customer c1 (good customer)\n\n> "Fast delivery, fair price."\n'
    res = client.post("/api/interviews/notes", files=[("files", ("n1.md", note, "text/markdown"))])
    assert res.json()["imported"] == 1 and res.json()["quotes"] == 1
    ga4 = (GA4 / "ga4_age.csv").read_text()
    res = client.post("/api/analytics/import", files={"file": ("ga4_age.csv", ga4, "text/csv")})
    assert res.json()["dimensions"] == ["age_bracket"]
    assert client.get("/api/analytics/check").status_code == 200


def test_interests_cross_check_by_rank(store, tmp_path):
    surveys.ensure_builtin(store=store)
    audience.import_analytics(store=store, path=GA4 / "ga4_interests.csv")
    f = tmp_path / "h.csv"
    f.write_text(
        "respondent,hobbies\n"
        + "".join(f"r{i},outdoors;travel\n" for i in range(27))
        + "".join(f"r{i},gaming\n" for i in range(27, 30))
    )
    surveys.import_survey_csv(store=store, survey="demo-profile", path=f)
    found = [x for x in audience.analytics_check(store=store) if x.dimension == "interests"]
    # outdoors and travel are named alike (90 % each): travel ranks high in GA4, outdoors last
    assert len(found) == 1 and found[0].kind == "note", found[0].message
    assert "outdoors (90 %) and travel (90 %) about as often" in found[0].message


def test_cli_interviews_and_analytics(cli, tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "i1.md").write_text(
        '# Interview: customer c1 (bad customer)\n\n> "Delivery was late."\n'
    )
    res = cli("interviews", "import", str(notes))
    assert res.exit_code == 0 and "delivery" in res.output, res.output
    assert cli("interviews", "recruit").exit_code == 1  # no orders yet: a clear error
    res = cli("analytics", "import", str(GA4 / "ga4_gender.csv"))
    assert res.exit_code == 0 and "gender" in res.output, res.output
    cli("survey", "create", "demo-profile")
    f = _export(
        tmp_path, [f"r{i},,25-34,{('married', 'single')[i % 2]},price,3,ok" for i in range(30)]
    )
    cli("import", "survey", str(f), "--survey", "demo-profile")
    assert cli("analytics", "import", str(GA4 / "ga4_age.csv")).exit_code == 0
    res = cli("analytics", "check", "--json")
    assert res.exit_code == 0, res.output
    assert {f["dimension"] for f in json.loads(res.output)} == {"age_bracket", "marital_status"}
    assert "survey: 100 % aged 25–34" in cli("analytics", "check").output


def test_server_side_fatigue_for_visitors(shop):
    from fastapi.testclient import TestClient

    from shopperlens.config import Settings
    from shopperlens.surveys.definition import demo_profile
    from shopperlens.web.app import create_app

    surveys.ensure_builtin(store=shop.store)
    surveys.save_survey(store=shop.store, survey=demo_profile().model_copy(update={"name": "b"}))
    with TestClient(create_app(Settings(token="t", survey_fatigue_days=30), shop=shop)) as c:
        assert c.get("/s/b/eligible", params={"visitor_id": "v9"}).json()["show"] is True
        c.post("/s/demo-profile/responses", json={"answers": {"novelty": 3}, "visitor_id": "v9"})
        got = c.get("/s/b/eligible", params={"visitor_id": "v9"}).json()
        assert got == {"show": False}  # the reason stays on the server
    why = surveys.popup_eligibility(
        store=shop.store, survey="b", visitor_id="v9", types=None, fatigue_days=30
    )
    assert why == (False, "answered a survey in the last 30 days")


def test_import_accepts_question_texts_and_choice_labels(store, tmp_path):
    """Survey tools print question texts as headers and choice labels, not ids and codes."""
    surveys.ensure_builtin(store=store)
    f = tmp_path / "forms.csv"
    f.write_text(
        "Timestamp,Respondent ID,How old are you?,What almost stopped you from buying?,"
        "What matters most to you when you buy?\n"
        "2026-03-01 10:00:00,a1,25-34,Shipping cost,Price;Sustainability\n"
    )
    res = surveys.import_survey_csv(store=store, survey="demo-profile", path=f)
    assert res.rows_accepted == 1
    row = surveys.responses_frame(store=store, survey="demo-profile").iloc[0]
    assert (row["respondent"], row["barrier"]) == ("a1", "shipping_cost")
    assert row["values"] == ["price", "sustainability"]
    assert str(row["submitted_at"]) == "2026-03-01 10:00:00"


def test_import_refuses_two_columns_for_one_question_and_empty_rows(store, tmp_path):
    """Two headers naming one question made the last one win silently; a row answering
    nothing replaced a respondent's earlier answers with none; a repeat of a rejected row was
    refused as a repeat, so the respondent's good row was lost too."""
    surveys.ensure_builtin(store=store)
    twice = tmp_path / "twice.csv"
    twice.write_text("respondent,gender,What is your gender?\na1,female,male\n")
    with pytest.raises(ShopperlensError, match="'gender' and 'What is your gender\\?'"):
        surveys.import_survey_csv(store=store, survey="demo-profile", path=twice)
    surveys.import_survey_csv(
        store=store, survey="demo-profile", path=_csv(tmp_path, "first.csv", "a2,18-24,2")
    )
    f = tmp_path / "answers.csv"
    f.write_text(
        "respondent,age_bracket,novelty\n"
        "a1,25-34,4\n"
        "a2,,\n"  # answers nothing: a2's earlier answers stay
        "a3,25-34,99\n"  # out of range: rejected
        "a3,25-34,3\n"  # its corrected repeat
    )
    res = surveys.import_survey_csv(store=store, survey="demo-profile", path=f, on_error="skip")
    assert (res.rows_accepted, res.rows_rejected) == (2, 1)
    frame = surveys.responses_frame(store=store, survey="demo-profile").set_index("respondent")
    assert sorted(frame.index) == ["a1", "a2", "a3"] and frame.loc["a3", "novelty"] == 3
    assert frame.loc["a2", "age_bracket"] == "18-24"


def _csv(directory: Path, name: str, *rows: str) -> Path:
    path = directory / name
    path.write_text("respondent,age_bracket,novelty\n" + "\n".join(rows) + "\n")
    return path


def _said(res) -> str:  # type: ignore[no-untyped-def]
    """A CLI result's output on one line (Rich wraps long messages at the terminal width)."""
    return " ".join(res.output.split())


def _binary(tmp_path: Path, name: str = "rand.bin") -> Path:
    """Random bytes (seeded): not UTF-8, as an upload of the wrong file would be."""
    import random

    f = tmp_path / name
    f.write_bytes(random.Random(7).randbytes(4000))
    return f


def test_analytics_import_names_a_binary_or_empty_file(cli, client, tmp_path):
    """Binary bytes once gave HTTP 500 (UnicodeDecodeError), an empty competitor CSV HTTP 500
    (pandas' EmptyDataError), and the CLI "unexpected …" with exit 2."""
    rand, empty = _binary(tmp_path), tmp_path / "empty.csv"
    empty.write_bytes(b"")
    for f, source, says in (
        (rand, "ga4", "not a UTF-8 text file"),
        (rand, "competitor", "not a UTF-8 text file"),
        (empty, "competitor", "the file is empty"),
        (empty, "ga4", "the file is empty"),
    ):
        res = client.post(
            "/api/analytics/import",
            params={"source": source},
            files={"file": (f.name, f.read_bytes(), "text/csv")},
        )
        assert res.status_code == 400, res.text
        assert res.json()["detail"].startswith(f"{f.name}: {says}")
        res = cli("analytics", "import", str(f), "--source", source)
        assert res.exit_code == 1 and f"{f.name}: {says}" in _said(res), res.output
    broken = tmp_path / "broken.csv"
    broken.write_text('dimension,value,share\nage,"18-24,3\n')
    res = cli("analytics", "import", str(broken), "--source", "competitor")
    assert res.exit_code == 1 and "broken.csv: not a readable CSV" in _said(res), res.output
    assert client.get("/api/analytics/audience").json() == []


def test_interview_notes_must_be_text(shop, cli, client, tmp_path):
    """Binary bytes were once stored as a note with hundreds of junk "quotes" that fed the
    personas; a binary or empty file is now refused by name and nothing is stored."""
    rand, empty = _binary(tmp_path), tmp_path / "empty.csv"
    empty.write_bytes(b"")
    good = ("n1.md", '# Interview: customer c1\n\n> "Fast delivery, fair price."\n', "text/plain")
    for f in (rand, empty):
        files = [("files", good), ("files", (f.name, f.read_bytes(), "text/csv"))]
        res = client.post("/api/interviews/notes", files=files)
        assert res.status_code == 400, res.text
        assert res.json()["detail"].startswith(f"{f.name}: ")
        res = cli("interviews", "import", str(f))
        assert res.exit_code == 1 and f.name in res.output, res.output
    assert "not a UTF-8 text file" in _said(cli("interviews", "import", str(rand)))
    assert "the file is empty" in _said(cli("interviews", "import", str(empty)))
    nul = tmp_path / "nul.txt"
    nul.write_bytes(b"customer c1\x00\x00\x00 said hello there, friend")
    with pytest.raises(ShopperlensError, match="nul.txt: not a text file"):
        interviews.import_notes(store=shop.store, paths=[nul])
    assert shop.store.count("interview_notes") == 0  # the good note was not stored either
    assert shop.store.count("interview_tags") == 0


def test_recruit_refuses_negative_counts_on_every_face(shop, cli, client):
    """``--n -1`` was used as a slice and returned every customer as "best"."""
    for i in range(3):
        shop.store.execute(
            "INSERT INTO orders (order_id, customer_id, ordered_at) VALUES (?, ?, now())",
            [f"o{i}", f"c{i}"],
        )
        shop.store.execute(
            "INSERT INTO order_lines VALUES (?, 1, 'p', 'P', 'x', 1, 10.0, NULL)", [f"o{i}"]
        )
    # 1 best and 1 worst: without tickets or returns the worst is the least valuable buyer
    assert len(shop.interviews_recruit(1, prospects=0)) == 2
    with pytest.raises(ShopperlensError, match=r"n \(how many best and worst customers\)"):
        shop.interviews_recruit(-1)
    with pytest.raises(ShopperlensError, match="prospects must be a whole number of 0 or more"):
        interviews.recruit(store=shop.store, prospects=-2)
    with pytest.raises(ShopperlensError, match="best_by must be one of"):
        interviews.recruit(store=shop.store, best_by="luck")
    for params in ({"n": -1}, {"prospects": -1}):
        res = client.get("/api/interviews/recruit", params=params)
        assert res.status_code == 400 and "0 or more; got -1" in res.json()["detail"], res.text
    for flag in ("--n", "--prospects"):
        res = cli("interviews", "recruit", flag, "-1")
        assert res.exit_code == 1 and "0 or more; got -1" in _said(res), res.output


def test_missing_versions_questions_and_surveys_are_named(cli, client):
    assert cli("survey", "create", "demo-profile").exit_code == 0
    res = cli("survey", "show", "demo-profile", "--version", "99")
    assert res.exit_code == 1, res.output
    assert "survey 'demo-profile' has no version 99; its versions: 1" in _said(res)
    assert "no survey named" not in _said(res)
    assert cli("survey", "show", "demo-profile", "--version", "0").exit_code == 1
    assert "name: demo-profile" in cli("survey", "show", "demo-profile", "--version", "1").output
    res = cli("survey", "popup-snippet", "nope")
    assert res.exit_code == 1 and "no survey named 'nope'" in res.output, res.output
    res = cli("survey", "popup-snippet", "demo-profile", "--question", "shoe_size")
    assert res.exit_code == 1, res.output
    assert "survey 'demo-profile' has no question 'shoe_size'; its questions: " in _said(res)
    res = cli("survey", "link", "nope")
    assert res.exit_code == 1 and "no survey named 'nope'" in res.output, res.output
    res = cli("survey", "link", "demo-profile")
    assert res.exit_code == 0 and res.output.strip().endswith("/s/demo-profile")
    assert client.get("/api/surveys/nope/popup-snippet").status_code == 404
    surveys.ensure_builtin(store=client.app.state.shop.store)
    res = client.get("/api/surveys/demo-profile/popup-snippet", params={"question": "x"})
    assert res.status_code == 400 and "has no question 'x'" in res.json()["detail"]


def test_a_target_signed_under_another_key_is_logged_once(shop, caplog):
    """The visitor gets only ``false``; the shop's log says why a targeted pop-up shows to
    nobody (a server without the key the snippet was made with), once per survey."""
    import logging

    from fastapi.testclient import TestClient

    from shopperlens.config import Settings
    from shopperlens.web.app import create_app
    from shopperlens.web.routes import survey_public

    surveys.ensure_builtin(store=shop.store)
    tag = surveys.popup_snippet(
        store=shop.store, public_url="x", survey="demo-profile", types=["looker"],
        secret_key="k1",
    )  # fmt: skip
    target = tag.split('data-target="')[1].split('"')[0]
    survey_public._WARNED.discard("demo-profile")
    url = "/s/demo-profile/eligible"
    with (
        caplog.at_level(logging.WARNING, logger="shopperlens.web"),
        TestClient(create_app(Settings(token="t", secret_key="k2"), shop=shop)) as c,
    ):
        for _ in range(3):
            res = c.get(url, params={"visitor_id": "v1", "target": target})
            assert res.json() == {"show": False}
    said = [r.getMessage() for r in caplog.records if "not signed by this server" in r.getMessage()]
    assert len(said) == 1 and "another SHOPPERLENS_SECRET_KEY" in said[0]


def test_a_binary_file_is_not_imported_as_survey_answers(shop, client, tmp_path):
    """Bytes that are not UTF-8 were read as Latin-1 and their junk quoted back as "columns
    not in survey"; like every other import, the file is now said not to be UTF-8 text."""
    surveys.ensure_builtin(store=shop.store)
    junk = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\xc3\x28"
    res = client.post(
        "/api/surveys/demo-profile/import", files={"file": ("photo.csv", junk, "text/csv")}
    )
    assert res.status_code == 400 and "photo.csv: not a UTF-8 text file" in res.json()["detail"]
    assert "IHDR" not in res.text and shop.store.count("survey_responses") == 0
    latin = tmp_path / "latin.csv"
    latin.write_bytes("respondent,age_bracket\nRené,25-34\n".encode("latin-1"))
    with pytest.raises(ShopperlensError, match="latin.csv: not a UTF-8 text file"):
        surveys.import_survey_csv(store=shop.store, survey="demo-profile", path=latin)


def test_a_link_or_target_with_non_ascii_characters_is_not_ours_not_a_500(shop):
    """``hmac.compare_digest`` refuses non-ASCII ``str``: a visitor's ``é`` (or a lone
    surrogate a JSON body can carry) in a survey link or a pop-up target was a 500 on the
    public endpoints. They are forged links and unsigned targets like any other."""
    from fastapi.testclient import TestClient

    from shopperlens.config import Settings
    from shopperlens.web.app import create_app

    surveys.ensure_builtin(store=shop.store)
    app = create_app(Settings(token="t", secret_key="k"), shop=shop)
    with TestClient(app, raise_server_exceptions=False) as c:
        for token in ('"é.abc"', '"x.é"', '"\\ud800.abc"'):
            body = '{"answers": {"novelty": 3}, "token": ' + token + "}"
            res = c.post(
                "/s/demo-profile/responses",
                content=body,
                headers={"content-type": "application/json"},
            )
            assert res.status_code == 400 and "not valid" in res.text, (token, res.text)
        shown = c.get("/s/demo-profile/eligible", params={"target": "looker.é", "visitor_id": "v"})
        assert shown.status_code == 200 and shown.json() == {"show": False}
    assert shop.store.count("survey_responses") == 0


def test_a_misspelt_key_is_refused_not_ignored(shop):
    """`"type"` for `"types"` selected every customer, and `"dryrun"` for `"dry_run"` really
    sent the e-mails; a misspelt question key vanished from the stored survey."""
    from fastapi.testclient import TestClient

    from shopperlens.config import Settings
    from shopperlens.surveys.definition import demo_profile, survey_from_dict
    from shopperlens.web.app import create_app

    surveys.save_survey(store=shop.store, survey=demo_profile().model_copy(update={"name": "m"}))
    shop.store.execute("INSERT INTO customers (customer_id, email) VALUES ('c1', 'a@b.c')")
    headers = {"Authorization": "Bearer t"}
    with TestClient(create_app(Settings(token="t", secret_key="k"), shop=shop)) as c:
        for body, key in [
            ({"audience": {"type": ["looker"]}, "dry_run": True}, "type"),
            ({"audience": {"customers": ["c1"]}, "dryrun": True}, "dryrun"),
        ]:
            res = c.post("/api/surveys/m/send", json=body, headers=headers)
            assert res.status_code == 422 and key in res.text
        res = c.post("/api/personas/build", json={"survey": "m", "kk": 3}, headers=headers)
        assert res.status_code == 422 and "kk" in res.text
    assert shop.store.scalar("SELECT count(*) FROM survey_invitations") == 0
    q = demo_profile().model_dump()["questions"][0] | {"requird": True}
    with pytest.raises(ShopperlensError, match="requird"):
        survey_from_dict({"name": "x", "title": "x", "questions": [q]})
    with pytest.raises(ShopperlensError, match="quota"):
        survey_from_dict({"name": "x", "title": "x", "from_bank": ["age_bracket"], "quota": {}})


def test_cli_results_show_percentages_numbers_and_crosstabs(cli, tmp_path):
    """The CLI's table showed shares as 0.3 and left out the cross-tabs by customer type and
    the numbers' quartiles its help promises (they were in the JSON only)."""
    cli("survey", "create", "demo-profile")
    rows = [
        f"r{i},,25-34,{'single' if i < 3 else 'married'},price,{1 + i % 5},ok" for i in range(10)
    ]
    cli("import", "survey", str(_export(tmp_path, rows)), "--survey", "demo-profile")
    res = cli("survey", "results", "demo-profile")
    assert res.exit_code == 0, res.output
    out = " ".join(res.output.split())
    assert "│ marital_status │ single │ 3 │ 30 % │" in out
    assert "│ marital_status │ married │ 7 │ 70 % │" in out
    # novelty answers 1, 2, 3, 4, 5 twice, sorted 1 1 2 2 3 3 4 4 5 5: mean and median 3, and
    # the lower quartile falls between the two 2s, the upper between the two 4s
    assert "numbers (mean, median, quartiles)" in out
    assert "│ novelty │ 10 │ 3 │ 3 │ 2 │ 4 │" in out
    assert "marital_status by customer type" in out


def _interests_found(store, tmp_path: Path, interests: dict[str, int], hobbies: dict[str, int]):  # type: ignore[no-untyped-def]
    """The interests finding for a GA4 interests report (``category: active users``) and
    survey answers naming one hobby each (``hobby: respondents``)."""
    surveys.ensure_builtin(store=store)
    report = tmp_path / "ga4_interests.csv"
    report.write_text(
        "Interests,Active users\n" + "".join(f"{k},{v}\n" for k, v in interests.items())
    )
    audience.import_analytics(store=store, path=report)
    answers = tmp_path / "h.csv"
    people = [hobby for hobby, n in hobbies.items() for _ in range(n)]
    answers.write_text(
        "respondent,hobbies\n" + "".join(f"r{i},{h}\n" for i, h in enumerate(people))
    )
    surveys.import_survey_csv(store=store, survey="demo-profile", path=answers)
    (found,) = [x for x in audience.analytics_check(store=store) if x.dimension == "interests"]
    return found


def test_interests_count_each_ga4_category_once_and_say_what_they_leave_out(store, tmp_path):
    """``Sports & Fitness/Outdoor Enthusiasts`` counted for fitness and for outdoors, which
    pushed travel out of the visitors' top three and made a 42-against-40 survey lead a
    contradiction; the top interest no hobby names went unmentioned."""
    interests = {
        "Shoppers/Value Shoppers": 900,
        "Sports & Fitness/Outdoor Enthusiasts": 700,
        "Travel/Travel Buffs": 500,
        "Media & Entertainment/Gamers": 300,
        "Sports & Fitness/Health & Fitness Buffs": 200,
    }
    found = _interests_found(
        store, tmp_path, interests, {"travel": 42, "fitness": 40, "outdoors": 18}
    )
    assert found.kind == "agreement", found.message
    assert "(travel, 42 %) is among the top interests" in found.message
    assert "about as many name fitness 40 %" in found.message
    assert "not compared, no survey hobby matches: Shoppers/Value Shoppers" in found.message


def test_a_question_nobody_answered_is_named_in_a_note(shop, tmp_path):
    """Its rows showed counts of 0 and a blank share without a word."""
    surveys.ensure_builtin(store=shop.store)
    rows = [f"r{i},,25-34,single,price,{1 + i % 5},ok" for i in range(10)]
    surveys.import_survey_csv(store=shop.store, survey="demo-profile", path=_export(tmp_path, rows))
    notes = shop.survey_results("demo-profile").notes
    (said,) = [n for n in notes if n.startswith("nobody answered")]
    assert "what_stopped" in said and "marital_status" not in said and "novelty" not in said


def test_interview_themes_count_prospects_and_referrals_too(store, tmp_path):
    """Their notes were imported and counted in ``notes`` but in no column of their own."""
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a.md").write_text('# Interview: customer c1 (prospect)\n\n> "Delivery was late."\n')
    (notes / "b.md").write_text('# Interview: c2 (referral)\n\n> "The delivery came fast."\n')
    (notes / "c.md").write_text('# Interview: c3 (bad customer)\n\n> "Delivery took weeks."\n')
    interviews.import_notes(store=store, paths=[notes])
    row = interviews.interview_themes(store=store).set_index("theme").loc["delivery"]
    assert (row.notes, row.best, row.worst, row.prospects, row.referrals) == (3, 0, 1, 1, 1)


def test_a_tie_at_the_top_of_the_hobbies_is_said_as_such(store, tmp_path):
    """41 name outdoors, 40 cooking; GA4's top interest is cooking, outdoors its last: the
    survey's first place is a tie, neither agreement nor contradiction."""
    interests = {
        "Food & Dining/Cooking Enthusiasts": 900,
        "Travel/Travel Buffs": 800,
        "Media & Entertainment/Book Lovers": 700,
        "Lifestyles & Hobbies/Outdoor Enthusiasts": 100,
    }
    found = _interests_found(
        store, tmp_path, interests, {"outdoors": 41, "cooking": 40, "reading": 19}
    )
    assert found.kind == "note", found.message
    assert found.message.startswith(
        "interests: respondents name outdoors (41 %) and cooking (40 %) about as often; cooking "
        "is among the top interests in ga4, outdoors is not"
    )
