-- events, sessions and order_lines without a PRIMARY KEY. Same columns, types and NOT NULLs as 001_core.sql.
-- Why: DuckDB builds an ART index row by row on one core; on a 10M-event import that index was
-- the largest single cost (and its memory grows with the table). Uniqueness of event_id is kept
-- by the importer (shopperlens.ingest.loading), which writes them: new rows are inserted with an
-- anti-join on event_id, and a file that repeats an id is checked row by row on the exact path
-- (identical repeats kept once, differing ones rejected). Sessions likewise: derived ones are
-- grouped by session_id and anti-joined, imported ones go through the same importer. Order
-- lines: line_no is numbered per order within a file and new lines are anti-joined on
-- (order_id, line_no). Code that writes these tables directly must do the same anti-join.
CREATE TABLE _events_nokey (
    event_id     VARCHAR NOT NULL,
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
INSERT INTO _events_nokey SELECT * FROM events;
DROP TABLE events;
ALTER TABLE _events_nokey RENAME TO events;

CREATE TABLE _sessions_nokey (
    session_id              VARCHAR NOT NULL,
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
INSERT INTO _sessions_nokey SELECT * FROM sessions;
DROP TABLE sessions;
ALTER TABLE _sessions_nokey RENAME TO sessions;

CREATE TABLE _order_lines_nokey (
    order_id      VARCHAR NOT NULL,
    line_no       INTEGER NOT NULL,
    product_id    VARCHAR,
    product_name  VARCHAR,
    category      VARCHAR,
    quantity      INTEGER NOT NULL,
    unit_price    DOUBLE NOT NULL,
    discount_code VARCHAR
);
INSERT INTO _order_lines_nokey SELECT * FROM order_lines;
DROP TABLE order_lines;
ALTER TABLE _order_lines_nokey RENAME TO order_lines;
