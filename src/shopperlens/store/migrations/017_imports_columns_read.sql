-- Which file column each canonical column was read from (a generic file's JSON object
-- {canonical: file column}): a file given again with another --map is still skipped (a file
-- is imported once), and the ledger can then say what the new mapping would have read
-- differently. NULL for the formats that read fixed columns and for older ledger rows.
ALTER TABLE imports ADD COLUMN columns_read VARCHAR;
