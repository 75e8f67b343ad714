-- customer_types without a PRIMARY KEY, like the imported tables in 008 and 009. Same columns,
-- types and NOT NULLs as 002_types.sql.
-- Why: every stored run adds one row per subject, and the key's index was built on one core at
-- each save (a third of the save of a 1M-customer run) and held for every run ever stored.
-- The only writer, service.types._save, inserts one run under a fresh run_id from a frame with
-- one row per subject_id, so (run_id, subject_id) stays unique.
CREATE TABLE _customer_types_nokey (
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
    recency_days     DOUBLE
);
INSERT INTO _customer_types_nokey SELECT * FROM customer_types;
DROP TABLE customer_types;
ALTER TABLE _customer_types_nokey RENAME TO customer_types;
