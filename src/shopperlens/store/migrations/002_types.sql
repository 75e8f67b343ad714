-- Customer-type runs: each classification "as of" a date is stored, so movements between
-- dates (looker -> new -> loyal, loyal -> lapsed) and per-customer history can be shown.
CREATE SEQUENCE type_run_seq START 1;
CREATE TABLE type_runs (
    run_id        INTEGER PRIMARY KEY DEFAULT nextval('type_run_seq'),
    as_of         TIMESTAMP NOT NULL,
    computed_at   TIMESTAMP NOT NULL,
    engine        VARCHAR NOT NULL,    -- duckdb | spark
    config_digest VARCHAR NOT NULL,    -- hash of the effective thresholds
    n_subjects    BIGINT NOT NULL
);

-- one row per customer or anonymous visitor (subject_id = customer_id or 'visitor:<id>')
CREATE TABLE customer_types (
    run_id           INTEGER NOT NULL,
    subject_id       VARCHAR NOT NULL,
    customer_id      VARCHAR,
    visitor_id       VARCHAR,
    type             VARCHAR NOT NULL,
    score_need_based DOUBLE NOT NULL,
    score_looker     DOUBLE NOT NULL,
    score_new        DOUBLE NOT NULL,
    score_loyal      DOUBLE NOT NULL,
    score_impulse    DOUBLE NOT NULL,
    evidence         VARCHAR NOT NULL,
    orders           BIGINT NOT NULL,
    recency_days     DOUBLE,
    PRIMARY KEY (run_id, subject_id)
);
