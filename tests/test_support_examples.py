"""A candidate macro's example is printed in the report: it must show the topic, not a customer."""

from __future__ import annotations

import pandas as pd
import pytest

from shopperlens.playbooks import support


def test_an_example_masks_the_customer_and_quotes_only_the_sentence_on_topic() -> None:
    tickets = pd.DataFrame(
        {
            "customer_id": ["c1", "c2"],
            "customer_name": ["Sofie Weber", "Ann Li"],
            "subject": ["Chat with Sofie Weber", "Chat with Ann Li"],
            "body": [
                "Hi, this is Sofie Weber (sofie.weber59@example.com, +31 6 12340000). "
                "Where is my parcel? Thanks, Sofie",
                "Hello from Ann. Where is my parcel? Ann Li, 0612340000",
            ],
        }
    )
    topics = support.ticket_topics(tickets).set_index("topic")
    example = topics.loc["delivery status", "example"]
    assert example == "Where is my parcel?"


def test_a_subject_several_customers_wrote_is_preferred_and_scrubbed() -> None:
    tickets = pd.DataFrame(
        {
            "customer_id": ["c1", "c1", "c1", "c2", "c3"],
            "customer_name": ["Bo Berg", "Bo Berg", "Bo Berg", None, None],
            "subject": [
                "Bo Berg: refund please bo@example.com",
                "Bo Berg: refund please bo@example.com",
                "Bo Berg: refund please bo@example.com",
                "Return request",
                "Return request",
            ],
        }
    )
    assert support.topic_example(tickets, "return / refund") == "Return request"
    one = tickets.iloc[:3]
    assert support.topic_example(one, "return / refund") == (
        "[name] [name]: refund please [e-mail]"
    )


def test_exit_pages_leave_out_query_strings() -> None:
    from shopperlens.playbooks import checkout

    events = pd.DataFrame(
        {
            "session_id": ["s1", "s1", "s2", "s3"],
            "timestamp": pd.to_datetime(["2025-01-01 10:00", "2025-01-01 10:05"] * 2),
            "event_name": ["page_view"] * 4,
            "page": ["/", "/cart?email=ann@example.com", "/cart#top", "/cart"],
        }
    )
    out = checkout.exit_pages(events)
    assert out.to_dict("records") == [{"page": "/cart", "exits": 3, "share": 1.0}]


def test_the_report_masks_the_ticket_customers_name(shop, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from _ingest_data import write
    from shopperlens.service import playbooks

    shop.import_customers(
        write(tmp_path, "c.csv", "customer_id,email,name\nc1,sofie@example.com,Sofie Weber\n")
    )
    shop.import_tickets(
        write(
            tmp_path,
            "t.csv",
            "ticket_id,customer_id,created_at,subject,body\n"
            "t1,c1,2025-01-02,Chat with Sofie Weber,Sofie here (sofie@example.com). "
            "Sofie Weber asks: where is my parcel?\n",
        )
    )
    topics = playbooks.support_report(store=shop.store)["topics"].set_index("topic")
    assert topics.loc["delivery status", "example"] == "[name] [name] asks: where is my parcel?"


@pytest.mark.parametrize(
    ("subject", "topic"),
    [
        ("Where is my refund?", "return / refund"),
        ("Headlamp arrived broken", "damaged / faulty"),
        ("My package arrived damaged", "damaged / faulty"),
        ("Where can I use my voucher?", "discount code"),
        ("Can I use my discount code twice?", "discount code"),
        ("Wrong size, want to exchange", "return / refund"),
        ("Please change my delivery address", "change / cancel order"),
        ("Where is my package?", "delivery status"),
        ("How do I set up the tent?", "how to use"),
        ("Thank you!", "other"),
    ],
)
def test_a_ticket_is_filed_under_what_it_asks_about(subject: str, topic: str) -> None:
    """The first topic a common word matched won: "Where is my refund?" was a delivery
    question, and so were a broken headlamp and a voucher."""
    assert support.ticket_topic(subject) == topic
