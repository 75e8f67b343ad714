-- How many stored orders an orders import gave a new status (a refund or cancellation exported
-- after the sale: an export is a snapshot of the orders as they are now, so the newest import's
-- status replaces the stored one). NULL for other kinds and for older ledger rows.
ALTER TABLE imports ADD COLUMN status_changed BIGINT;
