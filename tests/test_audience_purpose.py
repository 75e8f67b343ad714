"""An audience export drawn by the consent it is for: marketing (the default), case study or
referral, on every face; the ad platforms and mailing tools take marketing only.

Planted customers (every one bought once, all typed loyal):

* ``k1`` case@example.org — gave case-study consent, no marketing consent;
* ``k2`` gone@example.org — gave case-study consent, then withdrew it;
* ``k3`` (no usable address) — gave case-study consent;
* ``m1`` market@example.org — marketing consent only (the shop's flag);
* ``r1`` refer@example.org — joined the referral programme, no marketing consent;
* ``f1``/``f2`` fam@example.org — a shared inbox: f1 accepts marketing, f2 refused it, so the
  address is out of marketing and referral mail alike (referral falls back on marketing's rule).
"""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pandas as pd
import pytest

from shopperlens.errors import ShopperlensError
from shopperlens.playbooks.generator import export_command
from shopperlens.service import playbooks as svc
from shopperlens.store import Store, connect

CUSTOMERS = [
    ("k1", "case@example.org", False),
    ("k2", "gone@example.org", False),
    ("k3", "k3-no-address", False),
    ("m1", "market@example.org", True),
    ("r1", "refer@example.org", False),
    ("f1", "fam@example.org", True),
    ("f2", "fam@example.org", False),
]
CONSENTS = [
    ("k1", "case_study", True, 1),
    ("k2", "case_study", True, 1),
    ("k2", "case_study", False, 2),
    ("k3", "case_study", True, 1),
    ("r1", "referral", True, 1),
]
LOYAL = pd.DataFrame(
    {"customer_id": [c for c, _, _ in CUSTOMERS], "visitor_id": None, "type": "loyal"}
)
EVERYONE = "orders >= 0"
CASE_SEGMENT = "type == 'loyal' and case_study_consent"
REFERRAL_SEGMENT = "type == 'loyal' and referral_consent"
LOYAL_SEGMENT = "type == 'loyal'"
REFUSED = "purpose {} exports only to csv"


def plant(store: Store) -> Store:
    """Write the planted customers, their consents and one order each into ``store``."""
    for i, (cid, email, accepts) in enumerate(CUSTOMERS):
        store.execute(
            "INSERT INTO customers (customer_id, email, accepts_marketing) VALUES (?, ?, ?)",
            [cid, email, accepts],
        )
        store.execute(
            "INSERT INTO orders (order_id, customer_id, ordered_at) VALUES (?, ?, ?)",
            [f"o{i}", cid, datetime(2024, 2, 1 + i)],
        )
        store.execute(
            "INSERT INTO order_lines (order_id, line_no, product_id, quantity, unit_price) "
            "VALUES (?, 1, 'P1', 1, 20.0)",
            [f"o{i}"],
        )
    for cid, purpose, granted, day in CONSENTS:
        store.execute(
            "INSERT INTO consents (customer_id, purpose, granted, recorded_at) VALUES (?, ?, ?, ?)",
            [cid, purpose, granted, datetime(2024, 3, day)],
        )
    return store


def _emails(rows: pd.DataFrame) -> set[str]:
    return set(rows["email"].dropna())


def _csv_emails(text: str) -> set[str]:
    return {r["email"] for r in csv.DictReader(io.StringIO(text)) if r["email"]}


# -- Python ----------------------------------------------------------------------------------
def test_python_csv_writes_the_e_mails_of_the_purposes_consent(shop) -> None:  # type: ignore[no-untyped-def]
    plant(shop.store)
    case = shop.audience(segment=EVERYONE, to="csv", purpose="case_study", types=LOYAL)
    assert _emails(case) == {"case@example.org"}  # not gone@ (withdrew), not market@
    assert list(case.columns) == ["customer_id", "type", "case_study_consent", "email"]
    assert len(case) == len(CUSTOMERS)  # everyone selected is listed, as for marketing
    marketing = shop.audience(segment=EVERYONE, to="csv", types=LOYAL)
    assert _emails(marketing) == {"market@example.org"}  # fam@: f2 said no for the address
    referral = shop.audience(segment=EVERYONE, to="csv", purpose="referral", types=LOYAL)
    assert _emails(referral) == {"refer@example.org", "market@example.org"}


def test_python_summary_counts_by_the_purposes_consent(shop, tmp_path) -> None:  # type: ignore[no-untyped-def]
    plant(shop.store)
    out = tmp_path / "case.csv"
    summary = shop.audience(segment=EVERYONE, to="csv", purpose="case_study", types=LOYAL, out=out)
    # k1 and k3 gave case-study consent: the other five did not
    assert (summary.selected, summary.without_consent) == (7, 5)
    assert _csv_emails(out.read_text()) == {"case@example.org"}


@pytest.mark.parametrize("to", ["meta", "google", "mailchimp", "klaviyo"])
@pytest.mark.parametrize("purpose", ["case_study", "referral"])
def test_python_refuses_a_consent_other_than_marketing_for_a_marketing_destination(
    shop, to: str, purpose: str
) -> None:  # type: ignore[no-untyped-def]
    plant(shop.store)
    with pytest.raises(ShopperlensError, match=REFUSED.format(purpose)):
        shop.audience(segment=EVERYONE, to=to, purpose=purpose, types=LOYAL)


def test_python_refuses_an_unknown_purpose(shop) -> None:  # type: ignore[no-untyped-def]
    plant(shop.store)
    with pytest.raises(ShopperlensError, match="unknown purpose 'survey'"):
        shop.audience(segment=EVERYONE, to="csv", purpose="survey", types=LOYAL)


# -- CLI -------------------------------------------------------------------------------------
def test_cli_case_study_csv_and_marketing_csv(cli, db_path, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with connect(db_path) as store:
        plant(store)
    case, marketing = tmp_path / "case.csv", tmp_path / "marketing.csv"
    args = ("audience", "export", "--segment", EVERYONE, "--to", "csv")
    res = cli(*args, "--purpose", "case_study", "--out", str(case))
    assert res.exit_code == 0, res.output
    said = " ".join(res.stdout.split())
    assert "(7 selected: 5 without case-study consent, 1 without a usable e-mail address)" in said
    assert "@" not in res.output  # counts only, never an address
    assert _csv_emails(case.read_text()) == {"case@example.org"}
    res = cli(*args, "--out", str(marketing))
    assert res.exit_code == 0, res.output
    assert "without marketing consent" in " ".join(res.stdout.split())
    assert _csv_emails(marketing.read_text()) == {"market@example.org"}
    res = cli(*args, "--purpose", "referral", "--out", str(tmp_path / "referral.csv"))
    assert res.exit_code == 0, res.output
    assert _csv_emails((tmp_path / "referral.csv").read_text()) == {
        "refer@example.org",
        "market@example.org",
    }


def test_cli_refuses_case_study_to_meta(cli, db_path, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with connect(db_path) as store:
        plant(store)
    out = tmp_path / "meta.csv"
    res = cli(
        "audience", "export", "--segment", EVERYONE, "--to", "meta",
        "--purpose", "case_study", "--out", str(out),
    )  # fmt: skip
    assert res.exit_code != 0
    assert REFUSED.format("case_study") in " ".join(res.output.split())
    assert not out.exists()


# -- HTTP ------------------------------------------------------------------------------------
def test_http_purpose_and_refusal(shop, client) -> None:  # type: ignore[no-untyped-def]
    plant(shop.store)
    url = "/api/playbooks/audience"
    res = client.get(url, params={"to": "csv", "segment": EVERYONE, "purpose": "case_study"})
    assert res.status_code == 200 and _csv_emails(res.text) == {"case@example.org"}
    res = client.get(url, params={"to": "csv", "segment": EVERYONE})
    assert res.status_code == 200 and _csv_emails(res.text) == {"market@example.org"}
    res = client.get(url, params={"to": "meta", "segment": EVERYONE, "purpose": "case_study"})
    assert res.status_code == 400
    assert res.json()["detail"].startswith(REFUSED.format("case_study"))
    res = client.get(url, params={"to": "csv", "segment": EVERYONE, "purpose": "survey"})
    assert res.status_code == 422


# -- the playbook ----------------------------------------------------------------------------
def test_playbook_prints_the_csv_export_by_the_actions_consent(store: Store) -> None:
    """The case-study and referral actions print the plain csv by their consent; the rest
    stay marketing exports to an ad platform."""
    pb = svc.playbook(store=plant(store), types=LOYAL, type="loyal")
    by = {a.number: a for a in pb.actions}
    assert export_command(by[1]) == (
        f'shopperlens audience export --segment "{CASE_SEGMENT}" --to csv --purpose case_study'
    )
    assert export_command(by[4]) == (
        f'shopperlens audience export --segment "{REFERRAL_SEGMENT}" --to csv --purpose referral'
    )
    rewards = export_command(by[2])  # type == 'loyal': a marketing audience
    assert rewards == f'shopperlens audience export --segment "{LOYAL_SEGMENT}" --to meta'
    assert "--to csv --purpose case_study" in pb.markdown()


def test_playbook_reach_counts_by_the_actions_consent(store: Store) -> None:
    """Case study: k1 and k3 gave it, k3 has no usable address: the command writes k1's.
    Referral: r1 (own word) and m1 (marketing's rule) may be e-mailed; both are written, though
    neither r1 nor k1 would reach an ad platform."""
    pb = svc.playbook(store=plant(store), types=LOYAL, type="loyal")
    by = {a.number: a for a in pb.actions}
    case, referral = by[1], by[4]
    assert (case.known, case.without_consent, case.exportable) == (2, 0, 1)
    assert (referral.known, referral.without_consent, referral.exportable) == (2, 0, 2)
    rewards = by[2]  # type == 'loyal', to meta: marketing consent only (m1)
    assert (rewards.known, rewards.without_consent, rewards.exportable) == (7, 6, 1)
    md = pb.markdown()
    assert "writes 1 of the 2: 1 have no usable e-mail address" in md
