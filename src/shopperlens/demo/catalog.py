"""The demo shop's fixed world: its catalogue, campaigns, traffic sources and text pools.

Summitside is an invented outdoor and sports gear shop. Everything here is static data; the
random parts (who buys what, when) live in :mod:`shopperlens.demo.shoppers`.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

SHOP_NAME = "Summitside"
BRAND = "summitside"
CURRENCY = "EUR"

#: (category, [(product name, price EUR), ...]) — 8 categories, 60 products
CATALOGUE: list[tuple[str, list[tuple[str, float]]]] = [
    (
        "tents",
        [
            ("Alpine Dome 2 Tent", 289.0),
            ("Trailhead 1 Ultralight Tent", 349.0),
            ("Family Cabin 4 Tent", 459.0),
            ("Storm Shelter 3 Tent", 399.0),
            ("Pop-Up Beach Tent", 69.0),
            ("Bivy Sack Pro", 159.0),
            ("Tarp Wing 3x3", 89.0),
        ],
    ),
    (
        "sleeping",
        [
            ("Down Sleeper -10 Bag", 279.0),
            ("Summer Lite +10 Bag", 99.0),
            ("Synthetic Trek 0 Bag", 149.0),
            ("Self-Inflating Mat 5cm", 79.0),
            ("Air Pad Ultralight", 119.0),
            ("Camp Pillow Compact", 29.0),
            ("Silk Sleeping Liner", 49.0),
        ],
    ),
    (
        "backpacks",
        [
            ("Ridge 45L Backpack", 189.0),
            ("Ridge 65L Backpack", 229.0),
            ("Daytrip 22L Daypack", 89.0),
            ("Hydration Vest 8L", 119.0),
            ("Commuter 18L Pack", 79.0),
            ("Rain Cover Pack L", 25.0),
            ("Kids Explorer 12L", 45.0),
            ("Duffel 60L Travel Bag", 99.0),
        ],
    ),
    (
        "footwear",
        [
            ("Trailrunner GTX Shoe", 159.0),
            ("Summit Pro Hiking Boot", 229.0),
            ("Approach Low Shoe", 139.0),
            ("Winter Trek Boot", 249.0),
            ("Camp Slide Sandal", 39.0),
            ("Merino Hiking Socks 3-Pack", 35.0),
            ("Gaiters Trail", 29.0),
            ("Road Runner Shoe", 129.0),
        ],
    ),
    (
        "jackets",
        [
            ("Stormproof 3L Rain Jacket", 299.0),
            ("Packable Down Jacket", 219.0),
            ("Softshell Trail Jacket", 149.0),
            ("Fleece Midlayer 200", 79.0),
            ("Windbreaker Ultralight", 99.0),
            ("Insulated Parka Arctic", 389.0),
            ("Rain Pants 2.5L", 119.0),
            ("Merino Base Layer Top", 89.0),
        ],
    ),
    (
        "climbing",
        [
            ("Crag Harness", 69.0),
            ("Dynamic Rope 9.8mm 60m", 179.0),
            ("Climbing Shoe Edge", 119.0),
            ("Chalk Bag Classic", 19.0),
            ("Belay Device Guide", 39.0),
            ("Quickdraw Set 6", 99.0),
            ("Climbing Helmet Vent", 79.0),
        ],
    ),
    (
        "camp-kitchen",
        [
            ("Titanium Stove Micro", 59.0),
            ("Cook Set Duo", 49.0),
            ("Gas Canister 230g", 8.0),
            ("Insulated Bottle 750ml", 35.0),
            ("Water Filter Squeeze", 45.0),
            ("Camp Mug Enamel", 15.0),
            ("Folding Spork Set", 12.0),
            ("Cooler Box 25L", 129.0),
        ],
    ),
    (
        "accessories",
        [
            ("Headlamp 400 Lumen", 49.0),
            ("Trekking Poles Carbon", 129.0),
            ("Sunglasses Glacier", 89.0),
            ("GPS Watch Trail", 349.0),
            ("First Aid Kit Hiker", 29.0),
            ("Multi-Tool Scout", 45.0),
            ("Solar Power Bank", 59.0),
        ],
    ),
]

#: informational searches lookers make (Google and on-site): researching, not buying
INFO_TERMS = [
    "how to choose a tent",
    "best hiking boots for beginners",
    "down vs synthetic sleeping bag",
    "what size backpack for a weekend hike",
    "how to waterproof a rain jacket",
    "trail running shoes vs hiking shoes",
    "camping checklist",
    "how to layer for winter hiking",
    "best ultralight gear",
    "climbing gear for beginners",
    "tent reviews",
    "gift ideas hiker",
]
#: generic category searches (browsing, not a named product)
GENERIC_TERMS = [
    "tent",
    "sleeping bag",
    "backpack",
    "hiking boots",
    "rain jacket",
    "climbing shoes",
    "camping stove",
    "headlamp",
    "sale",
    "waterproof jacket women",
    "running shoes",
]
#: searches for the shop itself (loyal customers coming back)
BRAND_TERMS = [BRAND, f"{BRAND} outdoor", f"{BRAND} shop", f"{BRAND} webshop", f"{BRAND} gear"]
#: how a need-based searcher phrases a product search ({p} = lower-case product name)
PRODUCT_TERM_PATTERNS = ["{p}", "{p}", "buy {p}", "{p} price", "{p} size", "{p} in stock"]

#: referral sites that send lookers (blogs, forums, comparison sites)
REFERRERS = [
    "outdoorforum.example",
    "hikingblog.example",
    "gearcompare.example",
    "trailmag.example",
]
SOCIAL = ["instagram", "facebook", "pinterest", "tiktok", "youtube"]

#: limited-time offers: (campaign, first day, days, discount code, landing page)
_Y = 2025


def campaigns(year: int = _Y) -> list[tuple[str, date, int, str]]:
    """The shop's limited-time offers of a year: (utm_campaign, first day, length, code)."""
    black_friday = date(year, 11, 22) + timedelta(days=(4 - date(year, 11, 22).weekday()) % 7)
    out = [
        ("winter-clearance", date(year, 1, 10), 5, "WINTER25"),
        ("flash-sale", date(year, 2, 14), 2, "FLASH20"),
        ("spring-flash", date(year, 3, 21), 3, "SPRING15"),
        ("flash-sale", date(year, 4, 25), 2, "FLASH20"),
        ("flash-sale", date(year, 5, 30), 2, "FLASH20"),
        ("summer-sale", date(year, 6, 27), 7, "SUMMER20"),
        ("flash-sale", date(year, 8, 8), 2, "FLASH20"),
        ("back-to-trail", date(year, 9, 12), 3, "TRAIL15"),
        ("flash-sale", date(year, 10, 17), 2, "FLASH20"),
        ("black-friday", black_friday, 4, "BF30"),
        ("cyber-monday", black_friday + timedelta(days=3), 1, "CYBER25"),
        ("xmas-deals", date(year, 12, 12), 3, "XMAS20"),
    ]
    return out


#: paid channels impulse buyers arrive through: (utm_source, utm_medium)
PAID_CHANNELS = [
    ("instagram", "paid_social"),
    ("facebook", "paid_social"),
    ("tiktok", "paid_social"),
    ("google", "display"),
    ("newsletter", "email"),
    ("criteo", "display"),
]
#: everyday discount codes a few non-impulse orders use
EVERYDAY_CODES = ["WELCOME10", "NEWSLETTER5", "FREESHIP"]

TICKET_TOPICS = [
    "where is my order",
    "size/fit question",
    "how to use the product",
    "return request",
    "discount code not working",
    "damaged item",
    "change delivery address",
    "invoice request",
    "product availability",
    "cancel my order",
]
#: topics impulse buyers raise (hasty purchase, then questions)
IMPULSE_TOPICS = [
    "discount code not working",
    "return request",
    "size/fit question",
    "cancel my order",
    "where is my order",
    "how to use the product",
    "change delivery address",
]
TICKET_BODIES = {
    "where is my order": "My order has not arrived yet, can you tell me where it is?",
    "size/fit question": "The size does not fit as expected, which size should I take?",
    "how to use the product": "How do I set this up? The instructions are not clear to me.",
    "return request": "I would like to return this item, how does that work?",
    "discount code not working": "The code from the campaign e-mail is not accepted at checkout.",
    "damaged item": "The item arrived damaged, the packaging was torn.",
    "change delivery address": "Can I still change the delivery address of my order?",
    "invoice request": "Could you send me an invoice for my company?",
    "product availability": "When will this be back in stock in my size?",
    "cancel my order": "I ordered too quickly, can I still cancel it?",
}
RETURN_REASONS = ["wrong size", "changed my mind", "not as described", "damaged", "too late"]
IMPULSE_RETURN_REASONS = ["changed my mind", "changed my mind", "wrong size", "not as described"]

COUNTRIES = [
    ("NL", ["Amsterdam", "Leeuwarden", "Utrecht", "Hoorn", "Groningen"]),
    ("DE", ["Berlin", "Hamburg", "Munich", "Cologne"]),
    ("BE", ["Antwerp", "Ghent", "Brussels"]),
    ("EE", ["Tallinn", "Tartu", "Pärnu"]),
    ("FI", ["Helsinki", "Tampere"]),
    ("DK", ["Copenhagen", "Aarhus"]),
]
COUNTRY_WEIGHTS = [0.42, 0.22, 0.12, 0.12, 0.07, 0.05]

#: first names by gender (``other`` draws from all of them)
FIRST_NAMES = {
    "female": [
        "Anna",
        "Sanne",
        "Eva",
        "Liis",
        "Kadri",
        "Julia",
        "Maria",
        "Emma",
        "Sofie",
        "Lotte",
        "Mari",
        "Laura",
    ],
    "male": [
        "Jan",
        "Pieter",
        "Tom",
        "Mart",
        "Karl",
        "Lukas",
        "Jonas",
        "Sven",
        "Rasmus",
        "Daan",
        "Bram",
        "Oskar",
        "Noah",
        "Finn",
    ],
    "other": ["Alex", "Robin", "Sam", "Kim", "Anna", "Jan", "Mari", "Finn"],
}
LAST_NAMES = [
    "de Vries",
    "Jansen",
    "Bakker",
    "Visser",
    "Tamm",
    "Saar",
    "Mägi",
    "Müller",
    "Schmidt",
    "Peeters",
    "Maes",
    "Hansen",
    "Virtanen",
    "Korhonen",
    "Smit",
    "Meijer",
    "Kask",
    "Weber",
    "Wagner",
    "Nielsen",
]


@lru_cache(maxsize=512)
def slug(text: str) -> str:
    """URL-friendly form of a product or category name."""
    keep = "".join(c.lower() if c.isalnum() else "-" for c in text)
    return "-".join(part for part in keep.split("-") if part)
