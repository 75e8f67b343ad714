"""The keyword table's "product" intent is the customer types' "search term naming a product":
one rule, so a keyword the table calls a product search counts for need-based typing and no
other does.

Planted: one shopper per search term, over the kit's catalogue (Trail Running Shoe, Merino
Wool Socks, Rain Jacket Pro, Headlamp 400, Water Bottle Steel in shoes, socks, jackets, lamps,
bottles). Which terms name a product is known by reading the names: a word in one or two
product names that is no category, question or stop word.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from _types_shopkit import PRODUCTS, T0, ShopKit
from shopperlens.features import behaviour_features
from shopperlens.playbooks import traffic
from shopperlens.store import Store

TERMS = {
    "trail running shoe": "product",  # "trail", "running" are in one product name
    "merino socks": "product",
    "rain jacket": "product",  # "rain" is in one product name ("jacket" is the category "jackets")
    "headlamp 400": "product",
    "socks": "category",
    "shoes for kids": "category",  # "for" is in no name here, and a stop word anyway
    "socks for kids": "category",  # "socks" is a category word, so no product's
    "best headlamp": "informational",
    "cheap gifts": "informational",
    "gifts ideas online": "informational",
    "birthday present": "generic",
}


@pytest.fixture
def product_terms(store: Store) -> dict[str, int]:
    kit = ShopKit()
    for i, term in enumerate(TERMS):
        kit.visit(f"v{i}", i, medium="organic", term=term, pages=2)
    kit.write(store)
    f = behaviour_features(store, as_of=T0 + timedelta(days=60)).execute()
    f = f.set_index("subject_id")
    return {term: int(f.at[f"visitor:v{i}", "product_terms"]) for i, term in enumerate(TERMS)}


def test_the_keyword_table_and_the_types_read_a_term_alike(product_terms) -> None:  # type: ignore[no-untyped-def]
    classify = traffic.KeywordClassifier(
        [p[1] for p in PRODUCTS], sorted({p[2] for p in PRODUCTS}), (),
        ("how", "best", "cheap", "ideas"),
    )  # fmt: skip
    intents = {term: classify(term) for term in TERMS}
    assert intents == TERMS
    assert {t for t, n in product_terms.items() if n} == {
        t for t, intent in TERMS.items() if intent == "product"
    }


def test_a_stop_word_in_few_names_names_no_product(store: Store) -> None:
    """Only "Socks for Kids" holds "for": "shoes for hiking" names no product."""
    kit = ShopKit()
    kit.visit("v1", 0, medium="organic", term="shoes for hiking", pages=2)
    kit.write(store)
    store.execute("UPDATE products SET product_name = 'Socks for Kids' WHERE product_id = 'p2'")
    f = behaviour_features(store, as_of=T0 + timedelta(days=60)).execute()
    assert int(f.product_terms.iloc[0]) == 0
    classify = traffic.KeywordClassifier(["Socks for Kids", "Trail Running Shoe"], ["socks"])
    assert classify("shoes for hiking") != "product"


@pytest.mark.parametrize(
    "term",
    ["welcher trail running shoe für den winter", "warum merino socks", "comment choisir headlamp",
     "cómo lavar rain jacket", "welke trail running shoe", "bästa headlamp"],
)  # fmt: skip
def test_a_question_in_another_language_names_no_product(store: Store, term: str) -> None:
    """With the default types configuration, question words of German, French, Spanish, Dutch
    and Swedish make a search informational, for the types and the keyword table alike."""
    from shopperlens.service.playbooks import keyword_classifier
    from shopperlens.types import load_config

    kit = ShopKit()
    kit.visit("v1", 0, medium="organic", term=term, pages=2)
    kit.write(store)
    spec = load_config().feature_spec()
    f = behaviour_features(store, as_of=T0 + timedelta(days=60), spec=spec).execute()
    assert int(f.product_terms.iloc[0]) == 0
    assert keyword_classifier(store=store)(term) == "informational"


@pytest.mark.parametrize(
    "term",
    ["where to buy trail running shoe", "merino socks tutorial", "is rain jacket pro waterproof",
     "can headlamp 400 run all night", "trail running shoe", "headlamp 400 review"],
)  # fmt: skip
def test_the_shops_keyword_table_and_types_agree_with_the_default_words(
    store: Store, term: str
) -> None:
    """The keyword table the playbooks show (``service.playbooks.keyword_classifier``, default
    types configuration) calls a term a product search exactly when the types count it as one:
    it added question words of its own ("where", "is", "tutorial") the types did not have."""
    from shopperlens.service.playbooks import keyword_classifier
    from shopperlens.types import load_config

    kit = ShopKit()
    kit.visit("v1", 0, medium="organic", term=term, pages=2)
    kit.write(store)
    spec = load_config().feature_spec()
    f = behaviour_features(store, as_of=T0 + timedelta(days=60), spec=spec).execute()
    typed_as_product = int(f.product_terms.iloc[0]) == 1
    assert (keyword_classifier(store=store)(term) == "product") == typed_as_product
