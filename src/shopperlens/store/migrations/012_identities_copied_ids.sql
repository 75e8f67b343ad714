-- Links of stores written by older versions, made to say when they became known, and every
-- link made the customer of its visitor's earliest event naming one.
--
-- Why: versions before the link lived in `identities` alone copied the linked customer_id into
-- every anonymous event of the visitor, before and after the sign-in alike. Migration 011 then
-- dated such a link at the visitor's first event (it carries the copied id), and the copied ids
-- kept merging months of anonymous browsing into the customer in runs as of earlier dates.
--
-- Which stores: those holding events imported before migration 011 was applied (the ledger's
-- `imported_at` is UTC; `applied_at` is this session's local time, converted). Every version
-- since 011 keeps events as their file gave them, so a store whose events all came later, and
-- a new store, has nothing copied. Nor has a store in which a linked visitor still has an
-- anonymous event: each import of a copying version filled every anonymous event of the
-- visitors in its file that had a link, so none was left; such events mean the events came
-- from a version that no longer copied (before 011 too), and the customer ids in them are the
-- file's own, which the rewrite below would have taken away. (A store both kinds of version
-- wrote keeps its copied ids: which ones were copied cannot be told.)
--
-- What can be told: a copied id equals its visitor's link and cannot be told apart from one the
-- file gave. Only a bound is certain: nobody signs in before the customer exists, so an event
-- of the linked visitor naming the link's customer before that customer's `created_at` got the
-- id copied in; it becomes anonymous again. The link then dates from the earliest event still
-- naming a customer, and no earlier than `created_at`. Customers without `created_at` keep the
-- link dated at the visitor's first event; ids copied after `created_at` stay.
--
-- In every store, each link is then the customer of its visitor's earliest event naming one,
-- as imports now keep it (before, the first file to name one won), and derived sessions whose
-- events name nobody follow a link that moved.
CREATE TEMP TABLE _sl_m012_copied AS
SELECT EXISTS (
    SELECT 1 FROM imports
    WHERE kind = 'events' AND imported_at < (
        SELECT timezone('UTC', applied_at::TIMESTAMPTZ) FROM schema_migrations WHERE version = 11
    )
) AND NOT EXISTS (
    SELECT 1 FROM events
    WHERE customer_id IS NULL AND visitor_id IN (SELECT visitor_id FROM identities)
) AS suspect;

UPDATE events SET customer_id = NULL
FROM (
    SELECT i.visitor_id, i.customer_id, c.created_at FROM identities i
    JOIN customers c ON c.customer_id = i.customer_id
    WHERE c.created_at IS NOT NULL AND (SELECT suspect FROM _sl_m012_copied)
) l
WHERE events.visitor_id = l.visitor_id AND events.customer_id = l.customer_id
    AND events."timestamp" < l.created_at;

CREATE TEMP TABLE _sl_m012_links AS
SELECT visitor_id, f.c AS customer_id, f.t AS linked_at FROM (
    SELECT visitor_id, min({'t': "timestamp", 'c': customer_id}) AS f FROM events
    WHERE visitor_id IS NOT NULL AND customer_id IS NOT NULL
        AND visitor_id IN (SELECT visitor_id FROM identities)
    GROUP BY visitor_id
);

CREATE TEMP TABLE _sl_m012_moved AS
SELECT l.visitor_id, l.customer_id FROM _sl_m012_links l
JOIN identities i ON i.visitor_id = l.visitor_id AND i.customer_id <> l.customer_id;

UPDATE identities SET customer_id = l.customer_id, linked_at = l.linked_at
FROM _sl_m012_links l
WHERE identities.visitor_id = l.visitor_id
    AND (identities.customer_id <> l.customer_id OR identities.linked_at IS DISTINCT FROM l.linked_at);

-- a link whose copied ids were all its events said: known from the customer's creation
UPDATE identities SET linked_at = c.created_at
FROM customers c
WHERE (SELECT suspect FROM _sl_m012_copied)
    AND c.customer_id = identities.customer_id AND identities.linked_at < c.created_at;

UPDATE sessions SET customer_id = m.customer_id
FROM _sl_m012_moved m
WHERE sessions.visitor_id = m.visitor_id AND sessions.origin = 'events'
    AND NOT EXISTS (
        SELECT 1 FROM events e
        WHERE e.session_id = sessions.session_id AND e.customer_id IS NOT NULL
    );

DROP TABLE _sl_m012_copied;
DROP TABLE _sl_m012_links;
DROP TABLE _sl_m012_moved;
