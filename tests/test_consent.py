"""Marketing consent: one rule everywhere, and an orders file's newer "no" withdraws a "yes".

c1 said yes when they signed up (customers file) and no at a later checkout (orders file);
c2 said no, then yes at checkout; c3 withdrew in the preference centre after their last order
(a consent record newer than the orders file) and stays withdrawn; c4 never changed.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from _ingest_data import write
from shopperlens.errors import ShopperlensError
from shopperlens.service import consent, playbooks, survey_delivery

CUSTOMERS = """customer_id,email,created_at,accepts_marketing
c1,a@example.org,2024-01-01,true
c2,b@example.org,2024-01-01,false
c3,c@example.org,2024-01-01,true
c4,d@example.org,2024-01-01,true
"""

ORDERS = """order_id,customer_id,ordered_at,product_id,quantity,unit_price,accepts_marketing
o1,c1,2024-02-01,p1,1,10,true
o2,c1,2024-03-01,p1,1,10,false
o3,c2,2024-03-01,p1,1,10,yes
o4,c3,2024-03-01,p1,1,10,true
o5,c4,2024-03-01,p1,1,10,true
"""


def _shop(shop, tmp_path):  # type: ignore[no-untyped-def]
    shop.import_customers(write(tmp_path, "c.csv", CUSTOMERS))
    shop.store.execute(
        "INSERT INTO consents VALUES ('c3', 'marketing', false, ?, 'preference centre')",
        [datetime(2024, 4, 1)],
    )
    return shop.import_orders(write(tmp_path, "o.csv", ORDERS))


def test_an_orders_file_records_the_consent_it_changes(shop, tmp_path):
    res = _shop(shop, tmp_path)
    assert res.added.get("consents") == 2
    rows = shop.store.execute(
        "SELECT customer_id, granted, recorded_at, source FROM consents "
        "WHERE source LIKE 'orders%' ORDER BY 1"
    ).fetchall()
    assert rows == [
        ("c1", False, datetime(2024, 3, 1), "orders: o.csv"),
        ("c2", True, datetime(2024, 3, 1), "orders: o.csv"),
    ]
    assert consent.allowed(store=shop.store) == {"c2", "c4"}
    # the same orders in another file change nothing more
    again = shop.import_orders(write(tmp_path, "o2.csv", ORDERS + "\n"))
    assert "consents" not in again.added


def test_every_mailing_and_audience_follows_the_same_rule(shop, tmp_path):
    _shop(shop, tmp_path)
    assert survey_delivery.consenting(store=shop.store) == {"c2", "c4"}
    aud = playbooks.audience_customers(store=shop.store).set_index("customer_id")
    assert set(aud.index[aud.marketing_consent]) == {"c2", "c4"}


def test_referral_candidates_follow_the_same_rule(shop, tmp_path):
    import pandas as pd

    _shop(shop, tmp_path)
    loyal = pd.DataFrame({"customer_id": ["c1", "c2", "c3", "c4"], "type": ["loyal"] * 4})
    report = playbooks.retention_report(store=shop.store, types=loyal)
    assert set(report["referral"].customer_id) == {"c2", "c4"}


def test_an_older_orders_file_imported_late_is_no_newer_word(shop, tmp_path):
    head = "order_id,customer_id,ordered_at,product_id,quantity,unit_price,accepts_marketing\n"
    shop.import_orders(write(tmp_path, "new.csv", head + "n1,k1,2024-05-01,p1,1,10,true\n"))
    shop.import_orders(write(tmp_path, "old.csv", head + "m1,k1,2024-01-01,p1,1,10,false\n"))
    shop.import_customers(
        write(tmp_path, "c.csv", "customer_id,created_at,accepts_marketing\nk2,2024-06-01,true\n")
    )
    shop.import_orders(write(tmp_path, "guest.csv", head + "g1,k2,2024-01-15,p1,1,10,false\n"))
    assert shop.store.execute("SELECT count(*) FROM consents").fetchone()[0] == 0
    assert consent.allowed(store=shop.store) == {"k1", "k2"}


# -- consent records by hand and from files: review findings -----------------------------------
def _people(shop, *ids: str):  # type: ignore[no-untyped-def]
    shop.store.execute("INSERT INTO customers (customer_id) SELECT unnest(?)", [list(ids)])


def _case_study(shop) -> set[str]:  # type: ignore[no-untyped-def]
    return consent.allowed(store=shop.store, purposes=["case_study"])


HEAD = "customer_id,purpose,granted,source\n"


def test_a_reimported_undated_row_does_not_bring_back_a_withdrawn_consent(shop, tmp_path):
    _people(shop, "C10030", "C10031")
    row = "C10030,case_study,yes,signed form\n"
    shop.consent_import(write(tmp_path, "m1.csv", HEAD + row))
    shop.consent_set("C10030", purpose="case_study", granted=False, source="cli")
    res = shop.consent_import(write(tmp_path, "m2.csv", HEAD + row + "C10031,case_study,yes,x\n"))
    assert (res.added, res.unchanged, res.superseded) == (1, 1, 1)
    assert _case_study(shop) == {"C10031"}
    assert [r.granted for r in shop.consents("C10030")] == [False, True]


def test_an_undated_row_without_a_source_restates_the_same_answer(shop, tmp_path):
    _people(shop, "C1")
    head = "customer_id,purpose,granted"
    shop.consent_import(
        write(tmp_path, "a.csv", f"{head},recorded_at\nC1,case_study,yes,2025-01-01\n")
    )
    shop.consent_set("C1", purpose="case_study", granted=False, recorded_at=datetime(2025, 6, 1))
    res = shop.consent_import(write(tmp_path, "b.csv", f"{head}\nC1,case_study,yes\n"))
    assert (res.added, res.unchanged, res.superseded) == (0, 1, 1)
    assert _case_study(shop) == set()
    # a withdrawal the store does not hold yet is new, and so is an answer with its time
    res = shop.consent_import(write(tmp_path, "c.csv", f"{head}\nC1,marketing,no\n"))
    assert (res.added, res.superseded) == (1, 0)
    res = shop.consent_import(
        write(tmp_path, "d.csv", f"{head},recorded_at\nC1,case_study,yes,2025-07-01\n")
    )
    assert res.added == 1 and _case_study(shop) == {"C1"}


def test_an_undated_row_with_another_source_is_a_new_record(shop, tmp_path):
    _people(shop, "C1")
    shop.consent_import(write(tmp_path, "a.csv", HEAD + "C1,case_study,yes,form 1\n"))
    shop.consent_set("C1", purpose="case_study", granted=False)
    res = shop.consent_import(write(tmp_path, "b.csv", HEAD + "C1,case_study,yes,form 2\n"))
    assert (res.added, res.superseded) == (1, 0)
    assert _case_study(shop) == {"C1"}


def test_the_cli_says_when_an_undated_row_repeats_an_older_answer(cli, db_path, tmp_path):
    import shopperlens

    with shopperlens.open(db_path) as s:
        _people(s, "C1")
    row = "C1,case_study,yes,signed form\n"
    assert cli("consent", "import", str(write(tmp_path, "a.csv", HEAD + row))).exit_code == 0
    assert cli("consent", "set", "C1", "--purpose", "case_study", "--refused").exit_code == 0
    res = cli("consent", "import", str(write(tmp_path, "b.csv", HEAD + row + "\n")))
    assert res.exit_code == 0, res.output
    assert "0 consent records added, 1 already there" in res.output
    assert "1 undated row repeats an answer a later record contradicts" in res.output


def test_a_consent_from_a_dataframe_row_is_taken_as_the_words_say(shop):
    """A consents DataFrame gives numpy's True and NaT for a missing date: refused with "must
    be yes or no", and a bare ValueError; "no" and "false", which the message offers, were
    refused too."""
    _people(shop, "C1")
    frame = pd.DataFrame(
        {"granted": [True, False], "recorded_at": pd.to_datetime(["2024-03-01", None])}
    )
    first = shop.consent_set("C1", purpose="marketing", granted=frame.granted[0],
                             recorded_at=frame.recorded_at.to_numpy()[0])  # fmt: skip
    assert first.granted is True and first.recorded_at == datetime(2024, 3, 1)
    undated = shop.consent_set(
        "C1", purpose="marketing", granted=frame.granted[1], recorded_at=frame.recorded_at[1]
    )
    assert undated.granted is False and undated.recorded_at > datetime(2025, 1, 1)  # now
    for word, said in (("no", False), ("false", False), ("yes", True)):
        assert shop.consent_set("C1", purpose="survey", granted=word).granted is said
    with pytest.raises(ShopperlensError, match="granted must be yes or no"):
        shop.consent_set("C1", purpose="survey", granted="maybe")


@pytest.mark.parametrize("at", ["2999-01-01", "2999-01-01T00:00:00+00:00"])
def test_a_consent_in_the_future_is_refused(shop, at):
    _people(shop, "C1")
    with pytest.raises(ShopperlensError, match="in the future"):
        shop.consent_set(
            "C1", purpose="marketing", granted=True, recorded_at=datetime.fromisoformat(at)
        )
    assert shop.store.count("consents") == 0


def test_a_consent_in_the_future_is_refused_in_every_face(shop, client, cli, db_path, tmp_path):
    import shopperlens

    _people(shop, "C1")
    body = {"customer_id": "C1", "purpose": "marketing", "granted": True}
    res = client.post("/api/consents", json={**body, "recorded_at": "2999-01-01"})
    assert res.status_code == 400 and "in the future" in res.json()["detail"]
    assert (
        client.post("/api/consents", json={**body, "recorded_at": "2024-01-01"}).status_code == 201
    )
    with shopperlens.open(db_path) as s:
        _people(s, "C1")
    res = cli("consent", "set", "C1", "--purpose", "marketing", "--granted", "--at", "2999-01-01")
    assert res.exit_code == 1 and "in the future" in res.output
    f = write(
        tmp_path,
        "f.csv",
        "customer_id,purpose,granted,recorded_at\nC1,marketing,yes,2024-01-01\n"
        "C1,marketing,yes,2999-01-01\n",
    )
    with pytest.raises(ShopperlensError) as err:
        shop.consent_import(f)
    assert "line 3: recorded_at: 2999-01-01 is in the future" in str(err.value)
    assert shop.store.count("consents") == 1  # the API's 2024 record only


def test_consent_headers_are_matched_like_other_imports(shop, tmp_path):
    _people(shop, "C1")
    res = shop.consent_import(
        write(
            tmp_path,
            "h.csv",
            "Customer ID,Purpose,Granted,Recorded At,Source\n C1 ,testimonial,no,2025-01-01,x\n",
        )
    )
    assert res.added == 1
    [rec] = shop.consents("C1")
    assert (rec.customer_id, rec.granted, rec.recorded_at) == ("C1", False, datetime(2025, 1, 1))
    with pytest.raises(ShopperlensError, match="customer_id appears twice"):
        shop.consent_import(
            write(tmp_path, "d.csv", "customer_id,Customer ID,purpose,granted\nC1,C1,x,yes\n")
        )


def test_an_id_differing_only_in_case_is_named_as_such(shop, tmp_path):
    _people(shop, "C10023")
    f = write(tmp_path, "ws.csv", "customer_id,purpose,granted\n c10023 ,marketing,yes\n")
    with pytest.raises(ShopperlensError, match="line 2: customer_id: no customer with that id "
                       r"\(one differs only in upper/lower case"):  # fmt: skip
        shop.consent_import(f)


def test_a_yes_and_a_no_at_one_time_are_named_by_line(shop, tmp_path):
    _people(shop, "C1", "C2")
    shop.consent_set("C2", purpose="marketing", granted=True, recorded_at=datetime(2025, 1, 1))
    f = write(
        tmp_path,
        "c.csv",
        "customer_id,purpose,granted,recorded_at\nC1,case_study,yes,\nC1,marketing,yes,\n"
        "C1,case_study,no,\nC2,marketing,no,2025-01-01\n",
    )
    with pytest.raises(ShopperlensError) as err:
        shop.consent_import(f)
    said = str(err.value)
    assert "line 2: granted: yes on line 2 and no on line 4" in said, said
    assert "line 5: granted: says the opposite of a record already held" in said, said
    assert "records say" not in said and shop.store.count("consents") == 1


@pytest.mark.parametrize(
    ("name", "data", "said"),
    [
        ("bin.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not UTF-8"),
        (
            "latin1.csv",
            "customer_id,purpose,granted,source\nC1,marketing,yes,café\n".encode("latin-1"),
            "not UTF-8",
        ),  # fmt: skip
        ("nul.csv", b"customer_id,purpose,granted\x00\x00\n", "binary"),
        ("tabs.tsv", b"customer_id\tpurpose\tgranted\nC1\tmarketing\tyes\n", "separated by ','"),
        ("semi.csv", b"customer_id;purpose;granted\nC1;marketing;yes\n", "separated by ','"),
        ("empty.csv", b"", "empty"),
    ],
)
def test_a_file_that_is_no_comma_separated_text_says_so(shop, tmp_path, name, data, said):
    _people(shop, "C1")
    (tmp_path / name).write_bytes(data)
    with pytest.raises(ShopperlensError) as err:
        shop.consent_import(tmp_path / name)
    assert said in str(err.value) and "missing:" not in str(err.value)
    assert shop.store.count("consents") == 0


def test_listing_the_consents_of_an_unknown_customer_is_not_found(shop, client):
    _people(shop, "C1")
    assert client.get("/api/consents", params={"customer_id": "C1"}).json() == []
    res = client.get("/api/consents", params={"customer_id": "NOPE"})
    assert res.status_code == 404 and "no customer with that id" in res.json()["detail"]
    assert client.get("/api/consents").json() == []


def test_an_undated_withdrawal_after_a_regrant_is_recorded(shop, tmp_path):
    """A checkout "no", then a re-subscription, then an export saying "no" again without a
    date: the "no" is a new withdrawal (only a "yes" can be an old export's leftover)."""
    _people(shop, "C1")
    shop.consent_set("C1", purpose="marketing", granted=False, recorded_at=datetime(2025, 1, 1))
    shop.consent_set("C1", purpose="marketing", granted=True, recorded_at=datetime(2025, 2, 1))
    res = shop.consent_import(
        write(tmp_path, "esp.csv", "customer_id,purpose,granted\nC1,marketing,no\n")
    )
    assert (res.added, res.superseded) == (1, 0)
    assert "C1" not in consent.allowed(store=shop.store)


def test_consent_problems_name_the_physical_line(shop, tmp_path):
    """A blank line and a source spanning two lines come before the bad rows."""
    _people(shop, "C1")
    text = (
        'customer_id,purpose,granted,source\n\nC1,marketing,yes,"signed\nform"\n'
        ",marketing,yes,x\nC1,nonsense,yes,x\n"
    )
    with pytest.raises(ShopperlensError) as err:
        shop.consent_import(write(tmp_path, "c.csv", text))
    said = str(err.value)
    assert "line 5: customer_id" in said and "line 6: purpose" in said, said


SHARED = """customer_id,email,created_at,accepts_marketing
a1,family@example.org,2024-01-01,true
b1,Family@Example.org ,2024-01-01,true
n1,nobody-said@example.org,2024-01-01,true
n2,nobody-said@example.org,2024-01-01,
g1,gina@example.org,2024-01-01,true
"""

GINA_ORDER = (
    "order_id,customer_id,ordered_at,product_id,quantity,unit_price,email,accepts_marketing\n"
    "o9,,2024-02-06,p1,1,20,gina@example.org,true\n"
)


def test_a_no_on_one_id_of_an_address_keeps_the_address_out(shop, tmp_path):
    """An unsubscribe belongs to the address: a family inbox where one member said no, and one
    person with two ids (a Shopify export's e-mail key beside the shop's id) who said no on
    one, are mailed and exported under neither id."""
    shop.import_orders(write(tmp_path, "o.csv", GINA_ORDER))  # before the customers file
    without_gina = SHARED.replace("g1,gina@example.org,2024-01-01,true\n", "")
    shop.import_customers(write(tmp_path, "c.csv", without_gina))
    # g1 as a store an earlier release built holds her: its customers file left the orders'
    # e-mail key beside her id (a customers file now moves them to g1: test_ingest_review)
    shop.store.execute(
        "INSERT INTO customers (customer_id, email, created_at, accepts_marketing) "
        "VALUES ('g1', 'gina@example.org', '2024-01-01', true)"
    )
    assert len(shop.store.df("SELECT * FROM customers WHERE email = 'gina@example.org'")) == 2
    before = consent.allowed(store=shop.store)
    assert {"a1", "b1", "g1"} <= before
    consent.record_consent(store=shop.store, customer_id="a1", purpose="marketing", granted=False)
    consent.record_consent(store=shop.store, customer_id="g1", purpose="marketing", granted=False)
    after = consent.allowed(store=shop.store)
    assert after & {"a1", "b1", "g1"} == set()
    assert not any(c.startswith("e-") for c in after)  # gina's e-mail key too
    assert "n1" in after  # an id with no word at all blocks nobody
    _, rows = playbooks.export_audience(
        store=shop.store, destination="klaviyo", segment="orders >= 0"
    )
    assert set(rows["Email"]) == {"nobody-said@example.org"}
    assert survey_delivery.consenting(store=shop.store) == {"n1"}


def test_a_referral_offer_follows_the_address_rule_and_the_latest_word(shop, tmp_path):
    """r1 and r2 share a family inbox; r1 said yes to marketing, r2 no to marketing and to
    referrals: neither is a referral candidate (r1 was, through the raw records). A referral
    record is the customer's word on referral offers, whatever they said of marketing: r3
    refused marketing, then joined the referral programme; r4 joined it, then refused the
    newsletter; r5 has only the shop's flag. The audience segment the playbook prints selects
    the same people."""
    import pandas as pd

    shop.import_customers(
        write(
            tmp_path,
            "c.csv",
            "customer_id,email,created_at,accepts_marketing\n"
            "r1,fam@example.org,2024-01-01,true\nr2,fam@example.org,2024-01-01,false\n"
            "r3,r3@example.org,2024-01-01,true\nr4,r4@example.org,2024-01-01,true\n"
            "r5,r5@example.org,2024-01-01,true\n",
        )
    )
    for who, purpose, granted, day in [
        ("r1", "marketing", True, 1), ("r2", "referral", False, 1),
        ("r3", "marketing", False, 1), ("r3", "referral", True, 2),
        ("r4", "referral", True, 1), ("r4", "marketing", False, 2),
    ]:  # fmt: skip
        shop.consent_set(who, purpose=purpose, granted=granted, recorded_at=datetime(2024, 3, day))
    shop.import_orders(
        write(
            tmp_path,
            "o.csv",
            "order_id,customer_id,ordered_at,product_id,quantity,unit_price\n"
            + "".join(f"o{c},{c},2024-02-01,p1,1,10\n" for c in ("r1", "r2", "r3", "r4", "r5")),
        )
    )
    ids = ["r1", "r2", "r3", "r4", "r5"]
    loyal = pd.DataFrame({"customer_id": ids, "visitor_id": None, "type": ["loyal"] * 5})
    report = playbooks.retention_report(store=shop.store, types=loyal)
    assert set(report["referral"].customer_id) == {"r3", "r4", "r5"}
    selected = playbooks.audience_customers(
        store=shop.store, types=loyal, segment="type == 'loyal' and referral_consent"
    )
    assert set(selected.customer_id) == {"r3", "r4", "r5"}


def test_a_no_to_surveys_outlasts_a_later_yes_to_marketing(shop, tmp_path):
    """s1 refused surveys, then said yes to the newsletter: the general yes used to win and
    s1 was e-mailed the survey. s2 refused marketing, then asked for surveys: invited."""
    shop.import_customers(
        write(
            tmp_path,
            "c.csv",
            "customer_id,email,created_at,accepts_marketing\n"
            "s1,s1@example.org,2024-01-01,true\ns2,s2@example.org,2024-01-01,true\n"
            "s3,s3@example.org,2024-01-01,true\n",
        )
    )
    for who, purpose, granted, day in [
        ("s1", "survey", False, 1), ("s1", "marketing", True, 2),
        ("s2", "marketing", False, 1), ("s2", "survey", True, 2),
    ]:  # fmt: skip
        shop.consent_set(who, purpose=purpose, granted=granted, recorded_at=datetime(2024, 3, day))
    assert survey_delivery.consenting(store=shop.store) == {"s2", "s3"}
    assert consent.allowed(store=shop.store) == {"s1", "s3"}  # the newsletter
