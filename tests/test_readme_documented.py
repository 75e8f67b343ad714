"""What the README says of the faces is what they do: options and routes it never mentioned
(`serve --port`, `survey list`, `personas diff --against` …), and a shop of guest checkouts,
which it said both has and lacks playbook pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = " ".join((Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8").split())


@pytest.mark.parametrize(
    "said",
    [
        "`--port` and `--host`",
        "shopperlens survey list",
        '--title "Two minutes for us?"',  # survey create --title
        'report --out report --title "Boot Corner"',
        "personas diff --run 3 --against 1",
        "`--run N`",  # personas show / diff / members / cards
        "`GET /api/jobs` lists every job",
        "`survey_link`",
        "`text/csv; charset=utf-8`",
    ],
)
def test_the_readme_documents(said: str) -> None:
    assert said in README


def test_every_sentence_on_playbook_pages_leaves_out_guest_shops() -> None:
    """Each README sentence saying when the playbook pages exist names the guest-checkout case,
    which the report leaves without them (the test below)."""
    sentences = [
        s for s in re.split(r"(?<=[.;])\s", README) if re.search(r"playbook pages? exists?", s)
    ]
    assert sentences
    assert all("guest checkouts" in s for s in sentences), sentences


def test_a_guest_checkout_shop_has_no_playbook_pages(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "order_id,customer_id,ordered_at,product_id,quantity,unit_price\n"
        "o1,,2025-01-02,P1,1,10\no2,,2025-01-03,P2,1,20\n",
        encoding="utf-8",
    )
    assert cli("import", "orders", str(orders)).exit_code == 0
    res = cli("report", "--out", str(tmp_path / "report"))
    assert res.exit_code == 0, res.output
    pages = sorted(p.name for p in (tmp_path / "report").glob("*.html"))
    assert pages == ["glossary.html", "index.html"]
