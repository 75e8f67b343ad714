-- When each visitor -> customer link became known: the earliest event of that visitor carrying
-- that customer_id. The features as of a date use a link only when it was known before that
-- date, so a run as of March does not merge a visitor with the customer it named in April.
-- Links of a store from before this version get it from their events; a link no event of its
-- visitor carries (written by hand) keeps NULL: its time is unknown and it counts at any date.
ALTER TABLE identities ADD COLUMN linked_at TIMESTAMP;
UPDATE identities SET linked_at = l.first_seen
FROM (
    SELECT visitor_id, customer_id, min("timestamp") AS first_seen FROM events
    WHERE visitor_id IS NOT NULL AND customer_id IS NOT NULL GROUP BY visitor_id, customer_id
) l
WHERE identities.visitor_id = l.visitor_id AND identities.customer_id = l.customer_id;
