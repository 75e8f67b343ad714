"""The seven import kinds: their canonical columns, types, keys and row checks.

Every source format (generic, Shopify, GA4, UCI) produces the *raw* canonical columns of a kind
as text; :func:`stage_sql` turns them into typed columns plus the ``_reject`` verdict in one
SQL pass. The column lists here are the contract documented in the README.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from shopperlens.emails import ONE_ADDRESS, email_sql, invisible_sql, trim_sql, unwrap_sql
from shopperlens.ingest import numbers
from shopperlens.ingest.numbers import POINT, NumberStyle
from shopperlens.ingest.rejects import (
    CONTROL_CHECKED,
    Check,
    cast_check,
    control_check,
    ident,
    reject_struct_sql,
    sql_str,
)

#: GA4 event names accepted (the issue's core list plus GA4's automatic and recommended events)
CORE_EVENTS: tuple[str, ...] = (
    "session_start",
    "page_view",
    "view_item",
    "view_search_results",
    "add_to_cart",
    "remove_from_cart",
    "begin_checkout",
    "purchase",
    "sign_up",
    "generate_lead",
)
KNOWN_EVENTS: frozenset[str] = frozenset(
    CORE_EVENTS
    + (
        "first_visit",
        "user_engagement",
        "scroll",
        "click",
        "file_download",
        "form_start",
        "form_submit",
        "video_start",
        "video_progress",
        "video_complete",
        "view_item_list",
        "select_item",
        "view_cart",
        "add_to_wishlist",
        "add_shipping_info",
        "add_payment_info",
        "view_promotion",
        "select_promotion",
        "select_content",
        "search",
        "login",
        "share",
        "refund",
        "app_remove",
        "first_open",
        "screen_view",
    )
)

#: an e-mail column holds one address (``emails.ONE_ADDRESS``; ``Name <a@example.org>`` and
#: ``mailto:a@example.org`` give the address): ``a@example.org; b@example.org`` was stored as
#: written, so ``erase --email a@example.org`` found no such customer and kept them
NOT_ONE_EMAIL = "not one e-mail address (one @, no spaces, not a list)"

#: value types: what "not convertible" is called (see :data:`_TYPES` for the conversions)
_WHAT: dict[str, str] = {"text": "", "id": "", "email": "", "ts": "a date/time",
                         "int": "a whole number", "count": "a whole number", "float": "a number",
                         "money": "a number", "bool": "true/false",
                         "currency": "a currency code (three letters, such as EUR)"}  # fmt: skip


#: the import option naming the order of a date written before its year, and its values
DATES_OPTION = "--dates"
YEAR_FIRST = "year-first"
DATE_ORDERS = (YEAR_FIRST, "day-first", "month-first")
#: the import option naming what an orders file's line with a negative quantity (a credit
#: note's, a cancellation's) is, and its values: a reject (the default), or a return
NEGATIVE_LINES_OPTION = "--negative-lines"
AS_RETURNS = "returns"
NEGATIVE_LINES = ("reject", AS_RETURNS)


def number_sql(raw: str) -> str:
    """Text -> finite DOUBLE, else NULL."""
    d = f"TRY_CAST(trim({raw}) AS DOUBLE)"
    return f"CASE WHEN isfinite({d}) THEN {d} END"


def whole_sql(raw: str) -> str:
    """Text -> INTEGER (the tables' type for counts) when it is a whole number (``3``, ``3.0``,
    ``1e2``) that fits, else NULL (see :func:`out_of_range_sql`)."""
    d = f"TRY_CAST(trim({raw}) AS DOUBLE)"
    return f"CASE WHEN {d} = trunc({d}) THEN TRY_CAST({d} AS INTEGER) END"


def out_of_range_sql(raw: str) -> str:
    """SQL: TRUE when ``raw`` is a whole number too large for INTEGER (``1e20``, ``3000000000``).
    Checked only on values that did not convert."""
    d = f"TRY_CAST(trim({raw}) AS DOUBLE)"
    return f"isfinite({d}) AND {d} = trunc({d})"


#: the end of a value that carries a zone, or a word DuckDB's ``TIMESTAMP`` cast would read
#: past and drop: a letter (``Z``, `` UTC``, `` Europe/Berlin``; also ``epoch``, ``infinity``),
#: a space and text without a colon (`` +1``, `` UTC+2``, `` 123``), or an offset after the
#: time or a zone name (``+01:00``, ``-0100``, ``+1``, `` -01:00``, ``GMT+1``, ``Etc/GMT-2``).
#: Anchored at the end, so RE2 reads it from there; a date alone never matches.
_ZONED = r"([A-Za-z]|\s[^:]*|(:\d+(\.\d*)?\s*|[A-Za-z])[+-]\d+(:\d+)*)$"


#: an offset at the end of a value, ``±HH``, ``±HHMM``, ``±HH:MM`` or ``±HH:MM:SS``: its hours
#: and minutes
_OFFSET = r"[+-]([0-9][0-9]):?([0-9][0-9])?(:?[0-9][0-9])?$"


def _no_offset_sql(value: str) -> str:
    """SQL: TRUE when ``value`` ends in an offset no place on earth has (beyond ±14:00):
    DuckDB reads ``+25:00``, ``+99`` and ``+15:00:00`` as that many hours and moved the time
    by them."""
    hours = f"TRY_CAST(regexp_extract({value}, '{_OFFSET}', 1) AS INTEGER)"
    minutes = f"coalesce(TRY_CAST(regexp_extract({value}, '{_OFFSET}', 2) AS INTEGER), 0)"
    return f"coalesce({hours} * 60 + {minutes} > 840, false)"


def ts_sql(raw: str, dates: str = YEAR_FIRST) -> str:
    """Text -> TIMESTAMP (UTC), the same on every machine.

    A value carrying a zone is read as an instant (DuckDB's ``TIMESTAMPTZ``: offsets and IANA or
    POSIX names such as ``Europe/Berlin``, ``UTC+2`` or ``Etc/GMT+5``; ambiguous abbreviations
    such as ``CEST``, a one-digit offset such as ``+1``, an offset beyond ±14:00 and any other
    suffix do not convert and are rejected) and turned into UTC; a plain value is taken as UTC.
    DuckDB's cast to ``TIMESTAMP`` would accept a zone (or any word after the time) and drop it,
    so such values must not reach it. The shapes of most files cannot carry one and skip the
    pattern: ``YYYY-MM-DD HH:MM:SS`` and ``YYYY-MM-DD HH:MM`` (matched whole by ``LIKE``) and
    dates alone (ten characters or fewer, not ending in a letter). A value carrying a zone must
    start with a digit: DuckDB reads the words ``epoch`` and ``infinity`` as dates. A year must
    have four digits: DuckDB reads one or two as written (``01-12-10``, a day-month-year export,
    would be the year 1) and five as a year after 9999, which Python cannot hold.

    ``dates`` (the ``--dates`` option): ``day-first`` or ``month-first`` reads a date written
    before its year in that order (see :func:`_date_before_year_sql`); values written otherwise
    are read as above, so an ISO value in such a file still reads.
    """
    v = f"trim({raw})"
    n = f"length({v})"
    plain = (
        f"CASE {n} WHEN 19 THEN {v} LIKE '____-__-_____:__:__' WHEN 10 THEN true "
        f"WHEN 16 THEN {v} LIKE '____-__-_____:__' ELSE {n} < 10 AND {v}[-1] < 'A' END"
    )
    instant = (
        f"TRY_CAST(regexp_replace({v}, '\\s+([+-]\\d\\d(:?\\d\\d)?)$', '\\1') AS TIMESTAMPTZ) "
        "AT TIME ZONE 'UTC'"
    )
    ts = (
        f"CASE WHEN NOT ({plain}) AND regexp_matches({v}, '{_ZONED}') THEN "
        f"CASE WHEN {v}[1] BETWEEN '0' AND '9' AND NOT {_no_offset_sql(v)} "
        f"THEN {instant} END "
        f"ELSE TRY_CAST({v} AS TIMESTAMP) END"
    )
    if dates != YEAR_FIRST:
        ts = (
            f"CASE WHEN regexp_full_match({v}, '{_DAY_MONTH_YEAR}') "
            f"THEN {_date_before_year_sql(v, dates)} ELSE {ts} END"
        )
    return (
        f"CASE WHEN {ts} >= TIMESTAMP '1000-01-01' AND {ts} < TIMESTAMP '10000-01-01' THEN {ts} END"
    )


#: a date written day and month before a year of two or four digits (``01-12-10 8:26``,
#: ``12/06/2010``, ``2/20/11``): day-month or month-day cannot be told from the value, so it is
#: rejected with a hint rather than guessed
_DAY_MONTH_YEAR = r"\d{1,2}[-/.]\d{1,2}[-/.](\d\d|\d{4})( \d{1,2}:\d\d(:\d\d)?)?"

#: the reject reason of such a date, naming the option and the shape the importer reads
DAY_MONTH_YEAR = (
    "not a date/time (day-month or month-day? import with --dates day-first or --dates "
    "month-first, or write the year first: 2010-12-01 08:26)"
)
#: the reject reason of a date before its year that is not a date in the order the option
#: gives (``13/01/2010`` with ``--dates month-first``)
NOT_IN_ORDER: dict[str, str] = {
    "day-first": "not a date/time day first (--dates day-first reads 01-12-10 8:26 as "
    "2010-12-01 08:26)",
    "month-first": "not a date/time month first (--dates month-first reads 12/06/2010 10:08 "
    "as 2010-12-06 10:08)",
}
#: the times a date before its year may carry: with seconds, without, none
_TIMES = (" %H:%M:%S", " %H:%M", "")


def _date_before_year_sql(v: str, dates: str) -> str:
    """SQL: ``v``, a value in :data:`_DAY_MONTH_YEAR`, read day or month first (``dates``) as
    a TIMESTAMP, else NULL (a 13th month). The separators ``-`` and ``.`` become ``/``, so
    one list of formats reads all three. A two-digit year is read by DuckDB's ``%y``: 00 to
    68 are 2000 to 2068, 69 to 99 are 1969 to 1999. Four digits are told first, since ``%Y``
    would read ``10`` as the year 10."""
    first, second = ("%d", "%m") if dates == "day-first" else ("%m", "%d")
    slashed = f"regexp_replace({v}, '^(\\d+)[-/.](\\d+)[-/.]', '\\1/\\2/')"

    def formats(year: str) -> str:
        return "[" + ", ".join(sql_str(f"{first}/{second}/{year}{t}") for t in _TIMES) + "]"

    return (
        f"CASE WHEN regexp_matches({v}, '^\\d+[-/.]\\d+[-/.]\\d{{4}}') "
        f"THEN try_strptime({slashed}, {formats('%Y')}) "
        f"ELSE try_strptime({slashed}, {formats('%y')}) END"
    )


def ts_check(column: str, raw: str, typed: str, dates: str = YEAR_FIRST) -> Check:
    """A present date/time that did not convert is rejected as not a date/time; one written
    day and month first (a UK or US spreadsheet's export) says how to write it, since the file
    then fails on every row and "not a date/time" alone leaves the owner guessing why. With
    ``dates`` given, such a value is not a date in that order (a 13th month): the reason says
    which order the option reads."""
    check = cast_check(column, raw, typed, _WHAT["ts"])
    hint = NOT_IN_ORDER.get(dates, DAY_MONTH_YEAR)
    why = (
        f"CASE WHEN regexp_full_match(trim({raw}), '{_DAY_MONTH_YEAR}') "
        f"THEN {sql_str(hint)} ELSE {sql_str(check.reason)} END"
    )
    return Check(column, check.bad, check.reason, raw, reason_sql=why)


#: the largest amount a price or shipping may be: far above any real one in any currency, and
#: low enough that sums over billions of lines stay finite
MAX_MONEY = 10**12
_TOO_MUCH = f"out of range (above {MAX_MONEY:,})"

#: value types: how raw text becomes a typed value. Whole numbers go through DOUBLE: DuckDB's
#: cast to BIGINT rounds ``1.5`` to 2 and reads ``0x10`` as 16, where a quantity of 1.5 is an
#: error to report. Numbers must be finite (DuckDB reads ``NaN`` and ``inf``).
_TYPES: dict[str, Callable[[str], str]] = {
    "text": lambda r: f"NULLIF(trim({r}), '')",
    "id": lambda r: f"CASE WHEN {no_value_sql(f'trim({r})')} THEN NULL ELSE trim({r}) END",
    # an e-mail of "N/A" would key one customer for every such row (see email_key_sql)
    "email": lambda r: (
        f"CASE WHEN {no_value_sql(trim_sql(r))} THEN NULL ELSE {unwrap_sql(email_sql(r))} END"
    ),
    "ts": ts_sql,
    "int": whole_sql,
    "count": whole_sql,
    "float": number_sql,
    "money": number_sql,
    "bool": lambda r: f"TRY_CAST(trim({r}) AS BOOLEAN)",
    # an ISO 4217 code in capitals: a stored "eur" and a later file's "EUR" were a conflict
    "currency": lambda r: (
        f"CASE WHEN regexp_full_match(upper(trim({r})), '[A-Z]{{3}}') THEN upper(trim({r})) END"
    ),
}


#: what exports write for a missing id: R's ``NA``, SQL dumps' ``NULL``, pandas' missing-value
#: strings (``nan``, ``<NA>``, ``#N/A`` …), GA's ``(not set)`` … Kept as an id, each would make
#: one customer (or visit, order, product) of every row that lacks one. Matched as written, in
#: the spellings exports use: one comparison with a constant set per value.
NO_ID_WORDS: tuple[str, ...] = (
    "", "-", "NA", "Na", "na", "N/A", "n/a", "N/a", "#N/A", "#n/a", "#N/A N/A", "#NA", "<NA>",
    "NULL", "Null", "null", "nULL", "#NULL!", "None", "none", "NONE", "nan", "NaN", "NAN", "Nan",
    "-nan", "-NaN", "nil", "Nil", "NIL", "undefined", "Undefined", "UNDEFINED", "(not set)",
    "(Not Set)", "(none)", "(None)",
)  # fmt: skip
_NO_ID = ", ".join(sql_str(w) for w in NO_ID_WORDS)
_NO_ID_LONGEST = max(map(len, NO_ID_WORDS))


def no_value_sql(value: str) -> str:
    """SQL: TRUE when ``value`` (already trimmed) is blank or a word for "no value" (the length
    test first: DuckDB then compares with the set at a third of the cost)."""
    return f"(length({value}) <= {_NO_ID_LONGEST} AND {value} IN ({_NO_ID}))"


#: the ids other rows point to, where such a word would merge rows silently (a row's own key
#: repeated with other content is rejected anyway)
_REFERENCES = ("customer_id", "visitor_id", "session_id", "order_id", "product_id")


def email_key_sql(email: str) -> str:
    """A stable customer id from a normalised e-mail (a sha256 prefix: the e-mail is not in it)."""
    return f"('e-' || left(sha256({email}), 16))"


@dataclass(frozen=True)
class Col:
    """A canonical column: name, value type, whether a value / a header is required."""

    name: str
    type: str = "text"
    required: bool = False
    header: bool = False


@dataclass(frozen=True)
class KindSpec:
    """What an import kind looks like and where it lands."""

    kind: str
    table: str
    key: tuple[str, ...]
    columns: tuple[Col, ...]
    #: SQL overriding a column's typed expression (after conversion; may use other typed names)
    derived: dict[str, str] = field(default_factory=dict)
    #: extra checks on typed columns, run after the per-column ones
    checks: tuple[Check, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def numeric(self) -> frozenset[str]:
        """The columns holding numbers (see ``ingest.numbers``)."""
        return frozenset(c.name for c in self.columns if c.type in numbers.NUMERIC_TYPES)

    @property
    def header_required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.header)

    def col(self, name: str) -> Col:
        return next(c for c in self.columns if c.name == name)


def _c(spec: str) -> tuple[Col, ...]:
    """Columns from ``name:type`` words; ``!`` = value required, ``*`` = header required.
    The ids rows refer to by are typed ``id`` (see :data:`NO_ID_WORDS`)."""
    out = []
    for word in spec.split():
        name, _, typ = word.partition(":")
        flags = set(name) & {"!", "*"}
        name = name.strip("!*")
        typ = typ or ("id" if name in _REFERENCES else "text")
        out.append(Col(name, typ, "!" in flags, "*" in flags))
    return tuple(out)


_EVENT_LIST = ", ".join(sql_str(e) for e in sorted(KNOWN_EVENTS))

KINDS: dict[str, KindSpec] = {
    "customers": KindSpec(
        "customers",
        "customers",
        ("customer_id",),
        _c(
            "!*customer_id email:email name created_at:ts country city birth_year:int gender "
            "accepts_marketing:bool"
        ),
        derived={"customer_id": f"coalesce(customer_id, {email_key_sql('email')})"},
        # (-1985 was stored, an age of 4,000 years in the age brackets)
        checks=(
            Check(
                "birth_year",
                "birth_year < 1900 OR birth_year > year(current_date)",
                "not a birth year (1900 to this year)",
                "birth_year",
            ),
        ),
    ),
    "products": KindSpec(
        "products",
        "products",
        ("product_id",),
        _c("!*product_id product_name category price:money merchandise:bool"),
    ),
    "orders": KindSpec(
        "orders",
        "order_lines",
        ("order_id", "line_no"),
        _c(
            "!*order_id *customer_id !*ordered_at:ts *product_id product_name category "
            "!*quantity:count !*unit_price:money discount_code currency:currency shipping:money "
            "status email:email country accepts_marketing:bool"
        ),
        derived={"customer_id": f"coalesce(customer_id, {email_key_sql('email')})"},
    ),
    "events": KindSpec(
        "events",
        "events",
        ("event_id",),
        _c(
            "!event_id session_id !*visitor_id customer_id !*timestamp:ts !*event_name page "
            "product_id utm_source utm_medium utm_campaign utm_term device search_term "
            "value:float"
        ),
        derived={
            "visitor_id": "coalesce(visitor_id, customer_id)",
            # events without an id get a content hash, so re-imports still match
            "event_id": "coalesce(event_id, 'h-' || left(md5(concat_ws('|', visitor_id, "
            'CAST("timestamp" AS VARCHAR), event_name, page, product_id, session_id)), 20))',
        },
        checks=(
            Check(
                "event_name",
                f"event_name IS NOT NULL AND event_name NOT IN ({_EVENT_LIST})",
                "unknown event name (not a GA4 event)",
                "event_name",
            ),
        ),
    ),
    "sessions": KindSpec(
        "sessions",
        "sessions",
        ("session_id",),
        _c(
            "!*session_id visitor_id customer_id started_at:ts ended_at:ts duration_s:float "
            "n_events:count page_views:count product_views:count searches:count "
            "add_to_carts:count checkouts:count purchases:count landing_page utm_source "
            "utm_medium utm_campaign utm_term device administrative:count "
            "administrative_duration:float informational:count informational_duration:float "
            "product_related:count product_related_duration:float bounce_rate:float "
            "exit_rate:float page_value:float special_day:float month operating_system:int "
            "browser:int region:int traffic_type:int visitor_type weekend:bool revenue:bool"
        ),
    ),
    "tickets": KindSpec(
        "tickets",
        "tickets",
        ("ticket_id",),
        _c("!*ticket_id *customer_id !*created_at:ts *subject body channel email:email"),
        derived={"customer_id": f"coalesce(customer_id, {email_key_sql('email')})"},
    ),
    "returns": KindSpec(
        "returns",
        "returns",
        ("return_id",),
        _c(
            "!*return_id order_id customer_id product_id !*returned_at:ts quantity:count reason "
            "email:email"
        ),
        derived={"customer_id": f"coalesce(customer_id, {email_key_sql('email')})"},
    ),
}


def _returned(spec: KindSpec, column: str, style: NumberStyle) -> bool:
    """Whether a negative ``column`` is a return rather than a reject: an order line's
    quantity under ``--negative-lines returns`` (``loading.stage`` sets such lines aside)."""
    return spec.kind == "orders" and column == "quantity" and style.negative_lines == AS_RETURNS


def stage_sql(spec: KindSpec, raw_select: str, style: NumberStyle = POINT) -> str:
    """``SELECT`` of typed canonical columns + ``_line`` + ``_reject`` over a raw select.

    ``raw_select`` must yield ``_line`` and a text column ``_r_<name>`` per canonical column.
    Three levels: convert, derive (keys from e-mails, event hashes), judge. ``style``: how the
    file writes numbers (see ``ingest.numbers``; the default reads them as it always did) and
    the order of its dates (its ``currency`` is given to the orders naming none once they are
    staged: ``loading.stage``).
    """
    converted = []
    for c in spec.columns:
        raw = ident(f"_r_{c.name}")
        if c.type in numbers.NUMERIC_TYPES:
            raw = numbers.as_point_sql(raw, style)
        expr = ts_sql(raw, style.dates) if c.type == "ts" else _TYPES[c.type](raw)
        converted.append(f"{expr} AS {ident(c.name)}")
    derived = [
        f"{spec.derived[c.name]} AS {ident(c.name)}" if c.name in spec.derived else ident(c.name)
        for c in spec.columns
    ]
    raws = ", ".join(ident(f"_r_{c.name}") for c in spec.columns)
    checks: list[Check] = []
    for c in spec.columns:
        raw, typed = ident(f"_r_{c.name}"), ident(c.name)
        if c.required and c.type == "id":  # blank, or a word that stands for no id
            checks.append(Check(c.name, f"{typed} IS NULL", "missing value", raw))
        elif c.required:
            blank = f"({raw} IS NULL OR trim({raw}) = '')"
            checks.append(Check(c.name, f"{typed} IS NULL AND {blank}", "missing value"))
        if c.name in CONTROL_CHECKED:  # (NUL, a tab, a line break: they broke CSV files)
            checks.append(control_check(c.name, raw, typed))
        if c.name in style.ambiguous and c.type in numbers.NUMERIC_TYPES:  # 1250 or 1.25?
            checks.append(numbers.ambiguous_check(c.name, raw))
        if c.type in ("int", "count"):  # whole, but too large for the table
            text = numbers.as_point_sql(raw, style)
            too_large = f"{typed} IS NULL AND {raw} IS NOT NULL AND {out_of_range_sql(text)}"
            checks.append(Check(c.name, too_large, "out of range", raw))
        what = _WHAT[c.type]
        if c.type in numbers.NUMERIC_TYPES:
            checks.append(numbers.cast_check(c.name, raw, typed, what, style))
        elif c.type == "ts":
            checks.append(ts_check(c.name, raw, typed, style.dates))
        elif what:
            checks.append(cast_check(c.name, raw, typed, what))
        if c.type == "email":
            one = f"{typed} IS NOT NULL AND NOT regexp_full_match({typed}, '{ONE_ADDRESS}')"
            # an address holding a character one cannot see looks right: the reason names it
            hidden = invisible_sql(typed)
            why = (
                f"CASE WHEN {hidden} = '' THEN {sql_str(NOT_ONE_EMAIL)} ELSE "
                f"{sql_str(NOT_ONE_EMAIL + ': holds an invisible character ')} || {hidden} END"
            )
            checks.append(Check(c.name, one, NOT_ONE_EMAIL, raw, reason_sql=why))
        if c.type in ("count", "money") and not _returned(spec, c.name, style):
            checks.append(Check(c.name, f"{typed} < 0", f"negative {c.name}", raw))
        if c.type == "money":  # (1e308 × 2 is infinite: the report's sums failed on it)
            checks.append(Check(c.name, f"{typed} > {MAX_MONEY}", _TOO_MUCH, raw))
    checks.extend(spec.checks)
    typed_cols = ", ".join(ident(c.name) for c in spec.columns)
    return (
        f"SELECT _line, {typed_cols}, {reject_struct_sql(checks)} AS _reject FROM ("
        f"SELECT _line, {raws}, {', '.join(derived)} FROM ("
        f"SELECT _line, {raws}, {', '.join(converted)} FROM ({raw_select})))"
    )
