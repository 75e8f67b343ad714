"""The demo shop: a seeded year of an invented outdoor-gear shop with planted truth.

``generate()`` builds Summitside's customers, orders, browsing events, tickets, returns,
consents, survey answers and interview notes, and records what it planted: the customer type
of every person at the end date (``truth_types``), the movers' type over time
(``truth_moves``) and every survey respondent's persona and true income (``truth_personas``).
It is the project's own fixture for planted truth: analyses are tested by recovering it.

>>> demo = generate(seed=7, n_customers=300)
>>> sorted(demo.truth_types["type"].unique())
['impulse', 'looker', 'loyal', 'need_based', 'new']
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from shopperlens.demo import catalog
from shopperlens.demo.loader import load
from shopperlens.demo.plans import PLANS
from shopperlens.demo.shoppers import DAY, GROUPS, TYPE_PERSONA, Person, World
from shopperlens.demo.survey import (
    PERSONAS,
    SURVEY_COLUMNS,
    interview_notes,
    persona_demographics,
    survey_answers,
    true_income,
)
from shopperlens.errors import ShopperlensError

__all__ = ["SURVEY_COLUMNS", "SURVEY_NAME", "DemoShop", "generate", "load", "write_files"]

#: the name the demo survey is imported under
SURVEY_NAME = "demo-profile"
_EVENT_COLUMNS = [
    "event_id",
    "session_id",
    "visitor_id",
    "customer_id",
    "timestamp",
    "event_name",
    "page",
    "product_id",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "device",
    "search_term",
    "value",
]


@dataclass
class DemoShop:
    """A generated shop: canonical frames (generic import format) plus the planted truth."""

    customers: pd.DataFrame
    products: pd.DataFrame
    orders: pd.DataFrame
    events: pd.DataFrame
    tickets: pd.DataFrame
    returns: pd.DataFrame
    consents: pd.DataFrame
    survey_answers: pd.DataFrame
    truth_types: pd.DataFrame
    truth_personas: pd.DataFrame
    truth_moves: pd.DataFrame
    truth_groups: pd.DataFrame
    truth_interviews: pd.DataFrame
    interview_notes: dict[str, str] = field(default_factory=dict)
    seed: int = 7
    start: date = date(2025, 1, 1)
    end: date = date(2026, 1, 1)
    shop_name: str = catalog.SHOP_NAME

    def summary(self) -> dict[str, int]:
        """Row counts of what was generated, for reports and progress messages."""
        return {
            "customers": len(self.customers),
            "products": len(self.products),
            "orders": int(self.orders["order_id"].nunique()),
            "order_lines": len(self.orders),
            "events": len(self.events),
            "sessions": int(self.events["session_id"].nunique()),
            "visitors": int(self.events["visitor_id"].nunique()),
            "tickets": len(self.tickets),
            "returns": len(self.returns),
            "survey_responses": len(self.survey_answers),
            "interviews": len(self.interview_notes),
        }


def _counts(n: int) -> list[int]:
    """People per planted group (largest remainder, so they add up to ``n``)."""
    raw = np.array([share for _, _, share in GROUPS]) * n
    counts = np.floor(raw).astype(int)
    for i in np.argsort(-(raw - counts), kind="stable")[: n - counts.sum()]:
        counts[i] += 1
    return counts.tolist()


def check(seed: int, n_customers: int, days: int = 365) -> None:
    """Refuse what :func:`generate` cannot make, in one sentence (the faces call it before
    they make the report's folder)."""
    if seed < 0:  # (numpy's generator takes no negative seed)
        raise ShopperlensError(f"the demo's seed must be 0 or more, not {seed}")
    if n_customers < 100:
        raise ShopperlensError("the demo shop needs at least 100 customers")
    if days < 240:
        raise ShopperlensError("the demo shop needs at least 240 days of history")


def generate(
    seed: int = 7, n_customers: int = 1500, start: date = date(2025, 1, 1), days: int = 365
) -> DemoShop:
    """Generate the demo shop: ``n_customers`` people (buyers, registered and anonymous
    visitors) over ``days`` days from ``start``; the same seed gives identical frames."""
    check(seed, n_customers, days)
    rng = np.random.default_rng(seed)
    world = World(rng, start, days)
    groups = np.repeat(np.arange(len(GROUPS)), _counts(n_customers))[rng.permutation(n_customers)]
    people, info = _people(world, groups, start)
    for p in people:
        PLANS[p.group](world, p)
    t0 = pd.Timestamp(start)
    end = start + timedelta(days=days)
    frames = _frames(world, people, info, t0, days)
    respondents = _respondents(world, people, info, n_customers)
    answers, truth_personas = survey_answers(rng, respondents, end.year - 1)
    notes, truth_interviews = interview_notes(rng, _interviewees(world, people, info), end.year - 1)
    return DemoShop(
        **frames,
        survey_answers=answers,
        truth_personas=truth_personas,
        truth_interviews=truth_interviews,
        interview_notes=notes,
        seed=seed,
        start=start,
        end=end,
    )


def _people(
    w: World, groups: np.ndarray, start: date
) -> tuple[list[Person], list[dict[str, object]]]:
    people, info, seen = [], [], set()
    persona_cum = {t: list(np.cumsum(p)) for t, p in TYPE_PERSONA.items()}
    n_customer = 0
    country_cum = list(np.cumsum(catalog.COUNTRY_WEIGHTS))
    for pid, g in enumerate(groups):
        group, type_, _ = GROUPS[int(g)]
        persona = PERSONAS[min(3, bisect.bisect(persona_cum[type_], w.u()))]
        mobile = {"trendy": 0.78, "busy": 0.55}.get(persona, 0.45)
        r = w.u()
        device = "tablet" if r < 0.07 else ("mobile" if r < 0.07 + mobile else "desktop")
        visitors = []
        for _ in range(2 if type_ == "loyal" and w.u() < 0.4 else 1):
            vid = f"{w.ri(100_000_000, 999_999_999)}.{w.ri(1_600_000_000, 1_735_000_000)}"
            while vid in seen:
                vid += "0"
            seen.add(vid)
            visitors.append(vid)
        cid = None
        if group != "looker_anonymous":
            n_customer += 1
            cid = f"C{10_000 + n_customer}"
        people.append(Person(pid, group, type_, persona, visitors, device, customer_id=cid))
        birth_year, gender = persona_demographics(w.rng, persona, start.year)
        country, cities = catalog.COUNTRIES[min(5, bisect.bisect(country_cum, w.u()))]
        first, last = w.pick(catalog.FIRST_NAMES[gender]), w.pick(catalog.LAST_NAMES)
        email = f"{first}.{last.replace(' ', '')}{w.ri(1, 999)}@example.com"
        info.append(
            {
                "birth_year": birth_year,
                "gender": gender,
                "country": country,
                "city": w.pick(cities),
                "name": f"{first} {last}",
                "email": email.upper() if w.u() < 0.03 else email.lower(),
                "income": true_income(w.rng, persona),
            }
        )
    return people, info


def _ts(t0: pd.Timestamp, seconds: list[float] | np.ndarray) -> pd.Series:
    return pd.Series(t0 + pd.to_timedelta(np.round(np.asarray(seconds, dtype=float)), unit="s"))


def _frames(
    w: World, people: list[Person], info: list[dict[str, object]], t0: pd.Timestamp, days: int
) -> dict[str, pd.DataFrame]:
    horizon = days * DAY
    products = pd.DataFrame(
        [p[:4] for p in w.products], columns=["product_id", "product_name", "category", "price"]
    )
    # orders: numbered in time order, one row per line item
    meta = sorted(w.order_meta, key=lambda m: m[2])
    order_id = {m[0]: f"SS{100_001 + i}" for i, m in enumerate(meta)}
    by_no = {m[0]: m for m in meta}
    rows = []
    for no, _line, prod, qty, code in sorted(w.lines, key=lambda ln: (by_no[ln[0]][2], ln[1])):
        _, cid, t, _, shipping = by_no[no]
        pid_, name, category, price, _ = w.products[prod]
        rows.append(
            (
                order_id[no],
                cid,
                t,
                pid_,
                name,
                category,
                qty,
                price,
                code,
                "EUR",
                shipping,
                "fulfilled",
            )
        )
    orders = pd.DataFrame(
        rows,
        columns=[
            "order_id",
            "customer_id",
            "ordered_at",
            "product_id",
            "product_name",
            "category",
            "quantity",
            "unit_price",
            "discount_code",
            "currency",
            "shipping",
            "status",
        ],
    )
    orders["ordered_at"] = _ts(t0, orders["ordered_at"].to_numpy())
    # events, in time order
    ev = pd.DataFrame(w.events, columns=_EVENT_COLUMNS[1:])
    ev["seq"] = np.arange(len(ev))
    ev = ev.sort_values(["timestamp", "seq"], kind="stable").drop(columns="seq")
    ev = ev[ev["timestamp"] < horizon].reset_index(drop=True)
    ev.insert(0, "event_id", [f"E{i:08d}" for i in range(1, len(ev) + 1)])
    ev["timestamp"] = _ts(t0, ev["timestamp"].to_numpy())
    # tickets and returns that fall after the end have not happened yet
    tk = sorted((t for t in w.tickets if t[1] < horizon), key=lambda t: t[1])
    tickets = pd.DataFrame(
        {
            "ticket_id": [f"T{i:06d}" for i in range(1, len(tk) + 1)],
            "customer_id": [t[0] for t in tk],
            "created_at": _ts(t0, [t[1] for t in tk]),
            "subject": [t[2] for t in tk],
            "body": [catalog.TICKET_BODIES[t[2]] for t in tk],
            "channel": [t[3] for t in tk],
        }
    )
    rt = sorted((r for r in w.returns if r[3] < horizon), key=lambda r: r[3])
    returns = pd.DataFrame(
        {
            "return_id": [f"RET{i:06d}" for i in range(1, len(rt) + 1)],
            "order_id": [order_id[r[0]] for r in rt],
            "customer_id": [r[1] for r in rt],
            "product_id": [w.products[r[2]][0] for r in rt],
            "returned_at": _ts(t0, [r[3] for r in rt]),
            "quantity": [r[4] for r in rt],
            "reason": [r[5] for r in rt],
        }
    )
    cs = sorted((c for c in w.consents if c[3] < horizon), key=lambda c: (c[3], c[0]))
    consents = pd.DataFrame(
        cs, columns=["customer_id", "purpose", "granted", "recorded_at", "source"]
    )
    consents["recorded_at"] = _ts(t0, consents["recorded_at"].to_numpy()).dt.floor("s")
    marketing = dict(
        zip(
            consents.loc[consents.purpose == "marketing", "customer_id"],
            consents.loc[consents.purpose == "marketing", "granted"],
            strict=True,
        )
    )
    registered = [(p, info[p.pid]) for p in people if p.created is not None]
    registered.sort(key=lambda pi: pi[0].customer_id or "")
    customers = pd.DataFrame(
        {
            "customer_id": [p.customer_id for p, _ in registered],
            "email": [i["email"] for _, i in registered],
            "created_at": _ts(t0, [p.created for p, _ in registered]),
            "country": [i["country"] for _, i in registered],
            "name": [i["name"] for _, i in registered],
            "city": [i["city"] for _, i in registered],
            "birth_year": [i["birth_year"] for _, i in registered],
            "gender": [i["gender"] for _, i in registered],
            "accepts_marketing": [bool(marketing.get(p.customer_id, False)) for p, _ in registered],
        }
    )
    truth_groups = pd.DataFrame(
        {
            "customer_id": [p.customer_id for p in people],
            "visitor_id": [p.visitors[0] for p in people],
            "type": [p.type for p in people],
            "group": [p.group for p in people],
            "persona": [p.persona for p in people],
        }
    )
    moves = [(p.customer_id, p.visitors[0], d * DAY, typ) for p in people for d, typ in p.moves]
    truth_moves = pd.DataFrame(moves, columns=["customer_id", "visitor_id", "as_of", "type"])
    truth_moves["as_of"] = _ts(t0, truth_moves["as_of"].to_numpy()).dt.floor("D")
    return {
        "customers": customers,
        "products": products,
        "orders": orders,
        "events": ev,
        "tickets": tickets,
        "returns": returns,
        "consents": consents,
        "truth_types": truth_groups[["customer_id", "visitor_id", "type"]].copy(),
        "truth_moves": truth_moves,
        "truth_groups": truth_groups,
    }


def _respondents(
    w: World, people: list[Person], info: list[dict[str, object]], n: int
) -> list[dict[str, object]]:
    """~40 % of ``n`` respondents: four in five are customers, the rest prospects."""
    total = round(0.4 * n)
    registered = [p for p in people if p.created is not None]
    linked = [registered[i] for i in sorted(w.rng.permutation(len(registered))[: int(0.8 * total)])]
    out: list[dict[str, object]] = [
        {
            "persona": p.persona,
            "customer_id": p.customer_id,
            "income": info[p.pid]["income"],
            "birth_year": info[p.pid]["birth_year"],
            "gender": info[p.pid]["gender"],
        }
        for p in linked
    ]
    for _ in range(total - len(out)):
        persona = w.pick(PERSONAS)
        out.append({"persona": persona, "customer_id": None, "income": true_income(w.rng, persona)})
    return [out[i] for i in w.rng.permutation(len(out))]


def _interviewees(
    w: World, people: list[Person], info: list[dict[str, object]]
) -> list[dict[str, object]]:
    """Per persona two good customers (loyal, new) and two bad ones (impulse, many tickets)."""
    out = []
    for persona in PERSONAS:
        buyers = [p for p in people if p.persona == persona and p.orders]
        good = [p for p in buyers if p.type in ("loyal", "new")]
        bad = [p for p in buyers if p.type in ("impulse", "need_based")]
        for pool, is_good in ((good, True), (bad, False)):
            for i in sorted(w.rng.permutation(len(pool))[:2]):
                p = pool[i]
                out.append(
                    {
                        "persona": persona,
                        "customer_id": p.customer_id,
                        "good": is_good,
                        "birth_year": info[p.pid]["birth_year"],
                        "orders": len(p.orders),
                    }
                )
    return out


def write_files(demo: DemoShop, directory: str | Path) -> dict[str, Path]:
    """Write the demo as files in the generic import formats; returns kind -> path.

    Kinds are the import kinds (``customers``, ``products``, ``orders``, ``events``,
    ``tickets``, ``returns``) plus ``consents``, ``survey``, ``interviews`` (a folder of
    Markdown notes) and ``truth_*`` (what was planted, for checking analyses).
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    fmt = "%Y-%m-%d %H:%M:%S"
    paths = {
        "customers": out / "customers.csv",
        "products": out / "products.csv",
        "orders": out / "orders.csv",
        "events": out / "events.csv.gz",
        "tickets": out / "tickets.csv",
        "returns": out / "returns.csv",
        "consents": out / "consents.csv",
        "survey": out / f"survey_{SURVEY_NAME}.csv",
    }
    for kind, path in paths.items():
        frame = demo.survey_answers if kind == "survey" else getattr(demo, kind)
        frame.to_csv(path, index=False, date_format=fmt)
    for name in ("types", "personas", "moves", "groups", "interviews"):
        paths[f"truth_{name}"] = out / f"truth_{name}.csv"
        getattr(demo, f"truth_{name}").to_csv(paths[f"truth_{name}"], index=False, date_format=fmt)
    notes = out / "interviews"
    notes.mkdir(exist_ok=True)
    for name, text in demo.interview_notes.items():
        (notes / f"{name}.md").write_text(text, encoding="utf-8")
    paths["interviews"] = notes
    return paths
