"""The demo shop's planted personas: survey answers, stated incomes and interview notes.

Four personas (frugal, eco, busy, trendy) each answer the ``demo-profile`` survey from their own
distribution: well separated, but noisy (every option keeps a small floor probability, so no
answer alone identifies a persona). Stated income overstates the true one by 10–30 %, as
people do even in anonymous surveys; the truth keeps the true income.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

PERSONAS = ("frugal", "eco", "busy", "trendy")

#: the demo survey's columns, in order (the packaged demo-profile survey has the same layout)
SURVEY_COLUMNS = [
    "respondent",
    "customer_id",
    "age_bracket",
    "gender",
    "marital_status",
    "children",
    "education",
    "occupation",
    "income",
    "values",
    "hobbies",
    "channels",
    "spending_habit",
    "barrier",
    "motivation",
    "novelty",
    "price_sensitivity",
    "why_buy",
    "what_stopped",
]
AGE_BRACKETS = ["18-24", "25-34", "35-44", "45-54", "55-64", "65+"]
_AGE_RANGE = {
    "18-24": (18, 24),
    "25-34": (25, 34),
    "35-44": (35, 44),
    "45-54": (45, 54),
    "55-64": (55, 64),
    "65+": (65, 78),
}

#: single-choice questions: persona -> {option: weight}; unlisted options get ``_FLOOR``
SINGLE: dict[str, dict[str, dict[str, float]]] = {
    "age_bracket": {
        "frugal": {
            "18-24": 0.2,
            "25-34": 0.2,
            "35-44": 0.15,
            "45-54": 0.15,
            "55-64": 0.15,
            "65+": 0.15,
        },
        "eco": {"25-34": 0.35, "35-44": 0.35, "45-54": 0.2, "55-64": 0.1},
        "busy": {"25-34": 0.15, "35-44": 0.45, "45-54": 0.35, "55-64": 0.05},
        "trendy": {"18-24": 0.5, "25-34": 0.45, "35-44": 0.05},
    },
    "gender": {
        "frugal": {"female": 0.48, "male": 0.5, "other": 0.02},
        "eco": {"female": 0.6, "male": 0.38, "other": 0.02},
        "busy": {"female": 0.4, "male": 0.58, "other": 0.02},
        "trendy": {"female": 0.55, "male": 0.42, "other": 0.03},
    },
    "marital_status": {
        "frugal": {
            "single": 0.3,
            "married": 0.3,
            "divorced": 0.15,
            "widowed": 0.1,
            "partner": 0.15,
        },
        "eco": {"partner": 0.45, "married": 0.35, "single": 0.2},
        "busy": {"married": 0.65, "partner": 0.2, "divorced": 0.1, "single": 0.05},
        "trendy": {"single": 0.62, "partner": 0.33, "married": 0.05},
    },
    "children": {
        "frugal": {"0": 0.35, "1": 0.25, "2": 0.25, "3+": 0.15},
        "eco": {"0": 0.4, "1": 0.3, "2": 0.25, "3+": 0.05},
        "busy": {"0": 0.15, "1": 0.3, "2": 0.4, "3+": 0.15},
        "trendy": {"0": 0.88, "1": 0.1, "2": 0.02},
    },
    "education": {
        "frugal": {"secondary": 0.35, "vocational": 0.45, "bachelor": 0.15, "master": 0.05},
        "eco": {"bachelor": 0.3, "master": 0.5, "phd": 0.15, "vocational": 0.05},
        "busy": {"bachelor": 0.42, "master": 0.42, "phd": 0.06, "vocational": 0.1},
        "trendy": {"secondary": 0.35, "vocational": 0.2, "bachelor": 0.42, "master": 0.03},
    },
    "occupation": {
        "frugal": {
            "employee": 0.4,
            "retired": 0.2,
            "student": 0.15,
            "other": 0.2,
            "self_employed": 0.05,
        },
        "eco": {"employee": 0.6, "self_employed": 0.2, "manager": 0.1, "other": 0.1},
        "busy": {"manager": 0.55, "self_employed": 0.35, "employee": 0.1},
        "trendy": {"student": 0.45, "employee": 0.45, "self_employed": 0.1},
    },
    "spending_habit": {
        "frugal": {"compare_prices": 0.8, "plan_ahead": 0.15, "spontaneous": 0.05},
        "eco": {"plan_ahead": 0.62, "compare_prices": 0.2, "subscribe": 0.15, "spontaneous": 0.03},
        "busy": {"plan_ahead": 0.48, "subscribe": 0.45, "spontaneous": 0.07},
        "trendy": {"spontaneous": 0.82, "compare_prices": 0.08, "subscribe": 0.1},
    },
    "barrier": {
        "frugal": {"price": 0.5, "shipping_cost": 0.38, "trust": 0.06, "none": 0.06},
        "eco": {"product_info": 0.5, "trust": 0.3, "price": 0.1, "none": 0.1},
        "busy": {"delivery_time": 0.6, "none": 0.25, "shipping_cost": 0.05, "product_info": 0.1},
        "trendy": {
            "none": 0.45,
            "product_info": 0.2,
            "trust": 0.15,
            "price": 0.15,
            "delivery_time": 0.05,
        },
    },
    "motivation": {
        "frugal": {"save_money": 0.78, "solve_problem": 0.15, "best_quality": 0.07},
        "eco": {"eco_friendly": 0.72, "best_quality": 0.22, "solve_problem": 0.06},
        "busy": {"solve_problem": 0.58, "best_quality": 0.35, "treat_myself": 0.07},
        "trendy": {"treat_myself": 0.78, "best_quality": 0.12, "save_money": 0.1},
    },
}
_FLOOR = 0.02
#: chance that one answer comes from another persona's distribution (people are not types)
_CROSS = 0.12
_OPTIONS = {
    "age_bracket": AGE_BRACKETS,
    "gender": ["female", "male", "other"],
    "marital_status": ["single", "married", "partner", "divorced", "widowed"],
    "children": ["0", "1", "2", "3+"],
    "education": ["secondary", "vocational", "bachelor", "master", "phd"],
    "occupation": ["student", "employee", "self_employed", "manager", "retired", "other"],
    "spending_habit": ["plan_ahead", "compare_prices", "spontaneous", "subscribe"],
    "barrier": ["price", "shipping_cost", "trust", "delivery_time", "product_info", "none"],
    "motivation": ["save_money", "best_quality", "eco_friendly", "treat_myself", "solve_problem"],
    "values": ["price", "quality", "sustainability", "convenience", "brand", "innovation"],
    "hobbies": ["outdoors", "cooking", "gaming", "fitness", "reading", "travel", "diy", "fashion"],
    "channels": [
        "instagram",
        "facebook",
        "tiktok",
        "youtube",
        "google",
        "email",
        "pinterest",
        "twitter",
    ],
}
#: multi-select questions: persona -> {option: probability of ticking it}; unlisted: ``_TICK``
MULTI: dict[str, dict[str, dict[str, float]]] = {
    "values": {
        "frugal": {"price": 0.9, "quality": 0.3, "convenience": 0.15},
        "eco": {"sustainability": 0.9, "quality": 0.75},
        "busy": {"convenience": 0.9, "quality": 0.45, "brand": 0.2},
        "trendy": {"innovation": 0.82, "brand": 0.75, "quality": 0.2},
    },
    "hobbies": {
        "frugal": {"outdoors": 0.55, "diy": 0.6, "cooking": 0.5},
        "eco": {"outdoors": 0.85, "reading": 0.5, "cooking": 0.4},
        "busy": {"outdoors": 0.45, "fitness": 0.6, "travel": 0.65},
        "trendy": {"outdoors": 0.4, "fashion": 0.7, "gaming": 0.5, "fitness": 0.4},
    },
    "channels": {
        "frugal": {"facebook": 0.8, "email": 0.75, "google": 0.35},
        "eco": {"instagram": 0.8, "pinterest": 0.7, "youtube": 0.3},
        "busy": {"google": 0.85, "email": 0.7, "youtube": 0.15},
        "trendy": {"tiktok": 0.85, "instagram": 0.85, "youtube": 0.4},
    },
}
_TICK = 0.06
#: scale questions: persona -> (mean, sd) of a 1–5 answer
SCALES = {
    "novelty": {"frugal": (2.0, 0.8), "eco": (3.2, 0.8), "busy": (2.8, 0.8), "trendy": (4.8, 0.5)},
    "price_sensitivity": {
        "frugal": (4.6, 0.6),
        "eco": (2.7, 0.8),
        "busy": (1.7, 0.7),
        "trendy": (2.8, 0.9),
    },
}
#: true yearly income in EUR: persona -> (median, log-sd)
INCOME = {
    "frugal": (29_000, 0.22),
    "eco": (50_000, 0.22),
    "busy": (88_000, 0.22),
    "trendy": (36_000, 0.25),
}

WHY_BUY = {
    "frugal": [
        "good price compared to other shops",
        "the discount code made the difference",
        "free shipping above 50 euros",
        "it was on sale",
        "best value for money",
        "cheaper than the outdoor store in town",
        "price match with a comparison site",
        "the bundle deal saved me money",
    ],
    "eco": [
        "durable gear that lasts for years",
        "made from recycled materials",
        "the repair service for jackets",
        "fair production and clear material info",
        "less packaging than other shops",
        "a brand that cares about nature",
        "quality that I do not need to replace",
        "second-hand trade-in option",
    ],
    "busy": [
        "fast delivery the next day",
        "quick checkout with saved details",
        "easy to reorder what I bought before",
        "found exactly what I needed quickly",
        "delivery to my office",
        "reliable and no hassle",
        "clear sizes so no returns",
        "the subscription for socks and gas",
    ],
    "trendy": [
        "saw it on tiktok",
        "the new collection looked amazing",
        "limited edition colours",
        "an influencer I follow wears it",
        "it was trending on instagram",
        "I wanted to treat myself",
        "the flash sale ended soon",
        "cool new design",
    ],
}
WHAT_STOPPED = {
    "frugal": [
        "shipping costs too high",
        "found it cheaper elsewhere",
        "waited for a discount code",
        "too expensive for my budget",
        "shipping costs shown only at checkout",
        "no free returns",
    ],
    "eco": [
        "not sure how sustainable the packaging is",
        "wanted more info on materials",
        "no information about where it is made",
        "could not find a repair guarantee",
        "unclear if the down is ethically sourced",
        "too much plastic in the delivery",
    ],
    "busy": [
        "delivery time too long",
        "checkout took too long",
        "had to create an account first",
        "no delivery slot in the evening",
        "the site was slow on my phone",
        "could not pay with my usual method",
    ],
    "trendy": [
        "sold out in my size",
        "wanted more photos and reviews",
        "the colour I wanted was gone",
        "did not see it styled on anyone",
        "the sale was over",
        "nothing new since my last visit",
    ],
}
GENERIC_TEXT = [
    "good reviews",
    "friendly support",
    "needed it for a trip",
    "nothing really",
    "recommended by a friend",
]

INTERVIEW_QUOTES = {
    "frugal": [
        "I always check two or three sites before I order anything.",
        "If shipping is more than a few euros I simply close the tab.",
        "I signed up for the newsletter only for the discount.",
        "The tent was fine, but I only bought it because it was 20 % off.",
        "I keep my gear for ages, I am not buying a new jacket every season.",
        "A free-shipping threshold just above my basket makes me add socks.",
    ],
    "eco": [
        "I want to know what the jacket is made of and who made it.",
        "Repair instead of replace, that is why I came back.",
        "The cardboard packaging was great, the plastic bag inside was not.",
        "I would pay more for something that lasts ten years.",
        "I read the material page twice before ordering the sleeping bag.",
        "Tell me about the factory, not about the discount.",
    ],
    "busy": [
        "I have ten minutes at lunch, it has to be ordered by then.",
        "Saved address and one click, that is all I want.",
        "When my running shoes wear out I just reorder the same pair.",
        "Next-day delivery is the reason I do not go to the store.",
        "I do not read newsletters, I search, find, buy.",
        "Creating an account before paying almost made me leave.",
    ],
    "trendy": [
        "I saw the new colour on TikTok and bought it that evening.",
        "The countdown timer got me, I admit it.",
        "I like being the first one on the trail with the new stuff.",
        "Half of what I buy I find on Instagram.",
        "I returned the boots, they looked better in the video.",
        "I asked support three questions after ordering, they were quick.",
    ],
}


_WORK = {
    "student": "studies",
    "employee": "works as an employee",
    "self_employed": "is self-employed",
    "manager": "works as a manager",
    "retired": "is retired",
    "other": "works in another field",
}


def _choose(rng: np.random.Generator, question: str, persona: str) -> str:
    opts = _OPTIONS[question]
    w = np.array([SINGLE[question][persona].get(o, 0.0) + _FLOOR for o in opts])
    return opts[int(rng.choice(len(opts), p=w / w.sum()))]


def _ticks(rng: np.random.Generator, question: str, persona: str) -> str:
    opts = _OPTIONS[question]
    p = np.array([MULTI[question][persona].get(o, _TICK) for o in opts])
    hit = rng.random(len(opts)) < p
    if not hit.any():
        hit[int(np.argmax(p))] = True
    return ";".join(o for o, h in zip(opts, hit, strict=True) if h)


def _scale(rng: np.random.Generator, question: str, persona: str) -> int:
    mu, sd = SCALES[question][persona]
    return int(np.clip(np.rint(rng.normal(mu, sd)), 1, 5))


def _text(rng: np.random.Generator, pool: dict[str, list[str]], persona: str) -> str:
    phrases = pool[persona]
    k = 1 + int(rng.random() < 0.45)
    picked = [phrases[i] for i in rng.choice(len(phrases), size=k, replace=False)]
    if rng.random() < 0.15:
        picked.append(GENERIC_TEXT[int(rng.integers(len(GENERIC_TEXT)))])
    return ", ".join(picked)


def persona_demographics(rng: np.random.Generator, persona: str, year: int) -> tuple[int, str]:
    """Birth year and gender of someone with this persona (the customers table uses them)."""
    lo, hi = _AGE_RANGE[_choose(rng, "age_bracket", persona)]
    age = lo + int(rng.integers(0, hi - lo + 1))
    return year - age, _choose(rng, "gender", persona)


def true_income(rng: np.random.Generator, persona: str) -> float:
    median, sd = INCOME[persona]
    return float(round(median * np.exp(rng.normal(0.0, sd)), -2))


def age_bracket(age: int) -> str:
    for name, (lo, hi) in _AGE_RANGE.items():
        if lo <= age <= hi or (name == "65+" and age >= 65):
            return name
    return "18-24"


def survey_answers(
    rng: np.random.Generator, people: list[dict[str, Any]], year: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One survey row per respondent and the planted truth (persona, true income).

    ``people`` holds dicts with ``persona``, ``income`` and, for customers, ``customer_id``,
    ``birth_year`` and ``gender`` (kept consistent with the customers table); prospects have
    ``customer_id`` None and get demographics drawn from their persona.
    """
    rows, truth = [], []
    for i, who in enumerate(people, start=1):
        persona = who["persona"]
        rid = f"resp-{i:04d}"

        def voice(persona: str = persona) -> str:
            return persona if rng.random() >= _CROSS else PERSONAS[int(rng.integers(4))]

        if who.get("birth_year") is not None:
            bracket, gender = age_bracket(year - int(who["birth_year"])), who["gender"]
        else:
            bracket, gender = _choose(rng, "age_bracket", persona), _choose(rng, "gender", persona)
        stated = who["income"] * rng.uniform(1.1, 1.3) + rng.normal(0.0, 1500.0)
        row = {
            "respondent": rid,
            "customer_id": who.get("customer_id") or "",
            "age_bracket": bracket,
            "gender": gender,
            "marital_status": _choose(rng, "marital_status", voice()),
            "children": _choose(rng, "children", voice()),
            "education": _choose(rng, "education", voice()),
            "occupation": _choose(rng, "occupation", voice()),
            "income": int(max(6000, round(stated / 500.0) * 500)),
            "values": _ticks(rng, "values", voice()),
            "hobbies": _ticks(rng, "hobbies", voice()),
            "channels": _ticks(rng, "channels", voice()),
            "spending_habit": _choose(rng, "spending_habit", voice()),
            "barrier": _choose(rng, "barrier", voice()),
            "motivation": _choose(rng, "motivation", voice()),
            "novelty": _scale(rng, "novelty", voice()),
            "price_sensitivity": _scale(rng, "price_sensitivity", voice()),
            "why_buy": _text(rng, WHY_BUY, persona),
            "what_stopped": "" if rng.random() < 0.1 else _text(rng, WHAT_STOPPED, persona),
        }
        rows.append(row)
        truth.append({"respondent": rid, "persona": persona, "true_income": who["income"]})
    return pd.DataFrame(rows, columns=SURVEY_COLUMNS), pd.DataFrame(truth)


def interview_notes(
    rng: np.random.Generator, people: list[dict[str, Any]], year: int
) -> tuple[dict[str, str], pd.DataFrame]:
    """Markdown notes of one-to-one interviews, and which persona each interviewee has.

    ``people`` holds dicts with ``persona``, ``customer_id``, ``birth_year``, ``good`` (a good or
    a bad customer, the split the mission asks for) and ``orders``.
    """
    notes, truth = {}, []
    for i, who in enumerate(people, start=1):
        persona = who["persona"]
        name = f"interview-{i:02d}"
        age = year - int(who["birth_year"])
        occupation = _WORK[_choose(rng, "occupation", persona)]
        marital = _choose(rng, "marital_status", persona)
        kids = _choose(rng, "children", persona)
        quotes = [INTERVIEW_QUOTES[persona][j] for j in rng.choice(6, size=3, replace=False)]
        why = WHY_BUY[persona][int(rng.integers(len(WHY_BUY[persona])))]
        stop = WHAT_STOPPED[persona][int(rng.integers(len(WHAT_STOPPED[persona])))]
        kind = "good customer" if who["good"] else "bad customer"
        notes[name] = "\n".join(
            [
                f"# Interview {i:02d}: customer {who['customer_id']} ({kind})",
                "",
                f"*Date:* {year}-12-{1 + (i % 20):02d} · *Channel:* video call · "
                f"*Orders so far:* {who['orders']}",
                "",
                "## Background",
                f"- {age} years old, {marital}, {kids} children, {occupation}.",
                "",
                "## What they said",
                *[f'> "{q}"\n' for q in quotes],
                "## Why they buy",
                f"- {why[0].upper() + why[1:]}.",
                "",
                "## What almost stopped them",
                f"- {stop[0].upper() + stop[1:]}.",
                "",
            ]
        )
        truth.append(
            {
                "interview": name,
                "customer_id": who["customer_id"],
                "persona": persona,
                "good": bool(who["good"]),
            }
        )
    return notes, pd.DataFrame(truth)
