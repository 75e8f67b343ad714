-- The earliest moment an import's rows speak of (an order's time, an event's, a customer's
-- creation): a stored customer-types run as of an earlier date cannot have changed, so a daily
-- import of the day's events no longer makes every past run (the type history, the report's
-- movements) stale. NULL: not known (older ledger rows, a file with undated rows, products),
-- which counts as reaching back to any date.
ALTER TABLE imports ADD COLUMN earliest_at TIMESTAMP;
