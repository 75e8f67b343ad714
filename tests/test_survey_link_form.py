"""A personal survey link that cannot be answered (used already, signed for another survey, or
of a person erased since) showed the whole form; the person learnt it only after filling in
every question. The form page now says so at once, with the status the answer would get."""

from __future__ import annotations

from fastapi.testclient import TestClient

from shopperlens.config import Settings
from shopperlens.service import survey_delivery, surveys
from shopperlens.surveys import links
from shopperlens.web.app import create_app


def test_a_link_that_cannot_answer_says_so_before_the_questions(shop) -> None:  # type: ignore[no-untyped-def]
    surveys.ensure_builtin(store=shop.store)
    shop.survey_create(from_bank=["barrier"], name="exit", title="Why not")
    for c in ("c1", "c2"):
        shop.store.execute(
            "INSERT INTO customers (customer_id, email) VALUES (?, ?)", [c, f"{c}@x.org"]
        )
    inv1, inv2 = survey_delivery.invite(
        store=shop.store, survey="demo-profile", customer_ids=["c1", "c2"]
    )
    used, erased = links.sign(inv1, "demo-profile", "k"), links.sign(inv2, "demo-profile", "k")
    # a link of another survey opened here; and one signed for a survey its invitation is not of
    (exit_inv,) = survey_delivery.invite(store=shop.store, survey="exit", customer_ids=["c1"])
    elsewhere, foreign = links.sign(exit_inv, "exit", "k"), links.sign(inv1, "exit", "k")
    with TestClient(create_app(Settings(token="t", secret_key="k"), shop=shop)) as c:
        fresh = c.get("/s/demo-profile", params={"t": used})
        assert fresh.status_code == 200 and f'name="token" value="{used}"' in fresh.text
        form = {"token": used, "novelty": "4", "website": ""}
        sent = c.post("/s/demo-profile/responses", data=form, follow_redirects=False)
        assert sent.status_code == 303
        again = c.get("/s/demo-profile", params={"t": used})
        assert again.status_code == 409 and "already answered this survey" in again.text
        assert "<form" not in again.text
        for token, name in ((elsewhere, "demo-profile"), (foreign, "exit")):
            other = c.get(f"/s/{name}", params={"t": token})
            assert other.status_code == 400 and "cannot be used" in other.text
            assert "<form" not in other.text
        shop.erase_customer("c2")
        gone = c.get("/s/demo-profile", params={"t": erased})
        assert gone.status_code == 400 and "no such invitation" in gone.text
        assert c.get("/s/demo-profile").status_code == 200  # the public link has no token
