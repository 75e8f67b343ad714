"""The interview path as a shop owner walks it: recruit, invite, import notes, read the themes.

* the recruit list says whom ``--invite`` will pass over: a best or worst customer without
  consent, and anyone already given an interview invitation (a second run proposed them again
  as if they were still to be asked);
* a theme's example quote is an interviewee's quoted words, never a sentence of the
  interviewer's own account (a note without quotes is tagged by its sentences).
"""

from __future__ import annotations

from typing import Any

import shopperlens
from shopperlens.service import interviews


def _buyers(shop: shopperlens.Shop, consenting: dict[str, bool]) -> None:
    """One order each, worth more the later the id; ``consenting`` gives ``accepts_marketing``."""
    for i, (cid, ok) in enumerate(consenting.items()):
        shop.store.execute(
            "INSERT INTO customers (customer_id, email, accepts_marketing) VALUES (?, ?, ?)",
            [cid, f"{cid.lower()}@example.com", ok],
        )
        shop.store.execute(
            "INSERT INTO orders (order_id, customer_id, ordered_at) VALUES (?, ?, now())",
            [f"o{i}", cid],
        )
        shop.store.execute(
            "INSERT INTO order_lines VALUES (?, 1, 'p', 'P', 'x', 1, ?, NULL)",
            [f"o{i}", 10.0 * (i + 1)],
        )


def _reasons(shop: shopperlens.Shop) -> dict[str, str]:
    picked = shop.interviews_recruit(2, prospects=0)
    return dict(zip(picked["customer_id"], picked["reason"], strict=True))


def test_recruit_says_who_invite_will_pass_over(db_path, smtp) -> None:  # type: ignore[no-untyped-def]
    server, settings = smtp
    with shopperlens.open(db_path, settings=settings) as shop:
        _buyers(shop, {"C1": True, "C2": False, "C3": True, "C4": True})
        first = _reasons(shop)
        assert first["C2"].endswith(interviews.NO_CONSENT)
        assert not any(r.endswith(interviews.NO_CONSENT) for c, r in first.items() if c != "C2")
        sent = shop.interviews_invite(list(first))
        assert sent.sent == len(server.messages) == 3
        again = _reasons(shop)
    assert set(again) == set(first)
    for cid in ("C1", "C3", "C4"):
        assert again[cid].endswith(interviews.ALREADY_INVITED), again[cid]
    assert again["C2"].endswith(interviews.NO_CONSENT)


INTERVIEWER_ONLY = """# Interview 07: customer C7 (good customer)
Date: 2026-11-23

## Summary
- The interviewer found the sustainability story on the site weak and unconvincing.
"""
QUOTED = """# Interview 08: customer C8 (bad customer)
Date: 2026-11-24

> “The delivery was late twice, and nobody told me why 😞.”
"""


def test_a_theme_quote_is_never_the_interviewers_account(client: Any) -> None:
    files = [
        ("files", ("07.md", INTERVIEWER_ONLY, "text/markdown")),
        ("files", ("08.md", QUOTED, "text/markdown")),
    ]
    assert client.post("/api/interviews/notes", files=files).status_code == 200
    themes = {t["theme"]: t for t in client.get("/api/interviews/themes").json()}
    assert themes["sustainability"]["quote"] == interviews.NO_QUOTE
    assert (themes["sustainability"]["notes"], themes["sustainability"]["best"]) == (1, 1)
    assert themes["delivery"]["quote"] == "The delivery was late twice, and nobody told me why 😞."
