"""Memorable alliterative persona names ("Frugal Fred", "Eco Emma") from distinctive attributes.

A persona's adjective comes from the attribute that sets it most apart from everyone else (an
answer chosen far more often than overall, or a number far above or below the average), looked
up in a small lexicon of shop-owner words (answers about values, motives, habits and barriers
weigh more than hobbies or demographics: they say why someone buys); the first name starts
with the same letter. It is a woman's or a man's name only when the persona is clearly women or
men (``synthesis.clear_gender`` decides); a mixed group, a group mostly of another gender, a
group too small to describe and a survey without a gender question get a gender-neutral name
("Frugal Frankie"). Assignment is a greedy global matching (strongest attribute first), so names
are deterministic and unique across personas.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

#: (question, answer) or (question, "+"/"-" for a number above/below average) -> adjective
LEXICON: dict[tuple[str, str], str] = {
    ("values", "price"): "Frugal",
    ("motivation", "save_money"): "Frugal",
    ("barrier", "price"): "Frugal",
    ("spending_habit", "compare_prices"): "Thrifty",
    ("barrier", "shipping_cost"): "Thrifty",
    ("price_sensitivity", "+"): "Frugal",
    ("price_sensitivity", "-"): "Carefree",
    ("values", "sustainability"): "Eco",
    ("motivation", "eco_friendly"): "Eco",
    ("values", "quality"): "Discerning",
    ("motivation", "best_quality"): "Discerning",
    ("values", "convenience"): "Busy",
    ("spending_habit", "subscribe"): "Busy",
    ("spending_habit", "plan_ahead"): "Prepared",
    ("motivation", "solve_problem"): "Practical",
    ("values", "innovation"): "Trendy",
    ("values", "brand"): "Stylish",
    ("motivation", "treat_myself"): "Trendy",
    ("spending_habit", "spontaneous"): "Spontaneous",
    ("novelty", "+"): "Curious",
    ("novelty", "-"): "Cautious",
    ("barrier", "trust"): "Wary",
    ("barrier", "delivery_time"): "Impatient",
    ("barrier", "product_info"): "Meticulous",
    ("income", "+"): "Affluent",
    ("income", "-"): "Budget",
    ("children", "+"): "Family",
    ("children", "-"): "Independent",
    ("age", "-"): "Young",
    ("age", "+"): "Seasoned",
    ("deals", "+"): "Savvy",
    ("web_visits", "+"): "Browsing",
    ("channel_web", "+"): "Digital",
    ("channel_store", "+"): "Local",
    ("channel_catalogue", "+"): "Classic",
    ("spend_wine", "+"): "Wine-loving",
    ("spend_meat", "+"): "Hearty",
    ("spend_fish", "+"): "Gourmet",
    ("spend_gold", "+"): "Glamorous",
    ("spend_sweets", "+"): "Sweet-toothed",
    ("hobbies", "outdoors"): "Outdoorsy",
    ("hobbies", "fitness"): "Fit",
    ("hobbies", "cooking"): "Foodie",
    ("hobbies", "gaming"): "Gaming",
    ("hobbies", "reading"): "Bookish",
    ("hobbies", "travel"): "Wandering",
    ("hobbies", "diy"): "Handy",
    ("hobbies", "fashion"): "Fashionable",
    ("occupation", "student"): "Studious",
    ("occupation", "manager"): "Busy",
    ("occupation", "self_employed"): "Enterprising",
    ("occupation", "retired"): "Relaxed",
    ("education", "phd"): "Scholarly",
    ("marital_status", "single"): "Solo",
    ("group_size", "small"): "Small",  # a persona too small to describe (SMALL_GROUP)
}


def answer_code(answer: str) -> str:
    """An answer as the lexicon spells it: the question bank shows respondents ``PhD``,
    ``TikTok``, ``Self employed``, ``Plan ahead``, while older surveys stored ``phd``,
    ``tiktok``, ``self_employed``, ``plan_ahead``; both are one answer (lower case, words
    joined by ``_``)."""
    return re.sub(r"[\s_-]+", "_", answer.strip().lower())


#: why someone buys names a persona better than a hobby or a demographic does
NAME_WEIGHT = {"values": 1.5, "motivation": 1.5, "spending_habit": 1.3, "barrier": 1.2}

_FEMALE = {
    "A": "Anna", "B": "Bella", "C": "Clara", "D": "Diana", "E": "Emma", "F": "Fiona",
    "G": "Grace", "H": "Hannah", "I": "Iris", "J": "Julia", "K": "Kate", "L": "Lisa",
    "M": "Mia", "N": "Nina", "O": "Olivia", "P": "Paula", "Q": "Quinn", "R": "Rosa",
    "S": "Sophie", "T": "Tina", "U": "Uma", "V": "Vera", "W": "Wendy", "X": "Xena",
    "Y": "Yara", "Z": "Zoe",
}  # fmt: skip
_MALE = {
    "A": "Adam", "B": "Ben", "C": "Carl", "D": "Dave", "E": "Eric", "F": "Fred", "G": "Gary",
    "H": "Henry", "I": "Ivan", "J": "Jack", "K": "Kevin", "L": "Leo", "M": "Max", "N": "Nick",
    "O": "Oscar", "P": "Paul", "Q": "Quentin", "R": "Rob", "S": "Sam", "T": "Tom", "U": "Umar",
    "V": "Victor", "W": "Walter", "X": "Xavier", "Y": "Yusuf", "Z": "Zack",
}  # fmt: skip
#: names given to women and men alike: for a persona that is not clearly one or the other
_NEUTRAL = {
    "A": "Alex", "B": "Bailey", "C": "Charlie", "D": "Drew", "E": "Eden", "F": "Frankie",
    "G": "Gray", "H": "Harper", "I": "Indy", "J": "Jordan", "K": "Kai", "L": "Lee", "M": "Morgan",
    "N": "Nat", "O": "Oakley", "P": "Pat", "Q": "Quinn", "R": "Robin", "S": "Sasha", "T": "Taylor",
    "U": "Uli", "V": "Val", "W": "Wren", "X": "Xen", "Y": "Yuki", "Z": "Zion",
}  # fmt: skip
_TABLES = {"female": _FEMALE, "male": _MALE}


@dataclass(frozen=True)
class Distinctive:
    """An attribute that sets a persona apart: ``answer`` is an option or ``+``/``-``."""

    question: str
    answer: str
    score: float


#: the only "attribute" of a persona too small to describe: its name says just that
SMALL_GROUP = Distinctive("group_size", "small", 0.0)


#: words of questions about who someone is by birth or belief (gender, ethnicity, religion,
#: disability, sexual orientation, nationality): their answers never name a persona, since a
#: name such as "Asian Anna" or "Muslim Mia" cannot be used in public or in an ad brief
PROTECTED_WORDS = frozenset(
    {
        "gender", "sex", "ethnicity", "ethnic", "race", "religion", "religious", "faith",
        "belief", "disability", "disabled", "orientation", "sexuality", "nationality",
        "citizenship", "caste", "pregnancy", "pregnant",
    }
)  # fmt: skip


def is_protected(question: str) -> bool:
    """Whether a question asks about a protected attribute (by the words of its id)."""
    return bool(PROTECTED_WORDS & set(re.split(r"[\W_]+", question.lower())))


def from_protected_answer(adjective: str, answers: Iterable[str]) -> bool:
    """Whether ``adjective`` is the word an answer to a protected question gives ("Muslim" from
    ``religion=muslim``), among ``answers`` (a persona's ``question=answer`` profile keys): a
    name made that way by a run before :func:`is_protected` existed is not carried on."""
    for key in answers:
        question, sep, answer = key.partition("=")
        if sep and is_protected(question):
            words = re.sub(r"[^A-Za-z0-9 ]+", " ", answer).split()
            if words and words[0].capitalize() == adjective:
                return True
    return False


def adjective_for(d: Distinctive) -> str | None:
    """The lexicon word for an attribute, or one made from the answer itself when that is a
    word; None when it is not (an age bracket "35-44" or a number makes no adjective: it gave
    names like "35 Alex 4") or when the question is about a protected attribute
    (:func:`is_protected`), so the persona is named by another attribute or a fallback."""
    if is_protected(d.question):
        return None
    # "+"/"-" are looked up as they are: answer_code would turn "-" into "_", and no number
    # below average ("Budget", "Young", "Cautious") would ever find its word
    code = d.answer if d.answer in {"+", "-"} else answer_code(d.answer)
    word = LEXICON.get((_lexicon_question(d.question), code))
    if word:
        return word
    if d.answer in {"+", "-"}:
        base = re.sub(r"^(spend|channel|category)_", "", d.question).replace("_", " ").split()
        if not base or not _is_word(base[0]):
            return None
        return f"{'High' if d.answer == '+' else 'Low'}-{base[0]}".title()
    words = re.sub(r"[^A-Za-z0-9 ]+", " ", d.answer).split()
    return words[0].capitalize() if words and _is_word(words[0]) else None


def _lexicon_question(question: str) -> str:
    """The lexicon's name for a question: any ``*_income`` question (``household_income``) is
    income, so a high one reads "Affluent", not "High-Household"."""
    return "income" if "income" in question.lower().split("_") else question


def name_gender(first_name: str) -> str | None:
    """``female`` or ``male`` for a first name this module gives to women or men only, else
    None (a gender-neutral name, or one it does not know). A number after it is ignored."""
    first = first_name.split(" ")[0]
    for gender, table in _TABLES.items():
        if first in table.values() and first not in _NEUTRAL.values():
            return gender
    return None


def _is_word(text: str) -> bool:
    """Letters only (ASCII, so the first name can alliterate with it), at least two of them."""
    return len(text) >= 2 and text.isascii() and text.isalpha()


def assign_names(
    distinctive: Sequence[Sequence[Distinctive]], genders: Sequence[str | None]
) -> list[tuple[str, str]]:
    """``(adjective, first name)`` per persona, alliterative and unique.

    ``distinctive[i]`` lists persona *i*'s attributes, strongest first; ``genders[i]`` is
    ``female`` or ``male`` when the persona is clearly women or men, else None: then its first
    name is a gender-neutral one.
    """
    k = len(distinctive)
    # words from the lexicon first (they read well), then the strongest attribute
    candidates = sorted(
        (
            (
                (_lexicon_question(d.question), d.answer) not in LEXICON,
                -d.score * NAME_WEIGHT.get(d.question, 1.0),
                rank,
                i,
                adjective_for(d) or "",
            )
            for i, attrs in enumerate(distinctive)
            for rank, d in enumerate(attrs)
        ),
    )
    adjectives: dict[int, str] = {}
    used: set[str] = set()
    small = LEXICON[(SMALL_GROUP.question, SMALL_GROUP.answer)]
    for _, _, _, i, adj in candidates:
        # every group too small to describe is "Small …": its first name keeps it unique
        if not adj or i in adjectives or (adj in used and adj != small):
            continue
        adjectives[i] = adj
        used.add(adj)
    fallback = iter(["Steady", "Average", "Everyday", "Mainstream", "Regular", "Typical", "Core"])
    for i in range(k):
        while i not in adjectives:
            adj = next(fallback, None) or f"Group-{i + 1}"
            if adj not in used:
                adjectives[i] = adj
                used.add(adj)
    names: list[tuple[str, str]] = []
    taken: set[str] = set()
    for i in range(k):
        adj = adjectives[i]
        gender = genders[i] if i < len(genders) else None
        name = _first_name(adj[0].upper(), gender, taken, i)
        taken.add(name)
        names.append((adj, name))
    return names


def _first_name(letter: str, gender: str | None, taken: set[str], i: int) -> str:
    """The first name for an adjective's ``letter``: from the table of ``gender`` (the neutral
    one for None); when another persona already has it, the neutral name of that letter ("Busy
    Ben" and "Budget Bailey", not "Budget Ben 4"), and only then numbered (alliteration is
    kept, the gender never borrowed from the other table)."""
    table = _TABLES.get(gender or "", _NEUTRAL)
    name = table.get(letter) or _NEUTRAL.get(letter) or "Alex"
    if name in taken:
        name = _NEUTRAL.get(letter) or name
    return name if name not in taken else f"{name} {i + 1}"
