"""Counts of one read in the singular in the playbooks: "1 tickets from new customers",
"(1 people)" and "1 lookers left a cart" read wrong on a small shop."""

from __future__ import annotations

from shopperlens.playbooks.generator import Action, _tickets_text, audience_text


def test_one_ticket_and_one_person_read_in_the_singular() -> None:
    assert _tickets_text({"tickets": 1, "orders": 3}, "new customers").startswith(
        "1 ticket from new customers"
    )
    assert _tickets_text({"tickets": 2, "orders": 3}, "new customers").startswith("2 tickets")
    one = Action(type="looker", number=1, title="t", evidence=[], priority=None, basis="",
                 audience="type == 'looker'", audience_size=1)  # fmt: skip
    assert audience_text(one) == "`type == 'looker'` (1 person)"
    one.audience_size = 3
    assert audience_text(one) == "`type == 'looker'` (3 people)"
