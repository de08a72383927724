-- Insights: what dashboards, knowledge gaps, outcomes and alerts read.
--
-- Dashboards never scan raw messages or evidence: the writes that create
-- them also add to rollups keyed by the organisation's local day (days since
-- 1970-01-01 in its time zone), in the same transaction. A rollup row holds
-- sums only, so a write adds to it with one upsert and readers sum ranges.

-- Each organisation's days are its own.
ALTER TABLE organisations ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';

-- The organisation's day.
CREATE TABLE org_days (
    org_id          TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    day             BIGINT NOT NULL,
    active_people   BIGINT NOT NULL DEFAULT 0,
    -- People whose first activity of their week (Monday to Sunday) fell on this day:
    -- summed over a week's days, the week's active people.
    week_starters   BIGINT NOT NULL DEFAULT 0,
    conversations   BIGINT NOT NULL DEFAULT 0,
    questions       BIGINT NOT NULL DEFAULT 0,
    generated       BIGINT NOT NULL DEFAULT 0,
    extractive      BIGINT NOT NULL DEFAULT 0,
    refused         BIGINT NOT NULL DEFAULT 0,
    failed          BIGINT NOT NULL DEFAULT 0,
    helpful         BIGINT NOT NULL DEFAULT 0,
    unhelpful       BIGINT NOT NULL DEFAULT 0,
    input_tokens    BIGINT NOT NULL DEFAULT 0,
    output_tokens   BIGINT NOT NULL DEFAULT 0,
    cost            DOUBLE PRECISION NOT NULL DEFAULT 0,
    evidence        BIGINT NOT NULL DEFAULT 0,
    answers         BIGINT NOT NULL DEFAULT 0,
    correct         DOUBLE PRECISION NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, day)
);

-- One person's day in an organisation.
CREATE TABLE person_days (
    org_id          TEXT NOT NULL,
    person_id       TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    day             BIGINT NOT NULL,
    -- Things the person did themselves that day (a day with none is not an active day).
    activity        BIGINT NOT NULL DEFAULT 0,
    questions       BIGINT NOT NULL DEFAULT 0,
    generated       BIGINT NOT NULL DEFAULT 0,
    extractive      BIGINT NOT NULL DEFAULT 0,
    refused         BIGINT NOT NULL DEFAULT 0,
    helpful         BIGINT NOT NULL DEFAULT 0,
    unhelpful       BIGINT NOT NULL DEFAULT 0,
    input_tokens    BIGINT NOT NULL DEFAULT 0,
    output_tokens   BIGINT NOT NULL DEFAULT 0,
    cost            DOUBLE PRECISION NOT NULL DEFAULT 0,
    evidence        BIGINT NOT NULL DEFAULT 0,
    -- Graded answers (practice, reviews), the sum of their scores, and those scored below one half.
    answers         BIGINT NOT NULL DEFAULT 0,
    correct         DOUBLE PRECISION NOT NULL DEFAULT 0,
    wrong           BIGINT NOT NULL DEFAULT 0,
    -- Changes of the learner model's stored mastery, summed over concepts; and concepts
    -- that crossed the mastered line (up +1, down -1).
    mastery_gain    DOUBLE PRECISION NOT NULL DEFAULT 0,
    mastered_gain   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, person_id, day)
);
-- Ranges of days over everyone (costs, who asked), read from the index alone.
CREATE INDEX person_days_day ON person_days (org_id, day, person_id, activity, questions, cost, input_tokens, output_tokens);

-- Which weeks a person was active in (week: days since 1970-01-05, a Monday, divided by 7).
CREATE TABLE person_weeks (
    org_id     TEXT NOT NULL,
    person_id  TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    week       BIGINT NOT NULL,
    PRIMARY KEY (org_id, person_id, week)
);
CREATE INDEX person_weeks_week ON person_weeks (org_id, week, person_id);

-- Each person's last active day (kept with the first activity of each day), so whoever's
-- inactivity is asked about is a key lookup, however long ago it was.
CREATE TABLE person_last_active (
    org_id     TEXT NOT NULL,
    person_id  TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    day        BIGINT NOT NULL,
    PRIMARY KEY (org_id, person_id)
);

-- One coach profile's day ('' for model use outside a coach profile).
CREATE TABLE coach_days (
    org_id          TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    coach_id        TEXT NOT NULL,
    day             BIGINT NOT NULL,
    questions       BIGINT NOT NULL DEFAULT 0,
    generated       BIGINT NOT NULL DEFAULT 0,
    extractive      BIGINT NOT NULL DEFAULT 0,
    refused         BIGINT NOT NULL DEFAULT 0,
    helpful         BIGINT NOT NULL DEFAULT 0,
    unhelpful       BIGINT NOT NULL DEFAULT 0,
    input_tokens    BIGINT NOT NULL DEFAULT 0,
    output_tokens   BIGINT NOT NULL DEFAULT 0,
    cost            DOUBLE PRECISION NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, coach_id, day)
);

-- One learner's day on one program.
CREATE TABLE program_days (
    org_id          TEXT NOT NULL,
    program_id      TEXT NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
    person_id       TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    day             BIGINT NOT NULL,
    evidence        BIGINT NOT NULL DEFAULT 0,
    answers         BIGINT NOT NULL DEFAULT 0,
    correct         DOUBLE PRECISION NOT NULL DEFAULT 0,
    mastery_gain    DOUBLE PRECISION NOT NULL DEFAULT 0,
    mastered_gain   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, program_id, person_id, day)
);
CREATE INDEX program_days_person ON program_days (org_id, person_id, day);
-- A period's sums per program and learner, read from the index alone.
CREATE INDEX program_days_day ON program_days (org_id, day, program_id, person_id, mastery_gain);

-- Feedback reasons by the day of the rated answer.
CREATE TABLE feedback_reason_days (
    org_id   TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    day      BIGINT NOT NULL,
    rating   TEXT NOT NULL,
    reason   TEXT NOT NULL,
    count    BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, day, rating, reason)
);

-- Every question put to a coach, with what became of it: the material the
-- knowledge-gap report and the topics people asked about are read from.
CREATE TABLE question_log (
    question_id     TEXT PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    answer_id       TEXT NOT NULL,
    org_id          TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    person_id       TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    coach_id        TEXT,
    question        TEXT NOT NULL,
    outcome         TEXT NOT NULL,
    topic           TEXT,
    missing_source  BOOLEAN NOT NULL DEFAULT FALSE,
    -- The question's embedding, 8-bit (filled when a report first needs it).
    vector          BYTEA,
    asked_at        BIGINT NOT NULL
);
CREATE INDEX question_log_org ON question_log (org_id, asked_at);
CREATE INDEX question_log_person ON question_log (org_id, person_id, asked_at);
CREATE INDEX question_log_answer ON question_log (answer_id);
CREATE INDEX message_feedback_org ON message_feedback (org_id, updated_at);
-- The CSV export walks an organisation's messages in time order, page by page.
CREATE INDEX messages_org_time ON messages (org_id, created_at, id);

-- Conditions an administrator wants to hear about.
CREATE TABLE alert_rules (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    threshold   DOUBLE PRECISION NOT NULL,
    min_count   BIGINT NOT NULL,
    created_by  TEXT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX alert_rules_org ON alert_rules (org_id);

-- A rule's condition that became true. At most one open alert per rule and
-- condition: it closes when the condition no longer holds, and only then may
-- the same condition fire again.
CREATE TABLE alerts (
    id             TEXT PRIMARY KEY,
    org_id         TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    rule_id        TEXT NOT NULL REFERENCES alert_rules(id) ON DELETE CASCADE,
    kind           TEXT NOT NULL,
    condition_key  TEXT NOT NULL,
    person_id      TEXT REFERENCES people(id) ON DELETE CASCADE,
    message        TEXT NOT NULL,
    value          DOUBLE PRECISION NOT NULL,
    fired_at       BIGINT NOT NULL,
    cleared_at     BIGINT
);
CREATE UNIQUE INDEX alerts_open ON alerts (rule_id, condition_key) WHERE cleared_at IS NULL;
CREATE INDEX alerts_org ON alerts (org_id, fired_at);

-- What the in-app outlet delivered: one row per alert and person told.
CREATE TABLE notifications (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    person_id   TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    alert_id    TEXT NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
    created_at  BIGINT NOT NULL,
    read_at     BIGINT,
    UNIQUE (alert_id, person_id)
);
CREATE INDEX notifications_person ON notifications (org_id, person_id, created_at);

-- Whether parents may read the conversations of the learners they follow: the
-- organisation must allow it and the learner must agree (both off by default).
CREATE TABLE insight_settings (
    org_id                        TEXT PRIMARY KEY REFERENCES organisations(id) ON DELETE CASCADE,
    parents_may_read_conversations BOOLEAN NOT NULL,
    updated_at                    BIGINT NOT NULL
);
CREATE TABLE conversation_sharing (
    org_id               TEXT NOT NULL,
    person_id            TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    share_with_parents   BOOLEAN NOT NULL,
    updated_at           BIGINT NOT NULL,
    PRIMARY KEY (org_id, person_id)
);
