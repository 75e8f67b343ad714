-- How many lines with a negative quantity an orders import read as returns (--negative-lines
-- returns: a credit note's or a cancellation's lines, stored in returns by the same import).
-- NULL for other kinds, for imports without the option and for older ledger rows.
ALTER TABLE imports ADD COLUMN returns BIGINT;
