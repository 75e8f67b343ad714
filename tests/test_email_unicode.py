"""One address in two Unicode forms is one address.

``jürgen.müller@example.de`` typed on a Mac or pasted from some programs arrives decomposed
(``u`` and U+0308 COMBINING DIAERESIS), another export composed (U+00FC). The two look alike,
but were stored as two addresses: two customers, ``erase --email`` found one of them, and the
audiences' hashes differed. The composed form (NFC) is the one the store keeps.
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import duckdb
import pandas as pd

import shopperlens
from shopperlens.emails import email_sql, normalise_email
from shopperlens.playbooks.audience import audience
from shopperlens.service import surveys
from shopperlens.store import migrations

#: the address composed (what the store keeps) and decomposed (what a Mac writes)
COMPOSED = "j\u00fcrgen.m\u00fcller@example.de"
DECOMPOSED = "ju\u0308rgen.mu\u0308ller@example.de"


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _customers_and_orders(shop: shopperlens.Shop, tmp_path: Path) -> None:
    """A customers file with the address decomposed, an orders file naming it composed."""
    shop.import_customers(
        _write(tmp_path / "c.csv", f"customer_id,email,name\nC1,{DECOMPOSED},Jürgen Müller\n")
    )
    shop.import_orders(
        _write(
            tmp_path / "o.csv",
            "order_id,customer_id,ordered_at,product_id,quantity,unit_price,email\n"
            f"O1,,2025-01-01,P1,1,10,{COMPOSED}\n",
        )
    )


def test_a_decomposed_and_a_composed_address_are_one_customer(shop, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _customers_and_orders(shop, tmp_path)
    assert shop.sql("SELECT customer_id, email FROM customers").values.tolist() == [
        ["C1", COMPOSED]
    ]
    assert shop.sql("SELECT customer_id FROM orders").values.tolist() == [["C1"]]


def test_erase_by_either_form_takes_the_customer_and_their_orders(shop, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _customers_and_orders(shop, tmp_path)
    report = shop.erase_customer(email=DECOMPOSED.upper())
    assert report.rows_deleted["customers"] == 1 and report.rows_deleted["orders"] == 1
    assert shop.sql("SELECT count(*) AS n FROM customers")["n"][0] == 0


def test_sql_and_python_compose_an_address_before_and_after_lower_casing() -> None:
    """``J`` and a combining caron compose to nothing; lower-cased they are ``ǰ`` (U+01F0).
    ``İ`` written as ``I`` and a combining dot is ``İ`` composed, which lower-cases to ``i``.
    Text after a NUL stays (DuckDB's ``nfc_normalize`` alone dropped it)."""
    con = duckdb.connect()
    cases = {
        " " + DECOMPOSED.upper() + "\t": COMPOSED,
        "J\u030c@example.org": "\u01f0@example.org",
        "I\u0307pek@example.org": "ipek@example.org",
        "u\u0308@example.de\x00x": "\u00fc@example.de\x00x",
    }
    for given, stored in cases.items():
        assert normalise_email(given) == stored
        assert con.execute(f"SELECT {email_sql('?')}", [given]).fetchone()[0] == stored


def test_audiences_hash_the_composed_address() -> None:
    """Meta and Google match the SHA-256 of the normalised address their user typed."""
    customers = pd.DataFrame(
        {
            "customer_id": ["C1", "C2"],
            "type": ["loyal", "loyal"],
            "email": [DECOMPOSED, "Zoe\u0308@example.de"],
            "marketing_consent": [True, True],
        }
    )
    expected = [
        hashlib.sha256(COMPOSED.encode()).hexdigest(),
        hashlib.sha256("zo\u00eb@example.de".encode()).hexdigest(),
    ]
    assert audience(customers, "meta")[0]["email"].tolist() == expected
    assert audience(customers, "google")[0]["Email"].tolist() == expected
    assert audience(customers, "klaviyo")[0]["Email"].tolist()[0] == COMPOSED


def test_a_survey_answer_by_a_decomposed_address_joins_the_customer(shop, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    surveys.ensure_builtin(store=shop.store)
    shop.import_customers(_write(tmp_path / "c.csv", f"customer_id,email\nC1,{COMPOSED}\n"))
    shop.survey_import(
        _write(tmp_path / "a.csv", f"respondent,age_bracket\n{DECOMPOSED},35-44\n"),
        survey="demo-profile",
    )
    assert shop.sql("SELECT customer_id FROM survey_responses")["customer_id"].tolist() == ["C1"]


def _key(text: str) -> str:
    """The id an older import derived from an address as it was written."""
    return "e-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _old_store_file(path: Path) -> None:
    """A store as shopperlens left it before addresses were composed: C1 stored decomposed (a
    Mac's customers file), its orders file's composed address made a second customer, and a
    ticket file that wrote the address decomposed keyed its ticket by that form's hash."""
    con = duckdb.connect(str(path))
    migrations.applied(con)
    for mig in migrations.available():
        if mig.version < 18:
            con.execute(mig.sql)
            con.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (?, ?)",
                [mig.version, mig.name],
            )
    con.execute(
        "INSERT INTO customers (customer_id, email, name) VALUES (?, ?, 'Jürgen Müller'), "
        "(?, ?, NULL), ('C2', 'ann@example.org', 'Ann')",
        ["C1", DECOMPOSED, _key(COMPOSED), COMPOSED],
    )
    con.execute(
        "INSERT INTO tickets (ticket_id, customer_id, created_at, subject) VALUES "
        "('T1', ?, TIMESTAMP '2024-03-01', 'Rücksendung'), "
        "('T2', 'C2', TIMESTAMP '2024-03-01', 'hello')",
        [_key(DECOMPOSED)],
    )
    con.close()


def test_an_older_store_is_composed_and_its_person_erased_whole(tmp_path: Path) -> None:
    """Opening the store composes the stored address (ids stay as they are); erasing the
    address then takes both customers and the ticket under the decomposed form's key."""
    db = tmp_path / "shop.duckdb"
    _old_store_file(db)
    shop = shopperlens.open(db)
    try:
        stored = shop.sql("SELECT customer_id, email FROM customers ORDER BY 1")
        assert stored.values.tolist() == [
            ["C1", COMPOSED],
            ["C2", "ann@example.org"],
            [_key(COMPOSED), COMPOSED],
        ]
        report = shop.erase_customer(email=COMPOSED)
        assert report.rows_deleted == {"customers": 2, "tickets": 1}
        left = shop.sql("SELECT ticket_id FROM tickets")["ticket_id"].tolist()
        assert left == ["T2"]
    finally:
        shop.close()


def test_a_rejected_line_holding_the_decomposed_address_is_erased(tmp_path: Path) -> None:
    """The rejects file keeps a refused line as it was written: decomposed."""
    db = tmp_path / "shop.duckdb"
    rejects = db.with_name("shop.rejects.csv")
    rejects.write_text(
        "file,line,column,value,reason\n"
        f"crm_{DECOMPOSED}.csv,2,email,J M <{DECOMPOSED}>,not one e-mail address\n"
        "crm.csv,3,email,Jo <ann@example.org>,not one e-mail address\n",
        encoding="utf-8",
    )
    shop = shopperlens.open(db)
    try:
        assert shop.erase_customer(email=COMPOSED).rejects_removed == 1
    finally:
        shop.close()
    with rejects.open(newline="", encoding="utf-8") as fh:
        assert [r["line"] for r in csv.DictReader(fh)] == ["3"]


# -- mail to a non-ASCII domain --------------------------------------------------------------------
class _Recorder:
    """An aiosmtpd handler keeping each envelope it takes: sender, recipients, MAIL options
    and the message."""

    def __init__(self) -> None:
        self.envelopes: list[tuple[str, list[str], list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802 - aiosmtpd hook name
        content = envelope.content.decode("utf-8")
        self.envelopes.append(
            (envelope.mail_from, list(envelope.rcpt_tos), list(envelope.mail_options), content)
        )
        return "250 OK"


def _smtp(*, utf8: bool):  # type: ignore[no-untyped-def]
    import pytest

    from shopperlens.config import Settings
    from shopperlens.web.server import free_port

    controller = pytest.importorskip("aiosmtpd.controller")
    handler, port = _Recorder(), free_port()
    ctl = controller.Controller(handler, hostname="127.0.0.1", port=port, enable_SMTPUTF8=utf8)
    settings = Settings(
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_sender="umfrage@bücher.de",
        secret_key="k3y",
        public_url="http://shop.test",
    )
    return ctl, handler, settings


#: the same domain in IDNA's ASCII form (RFC 3492 Punycode, as registrars show it)
BUECHER = "xn--bcher-kva.de"
SENDER_ASCII = f"umfrage@{BUECHER}"


def _invite(store, settings, **customers: str):  # type: ignore[no-untyped-def]
    from shopperlens.service import survey_delivery as dlv

    surveys.ensure_builtin(store=store)
    for cid, address in customers.items():
        store.execute(
            "INSERT INTO customers (customer_id, email, accepts_marketing) VALUES (?, ?, true)",
            [cid, address],
        )
    report = dlv.send_invitations(
        store=store, settings=settings, survey="demo-profile", audience=dlv.Audience()
    )
    rows = store.execute("SELECT customer_id, status, error FROM survey_invitations").fetchall()
    return report, {cid: (status, error) for cid, status, error in rows}


def test_without_smtputf8_a_non_ascii_domain_goes_to_its_idna_form(store) -> None:  # type: ignore[no-untyped-def]
    """``jonas@bücher.de`` failed for good on a server without SMTPUTF8, though
    ``jonas@xn--bcher-kva.de`` is the same mailbox; a non-ASCII local part still cannot go,
    and a server with SMTPUTF8 gets the domain as written."""
    from shopperlens.surveys import mail

    ctl, server, settings = _smtp(utf8=False)
    ctl.start()
    try:
        report, status = _invite(
            store, settings, c1="jonas.duerr174@bücher.de", c2="jürgen@bücher.de"
        )
    finally:
        ctl.stop()
    assert (report.sent, report.failed) == (1, 1)
    assert status == {"c1": ("sent", None), "c2": ("failed", mail.NO_SMTPUTF8)}
    ((mail_from, tos, options, content),) = server.envelopes
    assert tos == [f"jonas.duerr174@{BUECHER}"] and "SMTPUTF8" not in options
    assert mail_from == SENDER_ASCII
    assert f"To: jonas.duerr174@{BUECHER}\r\n" in content
    assert f"From: {SENDER_ASCII}\r\n" in content

    store.execute("DELETE FROM survey_invitations")
    ctl, server, settings = _smtp(utf8=True)
    ctl.start()
    try:
        report, _ = _invite(store, settings)
    finally:
        ctl.stop()
    assert report.sent == 2
    assert sorted(to for _, tos, _, _ in server.envelopes for to in tos) == [
        "jonas.duerr174@bücher.de",
        "jürgen@bücher.de",
    ]
