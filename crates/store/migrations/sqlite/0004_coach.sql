-- The AI coach: coach profiles, conversations and their messages, feedback,
-- shared links, model usage (for budgets and costs) and budgets.

CREATE TABLE coaches (
    id                 TEXT PRIMARY KEY,
    org_id             TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    name               TEXT NOT NULL,
    instructions       TEXT NOT NULL DEFAULT '',
    style              TEXT NOT NULL,
    answer_mode        TEXT NOT NULL,
    collections        TEXT NOT NULL DEFAULT '[]',
    domains            TEXT NOT NULL DEFAULT '[]',
    retrieval_depth    BIGINT NOT NULL,
    model              TEXT,
    temperature        DOUBLE PRECISION,
    max_output_tokens  BIGINT,
    is_default         BOOLEAN NOT NULL DEFAULT FALSE,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    UNIQUE (org_id, name)
);

CREATE TABLE conversations (
    id                TEXT PRIMARY KEY,
    org_id            TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    owner_id          TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    coach_id          TEXT REFERENCES coaches(id) ON DELETE SET NULL,
    title             TEXT NOT NULL,
    archived          BOOLEAN NOT NULL DEFAULT FALSE,
    share_token_hash  TEXT UNIQUE,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX conversations_owner ON conversations (org_id, owner_id, updated_at);

CREATE TABLE messages (
    id               TEXT PRIMARY KEY,
    conversation_id  TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    org_id           TEXT NOT NULL,
    seq              BIGINT NOT NULL,
    role             TEXT NOT NULL,
    content          TEXT NOT NULL,
    kind             TEXT,
    citations        TEXT NOT NULL DEFAULT '[]',
    domains          TEXT NOT NULL DEFAULT '[]',
    confidence       DOUBLE PRECISION,
    model            TEXT,
    input_tokens     BIGINT NOT NULL DEFAULT 0,
    output_tokens    BIGINT NOT NULL DEFAULT 0,
    cost             DOUBLE PRECISION NOT NULL DEFAULT 0,
    latency_ms       BIGINT NOT NULL DEFAULT 0,
    complete         BOOLEAN NOT NULL DEFAULT TRUE,
    created_at       BIGINT NOT NULL,
    UNIQUE (conversation_id, seq)
);

CREATE TABLE message_feedback (
    message_id  TEXT PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    org_id      TEXT NOT NULL,
    person_id   TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    rating      TEXT NOT NULL,
    reasons     TEXT NOT NULL DEFAULT '[]',
    comment     TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

-- Every model call's tokens and cost, for daily budgets (conversations and
-- the OpenAI-compatible endpoint alike).
CREATE TABLE model_usage (
    id             TEXT PRIMARY KEY,
    org_id         TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    person_id      TEXT REFERENCES people(id) ON DELETE SET NULL,
    model          TEXT NOT NULL,
    input_tokens   BIGINT NOT NULL,
    output_tokens  BIGINT NOT NULL,
    cost           DOUBLE PRECISION NOT NULL,
    created_at     BIGINT NOT NULL
);
CREATE INDEX model_usage_org ON model_usage (org_id, created_at);
CREATE INDEX model_usage_person ON model_usage (person_id, created_at);

-- Daily limits; NULL means no limit.
CREATE TABLE coach_budgets (
    org_id               TEXT PRIMARY KEY REFERENCES organisations(id) ON DELETE CASCADE,
    org_daily_tokens     BIGINT,
    org_daily_cost       DOUBLE PRECISION,
    person_daily_tokens  BIGINT,
    person_daily_cost    DOUBLE PRECISION,
    updated_at           BIGINT NOT NULL
);
