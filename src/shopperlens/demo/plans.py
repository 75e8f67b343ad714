"""A year of behaviour per planted group: which sessions, orders, tickets each person has.

Every function takes the :class:`~shopperlens.demo.shoppers.World` that collects rows and one
:class:`~shopperlens.demo.shoppers.Person`, and writes that person's history into the world.
"""

from __future__ import annotations

from typing import Any

from shopperlens.demo import catalog as cat
from shopperlens.demo.shoppers import DAY, NEW_WINDOW, Person, World

Source = tuple[str | None, str | None, str | None, str | None]


# -- session kinds ----------------------------------------------------------------------------
def browse(
    w: World,
    p: Person,
    day: float,
    *,
    visitor: str,
    logged_in: bool,
    intensity: float = 1.0,
    sign_up: bool = False,
    known: bool = False,
) -> float:
    """A looker's visit: varied source, many pages and products, a cart that is abandoned.

    ``known``: a customer who knows the shop looking around, arriving the way they buy.
    """
    r = w.u()
    info = w.pick(cat.INFO_TERMS)
    landing = "/"
    source: Source
    if known:
        source = home_source(w, day)
    elif r < 0.25:
        source = (w.pick(cat.SOCIAL), "social", None, None)
        landing = f"/c/{w.pick(w.cats)}"
    elif r < 0.45:
        source = (w.pick(cat.REFERRERS), "referral", None, None)
        landing = f"/guides/{cat.slug(info)}"
    elif r < 0.70:
        source = ("google", "organic", None, info)
        landing = f"/guides/{cat.slug(info)}"
    elif r < 0.80:
        source = ("google", "organic", None, w.pick(cat.GENERIC_TERMS))
        landing = f"/c/{w.pick(w.cats)}"
    elif r < 0.92:
        source = (None, None, None, None)
    else:
        source = (w.pick(["instagram", "pinterest"]), "paid_social", "new-collection", None)
        landing = f"/c/{w.pick(w.cats)}"
    steps: list[Any] = []
    viewed: list[int] = []
    focus = w.pick(w.cats)
    for _ in range(max(3, int(w.ri(6, 16) * intensity))):
        a, dwell = w.u(), float(w.ri(20, 150))
        if a < 0.5:
            prod = w.in_cat(focus) if w.u() < 0.6 else w.pick(range(len(w.products)))
            viewed.append(prod)
            steps += w.view(prod, dwell)
        elif a < 0.68:
            steps.append((dwell, "page_view", f"/c/{w.pick(w.cats)}", None, None, None))
        elif a < 0.82:
            steps.append(
                (
                    dwell,
                    "page_view",
                    f"/guides/{cat.slug(w.pick(cat.INFO_TERMS))}",
                    None,
                    None,
                    None,
                )
            )
        else:
            steps += w.search(w.pick(cat.GENERIC_TERMS + cat.INFO_TERMS), dwell)
    ident = 0 if logged_in else None
    if viewed and w.u() < 0.45:
        carted = [w.pick(viewed) for _ in range(w.ri(1, 3))]
        for prod in carted:
            steps.append(
                (float(w.ri(10, 60)), "add_to_cart", w.page(prod), prod, None, w.products[prod][3])
            )
        if w.u() < 0.35:
            prod = carted[0]
            steps.append(
                (float(w.ri(20, 90)), "remove_from_cart", "/cart", prod, None, w.products[prod][3])
            )
        steps.append((float(w.ri(10, 60)), "page_view", "/cart", None, None, None))
        if w.u() < 0.3:
            steps.append((float(w.ri(10, 40)), "begin_checkout", "/checkout", None, None, None))
            steps.append(
                (float(w.ri(30, 120)), "page_view", "/checkout/shipping", None, None, None)
            )
    if sign_up:
        steps.append((float(w.ri(20, 60)), "page_view", "/account/sign-up", None, None, None))
        ident = len(steps) + 1
        steps.append((float(w.ri(30, 90)), "sign_up", "/account/sign-up", None, None, None))
    elif w.u() < 0.08:
        steps.append((float(w.ri(20, 60)), "generate_lead", "/newsletter", None, None, None))
    t0 = w.at_day(day)
    if sign_up:
        w.register(p, t0 + sum(s[0] for s in steps), "sign_up")
    return w.session(
        t0=t0,
        visitor=visitor,
        device=p.device,
        customer_id=p.customer_id,
        identify_from=ident,
        source=source,
        landing=landing,
        steps=steps,
    )


def product_search_buy(w: World, p: Person, day: float, prod: int, *, first: bool) -> float:
    """Need-based: a Google search naming the product, straight to it, buy only it."""
    term = w.term(prod)
    source: Source = (
        "google" if w.u() < 0.85 else "bing",
        "organic" if w.u() < 0.6 else "cpc",
        None,
        term,
    )
    steps: list[Any] = []
    if w.u() < 0.5:
        landing = w.page(prod)
        steps.append((2.0, "view_item", landing, prod, None, None))
    else:
        landing = "/"
        steps += w.search(w.products[prod][1].lower(), float(w.ri(6, 20)))
        steps += w.view(prod, float(w.ri(5, 20)))
    items = [(prod, 2 if w.u() < 0.15 else 1)]
    if w.u() < 0.15:
        items.append((w.in_cat(w.products[prod][2]), 1))
    code = "FREESHIP" if w.u() < 0.05 else None
    t0 = w.at_day(day)
    steps, ident = w.checkout(p, items, code, steps, t0=t0, pace=0.7)
    if first:
        w.register(p, t0 + sum(s[0] for s in steps), "checkout")
    logged = not first and w.u() < 0.5
    w.session(
        t0=t0,
        visitor=p.visitors[0],
        device=p.device,
        customer_id=p.customer_id,
        identify_from=0 if logged else ident,
        source=source,
        landing=landing,
        steps=steps,
    )
    w.after_order(
        p,
        t0,
        ticket_rate=0.08,
        return_p=0.05,
        topics=["where is my order", "invoice request", "size/fit question"],
        reasons=cat.RETURN_REASONS,
    )
    return t0


def price_check(w: World, p: Person, day: float, prod: int) -> None:
    """Need-based: a one-page look at the product a few days before buying it."""
    landing = w.page(prod)
    w.session(
        t0=w.at_day(day),
        visitor=p.visitors[0],
        device=p.device,
        customer_id=p.customer_id,
        identify_from=None,
        source=("google", "organic", None, w.term(prod)),
        landing=landing,
        steps=[(2.0, "view_item", landing, prod, None, None)],
    )


def home_source(w: World, day: float) -> Source:
    """How a customer who knows the shop arrives: direct, the newsletter, a brand search."""
    r = w.u()
    month = min(12, int(day // 30.5) + 1)
    if r < 0.35:
        return (None, None, None, None)
    if r < 0.7:
        return ("newsletter", "email", f"newsletter-{month:02d}", None)
    if r < 0.95:
        return ("google", "organic", None, w.pick(cat.BRAND_TERMS))
    return (w.pick(cat.REFERRERS), "referral", None, None)


def returning_buy(
    w: World,
    p: Person,
    day: float,
    cats: list[str],
    *,
    visitor: str,
    logged_p: float = 0.9,
    n_items: tuple[int, int] = (1, 3),
) -> float:
    """A returning customer's purchase: direct, newsletter or a search for the brand."""
    source = home_source(w, day)
    steps: list[Any] = [(float(w.ri(10, 40)), "page_view", f"/c/{w.pick(cats)}", None, None, None)]
    for _ in range(w.ri(2, 5)):
        steps += w.view(w.in_cat(w.pick(cats)), float(w.ri(15, 70)))
    items = [(w.in_cat(w.pick(cats)), 1) for _ in range(w.ri(*n_items))]
    code = w.pick(cat.EVERYDAY_CODES) if w.u() < 0.08 else None
    t0 = w.at_day(day)
    steps, ident = w.checkout(p, items, code, steps, t0=t0)
    w.session(
        t0=t0,
        visitor=visitor,
        device=p.device,
        customer_id=p.customer_id,
        identify_from=0 if w.u() < logged_p else ident,
        source=source,
        landing="/",
        steps=steps,
    )
    return t0


def first_buy(w: World, p: Person, day: float, cats: list[str]) -> float:
    """A first purchase ever: varied source, sign-up at checkout, 1–2 items."""
    r = w.u()
    source: Source
    if r < 0.3:
        source = ("google", "organic", None, w.pick(cat.GENERIC_TERMS))
    elif r < 0.5:
        source = (w.pick(cat.SOCIAL), "social", None, None)
    elif r < 0.65:
        source = (w.pick(cat.REFERRERS), "referral", None, None)
    elif r < 0.85:
        source = ("newsletter", "email", "welcome", None)
    else:
        source = (None, None, None, None)
    steps: list[Any] = [(float(w.ri(10, 40)), "page_view", f"/c/{cats[0]}", None, None, None)]
    for _ in range(w.ri(2, 5)):
        steps += w.view(w.in_cat(w.pick(cats)), float(w.ri(15, 90)))
    items = [(w.in_cat(c), 1) for c in cats]
    code = "WELCOME10" if w.u() < 0.3 else None
    t0 = w.at_day(day)
    steps, ident = w.checkout(p, items, code, steps, t0=t0, sign_up=True)
    w.register(p, t0 + sum(s[0] for s in steps), "sign_up")
    w.session(
        t0=t0,
        visitor=p.visitors[0],
        device=p.device,
        customer_id=p.customer_id,
        identify_from=ident,
        source=source,
        landing=f"/c/{cats[0]}",
        steps=steps,
    )
    w.after_order(
        p,
        t0,
        ticket_rate=0.15,
        return_p=0.08,
        topics=["how to use the product", "where is my order", "size/fit question"],
        reasons=cat.RETURN_REASONS,
    )
    return t0


def campaign_buy(
    w: World,
    p: Person,
    camp: tuple[str, int, int, str],
    *,
    first: bool,
    allowed_cats: list[str] | None,
) -> float:
    """Impulse: an ad for a limited-time offer, a purchase minutes later, the campaign code."""
    name, d0, d1, code = camp
    src, med = w.pick(cat.PAID_CHANNELS)
    day = d0 + w.u() * (d1 - d0 - 0.05)
    cats = allowed_cats or w.cats
    items = [(w.in_cat(w.pick(cats)), 1) for _ in range(w.ri(1, 3))]
    steps: list[Any] = []
    if w.u() < 0.5:
        landing = f"/sale/{name}"
        steps += w.view(items[0][0], float(w.ri(8, 30)))
    else:
        landing = w.page(items[0][0])
        steps.append((2.0, "view_item", landing, items[0][0], None, None))
    t0 = w.at_day(day)
    steps, ident = w.checkout(p, items, code if w.u() < 0.88 else None, steps, t0=t0, pace=0.6)
    if first:
        w.register(p, t0 + sum(s[0] for s in steps), "checkout")
    logged = not first and w.u() < 0.4
    w.session(
        t0=t0,
        visitor=p.visitors[0],
        device=p.device,
        customer_id=p.customer_id,
        identify_from=0 if logged else ident,
        source=(src, med, name, None),
        landing=landing,
        steps=steps,
    )
    w.after_order(
        p,
        t0,
        ticket_rate=0.9,
        return_p=0.3,
        topics=cat.IMPULSE_TOPICS,
        reasons=cat.IMPULSE_RETURN_REASONS,
    )
    return t0


def ad_bounce(w: World, p: Person, camp: tuple[str, int, int, str]) -> None:
    """Impulse: a click on a campaign ad without buying."""
    name, d0, d1, _ = camp
    src, med = w.pick(cat.PAID_CHANNELS)
    prod = w.pick(range(len(w.products)))
    w.session(
        t0=w.at_day(d0 + w.u() * (d1 - d0 - 0.05)),
        visitor=p.visitors[0],
        device=p.device,
        customer_id=p.customer_id,
        identify_from=None,
        source=(src, med, name, None),
        landing=f"/sale/{name}",
        steps=w.view(prod, float(w.ri(5, 30))),
    )


# -- groups -----------------------------------------------------------------------------------
def need_based(w: World, p: Person) -> None:
    """1–3 orders spread out (the first >75 days before the end), all in one category."""
    category = w.pick(w.cats)
    n = 1 if w.u() < 0.5 else (2 if w.u() < 0.7 else 3)
    for i, day in enumerate(w.spread(n, 5, w.days - 80)):
        prod = w.in_cat(category)
        if w.u() < 0.4 and day > 6:
            price_check(w, p, day - 1 - 3 * w.u(), prod)
        product_search_buy(w, p, day, prod, first=i == 0)


def looker(
    w: World,
    p: Person,
    *,
    registered: bool,
    lo: float = 1,
    hi: float | None = None,
    n: int | None = None,
) -> None:
    """No orders: 4–12 long visits; registered ones sign up in one of the first visits."""
    hi = hi if hi is not None else w.days - 1
    n = n or w.ri(4, 12)
    sign_up_at = w.ri(0, min(2, n - 1)) if registered else -1
    for i, day in enumerate(sorted(lo + (hi - lo) * w.u() for _ in range(n))):
        logged = registered and i > sign_up_at and w.u() < 0.7
        browse(w, p, day, visitor=p.visitors[0], logged_in=logged, sign_up=i == sign_up_at)
    if registered and w.u() < 0.1 and p.created is not None:
        assert p.customer_id is not None
        w.tickets.append(
            (
                p.customer_id,
                p.created + 3 * DAY,
                w.pick(["product availability", "size/fit question"]),
                "chat",
                None,
            )
        )


def new_first(w: World, p: Person, *, browses: int | None = None) -> None:
    """A first purchase ever in the last 3–35 days, after at most a few short looks."""
    day = w.days - w.ri(*NEW_WINDOW) + w.u() * 0.5
    for _ in range(w.ri(0, 2) if browses is None else browses):
        browse(
            w,
            p,
            max(1.0, day - 2 - 38 * w.u()),
            visitor=p.visitors[0],
            logged_in=False,
            intensity=0.6,
        )
    cats = [w.pick(w.cats)]
    if w.u() < 0.3:
        cats.append(w.pick([c for c in w.cats if c != cats[0]]))
    first_buy(w, p, day, cats)


def new_category(w: World, p: Person) -> None:
    """An existing customer whose latest order is the first in a category it never bought."""
    old, new = (list(x) for x in _two_disjoint(w))
    p.created = -w.ri(30, 900) * DAY + w.at_day(0)
    w.consent(p, "marketing", w.u() < 0.7, p.created, "checkout")
    for day in w.spread(w.ri(1, 3), 10, w.days - 90):
        returning_buy(w, p, day, old, visitor=p.visitors[0], logged_p=0.6, n_items=(1, 2))
        w.after_order(
            p,
            p.orders[-1][1],
            ticket_rate=0.1,
            return_p=0.05,
            topics=cat.TICKET_TOPICS,
            reasons=cat.RETURN_REASONS,
        )
    day = w.days - w.ri(*NEW_WINDOW) + w.u() * 0.5
    returning_buy(w, p, day, new, visitor=p.visitors[0], logged_p=0.8, n_items=(1, 2))
    w.after_order(
        p,
        p.orders[-1][1],
        ticket_rate=0.15,
        return_p=0.08,
        topics=["how to use the product", "size/fit question"],
        reasons=cat.RETURN_REASONS,
    )


def _two_disjoint(w: World) -> tuple[list[str], list[str]]:
    """Two different categories: the one bought so far and the new one."""
    shuffled = [w.cats[i] for i in w.rng.permutation(len(w.cats))]
    return shuffled[:1], shuffled[1:2]


def loyal(
    w: World,
    p: Person,
    *,
    first_day: float | None = None,
    last_day: float | None = None,
    n: int | None = None,
) -> None:
    """5+ orders at regular gaps over the year, from favourite categories."""
    favs = [w.cats[i] for i in w.rng.permutation(len(w.cats))[: w.ri(2, 3)]]
    n = n or w.ri(5, 11)
    first_day = first_day if first_day is not None else 3 + 40 * w.u()
    last_day = last_day if last_day is not None else w.days - 4 - 40 * w.u()
    gap = (last_day - first_day) / (n - 1)
    visitors = p.visitors
    for i in range(n):
        day = min(w.days - 1.0, max(0.0, first_day + gap * i + gap * 0.12 * (2 * w.u() - 1)))
        cats = [favs[i]] if i < len(favs) else favs
        visitor = visitors[1] if len(visitors) > 1 and w.u() < 0.4 else visitors[0]
        if i == 0 and p.created is None:
            first_buy(w, p, day, cats)
            continue
        returning_buy(w, p, day, cats, visitor=visitor)
        w.after_order(
            p,
            p.orders[-1][1],
            ticket_rate=0.1,
            return_p=0.05,
            topics=cat.TICKET_TOPICS,
            reasons=cat.RETURN_REASONS,
        )
        if w.u() < 0.6 and day + 3 < w.days - 1:  # a look around between orders
            browse(
                w,
                p,
                day + 2 + gap * 0.5 * w.u(),
                visitor=visitor,
                logged_in=True,
                intensity=0.35,
                known=True,
            )
    if p.type == "loyal":
        r = w.u()
        if r < 0.5:
            w.consent(p, "case_study", r < 0.4, w.days * DAY * (0.5 + 0.45 * w.u()), "e-mail")


def long_tenure_loyal(w: World, p: Person) -> None:
    """A loyal customer registered 200–1600 days before the window starts."""
    p.created = -w.ri(200, 1600) * DAY + w.at_day(0)
    w.consent(p, "marketing", w.u() < 0.92, p.created, "sign_up")
    loyal(w, p)


def lapsing_loyal(w: World, p: Person) -> None:
    """A long-tenure loyal customer who buys regularly, then stops 125–175 days before the end.

    Still loyal by the type rules (lapsed shows only after 180 days without an order), but
    silently dropping out: the planted "loyal at risk" that P(alive) should find.
    """
    p.created = -w.ri(200, 1600) * DAY + w.at_day(0)
    w.consent(p, "marketing", w.u() < 0.92, p.created, "sign_up")
    loyal(w, p, first_day=3 + 20 * w.u(), last_day=w.days - w.ri(150, 175), n=w.ri(9, 13))


def impulse(w: World, p: Person) -> None:
    """1–4 campaign orders; the first well before the end, so it is not a new customer."""
    early = [c for c in w.campaigns if c[1] < w.days - 75]
    n = 1 if w.u() < 0.15 else w.ri(2, 4)
    order = [early[i] for i in sorted(w.rng.permutation(len(early))[:1])]
    rest = [c for c in w.campaigns if c[1] > order[0][1]]
    if rest:
        chosen = sorted(w.rng.permutation(len(rest))[: n - 1])
        order += [rest[i] for i in chosen]
    bought: list[str] = []
    for i, camp in enumerate(order):
        recent = camp[1] > w.days - 60
        campaign_buy(w, p, camp, first=i == 0, allowed_cats=bought if recent else None)
        bought = sorted({c for _, _, cs in p.orders for c in cs})
    for _ in range(w.ri(0, 3)):
        ad_bounce(w, p, w.pick(w.campaigns))


def looker_to_loyal(w: World, p: Person) -> None:
    """Anonymous browsing until mid-year, a first order, then regular repeats: ends loyal."""
    first = 150 + 40 * w.u()
    looker(w, p, registered=False, lo=5, hi=first - 12, n=w.ri(4, 7))
    last = w.days - 10 - 25 * w.u()
    loyal(w, p, first_day=first, last_day=last, n=w.ri(5, 7))
    p.moves = [(first - 10, "looker"), (first + 14, "new"), (float(w.days), "loyal")]


def looker_to_new(w: World, p: Person) -> None:
    """Browsing most of the year, a first order in the last weeks: ends new."""
    looker(w, p, registered=False, lo=20, hi=w.days - 60, n=w.ri(4, 8))
    new_first(w, p, browses=0)
    p.moves = [(float(w.days - 60), "looker"), (float(w.days), "new")]


PLANS = {
    "need_based": need_based,
    "looker_anonymous": lambda w, p: looker(w, p, registered=False),
    "looker_registered": lambda w, p: looker(w, p, registered=True),
    "new_first": new_first,
    "new_category": new_category,
    "looker_to_new": looker_to_new,
    "loyal": long_tenure_loyal,
    "loyal_lapsing": lapsing_loyal,
    "looker_to_loyal": looker_to_loyal,
    "impulse": impulse,
}
