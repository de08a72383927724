-- Learning: programs of concepts with prerequisites, enrolments, the evidence
-- a learner model reads, each learner's mastery and review schedule, goals.
--
-- Versions: a concept or prerequisite row is live in the versions
-- `since_version <= v < until_version` (no `until_version`: still live). A
-- program's learners see its `published_version`; its authors edit
-- `latest_version` (a draft when it is newer than the published one). A
-- concept keeps its id across versions, so what a learner mastered stays
-- mastered when a new version is published.

CREATE TABLE programs (
    id                 TEXT PRIMARY KEY,
    org_id             TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    title              TEXT NOT NULL,
    description        TEXT NOT NULL DEFAULT '',
    status             TEXT NOT NULL,
    self_enrolment     BOOLEAN NOT NULL DEFAULT FALSE,
    published_version  BIGINT,
    latest_version     BIGINT NOT NULL,
    created_by         TEXT,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);
CREATE INDEX programs_org ON programs (org_id, title);

CREATE TABLE concepts (
    id                 TEXT NOT NULL,
    since_version      BIGINT NOT NULL,
    until_version      BIGINT,
    org_id             TEXT NOT NULL,
    program_id         TEXT NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
    name               TEXT NOT NULL,
    description        TEXT NOT NULL DEFAULT '',
    tags               TEXT NOT NULL DEFAULT '[]',
    estimated_minutes  BIGINT NOT NULL,
    material           TEXT NOT NULL DEFAULT '[]',
    position           BIGINT NOT NULL,
    PRIMARY KEY (id, since_version)
);
CREATE INDEX concepts_program ON concepts (program_id, since_version);
CREATE INDEX concepts_org ON concepts (org_id);

CREATE TABLE prerequisites (
    org_id         TEXT NOT NULL,
    program_id     TEXT NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
    concept_id     TEXT NOT NULL,
    requires_id    TEXT NOT NULL,
    since_version  BIGINT NOT NULL,
    until_version  BIGINT,
    PRIMARY KEY (concept_id, requires_id, since_version)
);
CREATE INDEX prerequisites_org ON prerequisites (org_id);
CREATE INDEX prerequisites_requires ON prerequisites (requires_id);

CREATE TABLE enrolments (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL,
    program_id   TEXT NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
    person_id    TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    status       TEXT NOT NULL,
    enrolled_by  TEXT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    UNIQUE (program_id, person_id)
);
CREATE INDEX enrolments_person ON enrolments (org_id, person_id);

CREATE TABLE evidence (
    id               TEXT PRIMARY KEY,
    org_id           TEXT NOT NULL,
    person_id        TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    concept_id       TEXT NOT NULL,
    kind             TEXT NOT NULL,
    outcome          DOUBLE PRECISION,
    source           TEXT NOT NULL DEFAULT '',
    recorded_by      TEXT,
    idempotency_key  TEXT,
    occurred_at      BIGINT NOT NULL,
    created_at       BIGINT NOT NULL,
    UNIQUE (org_id, person_id, idempotency_key)
);
CREATE INDEX evidence_learner ON evidence (org_id, person_id, concept_id, occurred_at);

-- The learner model's state: per learner (org-wide features) and per learner
-- and concept (mastery at the last update, the model's counters, the review card).
CREATE TABLE learner_states (
    org_id      TEXT NOT NULL,
    person_id   TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    state       TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (org_id, person_id)
);

CREATE TABLE learner_concepts (
    org_id          TEXT NOT NULL,
    person_id       TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    concept_id      TEXT NOT NULL,
    state           TEXT NOT NULL,
    mastery         DOUBLE PRECISION NOT NULL,
    evidence_count  BIGINT NOT NULL,
    review          TEXT,
    review_due      BIGINT,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (person_id, concept_id)
);
CREATE INDEX learner_concepts_org ON learner_concepts (org_id, person_id);
CREATE INDEX learner_concepts_due ON learner_concepts (person_id, review_due);

-- The learner model fitted to an organisation's own evidence (defaults until then).
CREATE TABLE mastery_models (
    org_id      TEXT PRIMARY KEY REFERENCES organisations(id) ON DELETE CASCADE,
    params      TEXT NOT NULL,
    concepts    TEXT NOT NULL DEFAULT '{}',
    answers     BIGINT NOT NULL,
    fitted_at   BIGINT NOT NULL
);

CREATE TABLE goals (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL,
    person_id   TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    title       TEXT NOT NULL,
    targets     TEXT NOT NULL,
    set_by      TEXT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX goals_person ON goals (org_id, person_id);

-- Bumped on every change to an organisation's concept graph, so each
-- instance's cached graph knows when to reload.
CREATE TABLE learning_epochs (
    org_id  TEXT PRIMARY KEY REFERENCES organisations(id) ON DELETE CASCADE,
    epoch   BIGINT NOT NULL
);
