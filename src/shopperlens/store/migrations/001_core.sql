-- Canonical tables every source format maps onto. Keys are the shop's own identifiers.
CREATE TABLE customers (
    customer_id       VARCHAR PRIMARY KEY,
    email             VARCHAR,          -- normalised: trimmed, lower-case
    name              VARCHAR,
    created_at        TIMESTAMP,
    country           VARCHAR,
    city              VARCHAR,
    birth_year        INTEGER,
    gender            VARCHAR,
    accepts_marketing BOOLEAN
);

CREATE TABLE products (
    product_id   VARCHAR PRIMARY KEY,
    product_name VARCHAR,
    category     VARCHAR,
    price        DOUBLE
);

CREATE TABLE orders (
    order_id      VARCHAR PRIMARY KEY,
    customer_id   VARCHAR,
    ordered_at    TIMESTAMP NOT NULL,
    currency      VARCHAR,
    shipping      DOUBLE,
    status        VARCHAR,
    discount_code VARCHAR
);

-- one row per line item; line_no is the item's position within its order in the source file
CREATE TABLE order_lines (
    order_id      VARCHAR NOT NULL,
    line_no       INTEGER NOT NULL,
    product_id    VARCHAR,
    product_name  VARCHAR,
    category      VARCHAR,
    quantity      INTEGER NOT NULL,
    unit_price    DOUBLE NOT NULL,
    discount_code VARCHAR,
    PRIMARY KEY (order_id, line_no)
);

CREATE TABLE events (
    event_id     VARCHAR PRIMARY KEY,
    session_id   VARCHAR,
    visitor_id   VARCHAR,
    customer_id  VARCHAR,
    "timestamp"  TIMESTAMP NOT NULL,
    event_name   VARCHAR NOT NULL,
    page         VARCHAR,
    product_id   VARCHAR,
    utm_source   VARCHAR,
    utm_medium   VARCHAR,
    utm_campaign VARCHAR,
    utm_term     VARCHAR,
    device       VARCHAR,
    search_term  VARCHAR,
    value        DOUBLE
);

-- derived from events (origin = 'events') or imported as session aggregates (origin = 'import',
-- e.g. the UCI Online Shoppers file); the aggregate columns are NULL for derived sessions
CREATE TABLE sessions (
    session_id              VARCHAR PRIMARY KEY,
    origin                  VARCHAR NOT NULL,
    visitor_id              VARCHAR,
    customer_id             VARCHAR,
    started_at              TIMESTAMP,
    ended_at                TIMESTAMP,
    duration_s              DOUBLE,
    n_events                INTEGER,
    page_views              INTEGER,
    product_views           INTEGER,
    searches                INTEGER,
    add_to_carts            INTEGER,
    checkouts               INTEGER,
    purchases               INTEGER,
    landing_page            VARCHAR,
    utm_source              VARCHAR,
    utm_medium              VARCHAR,
    utm_campaign            VARCHAR,
    utm_term                VARCHAR,
    device                  VARCHAR,
    administrative          INTEGER,
    administrative_duration DOUBLE,
    informational           INTEGER,
    informational_duration  DOUBLE,
    product_related         INTEGER,
    product_related_duration DOUBLE,
    bounce_rate             DOUBLE,
    exit_rate               DOUBLE,
    page_value              DOUBLE,
    special_day             DOUBLE,
    month                   VARCHAR,
    operating_system        INTEGER,
    browser                 INTEGER,
    region                  INTEGER,
    traffic_type            INTEGER,
    visitor_type            VARCHAR,
    weekend                 BOOLEAN,
    revenue                 BOOLEAN
);

-- anonymous visitor -> customer, learned from any event that carries both
CREATE TABLE identities (
    visitor_id  VARCHAR PRIMARY KEY,
    customer_id VARCHAR NOT NULL
);

CREATE TABLE tickets (
    ticket_id   VARCHAR PRIMARY KEY,
    customer_id VARCHAR,
    created_at  TIMESTAMP NOT NULL,
    subject     VARCHAR,
    body        VARCHAR,
    channel     VARCHAR
);

CREATE TABLE returns (
    return_id   VARCHAR PRIMARY KEY,
    order_id    VARCHAR,
    customer_id VARCHAR,
    product_id  VARCHAR,
    returned_at TIMESTAMP NOT NULL,
    quantity    INTEGER,
    reason      VARCHAR
);

-- what a customer allowed, and when: marketing e-mail, surveys, case studies, testimonials
CREATE TABLE consents (
    customer_id VARCHAR NOT NULL,
    purpose     VARCHAR NOT NULL,
    granted     BOOLEAN NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    source      VARCHAR,
    PRIMARY KEY (customer_id, purpose, recorded_at)
);

CREATE SEQUENCE import_seq START 1;
CREATE TABLE imports (
    import_id     INTEGER PRIMARY KEY DEFAULT nextval('import_seq'),
    kind          VARCHAR NOT NULL,
    format        VARCHAR NOT NULL,
    file          VARCHAR NOT NULL,
    checksum      VARCHAR NOT NULL,
    rows_read     BIGINT NOT NULL,
    rows_accepted BIGINT NOT NULL,
    rows_rejected BIGINT NOT NULL,
    imported_at   TIMESTAMP NOT NULL
);
