"""The report's glossary: one plain-language definition per technical term, in one place.

A shop owner reads the report without knowing what a BG/NBD or an adjusted Rand index is, so
every page marks a term where it first appears (``{{ term("p_alive") }}``: the word, linked
to its glossary entry, with the short definition as a tooltip) and may add a "what this
means" line under a table (``{{ terms_note("lift", "confidence") }}``). The glossary page
(``pages_glossary.py``) lists every entry, so a definition is written once and every page
and the glossary say the same thing. Figures in the definitions come from the constants the
analyses use, so the text cannot drift from what is computed.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

from shopperlens.service.clv import AT_RISK_MIN_REPEAT, AT_RISK_P_ALIVE, DISCOUNT_RATE_YEARLY

#: the glossary page's file name: term links point into it
PAGE = "glossary.html"


@dataclass(frozen=True)
class Term:
    """One glossary entry.

    ``name`` is how the report writes the term, ``short`` the one-line definition shown
    beside it (tooltip, "what this means" line), ``more`` the rest of the glossary entry.
    ``spotted`` are spellings that, found in a page's visible text, mean the page uses the
    term (left empty where the word also has an everyday meaning, such as "support").
    ``demo_more`` is said after ``more`` only in the demo shop's glossary: what the term
    measures against the demo's planted truth means nothing to a shop that has none.
    """

    key: str
    name: str
    short: str
    more: str = ""
    spotted: tuple[str, ...] = ()
    demo_more: str = ""

    @property
    def anchor(self) -> str:
        """The entry's id on the glossary page (``p-alive`` for ``p_alive``)."""
        return self.key.replace("_", "-")


_TERMS = (
    Term(
        "p_alive", "P(alive)",
        "the model's probability that the customer is still a customer, i.e. will buy again",
        "It is estimated from how often and how recently the customer ordered: a regular "
        "customer who has been quiet for much longer than usual gets a low P(alive). 90 % "
        "means almost surely still buying; below 50 % the customer has probably left.",
        ("P(alive)",),
    ),
    Term(
        "clv", "CLV",
        "customer lifetime value: the revenue a customer's future orders are expected to "
        "bring over the period shown (usually the next 365 days), in today's money",
        "Computed as the BG/NBD's expected orders times the Gamma-Gamma's expected order "
        f"value, discounted at {100 * DISCOUNT_RATE_YEARLY:.0f} % a year. Order value is the "
        "sum of the order lines (quantity × unit price) in the shop's currency: revenue "
        "before costs and shipping, not margin.",
        ("CLV",),
    ),
    Term(
        "bgnbd", "BG/NBD",
        "a standard model of repeat buying: how often each customer buys, and whether they "
        "have quietly stopped",
        "Beta-geometric / negative binomial distribution model (Fader, Hardie and Lee, 2005). "
        "Each customer buys at their own steady rate while they are a customer and, after any "
        "order, may stop for good without saying so. Fitted on every customer's order dates, "
        "it gives P(alive), the expected number of orders and the next-order estimate.",
        ("BG/NBD",),
    ),
    Term(
        "gamma_gamma", "Gamma-Gamma",
        "a model of how much each customer spends per order",
        "Each customer has their own typical order value; with few orders it is pulled towards "
        "the shop-wide average, because a single order says little. Multiplied by the BG/NBD's "
        "expected orders it gives CLV.",
        ("Gamma-Gamma",),
    ),
    Term(
        "at_risk", "at risk",
        f"a customer with at least {AT_RISK_MIN_REPEAT} repeat purchases whose P(alive) has "
        f"fallen below {100 * AT_RISK_P_ALIVE:.0f} %",
        "Worth a personal win-back before they are gone: they bought regularly, then went "
        "quiet for much longer than their usual gap between orders.",
    ),
    Term(
        "rate_ratio", "rate ratio",
        "how many times as often customers from this source buy as customers from the first "
        "source in the table (1.00)",
        "2.00 = twice as often, 0.50 = half as often. In brackets the 95 % interval: when it "
        "includes 1.00, the difference may be chance.",
        ("rate ratio",),
    ),
    Term(
        "dropout", "dropout",
        "the chance that a customer stops buying for good after any one order",
        "The BG/NBD's a/(a+b). 2 % means about one order in fifty is a customer's last.",
        ("dropout",),
    ),
    Term(
        "interval", "95 % interval",
        "the range the true value lies in with 95 % confidence, given the data",
        "Narrow = the data pin the figure down; wide = treat it as a rough guess.",
        ("95 % interval",),
    ),
    Term(
        "model_parameters", "model parameters",
        "the numbers the BG/NBD and Gamma-Gamma models were fitted with (r, alpha, a, b; p, q, "
        "v): needed to check or reproduce the models, not to read the report",
        "BG/NBD: r and alpha describe how buying rates differ between customers (on average r/"
        "alpha orders per day while a customer); a and b describe how the chance of stopping "
        "after an order differs (on average a/(a+b), the dropout). Gamma-Gamma: p describes how "
        "much one customer's order values vary around their own average, q and v how those "
        "averages differ between customers (the shop-wide average order value is about "
        "p·v/(q−1)).",
        ("Model parameters",),
    ),
    Term(
        "gap_variation", "variation (of the gaps between orders)",
        "how regular a customer's orders are: 0 = exactly the same gap every time, 0.15 = gaps "
        "typically differ about 15 % from the average, 1 or more = irregular",
        "The standard deviation of the days between orders divided by their average (the "
        "coefficient of variation). Regular gaps are what the loyal type looks for.",
        ("(variation ",),
    ),
    Term(
        "intent", "intent",
        "the chance that a visitor who has not bought yet will buy, judged by how much their "
        "browsing resembles that of visitors who did buy",
        "Each visitor is scored by a model that never saw them (out-of-fold), so the score is "
        "not flattered by the visitor's own data.",
    ),
    Term(
        "calibrated", "calibrated",
        "the score can be read as a chance: of all visitors scored 30 %, about 3 in 10 bought",
        "Checked on visitors the model did not learn from. An uncalibrated score would only "
        "rank visitors, not say how likely each is to buy.",
        ("calibrated", "Calibrated"),
    ),
    Term(
        "drivers", "drivers",
        "what moves a visitor's intent score most, with how much each changes the chance of "
        "buying compared with a typical visitor (+5 pt = five percentage points likelier)",
        "Each driver compares the visitor with the same visitor at the typical value of that "
        "one thing (the median, or the most common source or device). A negative driver lowers "
        "the chance: 'first traffic source −5 pt' means visitors who arrived the way this one "
        "did buy less often than those from the most common source.",
        ("drivers",),
    ),
    Term(
        "support", "support",
        "the share of all orders that contain both products",
        "Low support = the pair rests on few orders.",
    ),
    Term(
        "confidence", "confidence",
        "of the orders with the first product, the share that also contain the recommended one",
        "40 % = 4 in 10 orders with the first product also had the second.",
    ),
    Term(
        "lift", "lift",
        "how many times more often two products are bought together than if they were "
        "unrelated: 1 = no link, 3 = three times as often as chance",
        "The confidence divided by the recommended product's share of all orders.",
    ),
    Term(
        "tfidf_nmf", "TF-IDF + NMF",
        "how free-text answers are grouped into themes: words that often occur together form "
        "a theme",
        "TF-IDF weighs each word: high when it is frequent in an answer but rare across all "
        "answers. NMF (non-negative matrix factorisation) then finds groups of such words that "
        "occur together; each group is a theme, named by the top terms its own answers use "
        "('said by' is the share of its answers using a word of the name).",
        ("TF-IDF",),
    ),
    Term(
        "macro_f1", "macro-F1",
        "how well the customer types were recovered compared with the demo's planted truth: "
        "1 = every type perfectly, 0 = none",
        "For each type the F1 score balances 'found everyone of this type' against 'put only "
        "people of this type in it'; macro-F1 averages it over the types, so a small type "
        "counts as much as a large one.",
        ("macro-F1",),
    ),
    Term(
        "adjusted_rand", "adjusted Rand index",
        "how much two groupings of the same people agree, corrected for chance: 1 = the same "
        "groups, 0 = no better than random",
        "The personas' stability is this index between the personas found and those found "
        "again on resampled answers.",
        ("adjusted Rand",),
        "In the demo it also compares the personas found with the planted ones.",
    ),
    Term(
        "stability", "stability",
        "how much the personas stay the same when the analysis is rerun on resampled survey "
        "answers: near 1 = the same groups every time",
        "For the whole run: the mean adjusted Rand index over the reruns. For one persona: "
        "the mean overlap (Jaccard, 0–1) between its members and its closest match in each "
        "rerun. A common rule of thumb: above 0.75 stable, below 0.5 the group may not be "
        "real.",
        ("stability",),
    ),
)  # fmt: skip

#: every term by key, in the order the glossary page lists them
TERMS: dict[str, Term] = {t.key: t for t in _TERMS}


def term(key: str, text: str | None = None, *, link: bool = True) -> Markup:
    """The term as the pages show it: its short definition as a tooltip and (unless
    ``link=False``, as on the printable persona cards) a link to its glossary entry.

    An unknown key is an error, not a silent plain word: a template naming a term the
    glossary lacks would leave the reader without the definition the page promises.
    """
    t = TERMS[key]
    label = escape(text or t.name)
    abbr = Markup('<abbr class="term" title="{}">{}</abbr>').format(t.short, label)
    if not link:
        return abbr
    return Markup('<a class="term" href="{}#{}">{}</a>').format(PAGE, t.anchor, abbr)


def terms_note(*keys: str, link: bool = True) -> Markup:
    """A "what this means" line for under a table: each term's short definition (linked to
    the glossary unless ``link=False``), readable on paper where a tooltip is not."""
    parts = [
        Markup("<b>{}</b>: {}").format(term(k, _capital(TERMS[k].name), link=link), TERMS[k].short)
        for k in keys
    ]
    return Markup('<p class="hint">What this means: {}.</p>').format(Markup("; ").join(parts))


def _capital(text: str) -> str:
    """``"lift"`` → ``"Lift"``; ``"P(alive)"`` and ``"macro-F1"`` keep their other letters."""
    return text[:1].upper() + text[1:]
