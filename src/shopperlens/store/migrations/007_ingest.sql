-- Rows the importer created only because another file referred to them: customers named by
-- orders, products named by order lines. A later import of the real customers/products file
-- completes these rows instead of rejecting them as "already imported with different content".
CREATE TABLE ingest_placeholders (
    kind        VARCHAR NOT NULL,  -- 'customers' | 'products'
    key         VARCHAR NOT NULL,  -- customer_id | product_id
    customer_id VARCHAR,           -- = key for customers: erasing a customer erases this row too
    PRIMARY KEY (kind, key)
);
