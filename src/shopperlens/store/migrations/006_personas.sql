-- Personas: one row per build (run), the personas it found (the full card as JSON) and who
-- belongs to which. Runs are kept so a new run can be matched to the previous one (evolution).
CREATE SEQUENCE persona_run_seq START 1;

CREATE TABLE persona_runs (
    run_id        INTEGER PRIMARY KEY,
    created_at    TIMESTAMP NOT NULL,
    survey        VARCHAR,              -- survey the answers came from (NULL: a frame)
    source        VARCHAR NOT NULL,     -- survey | frame
    n_respondents INTEGER NOT NULL,
    n_personas    INTEGER NOT NULL,
    k_requested   VARCHAR NOT NULL,     -- auto | a number
    seed          INTEGER NOT NULL,
    silhouette    DOUBLE,
    stability_ari DOUBLE,
    scores        VARCHAR,              -- JSON: silhouette per k tried
    min_group_size INTEGER NOT NULL,
    income_adjustment DOUBLE NOT NULL,
    evolution     VARCHAR               -- JSON: matching to the previous run
);

CREATE TABLE personas (
    run_id        INTEGER NOT NULL,
    persona_id    INTEGER NOT NULL,
    name          VARCHAR NOT NULL,
    trait         VARCHAR NOT NULL,
    size          INTEGER NOT NULL,
    share         DOUBLE NOT NULL,
    revenue_share DOUBLE,
    stability     DOUBLE,
    card          VARCHAR NOT NULL,     -- JSON of the persona (statements, evidence; no quotes)
    PRIMARY KEY (run_id, persona_id)
);

-- the quotes on each card, kept apart from the card so erasing a customer removes their words
CREATE TABLE persona_quotes (
    run_id      INTEGER NOT NULL,
    persona_id  INTEGER NOT NULL,
    rank        INTEGER NOT NULL,
    source      VARCHAR NOT NULL,
    text        VARCHAR NOT NULL,
    respondent  VARCHAR,
    customer_id VARCHAR
);

-- who belongs to which persona; customer_id lets erasure find a person's membership
CREATE TABLE persona_members (
    run_id      INTEGER NOT NULL,
    respondent  VARCHAR NOT NULL,
    customer_id VARCHAR,
    persona_id  INTEGER NOT NULL,
    distance    DOUBLE
);
