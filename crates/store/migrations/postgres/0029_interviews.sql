-- Guided interviews. A flow's every saved version is kept (an interview keeps the version it
-- started on); an interview's transcript is an ordinary conversation, so history, permissions,
-- retention, export and erasure treat it like any other (deleting the conversation deletes the
-- interview). `active_ms` counts the time it ran, paused time excluded; `resumed_at` is when it
-- last started running.
CREATE TABLE interview_flows (
    id               TEXT PRIMARY KEY,
    org_id           TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    name             TEXT NOT NULL,
    purpose          TEXT NOT NULL,
    current_version  BIGINT NOT NULL,
    created_by       TEXT REFERENCES people(id) ON DELETE SET NULL,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX interview_flows_org ON interview_flows (org_id, created_at);

CREATE TABLE interview_flow_versions (
    flow_id     TEXT NOT NULL REFERENCES interview_flows(id) ON DELETE CASCADE,
    version     BIGINT NOT NULL,
    spec        TEXT NOT NULL,
    created_by  TEXT REFERENCES people(id) ON DELETE SET NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (flow_id, version)
);

CREATE TABLE interviews (
    id               TEXT PRIMARY KEY,
    org_id           TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    flow_id          TEXT NOT NULL,
    flow_version     BIGINT NOT NULL,
    person_id        TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    conversation_id  TEXT NOT NULL UNIQUE REFERENCES conversations(id) ON DELETE CASCADE,
    started_by       TEXT REFERENCES people(id) ON DELETE SET NULL,
    status           TEXT NOT NULL CHECK (status IN ('active', 'paused', 'completed')),
    step_index       BIGINT NOT NULL,
    probes_used      BIGINT NOT NULL,
    answers          BIGINT NOT NULL,
    active_ms        BIGINT NOT NULL,
    resumed_at       BIGINT NOT NULL,
    end_reason       TEXT,
    summary          TEXT,
    summary_source   TEXT,
    started_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    completed_at     BIGINT,
    FOREIGN KEY (flow_id, flow_version) REFERENCES interview_flow_versions (flow_id, version)
);
CREATE INDEX interviews_person ON interviews (org_id, person_id, started_at);
CREATE INDEX interviews_flow ON interviews (flow_id);

-- Which step each of the learner's answers answered (the summary maps answers to fields by step).
CREATE TABLE interview_answers (
    interview_id  TEXT NOT NULL REFERENCES interviews(id) ON DELETE CASCADE,
    seq           BIGINT NOT NULL,
    step_key      TEXT NOT NULL,
    PRIMARY KEY (interview_id, seq)
);
