-- Sequences: programs of scheduled steps (messages, check-ins, practice and
-- reflection prompts), the people enrolled in them and where each stands, and
-- every step an enrolment took — sent or passed over — with a check-in's
-- answer kept on it.
CREATE TABLE sequences (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL,
    steps        TEXT NOT NULL,
    active       BOOLEAN NOT NULL,
    created_by   TEXT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX sequences_org ON sequences (org_id);

CREATE TABLE sequence_enrolments (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL,
    sequence_id  TEXT NOT NULL REFERENCES sequences(id) ON DELETE CASCADE,
    person_id    TEXT NOT NULL,
    enrolled_by  TEXT,
    status       TEXT NOT NULL CHECK (status IN ('active', 'completed', 'stopped')),
    position     BIGINT NOT NULL,
    next_due_at  BIGINT,
    enrolled_at  BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    UNIQUE (sequence_id, person_id),
    FOREIGN KEY (org_id, person_id) REFERENCES memberships (org_id, person_id) ON DELETE CASCADE
);
CREATE INDEX sequence_enrolments_due ON sequence_enrolments (org_id, status, next_due_at);

CREATE TABLE sequence_steps_taken (
    id             TEXT PRIMARY KEY,
    enrolment_id   TEXT NOT NULL REFERENCES sequence_enrolments(id) ON DELETE CASCADE,
    org_id         TEXT NOT NULL,
    person_id      TEXT NOT NULL,
    step_key       TEXT NOT NULL,
    kind           TEXT NOT NULL,
    outcome        TEXT NOT NULL CHECK (outcome IN ('sent', 'skipped', 'no_channel', 'opted_out')),
    taken_at       BIGINT NOT NULL,
    send_at        BIGINT,
    outbound_id    TEXT,
    answer         BIGINT,
    answered_at    BIGINT,
    UNIQUE (enrolment_id, step_key)
);
CREATE INDEX sequence_steps_person ON sequence_steps_taken (org_id, person_id, kind, answered_at);
