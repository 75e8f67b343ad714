"""Survey e-mails carry their way out: a personal opt-out page (a button, no token needed), the
``List-Unsubscribe`` headers of mail programs, a ``Date``, the shop's name in From, and a
greeting that does not misread the customer's name. Over real SMTP (aiosmtpd) and the real
app."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from email.utils import parseaddr, parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest

import shopperlens
from shopperlens.service import consent, surveys
from shopperlens.service import survey_delivery as dlv
from shopperlens.surveys import mail

PUBLIC = "https://survey.example.com"
OPT_OUT = re.compile(r"https://survey\.example\.com/survey-opt-out\?t=(\S+)")


def _people(store: Any) -> None:
    """c1..c3, all of whom take survey e-mails."""
    for i, name in enumerate(["Anna Berg", "Dr. Jan Smit", "Mari Saar"], start=1):
        store.execute(
            "INSERT INTO customers (customer_id, email, name, accepts_marketing) "
            "VALUES (?, ?, ?, true)",
            [f"c{i}", f"c{i}@example.com", name],
        )
    surveys.ensure_builtin(store=store)


def _body(message: Any) -> str:
    return str(message.get_payload(decode=True).decode())


def _to(inbox: Any, address: str) -> Any:
    return next(m for m in inbox.messages if m["To"] == address)


@pytest.fixture
def mailing(shop: shopperlens.Shop, client: Any, smtp: Any) -> Any:
    """``(shop, client, inbox, settings)``: the settings send through the test SMTP server
    with survey links on an https address and the shop's name set; the app knows the key."""
    inbox, base = smtp
    settings = base.model_copy(update={"public_url": PUBLIC, "shop_name": "Boot Corner"})
    client.app.state.settings = client.app.state.settings.model_copy(
        update={"secret_key": settings.secret_key, "shop_name": "Boot Corner"}
    )
    _people(shop.store)
    return shop, client, inbox, settings


def _survey_refusals(store: Any, customer: str) -> list[consent.ConsentRecord]:
    return consent.list_consents(store=store, customer_id=customer, purpose="survey")


def test_an_invitation_has_an_opt_out_link_and_the_headers_mail_programs_read(mailing):
    shop, _, inbox, settings = mailing
    rep = dlv.send_invitations(store=shop.store, settings=settings, survey="demo-profile")
    assert rep.sent == 3
    msg = _to(inbox, "c1@example.com")
    body = _body(msg)
    link = OPT_OUT.search(body)
    assert link, body
    assert msg["List-Unsubscribe"] == f"<{link.group(0)}>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    sent_at = parsedate_to_datetime(msg["Date"])
    assert abs((datetime.now(sent_at.tzinfo) - sent_at).total_seconds()) < 300
    assert msg["Message-ID"].startswith("<") and msg["Message-ID"].endswith(">")
    assert parseaddr(msg["From"]) == ("Boot Corner", settings.smtp_sender)
    # what the e-mail says is true: a reminder may follow unless they opt out
    assert "simply ignore" not in body and "remind" in body
    # each recipient has their own link
    others = {OPT_OUT.search(_body(m)).group(1) for m in inbox.messages}  # type: ignore[union-attr]
    assert len(others) == 3


def _press(client: Any, url: str) -> Any:
    """Open the opt-out page without the API token, then press its button."""
    page = client.get(url, headers={"Authorization": ""})
    assert page.status_code == 200, page.text
    action = re.search(r'<form method="post" action="([^"]+)"', page.text)
    assert action, page.text
    return page, client.post(url.split("?")[0] + action.group(1), headers={"Authorization": ""})


def test_the_page_opts_out_on_its_button_only(mailing):
    """Opening the page (as a mail service's link scanner does) records nothing; its button
    records the refusal as ``consent set … --refused`` does, and no later e-mail goes out."""
    shop, client, inbox, settings = mailing
    dlv.send_invitations(store=shop.store, settings=settings, survey="demo-profile")
    url = OPT_OUT.search(_body(_to(inbox, "c2@example.com"))).group(0)  # type: ignore[union-attr]
    assert client.get(url, headers={"Authorization": ""}).status_code == 200
    assert _survey_refusals(shop.store, "c2") == []  # opening is not pressing
    page, done = _press(client, url)
    assert "Boot Corner" in page.text and page.headers["cache-control"] == "no-store"
    assert done.status_code == 200 and "no more survey e-mails" in done.text
    [refusal] = _survey_refusals(shop.store, "c2")
    assert not refusal.granted and refusal.source == dlv.OPT_OUT_SOURCE
    assert "c2" not in dlv.consenting(store=shop.store)
    _press(client, url)  # pressed again: no second record
    assert len(_survey_refusals(shop.store, "c2")) == 1
    later = datetime.now() + timedelta(days=8)
    rep = dlv.send_reminders(store=shop.store, settings=settings, survey="demo-profile", now=later)
    assert rep.reminded == 2 and "c2@example.com" not in inbox.to[3:]


def test_a_later_send_remind_skips_who_opted_out(
    smtp: Any, cli: Any, db_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """The CLI's ``survey send --remind`` reminds everyone but the customer who pressed the
    button (the reminders carry the opt-out too)."""
    from fastapi.testclient import TestClient

    from shopperlens.config import Settings
    from shopperlens.web.app import create_app

    inbox, base = smtp
    settings = base.model_copy(update={"public_url": PUBLIC})
    with shopperlens.open(db_path) as shop:
        _people(shop.store)
        dlv.send_invitations(store=shop.store, settings=settings, survey="demo-profile")
        url = OPT_OUT.search(_body(_to(inbox, "c3@example.com"))).group(0)  # type: ignore[union-attr]
        app = create_app(Settings(token="t0ken", secret_key=settings.secret_key), shop=shop)
        with TestClient(app) as client:
            assert _press(client, url)[1].status_code == 200
    for key, value in {
        "SMTP_HOST": settings.smtp_host,
        "SMTP_PORT": str(settings.smtp_port),
        "SECRET_KEY": str(settings.secret_key),
        "PUBLIC_URL": PUBLIC,
    }.items():
        monkeypatch.setenv(f"SHOPPERLENS_{key}", value)
    res = cli("survey", "send", "demo-profile", "--remind", "--gap-days", "0")
    assert res.exit_code == 0, res.output
    reminders = inbox.messages[3:]
    assert sorted(m["To"] for m in reminders) == ["c1@example.com", "c2@example.com"]
    assert all(OPT_OUT.search(_body(m)) and m["List-Unsubscribe"] for m in reminders)


def test_a_mail_programs_one_click_post_opts_out_without_the_page(mailing):
    """RFC 8058: the program POSTs ``List-Unsubscribe=One-Click`` to the header's address."""
    shop, client, inbox, settings = mailing
    dlv.send_invitations(store=shop.store, settings=settings, survey="demo-profile")
    header = _to(inbox, "c1@example.com")["List-Unsubscribe"]
    res = client.post(
        header.strip("<>"),
        content=b"List-Unsubscribe=One-Click",
        headers={"Authorization": "", "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert res.status_code == 200
    assert [r.granted for r in _survey_refusals(shop.store, "c1")] == [False]


def test_a_survey_link_or_a_changed_token_opts_nobody_out(mailing):
    shop, client, inbox, settings = mailing
    dlv.send_invitations(store=shop.store, settings=settings, survey="demo-profile")
    body = _body(_to(inbox, "c1@example.com"))
    survey_token = re.search(r"/s/demo-profile\?t=(\S+)", body).group(1)  # type: ignore[union-attr]
    token = OPT_OUT.search(body).group(1)  # type: ignore[union-attr]
    for bad in (survey_token, token[:-2] + "xx", ""):
        res = client.post(f"/survey-opt-out?t={bad}", headers={"Authorization": ""})
        assert res.status_code == 400 and "does not work" in res.text
        assert client.get(f"/survey-opt-out?t={bad}").status_code == 400
    assert all(not _survey_refusals(shop.store, c) for c in ("c1", "c2", "c3"))


def test_a_shops_own_template_and_an_interview_invitation_carry_the_opt_out(
    mailing, tmp_path: Path
):
    from shopperlens.service import interviews

    shop, _, inbox, settings = mailing
    own = tmp_path / "own.txt"
    own.write_text("Subject: Kurze Umfrage\n\nHallo {{ first_name }}, {{ link }}\n", "utf-8")
    dlv.send_invitations(
        store=shop.store, settings=settings, survey="demo-profile", template=own,
        audience={"customers": ["c1"]},
    )  # fmt: skip
    assert OPT_OUT.search(_body(inbox.messages[-1])) and inbox.messages[-1]["List-Unsubscribe"]
    later = datetime.now() + timedelta(days=settings.survey_fatigue_days + 1)
    rep = interviews.invite_interviewees(
        store=shop.store, settings=settings, customer_ids=["c2"], now=later
    )
    assert rep.sent == 1
    invitation = inbox.messages[-1]
    assert OPT_OUT.search(_body(invitation)) and invitation["List-Unsubscribe"]


def test_an_http_public_address_gets_the_link_but_no_one_click_header(smtp, store):
    inbox, settings = smtp  # http://shop.test: one-click needs https (RFC 8058)
    _people(store)
    dlv.send_invitations(store=store, settings=settings, survey="demo-profile")
    msg = inbox.messages[0]
    assert msg["List-Unsubscribe"].startswith("<http://shop.test/survey-opt-out?t=")
    assert msg["List-Unsubscribe-Post"] is None
    assert msg["From"] == settings.smtp_sender  # no shop name set: the bare address


@pytest.mark.parametrize(
    ("name", "greeting"),
    [
        ("Anna Schmidt", "Anna"),
        ("Mr John Smith", "John"),
        ("Mrs. Jane Doe", "Jane"),
        ("Ms Jane Doe", "Jane"),
        ("Mx Sam Lee", "Sam"),
        ("Dr. Anna Schmidt", "Anna"),
        ("Prof. Dr. Hans Weber", "Hans"),
        ("Herr Klaus Meyer", "Klaus"),
        ("Frau Dr. Müller", None),  # a title and a family name: no first name
        ("Mme Claire Dupont", "Claire"),
        ("M. Dupont", None),
        ("Sra. María López", "María"),
        ("Sr José García", "José"),
        ("Dr.", None),
        ("Mr", None),
        ("Schmidt, Anna", "Anna"),
        ("van der Berg, Jan", "Jan"),
        ("JOHN SMITH", "John"),
        ("ANNA-LENA SCHMIDT", "Anna-Lena"),
        ("jo@example.com", None),
        ("Anna Schmidt (jo@example.com)", None),
        ("Customer 123", None),
        ("van der Berg Jan", "van der Berg Jan"),
        ("von Trapp Maria", "von Trapp Maria"),
        ("de la Cruz Ana", "de la Cruz Ana"),
        ("VAN DER BERG JAN", None),  # a particle or a first name: cannot be told
        ("Van Morrison", "Van"),
        ("J. Smith", None),
        ("山田 太郎", "山田 太郎"),
        ("Мария Иванова", "Мария"),
        ("O'Brien Sean", "O'Brien"),
        ("  Anna   ", "Anna"),
        ("", None),
        ("-", None),
        (None, None),
        (float("nan"), None),
    ],
)
def test_the_greeting_name(name: object, greeting: str | None) -> None:
    assert mail.greeting_name(name) == greeting
