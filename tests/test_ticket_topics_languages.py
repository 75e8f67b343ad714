"""Tickets in German, French, Spanish and Dutch are filed under the topic they ask about, as
English ones are (an English-only lexicon filed every German ticket under "other")."""

from __future__ import annotations

import pytest

from shopperlens.playbooks.support import ticket_topic


@pytest.mark.parametrize(
    ("subject", "topic"),
    [
        ("Lieferung verspätet – wo ist mein Paket?", "delivery status"),
        ("Rücksendung: Wanderschuhe zu klein", "return / refund"),
        ("Rechnung falsch, bitte korrigieren", "payment / invoice"),
        ("Reißverschluss am Schlafsack kaputt", "damaged / faulty"),
        ("Erstattung noch nicht erhalten", "return / refund"),
        ("Größe passt nicht", "size / fit"),
        ("Paket beschädigt angekommen", "damaged / faulty"),
        ("Gutscheincode funktioniert nicht", "discount code"),
        ("Wo ist meine Bestellung?", "delivery status"),
        ("Zahlung mit PayPal fehlgeschlagen", "payment / invoice"),
        ("Bestellung stornieren", "change / cancel order"),
        ("Ist der Schlafsack wieder lieferbar?", "availability / stock"),
        ("Colis en retard", "delivery status"),
        ("Demande de remboursement", "return / refund"),
        ("Mi pedido llegó roto", "damaged / faulty"),
        ("¿Tienen esta talla?", "size / fit"),
        ("Waar blijft mijn pakket?", "delivery status"),
        ("Kortingscode werkt niet", "discount code"),
        ("Where's my order?", "delivery status"),
        ("Return: boots too small", "return / refund"),
    ],
)
def test_a_ticket_in_its_customers_language_gets_its_topic(subject: str, topic: str) -> None:
    assert ticket_topic(subject) == topic
