-- Surveys, their delivery, the answers, interview notes and analytics audience reports.
-- Every table about a person carries customer_id (or a key hanging off it: invitation_id,
-- response_id) so erasure finds it.
CREATE TABLE surveys (
    name            VARCHAR PRIMARY KEY,
    title           VARCHAR NOT NULL,
    current_version INTEGER NOT NULL,
    created_at      TIMESTAMP NOT NULL
);

-- every saved version of a definition, as JSON; responses keep the version they answered
CREATE TABLE survey_versions (
    name       VARCHAR NOT NULL,
    version    INTEGER NOT NULL,
    definition VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (name, version)
);

-- one personal invitation (survey or interview) per person; the signed link carries its id
CREATE TABLE survey_invitations (
    invitation_id VARCHAR PRIMARY KEY,
    survey        VARCHAR NOT NULL,
    purpose       VARCHAR NOT NULL,     -- survey | interview
    customer_id   VARCHAR NOT NULL,
    audience      VARCHAR,              -- the targeting rule that picked the person
    created_at    TIMESTAMP NOT NULL,
    status        VARCHAR NOT NULL,     -- pending | sent | failed
    sent_at       TIMESTAMP,
    last_sent_at  TIMESTAMP,
    reminders     INTEGER NOT NULL DEFAULT 0,
    error         VARCHAR
);

-- every e-mail actually handed to the SMTP server (invitation or reminder)
CREATE TABLE survey_deliveries (
    invitation_id VARCHAR NOT NULL,
    kind          VARCHAR NOT NULL,     -- invitation | reminder
    sent_at       TIMESTAMP NOT NULL
);

CREATE TABLE survey_responses (
    response_id  VARCHAR PRIMARY KEY,
    survey       VARCHAR NOT NULL,
    version      INTEGER NOT NULL,
    respondent   VARCHAR NOT NULL,
    customer_id  VARCHAR,
    visitor_id   VARCHAR,
    channel      VARCHAR NOT NULL,      -- email | popup | link | import
    link_id      VARCHAR UNIQUE,        -- invitation id of a signed link: one response each
    import_id    INTEGER,
    submitted_at TIMESTAMP NOT NULL
);

-- one row per answer; a multi-select answer has one row per chosen option (position 0, 1 …)
CREATE TABLE survey_answers (
    response_id VARCHAR NOT NULL,
    question    VARCHAR NOT NULL,
    position    INTEGER NOT NULL,
    value_text  VARCHAR,
    value_num   DOUBLE
);

CREATE TABLE interview_notes (
    note_id     VARCHAR PRIMARY KEY,
    interviewee VARCHAR NOT NULL,
    customer_id VARCHAR,
    segment     VARCHAR,                -- best | worst | prospect | referral | other
    file        VARCHAR,
    checksum    VARCHAR NOT NULL,
    body        VARCHAR NOT NULL,
    interviewed_at TIMESTAMP,
    imported_at TIMESTAMP NOT NULL
);

CREATE TABLE interview_tags (
    note_id     VARCHAR NOT NULL,
    customer_id VARCHAR,
    theme       VARCHAR NOT NULL,
    quote       VARCHAR NOT NULL
);

-- audience reports from web analytics (GA4) and competitors: share of users per value
CREATE TABLE analytics_audience (
    source      VARCHAR NOT NULL,       -- ga4 | competitor:<name>
    dimension   VARCHAR NOT NULL,       -- age_bracket | gender | country | language | device | interests
    value       VARCHAR NOT NULL,
    users       DOUBLE,
    share       DOUBLE NOT NULL,
    file        VARCHAR,
    imported_at TIMESTAMP NOT NULL
);
