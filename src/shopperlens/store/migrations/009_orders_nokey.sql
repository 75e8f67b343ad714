-- orders without a PRIMARY KEY, like events, sessions and order_lines in 008. Same columns,
-- types and NOT NULLs as 001_core.sql.
-- Why: the key's index is built on one core when an import inserts and again written out at
-- commit; on a 1M-line orders file it was a sixth of the import. The importer, the only writer
-- besides the demo loader (which fills an empty store), keeps order_id unique: a file's lines
-- are grouped by order_id and new orders are anti-joined on it (shopperlens.ingest.loading).
CREATE TABLE _orders_nokey (
    order_id      VARCHAR NOT NULL,
    customer_id   VARCHAR,
    ordered_at    TIMESTAMP NOT NULL,
    currency      VARCHAR,
    shipping      DOUBLE,
    status        VARCHAR,
    discount_code VARCHAR
);
INSERT INTO _orders_nokey SELECT * FROM orders;
DROP TABLE orders;
ALTER TABLE _orders_nokey RENAME TO orders;
