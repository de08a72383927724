-- Accounts: organisations, people, memberships, relationships, credentials, audit.
-- Times are milliseconds since the Unix epoch (BIGINT) on both backends.

CREATE TABLE organisations (
    id          TEXT PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE people (
    id             TEXT PRIMARY KEY,
    email          TEXT NOT NULL UNIQUE,
    display_name   TEXT NOT NULL,
    password_hash  TEXT,
    is_operator    BOOLEAN NOT NULL DEFAULT FALSE,
    created_at     BIGINT NOT NULL
);

CREATE TABLE memberships (
    org_id      TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    person_id   TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    role        TEXT NOT NULL CHECK (role IN ('learner', 'coach', 'parent', 'manager', 'admin')),
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (org_id, person_id)
);
CREATE INDEX memberships_person ON memberships (person_id);

CREATE TABLE relationships (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('coach_learner', 'parent_learner', 'manager_coach')),
    from_person  TEXT NOT NULL,
    to_person    TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    UNIQUE (org_id, kind, from_person, to_person),
    FOREIGN KEY (org_id, from_person) REFERENCES memberships (org_id, person_id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, to_person) REFERENCES memberships (org_id, person_id) ON DELETE CASCADE
);
CREATE INDEX relationships_to ON relationships (org_id, to_person);
CREATE INDEX relationships_from ON relationships (org_id, from_person);

CREATE TABLE sessions (
    id             TEXT PRIMARY KEY,
    person_id      TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    secret_digest  TEXT NOT NULL UNIQUE,
    csrf_token     TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    last_seen_at   BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    ip             TEXT,
    user_agent     TEXT
);
CREATE INDEX sessions_person ON sessions (person_id);

CREATE TABLE api_tokens (
    id             TEXT PRIMARY KEY,
    person_id      TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    secret_digest  TEXT NOT NULL UNIQUE,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    last_used_at   BIGINT,
    revoked_at     BIGINT
);
CREATE INDEX api_tokens_person ON api_tokens (person_id);

CREATE TABLE invitations (
    id             TEXT PRIMARY KEY,
    org_id         TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    email          TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('learner', 'coach', 'parent', 'manager', 'admin')),
    secret_digest  TEXT NOT NULL UNIQUE,
    invited_by     TEXT REFERENCES people(id) ON DELETE SET NULL,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    accepted_at    BIGINT,
    accepted_by    TEXT REFERENCES people(id) ON DELETE SET NULL,
    revoked_at     BIGINT
);
CREATE INDEX invitations_org ON invitations (org_id, created_at);

-- Failed sign-ins per key ("account:<email>" or "ip:<address>"), shared by
-- every instance so a lockout holds across a scaled-out deployment.
CREATE TABLE login_throttle (
    key                TEXT PRIMARY KEY,
    failures           BIGINT NOT NULL,
    window_started_at  BIGINT NOT NULL,
    locked_until       BIGINT
);

-- One-time links that create the first instance operator.
CREATE TABLE setup_tokens (
    secret_digest  TEXT PRIMARY KEY,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL
);

CREATE TABLE audit_events (
    id          TEXT PRIMARY KEY,
    org_id      TEXT,
    actor_id    TEXT,
    action      TEXT NOT NULL,
    subject     TEXT,
    detail      TEXT NOT NULL DEFAULT '{}',
    ip          TEXT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX audit_events_org ON audit_events (org_id, created_at);
