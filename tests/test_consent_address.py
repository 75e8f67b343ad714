"""Marketing consent by address: a refusal under one spelling of a Gmail inbox keeps every
spelling out, and erasing the customer who refused keeps the refusal for the address (a hash of
it, nothing else of them) until a customer id of that address says yes after the erase.

A1 jane.doe@gmail.com refused and A2 janedoe@gmail.com / A3 Jane.Doe+shop@googlemail.com
granted: one Gmail inbox, one Google account. B1 ann@example.com refused and B2
ANN@example.com granted: one address. C1 a.b+x@example.com refused, C2 ab@example.com granted:
another domain's dots and +tags are its own business, so C2 is another address.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest

import shopperlens
from _ingest_data import write
from shopperlens.emails import inbox_key, inbox_key_sql
from shopperlens.service import consent, survey_delivery

CUSTOMERS = """customer_id,email,created_at,country,accepts_marketing
A1,jane.doe@gmail.com,2025-01-01,NL,false
A2,janedoe@gmail.com,2025-01-01,NL,true
A3,Jane.Doe+shop@googlemail.com,2025-01-01,NL,true
B1,ann@example.com,2025-01-01,NL,false
B2,ANN@example.com,2025-01-01,NL,true
C1,a.b+x@example.com,2025-01-01,NL,false
C2,ab@example.com,2025-01-01,NL,true
D1,dora@example.com,2025-01-01,NL,true
"""
LOYAL = pd.DataFrame(
    {"customer_id": ["A1", "A2", "A3", "B1", "B2", "C1", "C2", "D1"], "type": ["loyal"] * 8}
)
MAIL = ("klaviyo", "mailchimp")


def _shop(shop: shopperlens.Shop, tmp_path: Path) -> shopperlens.Shop:
    shop.import_customers(write(tmp_path, "c.csv", CUSTOMERS))
    return shop


def _exported(shop: shopperlens.Shop, to: str) -> set[str]:
    """The file rows for ``to``: addresses for the mail tools, hashes for the ad platforms."""
    rows = shop.audience(segment="type == 'loyal'", to=to, types=LOYAL)
    assert isinstance(rows, pd.DataFrame)
    return set(rows.iloc[:, 0])


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.mark.parametrize(
    ("email", "key"),
    [
        ("Jane.Doe@gmail.com", "janedoe@gmail.com"),
        (" janedoe+shop@GoogleMail.com ", "janedoe@gmail.com"),
        ("j.a.n.e+a+b@gmail.com", "jane@gmail.com"),
        ("+tag@gmail.com", "+tag@gmail.com"),
        ("a.b+x@example.com", "a.b+x@example.com"),
        ("x@mail.gmail.com", "x@mail.gmail.com"),
        ("Jürgen.K@gmail.com", "jürgenk@gmail.com"),
        ("", ""),
    ],
)
def test_the_inbox_key_is_the_same_in_python_and_sql(email: str, key: str) -> None:
    assert inbox_key(email) == key
    with duckdb.connect() as con:
        assert con.execute(f"SELECT {inbox_key_sql('?')}", [email]).fetchall() == [(key,)]


def test_a_gmail_refusal_keeps_every_spelling_of_the_inbox_out(shop, tmp_path):  # type: ignore[no-untyped-def]
    _shop(shop, tmp_path)
    assert consent.allowed(store=shop.store) == {"C2", "D1"}
    assert survey_delivery.consenting(store=shop.store) == {"C2", "D1"}
    assert consent.allowed(store=shop.store, own="referral") == {"C2", "D1"}
    mailed = {"ab@example.com", "dora@example.com"}
    assert _exported(shop, "klaviyo") == _exported(shop, "mailchimp") == mailed
    hashed = {_sha("ab@example.com"), _sha("dora@example.com")}
    assert _exported(shop, "meta") == _exported(shop, "google") == hashed


def test_the_survey_address_book_reads_one_gmail_inbox_as_one_address(shop, tmp_path):  # type: ignore[no-untyped-def]
    _shop(shop, tmp_path)
    book = survey_delivery.address_book(shop.store)
    assert book["A1"] == book["A2"] == book["A3"] == "janedoe@gmail.com"
    assert book["C1"] != book["C2"]
    assert survey_delivery.same_address({"A2"}, book) == {"A1", "A2", "A3"}


def _erase(shop: shopperlens.Shop, customer_id: str) -> int:
    report = shop.erase_customer(customer_id)
    gone = shop.store.scalar(
        "SELECT count(*) FROM customers WHERE customer_id = ?", [customer_id]
    ) + shop.store.scalar("SELECT count(*) FROM consents WHERE customer_id = ?", [customer_id])
    assert gone == 0
    return report.refusals_kept


def test_erasing_who_refused_keeps_the_refusal_for_the_address(shop, tmp_path):  # type: ignore[no-untyped-def]
    _shop(shop, tmp_path)
    assert _erase(shop, "B1") == 3  # marketing, and survey and referral, which fall back on it
    assert "B2" not in consent.allowed(store=shop.store)
    assert "B2" not in survey_delivery.consenting(store=shop.store)
    assert "B2" not in consent.allowed(store=shop.store, own="referral")
    for to in MAIL:
        assert "ann@example.com" not in _exported(shop, to)
    assert _sha("ann@example.com") not in _exported(shop, "meta")
    assert _sha("ann@example.com") not in _exported(shop, "google")


def test_the_refusal_kept_holds_nothing_of_the_person_but_a_hash(shop, tmp_path):  # type: ignore[no-untyped-def]
    _shop(shop, tmp_path)
    shop.consent_set("B1", purpose="survey", granted=False, recorded_at=datetime(2025, 3, 1))
    _erase(shop, "B1")
    kept = shop.store.df("SELECT * FROM consent_suppressions ORDER BY purpose")
    assert list(kept.columns) == ["address_sha256", "purpose", "refused_at", "kept_at"]
    assert set(kept.address_sha256) == {_sha("ann@example.com")}
    assert list(kept.purpose) == ["marketing", "referral", "survey"]
    assert kept.refused_at.isna().tolist() == [True, True, False]  # the flag has no date
    text = kept.astype(str).to_csv()
    assert "ann" not in text.replace(_sha("ann@example.com"), "")
    assert "B1" not in text


def test_a_gmail_refusal_survives_the_erase_under_every_spelling(shop, tmp_path):  # type: ignore[no-untyped-def]
    _shop(shop, tmp_path)
    _erase(shop, "A1")
    assert shop.store.scalar("SELECT DISTINCT address_sha256 FROM consent_suppressions") == _sha(
        "janedoe@gmail.com"
    )
    assert consent.allowed(store=shop.store) == {"C2", "D1"}


def test_a_yes_after_the_erase_lifts_the_kept_refusal_and_an_older_one_does_not(shop, tmp_path):  # type: ignore[no-untyped-def]
    _shop(shop, tmp_path)
    shop.consent_set("B2", purpose="marketing", granted=True, recorded_at=datetime(2025, 6, 1))
    assert "B2" not in consent.allowed(store=shop.store)  # B1's "no" keeps the address out
    _erase(shop, "B1")
    assert "B2" not in consent.allowed(store=shop.store)  # as it did before the erase
    shop.consent_set("B2", purpose="survey", granted=True)
    assert "B2" in survey_delivery.consenting(store=shop.store)  # survey's own yes lifts survey
    assert "B2" not in consent.allowed(store=shop.store)  # not marketing
    shop.consent_set("B2", purpose="marketing", granted=True)
    assert "B2" in consent.allowed(store=shop.store)
    assert "ann@example.com" in _exported(shop, "klaviyo")
    shop.consent_set("B2", purpose="marketing", granted=False)
    assert "B2" not in consent.allowed(store=shop.store)


def test_erasing_who_consented_keeps_nothing(shop, tmp_path):  # type: ignore[no-untyped-def]
    _shop(shop, tmp_path)
    assert _erase(shop, "D1") == 0
    assert _erase(shop, "A2") == 0
    assert shop.store.scalar("SELECT count(*) FROM consent_suppressions") == 0


def test_the_cli_says_it_kept_the_refusal(cli, tmp_path):  # type: ignore[no-untyped-def]
    assert cli("import", "customers", str(write(tmp_path, "c.csv", CUSTOMERS))).exit_code == 0
    result = cli("erase", "B1", "--yes")
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "kept 3 refusal(s)" in said and "SHA-256" in said


def test_one_gmail_inbox_is_one_row_of_every_marketing_file(shop, tmp_path):  # type: ignore[no-untyped-def]
    """Two spellings of one Gmail inbox, both consenting: the mail tools would write to the
    inbox twice and the ad platforms count one person twice; the file names it once."""
    both = "customer_id,email,created_at,country,accepts_marketing\n" + "\n".join(
        f"{cid},{email},2025-01-01,NL,true"
        for cid, email in (("E1", "e.v@gmail.com"), ("E2", "ev+shop@googlemail.com"))
    )
    shop.import_customers(write(tmp_path, "e.csv", both))
    two = pd.DataFrame({"customer_id": ["E1", "E2"], "type": ["loyal", "loyal"]})
    for to in ("klaviyo", "mailchimp", "meta", "google"):
        rows = shop.audience(segment="type == 'loyal'", to=to, types=two)
        assert len(rows) == 1, to
