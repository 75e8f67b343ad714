-- The erasure ledger: one row per erasure that deleted rows, written in the same transaction
-- as its deletes. It holds no personal data (no id, no e-mail, no hash of them): only when,
-- how many rows, and when the store's file was rewritten without them (NULL while that is
-- pending: a failed rewrite is finished by `shopperlens compact`). A computation that stores
-- or writes results derived from customers notes the newest erasure_id when it starts and
-- refuses to store them when a newer one exists (it may hold the erased person).
CREATE SEQUENCE IF NOT EXISTS erasure_seq START 1;
CREATE TABLE IF NOT EXISTS erasures (
    erasure_id   BIGINT NOT NULL DEFAULT nextval('erasure_seq'),
    erased_at    TIMESTAMP NOT NULL,
    rows_deleted BIGINT NOT NULL,
    compacted_at TIMESTAMP
);
