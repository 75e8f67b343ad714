-- events without a PRIMARY KEY. Same columns, types and NOT NULLs as 001_core.sql.
-- Why: DuckDB builds an ART index row by row on one core; on a 10M-event import that index was
-- the largest single cost (and its memory grows with the table). Uniqueness of event_id is kept
-- by the only writer, the importer (shopperlens.ingest.loading): new rows are inserted with an
-- anti-join on event_id, and a file that repeats an id is checked row by row on the exact path
-- (identical repeats kept once, differing ones rejected). Code that writes events directly must
-- do the same anti-join.
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
