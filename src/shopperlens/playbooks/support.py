"""Impulse buyers and support: response to offers, tickets per order, candidate macros.

Ticket topics come from a small lexicon of the questions shops get most (shipping, returns,
stock, sizing, payment, order changes, discount codes, product use); a ticket whose subject and
body match none falls into ``other``. The most frequent topics are the candidate *macros*
(automatic answers) the mission asks for, each with an example to write the answer from (see
:func:`topic_example`: a subject that itself names the topic, since a ticket can land in a
topic through a word in its body and its subject may be about something else).
"""

from __future__ import annotations

import re

import pandas as pd

__all__ = [
    "TOPICS",
    "offer_response",
    "ticket_topic",
    "ticket_topics",
    "tickets_per_order",
    "topic_example",
]

#: topic -> words that signal it (matched on whole words, lower case), in English, German,
#: French, Spanish and Dutch: a shop's tickets come in its customers' language, and an English
#: lexicon filed every German ticket under "other"
TOPICS: dict[str, tuple[str, ...]] = {
    "change / cancel order": (
        "cancel", "change", "modify", "address", "wrong",
        "stornieren", "storno", "stornierung", "ändern", "adresse", "falsch",
        "annuler", "annulation", "modifier", "adresse",
        "cancelar", "modificar", "dirección", "cambiar",
        "annuleren", "wijzigen", "adres", "verkeerd",
    ),
    "delivery status": (
        "where", "delivery", "shipping", "shipped", "tracking", "arrive", "arrived", "late",
        "delayed", "courier", "parcel", "package",
        "wo", "lieferung", "lieferzeit", "versand", "versendet", "sendung", "paket",
        "verspätet", "verspätung", "unterwegs", "zustellung", "angekommen",
        "où", "livraison", "livré", "colis", "retard", "suivi", "expédition",
        "dónde", "envío", "entrega", "paquete", "retraso", "seguimiento",
        "waar", "levering", "bezorging", "pakket", "vertraagd", "verzending",
    ),
    "return / refund": (
        "return", "returns", "refund", "refunded", "exchange", "send back",
        "rücksendung", "retoure", "zurückschicken", "zurücksenden", "erstattung",
        "rückerstattung", "umtausch", "umtauschen",
        "retour", "retourner", "remboursement", "rembourser", "échange",
        "devolución", "devolver", "reembolso",
        "retourneren", "terugbetaling", "ruilen",
    ),
    "availability / stock": (
        "stock", "restock", "available", "availability", "sold out", "out of stock",
        "back in stock",
        "lieferbar", "vorrätig", "ausverkauft", "verfügbar",
        "disponible", "rupture",
        "agotado",
        "voorraad", "beschikbaar", "uitverkocht",
    ),
    "size / fit": (
        "size", "sizing", "fit", "fits", "small", "large", "too big", "too tight",
        "größe", "passt", "klein", "groß",
        "taille", "petit", "grand",
        "talla", "pequeño", "grande",
        "maat",
    ),
    "how to use": (
        "how", "use", "setup", "set up", "assemble", "instructions", "manual", "works",
        "clean", "wash",
        "anleitung", "aufbauen", "waschen", "reinigen", "bedienung",
        "notice", "mode d emploi", "laver",
        "instrucciones", "montar", "lavar",
        "handleiding", "wassen",
    ),
    "payment / invoice": (
        "payment", "pay", "paid", "invoice", "charged", "card", "receipt",
        "zahlung", "bezahlung", "bezahlt", "rechnung", "abgebucht", "paypal",
        "paiement", "payé", "facture",
        "pago", "factura", "tarjeta",
        "betaling", "betaald", "factuur",
    ),
    "discount code": (
        "discount", "code", "coupon", "voucher", "promo", "sale",
        "gutschein", "gutscheincode", "rabatt", "rabattcode",
        "réduction", "code promo",
        "descuento", "cupón", "código",
        "korting", "kortingscode",
    ),
    "damaged / faulty": (
        "broken", "damaged", "faulty", "defect", "defective", "missing",
        "kaputt", "beschädigt", "defekt", "fehlerhaft", "fehlt",
        "cassé", "endommagé", "défectueux", "manquant",
        "roto", "dañado", "defectuoso",
        "kapot", "beschadigd",
    ),
}  # fmt: skip

#: words that go with many topics ("where is my refund", "my package arrived damaged", "can I
#: use my voucher"): each counts a third of a word that names its topic, so the ticket is filed
#: under what it asks about rather than under the first topic a common word matches
WEAK_WORDS: frozenset[str] = frozenset(
    {"where", "arrive", "arrived", "late", "package", "parcel", "how", "use", "works", "change",
     "wrong", "code", "sale", "pay", "paid", "card", "small", "large", "available", "missing",
     "wo", "paket", "angekommen", "falsch", "klein", "groß", "fehlt", "où", "colis", "petit",
     "grand", "disponible", "dónde", "paquete", "pequeño", "grande", "código", "cambiar",
     "waar", "pakket", "verkeerd"}
)  # fmt: skip


#: what separates words: anything but letters and digits of any script ("Rücksendung" is one
#: word; reading ASCII alone made it "r cksendung")
_NOT_WORD = re.compile(r"[^\w ]+|_")


def ticket_topic(subject: str | None, body: str | None = None) -> str:
    """The lexicon topic a ticket's subject names most strongly, else its body's.

    Each word of a topic found in the text scores 3, a :data:`WEAK_WORDS` word 1; the highest
    total wins, a tie goes to the topic listed first."""
    for text in (subject, body):
        if not text:
            continue
        low = f" {_NOT_WORD.sub(' ', str(text).lower())} "
        scores = {
            topic: sum(1 if w in WEAK_WORDS else 3 for w in words if f" {w} " in low)
            for topic, words in TOPICS.items()
        }
        best = max(scores, key=lambda topic: scores[topic])  # the first of equal scores
        if scores[best]:
            return best
    return "other"


def ticket_topics(tickets: pd.DataFrame, *, top: int = 8) -> pd.DataFrame:
    """Most frequent topics: ``topic, tickets, share, example`` (see :func:`topic_example`)."""
    if tickets.empty:
        return pd.DataFrame(columns=["topic", "tickets", "share", "example"])
    body = tickets.body if "body" in tickets else pd.Series(None, index=tickets.index)
    t = tickets.assign(
        topic=[ticket_topic(s, b) for s, b in zip(tickets.subject, body, strict=True)], body=body
    )
    g = t.groupby("topic")
    examples = {topic: topic_example(part, topic) for topic, part in g}
    out = pd.DataFrame({"tickets": g.size()}).reset_index()
    out["example"] = out.topic.map(examples)
    out["share"] = out.tickets / len(t)
    out = out.sort_values(["tickets", "topic"], ascending=[False, True]).head(top)
    return out[["topic", "tickets", "share", "example"]].reset_index(drop=True)


def topic_example(tickets: pd.DataFrame, topic: str) -> str | None:
    """An example for ``topic`` that shows it, and shows no customer.

    The most common subject that names the topic by itself, preferring one several customers
    wrote (a helpdesk form's subject rather than one person's words); else the first sentence
    of a body that names it (the words that put the ticket here, not the greeting with the
    sender's name and number). Either is scrubbed: e-mail addresses, phone numbers and the
    words of the ticket's customer's name (``customer_name``, when given) are masked — an
    example is printed in the report for anyone to read.

    The first subject of the topic's tickets was taken before, and a "product availability"
    ticket whose body asked about a size became the example of "size / fit".
    """
    names = tickets.get("customer_name")
    who = tickets["customer_id"] if "customer_id" in tickets else pd.Series(tickets.index)
    subjects = pd.DataFrame(
        {"text": _scrubbed(tickets.subject, names), "who": who.to_numpy()}, index=tickets.index
    ).dropna(subset=["text"])
    subjects = subjects[[ticket_topic(x) == topic for x in subjects.text]]
    if len(subjects):
        g = subjects.groupby("text")
        ranked = pd.DataFrame({"people": g.who.nunique(), "n": g.size()})
        ranked = ranked.sort_values(["people", "n"], ascending=False, kind="stable")
        return str(ranked.index[0])
    if "body" in tickets:
        sentences = [
            sentence
            for body in _scrubbed(tickets.body, names).dropna()
            for sentence in _SENTENCE.findall(body)
            if ticket_topic(sentence) == topic
        ]
        if sentences:
            return str(pd.Series(sentences).str.strip().value_counts().index[0])
    return None


#: a sentence: up to its end mark (or the end of the text)
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")


def _scrubbed(texts: pd.Series, names: pd.Series | None) -> pd.Series:
    """``texts`` with e-mails, phone numbers and the words of each row's name masked."""
    from shopperlens.personas.synthesis import scrub

    out = []
    for i, text in zip(texts.index, texts, strict=True):
        if text is None or (isinstance(text, float) and text != text) or not str(text).strip():
            out.append(None)
            continue
        clean = scrub(str(text))
        name = names.get(i) if names is not None else None
        for word in str(name).split() if isinstance(name, str) else ():
            if len(word) >= 2:
                clean = re.sub(rf"\b{re.escape(word)}\b", "[name]", clean, flags=re.IGNORECASE)
        out.append(clean)
    return pd.Series(out, index=texts.index, dtype=object)


def tickets_per_order(
    tickets: pd.DataFrame, orders: pd.DataFrame, types: pd.DataFrame
) -> pd.DataFrame:
    """Support tickets per order for each type (impulse buyers should stand out).

    Counts every ticket and order of the customers of each type: ``type, customers, orders,
    tickets, tickets_per_order``.
    """
    t = types.dropna(subset=["customer_id"])[["customer_id", "type"]].drop_duplicates("customer_id")
    per_orders = orders.dropna(subset=["customer_id"]).groupby("customer_id").order_id.nunique()
    per_tickets = tickets.dropna(subset=["customer_id"]).groupby("customer_id").size()
    t = t.assign(
        orders=t.customer_id.map(per_orders).fillna(0).astype(int),
        tickets=t.customer_id.map(per_tickets).fillna(0).astype(int),
    )
    g = t.groupby("type")
    out = pd.DataFrame(
        {"customers": g.size(), "orders": g.orders.sum(), "tickets": g.tickets.sum()}
    ).reset_index()
    out["tickets_per_order"] = out.tickets / out.orders.where(out.orders > 0)
    return out


def offer_response(orders: pd.DataFrame, types: pd.DataFrame) -> pd.DataFrame:
    """How each type responds to discount codes and campaigns.

    ``orders`` has ``order_id, customer_id, value, discount_code`` and optionally ``campaign``
    (the utm campaign of the buying session) and ``visited`` (whether the buyer has visits in
    the imported visit data). Returns per type: ``orders``, ``discount_share`` (share of orders
    using a code), ``campaign_share``, ``campaign_orders`` (the orders it is a share of),
    ``revenue`` and ``discount_revenue``.

    An order whose ``value`` is unknown (NaN: not in the shop's currency) counts as an order
    but adds no amount; a type with no known amount has unknown revenue (NaN), not 0, which
    read as a type that spent nothing.

    A campaign is seen in the buyer's visits, so ``campaign_share`` is over the orders of
    buyers whose visits are on record (all orders when ``visited`` is not given), and unknown
    (NaN) for a type with none, or without a ``campaign`` column: a store holding a few other
    visitors' events showed "from a campaign 0 %" for buyers none of whose visits it held.
    """
    t = types.dropna(subset=["customer_id"])[["customer_id", "type"]].drop_duplicates("customer_id")
    o = orders.merge(t, on="customer_id", how="inner")
    if o.empty:
        return pd.DataFrame(
            columns=["type", "orders", "discount_share", "campaign_share", "campaign_orders",
                     "revenue", "discount_revenue"]
        )  # fmt: skip
    o["discounted"] = o.discount_code.notna() & (o.discount_code.astype(str).str.strip() != "")
    known = o.visited.fillna(False).astype(bool) if "visited" in o else "campaign" in o
    o["known"] = known
    o["campaigned"] = o.known & (
        o.campaign.notna() & (o.campaign.astype(str) != "") if "campaign" in o else False
    )
    o["discount_value"] = o.value.where(o.discounted | o.value.isna(), 0.0)
    g = o.groupby("type")
    base = g.known.sum()
    return pd.DataFrame(
        {
            "orders": g.order_id.nunique(),
            "discount_share": g.discounted.mean(),
            "campaign_share": g.campaigned.sum() / base.where(base > 0),
            "campaign_orders": base.astype(int),
            "revenue": g.value.sum(min_count=1),
            "discount_revenue": g.discount_value.sum(min_count=1),
        }
    ).reset_index()
