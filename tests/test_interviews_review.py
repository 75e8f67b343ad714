"""Review findings on interview notes, low ratings and the analytics cross-check, each
against a hand-built shop or note whose answer is known.

* who a note is about comes from its title or ``customer_id:`` / ``segment:`` lines, never the
  prose ("What she liked best", "The customer said");
* themes match whole words ("later" is not delivery, "last time" not quality);
* interview quotes are masked like persona quotes (no e-mail address, no phone number);
* a 0–10 scale's low ratings are 0–2.5, not 1–3.25;
* GA4 country names and ISO country codes in shop data compare as the same country.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from shopperlens.service import audience, interviews, surveys
from shopperlens.surveys import interviews as notes
from shopperlens.surveys.definition import Question, Survey

#: two interview notes, as written
BAD_CUSTOMER_NOTE = """# Interview 11: customer C10826 (bad customer)
Date: 2025-11-02
What she liked best: nothing much.

> "The boots fell apart after a month, and support never answered my email anna@example.com."
> "Call me on +31 6 1234 5678 if you want to know more."
"""
PROSPECT_NOTE = """# Interview 12 (prospect)

The customer said she would order later, last time the news was good.
> "I will probably order later this year, last time I looked it was fine."
"""
#: sentences that name no theme, though their words begin like theme words ("later" /
#: "late", "last time" / "last", "time", "news" / "new", "economy" / "eco", "timer")
NEUTRAL = [
    "I will probably order later this year, last time I looked it was fine.",
    "The news was good, every time I read the newsletter.",
    "The economy class seats were narrow, and the countdown timer was odd.",
    "Lately I have been reading a lot at home.",
]


def _import(store, tmp_path: Path, **files: str):
    folder = tmp_path / "notes"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / f"{name}.md").write_text(text, "utf-8")
    return interviews.import_notes(store=store, paths=[folder])


def _stored(store) -> dict[str, tuple[str | None, str | None]]:
    rows = store.execute("SELECT interviewee, customer_id, segment FROM interview_notes")
    return {name: (cid, segment) for name, cid, segment in rows.fetchall()}


# -- who the note is about ----------------------------------------------------------------------
def test_segment_comes_from_the_title_not_from_the_prose(store, tmp_path):
    _import(store, tmp_path, n1=BAD_CUSTOMER_NOTE, n2=PROSPECT_NOTE)
    assert _stored(store) == {"n1": ("C10826", "worst"), "n2": (None, "prospect")}


def test_customer_id_only_from_an_explicit_id_pattern(store):
    # "The customer said" in the prose is no customer id; "customer since" in a title is not
    # either (no digit, not a customer of the shop)
    assert notes.parse_note("n2", PROSPECT_NOTE).customer_id is None
    assert notes.parse_note("t", "# Interview: customer since 2019\n").customer_id is None
    assert notes.parse_note("t", "# Interview 4: customer since 2019\n").segment is None
    # explicit lines near the top win over the title, and name the segment too
    explicit = "# Interview 07\n\n*Customer ID:* C0042 · *Segment:* bad customer\n\nShe said no."
    note = notes.parse_note("t", explicit)
    assert (note.customer_id, note.segment) == ("C0042", "worst")
    # a "segment:" line is not read from deep inside the note
    deep = "# Interview 08: customer C7\n" + "text.\n" * 12 + "segment: best\n"
    assert notes.parse_note("t", deep).segment is None


def test_a_customer_id_without_a_digit_is_taken_when_the_shop_knows_it(store, tmp_path):
    store.execute("INSERT INTO customers (customer_id, email) VALUES ('anna', 'a@example.com')")
    _import(
        store,
        tmp_path,
        known="# Interview 21: customer anna (best customer)\n\nShe loves it.\n",
        unknown="# Interview 22: customer bob (best customer)\n\nHe loves it.\n",
        line="# Interview 23\ncustomer_id: anna\nsegment: prospect\n\nMaybe.\n",
    )
    assert _stored(store) == {
        "known": ("anna", "best"),
        "unknown": (None, "best"),
        "line": ("anna", "prospect"),
    }


# -- themes ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("sentence", NEUTRAL)
def test_neutral_sentences_touch_no_theme(sentence):
    assert notes.tag(sentence) == []


@pytest.mark.parametrize(
    ("sentence", "theme"),
    [
        ("The parcel arrived late.", "delivery"),
        ("It was delivered in two days.", "delivery"),
        ("Deliveries are slow here.", "delivery"),
        ("Reordering saves time.", "convenience"),
        ("A one-click checkout, please.", "convenience"),
        ("These boots lasted for years.", "quality"),
        ("The prices went up.", "price"),
        ("I saw the new colour on TikTok.", "novelty"),
        ("The eco-friendly box was nice.", "sustainability"),
    ],
)
def test_theme_words_still_match_whole_words_and_stems(sentence, theme):
    assert theme in notes.tag(sentence)


def test_a_neutral_sentence_is_no_theme_quote(client, tmp_path):
    note = (
        "# Interview 12: customer C12 (prospect)\n\n"
        + "".join(f'> "{s}"\n' for s in NEUTRAL)
        + '> "Shipping took two weeks, far too late."\n'
    )
    res = client.post("/api/interviews/notes", files=[("files", ("n.md", note, "text/markdown"))])
    assert res.status_code == 200, res.text
    themes = {t["theme"]: t["quote"] for t in client.get("/api/interviews/themes").json()}
    assert themes == {"delivery": "Shipping took two weeks, far too late."}


# -- quotes are masked ----------------------------------------------------------------------------
def test_interview_quotes_and_themes_mask_emails_and_phone_numbers(client, shop):
    files = [("files", ("n1.md", BAD_CUSTOMER_NOTE, "text/markdown"))]
    assert client.post("/api/interviews/notes", files=files).status_code == 200
    quotes = [t["quote"] for t in client.get("/api/interviews/themes").json()]
    stored = shop.store.df("SELECT quote FROM interview_tags")["quote"].tolist()
    assert quotes and stored
    for text in quotes + stored:
        assert "anna@example.com" not in text and "1234 5678" not in text, text
    assert any("[e-mail]" in q for q in quotes)


def test_themes_mask_quotes_stored_before_masking(store):
    # a tag row as an earlier version stored it: the quote as written
    store.execute(
        "INSERT INTO interview_notes VALUES ('n', 'old', 'C1', 'worst', 'old.md', 'x', "
        "'> \"Support never answered.\"', NULL, now())"
    )
    store.execute(
        "INSERT INTO interview_tags VALUES ('n', 'C1', 'service', "
        "'Support never answered, mail me at bo@example.org or +31 6 8765 4321.')"
    )
    quote = interviews.interview_themes(store=store)["quote"].iloc[0]
    assert quote == "Support never answered, mail me at [e-mail] or [number]."


# -- low ratings on a scale starting at 0 ---------------------------------------------------------
def test_low_ratings_on_a_0_to_10_scale_are_the_lowest_quarter(store):
    questions = [Question(id="nps", kind="scale", text="Recommend us?", min=0, max=10)]
    questions += [
        Question(id=f"q{i}", kind="text", text=f"Question {i}?", group="mindset") for i in range(6)
    ]
    surveys.save_survey(store=store, survey=Survey(name="nps", title="NPS", questions=questions))
    # lowest quarter of 0..10 is 0..2.5: c0 (0) and c2 (2) are low, c3 (3) and c10 (10) not
    for cid, value in [("c0", 0.0), ("c2", 2.0), ("c3", 3.0), ("c10", 10.0)]:
        store.execute(
            "INSERT INTO survey_responses (response_id, survey, version, respondent, customer_id,"
            " channel, submitted_at) VALUES (?, 'nps', 1, ?, ?, 'api', now())",
            [f"r-{cid}", f"r-{cid}", cid],
        )
        store.execute(
            "INSERT INTO survey_answers VALUES (?, 'nps', 0, NULL, ?)", [f"r-{cid}", value]
        )
    assert interviews.low_ratings(store=store).to_dict() == {"c0": 1.0, "c2": 1.0}
    assert interviews.low_rating_cut(questions[0]) == 2.5


# -- analytics: names against codes ---------------------------------------------------------------
GA4_COUNTRY = """# ----------------------------------------
# Demographic details: Country
# Account: Test shop
# Property: Test shop - GA4
# ----------------------------------------
#
# Start date: 20260101
# End date: 20260331
Country,Active users,New users,Engaged sessions
Netherlands,"5,000",4000,6000
Germany,3000,2500,3600
Belgium,2000,1600,2400
(not set),40,30,50
"""


def _country_shop(store, tmp_path: Path, countries: dict[str, int]) -> None:
    """Customers with ISO country codes who answered the demo survey (no country question)."""
    surveys.ensure_builtin(store=store)
    rows, k = [], 0
    for code, n in countries.items():
        for _ in range(n):
            store.execute(
                "INSERT INTO customers (customer_id, email, country) VALUES (?, ?, ?)",
                [f"c{k}", f"c{k}@example.com", code],
            )
            rows.append(f"r{k},c{k},25-34,single,price,3,ok")
            k += 1
    f = tmp_path / "answers.csv"
    f.write_text(
        "respondent,customer_id,age_bracket,marital_status,values,novelty,why_buy\n"
        + "\n".join(rows)
        + "\n"
    )
    surveys.import_survey_csv(store=store, survey="demo-profile", path=f)
    ga4 = tmp_path / "ga4_country.csv"
    ga4.write_text(GA4_COUNTRY)
    audience.import_analytics(store=store, path=ga4)


def _country_findings(store):
    found = audience.analytics_check(store=store, survey="demo-profile")
    return [f for f in found if f.dimension == "country"]


def test_ga4_country_names_agree_with_iso_codes_of_the_same_mix(store, tmp_path):
    # the shop's respondents: 50 % NL, 30 % DE, 20 % BE, as GA4's visitors (100 of them: with
    # 50, a gap of 0 could still be 17 points by chance, so agreement could not be told)
    _country_shop(store, tmp_path, {"NL": 50, "DE": 30, "BE": 20})
    (finding,) = _country_findings(store)
    assert finding.kind == "agreement", finding.message
    assert finding.survey_share == pytest.approx(finding.analytics_share)


def test_a_real_country_gap_is_named_by_country_name(store, tmp_path):
    # respondents 100 % German against 30 % of visitors
    _country_shop(store, tmp_path, {"DE": 30})
    (finding,) = _country_findings(store)
    assert finding.kind == "contradiction"
    assert "survey: 100 % country Germany; ga4: 30 % of visitors country Germany" in (
        finding.message
    )


def test_other_dimensions_compare_in_one_spelling():
    from shopperlens.surveys.crosscheck import canonical

    assert canonical("country", "the Netherlands") == canonical("country", "NL") == "NL"
    assert canonical("language", "English (United States)") == canonical("language", "en-US")
    assert canonical("gender", "Woman") == canonical("gender", "female") == "female"
    assert canonical("device", "Smartphone") == "mobile"
    assert canonical("age_bracket", "18 – 24") == "18-24"
    assert canonical("age_bracket", "65 and over") == "65+"
    assert canonical("country", "(not set)") == "unknown"


def test_a_language_question_in_codes_agrees_with_ga4_language_names(store, tmp_path):
    # 60 % answer nl and 40 % en; GA4 counts 60 % Dutch and 40 % English
    questions = [
        Question(id="language", kind="single", text="Language?", choices=["en", "nl"]),
        *[Question(id=f"q{i}", kind="text", text=f"Q{i}?", group="mindset") for i in range(6)],
    ]
    surveys.save_survey(store=store, survey=Survey(name="lang", title="L", questions=questions))
    for i in range(100):  # 50 could not tell a 0-point gap from 16 points
        surveys.submit_response(
            store=store, survey="lang", answers={"language": "nl" if i < 60 else "en"}
        )
    ga4 = tmp_path / "ga4_language.csv"
    ga4.write_text("# Demographic details: Language\nLanguage,Active users\nDutch,60\nEnglish,40\n")
    audience.import_analytics(store=store, path=ga4)
    found = audience.analytics_check(store=store, survey="lang")
    found = [f for f in found if f.dimension == "language"]
    assert [f.kind for f in found] == ["agreement"], [f.message for f in found]


def test_uploads_named_alike_are_both_read_or_refused(shop):
    """Two uploads named `interview.md` overwrote each other and the first was reported
    "unchanged"; a file named `..` gave a 500."""
    from fastapi.testclient import TestClient

    from shopperlens.config import Settings
    from shopperlens.web.app import create_app

    auth = {"Authorization": "Bearer t"}
    alike = [
        ("files", ("01.md", b"> Delivery was late.\n")),
        ("files", ("01.md", b"> The price is fair.\n")),
    ]
    with TestClient(create_app(Settings(token="t"), shop=shop)) as c:
        res = c.post("/api/interviews/notes", files=alike, headers=auth)
        assert res.status_code == 400 and "two notes of interviewee '01'" in res.text
        assert shop.store.count("interview_notes") == 0
        named = [("files", ("anna.md", alike[0][1][1])), ("files", ("bert.md", alike[1][1][1]))]
        res = c.post("/api/interviews/notes", files=named, headers=auth)
        assert res.status_code == 200 and res.json()["imported"] == 2, res.text
        res = c.post("/api/interviews/notes", files=[("files", ("..", b"> Fine.\n"))], headers=auth)
        assert res.status_code == 200, res.text
        res = c.post(
            "/api/imports/customers",
            files={"file": (".", b"customer_id,email\nk1,k1@example.org\n")},
            headers=auth,
        )
        assert res.status_code == 200, res.text
    people = shop.store.execute("SELECT interviewee FROM interview_notes ORDER BY 1").fetchall()
    assert [p[0] for p in people] == ["anna", "bert", "upload-0"]


def test_a_store_of_customers_alone_is_told_what_each_list_needs(shop, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Customers without orders, consents or sign-ups: it said "import orders (or customers
    and events) first", though the customers were imported; the lists need buyers, and
    prospects who consented or signed up."""
    from shopperlens.errors import ShopperlensError
    from shopperlens.service.interviews import NO_ONE_TO_RECRUIT

    path = tmp_path / "c.csv"
    path.write_text("customer_id,email,created_at\nC1,a@x.org,2025-01-01\n")
    shop.import_customers(path)
    with pytest.raises(ShopperlensError) as err:
        shop.interviews_recruit(5)
    assert str(err.value) == NO_ONE_TO_RECRUIT
    assert "import orders" in str(err.value) and "marketing consent or signed up" in str(err.value)
