-- Website widgets: a coach embedded in another site by a script tag, allowed
-- only on the origins listed, answering anonymous visitors from the
-- collections opened to them (within a rate and a daily budget) or signed-in
-- members in their own conversation.
ALTER TABLE collections ADD COLUMN public_to_visitors BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE widgets (
    id                   TEXT PRIMARY KEY,
    org_id               TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    coach_id             TEXT NOT NULL REFERENCES coaches(id) ON DELETE CASCADE,
    name                 TEXT NOT NULL,
    allowed_origins      TEXT NOT NULL,
    audience             TEXT NOT NULL CHECK (audience IN ('visitors', 'members')),
    daily_answers        BIGINT NOT NULL,
    answers_per_minute   BIGINT NOT NULL,
    greeting             TEXT NOT NULL,
    active               BOOLEAN NOT NULL,
    -- The account anonymous visitors' conversations belong to (one per widget, never a member).
    visitor_person_id    TEXT NOT NULL REFERENCES people(id),
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL
);
CREATE INDEX widgets_org ON widgets (org_id);

-- Who talks through a widget: an anonymous visitor (their own conversation) or
-- a member (their conversation as everywhere), by the digest of a token the
-- widget keeps.
CREATE TABLE widget_sessions (
    id               TEXT PRIMARY KEY,
    widget_id        TEXT NOT NULL REFERENCES widgets(id) ON DELETE CASCADE,
    token_hash       TEXT NOT NULL UNIQUE,
    person_id        TEXT,
    conversation_id  TEXT,
    created_at       BIGINT NOT NULL,
    expires_at       BIGINT NOT NULL
);
CREATE INDEX widget_sessions_widget ON widget_sessions (widget_id);

-- Answers given through a widget per UTC day, against its daily budget.
CREATE TABLE widget_days (
    widget_id  TEXT NOT NULL REFERENCES widgets(id) ON DELETE CASCADE,
    day        BIGINT NOT NULL,
    answers    BIGINT NOT NULL,
    PRIMARY KEY (widget_id, day)
);
