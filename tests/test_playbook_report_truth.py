"""The playbook pages read true on a second shop (not the demo): consent nobody recorded is
not consent refused, loyal-customer figures stay on the loyal page, the cohort table and the
funnel say what their numbers are shares of, and a recovery list holds people the owner can
reach.

Each test plants the hand-built shop of ``test_playbooks_shop`` (its types are planted too),
changed where the finding needs it: no ``accepts_marketing`` value and no consent record (as
a customers file without that column leaves it), a session without a product view, carts left
by anonymous visitors only.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

from shopperlens.playbooks.generator import Action
from shopperlens.reports import pages_playbooks, site
from shopperlens.service import consent
from shopperlens.service import playbooks as svc
from shopperlens.store import Store
from test_playbooks_shop import T0, TYPES, _insert, fill


@pytest.fixture
def planted(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The report pages type the shop with the planted run (the computed one depends on the
    type rules, which these findings are not about), and reuse no other store's numbers."""
    real = svc.resolve_types

    def planted_types(*, store: Store, types: pd.DataFrame | None = None, config: Any = None):  # type: ignore[no-untyped-def]
        return TYPES if types is None else real(store=store, types=types, config=config)

    monkeypatch.setattr(svc, "resolve_types", planted_types)
    pages_playbooks._CACHE.clear()
    yield
    pages_playbooks._CACHE.clear()


def _no_consent_recorded(store: Store) -> Store:
    """The planted shop as a customers file without ``accepts_marketing`` and no consents
    import leave it: nobody's word on marketing, case studies or referrals is on record."""
    fill(store)
    store.con.execute("DELETE FROM consents")
    store.con.execute("UPDATE customers SET accepts_marketing = NULL")
    return store


def _page(store: Store, slug: str) -> str:
    """The report page ``slug`` as HTML, its entities read and its line breaks and runs of
    spaces made one space (as a browser shows them)."""
    page = site.find(slug)
    assert page is not None
    ctx = page.build(store, None)
    assert ctx is not None
    return " ".join(html.unescape(site.render(page, ctx, [])).split())


def _by(actions: list[Action]) -> dict[tuple[str, int], Action]:
    return {(a.type, a.number): a for a in actions}


# -- 1. consent nobody recorded is not consent refused ---------------------------------------
def test_on_record_tells_no_word_from_a_refusal(store: Store) -> None:
    """No flag and no record: nobody's word on any purpose. A single ``false`` flag is a
    marketing word (and referral falls back on it); a case-study word needs its own record."""
    _no_consent_recorded(store)
    assert not any(consent.on_record(store=store, purpose=p) for p in consent.PURPOSES)
    store.con.execute("UPDATE customers SET accepts_marketing = false WHERE customer_id = 'c4'")
    assert consent.on_record(store=store, purpose="marketing")
    assert consent.on_record(store=store, purpose="referral")
    assert not consent.on_record(store=store, purpose="case_study")
    _insert(store, "consents", [
        {"customer_id": "c1", "purpose": "case_study", "granted": False, "recorded_at": T0},
    ])  # fmt: skip
    assert consent.on_record(store=store, purpose="case_study")  # a refusal is a word too


def test_playbook_says_no_consent_is_on_record_rather_than_refused(store: Store) -> None:
    """A shop without consent records: "writes 0 of the 46: 46 customers gave no marketing
    consent", "0 loyal customers gave case-study consent", "0 loyal customers may be e-mailed
    a referral offer". Nobody's word is on record, so the texts say that and what to import;
    the exports still write nobody (no consent, no marketing)."""
    pb = svc.playbook(store=_no_consent_recorded(store), types=TYPES)
    md = pb.markdown()
    for refused in ("gave no marketing consent", "gave case-study consent",
                    "loyal customers may be e-mailed a referral", "(0 people)"):  # fmt: skip
        assert refused not in md, refused
    by = _by(pb.actions)
    new = by[("new", 1)]  # c3, a customer on record without any word
    assert (new.known, new.without_consent, new.exportable) == (1, 1, 0)
    assert "no marketing consent is on record for this customer or anyone else" in md
    assert "`shopperlens consent import FILE`" in md and "`accepts_marketing`" in md
    case, referral = by[("loyal", 1)], by[("loyal", 4)]
    assert "no case-study consent is on record" in case.evidence[0]
    assert "shopperlens consent set CUSTOMER_ID --purpose case_study --granted" in md
    assert "no referral or marketing consent is on record" in referral.evidence[0]
    assert (case.unrecorded_consent, referral.unrecorded_consent) == ("case_study", "referral")
    assert all(a.exportable == 0 for a in pb.actions)  # nobody is written to meta


def test_each_purpose_is_judged_on_its_own_record(store: Store) -> None:
    """Once the shop holds a marketing word (c4's ``false``), a customer without consent is
    said to have given none, as before, and referrals (which fall back on marketing's rule)
    are counted; case studies still have nobody's word on record, and say so."""
    _no_consent_recorded(store)
    store.con.execute("UPDATE customers SET accepts_marketing = false WHERE customer_id = 'c4'")
    pb = svc.playbook(store=store, types=TYPES)
    md = pb.markdown()
    assert "1 customers gave no marketing consent" in md
    assert "no marketing consent is on record" not in md
    by = _by(pb.actions)
    assert by[("loyal", 4)].evidence[0] == "0 loyal customers may be e-mailed a referral offer"
    assert by[("loyal", 4)].unrecorded_consent is None
    assert "no case-study consent is on record" in by[("loyal", 1)].evidence[0]


def test_loyal_page_says_unknown_not_zero_candidates(store: Store, planted: None) -> None:
    """The loyal page printed "Case-study candidates with consent: 0 · referral candidates:
    0" and "0 loyal customers gave case-study consent" for a shop that recorded no consent."""
    page = _page(_no_consent_recorded(store), "playbook-loyal")
    assert "gave case-study consent" not in page and "gave no marketing consent" not in page
    assert "case-study candidates (with consent): unknown (no case-study consent is on " in page
    assert "referral candidates: unknown (no referral or marketing consent is on record)" in page
    assert "none can be found: no case-study consent is on record" in page  # not "0 people"
    assert "<code>shopperlens consent import FILE</code>" in page


# -- 2. loyal figures on the loyal page only -------------------------------------------------
def test_candidate_figures_are_on_the_loyal_page_only(store: Store, planted: None) -> None:
    """Case studies and referrals are loyal-customer actions: the New customers page printed
    the loyal page's "Case-study candidates with consent: 105 · referral candidates: 250".
    Planted: c1 (loyal) granted a case study and marketing, so both counts are 1."""
    fill(store)
    new = _page(store, "playbook-new")
    assert "case-study candidates" not in new.lower() and "referral candidates" not in new
    loyal = _page(store, "playbook-loyal")
    assert "Loyal customers who are case-study candidates (with consent): 1" in loyal
    assert "referral candidates: 1." in loyal


# -- 3. the cohort table says what its columns are -------------------------------------------
def test_cohort_table_labels_its_months_and_shares(store: Store, planted: None) -> None:
    """ "0 … 12" had no label and "51 %" no meaning. Planted: c1 first ordered in January and
    again in February and March; c2 in January only: the January cohort is 2 customers, 50 %
    ordered one month after (c1)."""
    fill(store)
    cohorts = svc.retention_report(store=store, types=TYPES)["cohorts"].set_index("cohort")
    assert (cohorts.loc["2024-01", "customers"], cohorts.loc["2024-01", "1"]) == (2, 0.5)
    for slug in ("playbook-new", "playbook-loyal"):
        page = _page(store, slug)
        assert ">months after the first order</th>" in page, slug
        assert "cohort (month of first order)" in page
        assert "Column <em>k</em> is the share of that cohort who ordered in the" in page


# -- 4. the funnel's first step is a share of a total the table shows ------------------------
def test_funnel_shows_the_sessions_its_first_step_is_a_share_of(
    store: Store, planted: None
) -> None:
    """ "view | 3,489 | 99.7 %" was a share of 3,500 sessions the table never showed. Planted:
    a third looker session (v3 again) that opened the home page and no product: lookers have
    3 sessions, 2 with a product view (66.7 %), and the table's first row says 3."""
    fill(store)
    _insert(store, "events", [
        {"event_id": "e20", "session_id": "s20", "visitor_id": "v3", "customer_id": None,
         "timestamp": T0 + pd.Timedelta(days=2), "event_name": "page_view", "page": "/"},
    ])  # fmt: skip
    assert svc.sessions_per_type(store=store, types=TYPES).to_dict() == {
        "looker": 3, "loyal": 1, "need_based": 1
    }  # fmt: skip
    page = _page(store, "playbook-looker")
    table = page.split("Funnel of this type")[1].split("</table>")[0]
    rows = table.split("<tr>")[2:]  # after the header
    assert rows[0].startswith('<td>all sessions</td><td class="n">3</td>')
    assert rows[1].startswith('<td>view</td><td class="n">2</td><td class="n">66.7 %</td>')


# -- 5. a recovery list of people nobody can contact is one line -----------------------------
def test_anonymous_carts_only_are_said_in_one_line(store: Store, planted: None) -> None:
    """The second shop's looker list was 15 rows reading "anonymous". Planted: the only
    looker cart is v2's (anonymous, P2 at EUR 10): one line says so, and no row is listed."""
    fill(store)
    page = _page(store, "playbook-looker")
    block = page.split("Abandoned carts (recovery list)")[1]
    assert "<td>anonymous</td>" not in block
    assert (
        "No one to contact: the one open cart of lookers was left by an anonymous visitor "
        "(no customer id), worth EUR 10" in block
    )


def test_recovery_list_keeps_a_mix_and_counts_unknown_values() -> None:
    """With a customer among them the list is as before (customers first, anonymous rows
    after); with anonymous carts alone the summary counts every cart and adds the known
    values only (a cart without a price is counted as of unknown value, not as 0)."""
    mixed = pd.DataFrame({
        "customer_id": [None, "C1"], "visitor_id": ["v9", "v1"], "type": ["looker"] * 2,
        "last_cart_at": pd.to_datetime(["2025-01-02", "2025-01-01"]),
        "products": ["Tent", "Lamp"], "cart_value": [500.0, 40.0],
    })  # fmt: skip
    rows, summary = pages_playbooks._cart_list(pages_playbooks._recovery_list(mixed, {}), "looker")
    assert summary is None and rows["customer_id"].tolist()[0] == "C1" and len(rows) == 2
    alone = mixed.assign(customer_id=None, cart_value=[500.0, float("nan")])
    rows, summary = pages_playbooks._cart_list(alone, "looker")
    assert rows.empty and summary == {"carts": 2, "value": 500.0, "unknown": 1}
    rows, summary = pages_playbooks._cart_list(alone, "new")  # no new customer left one
    assert rows.empty and summary is None
