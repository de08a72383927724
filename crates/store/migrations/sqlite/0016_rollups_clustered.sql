-- Dashboards read a few people's rollup rows at a time. As WITHOUT ROWID tables,
-- SQLite keeps each person's rows together in primary-key order, so a glance of
-- fifty learners reads a few pages per learner instead of a page per row.
-- (PostgreSQL's counterpart migration adds only the indexes below.)

CREATE TABLE person_days_clustered (
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
) WITHOUT ROWID;
INSERT INTO person_days_clustered SELECT * FROM person_days;
DROP TABLE person_days;
ALTER TABLE person_days_clustered RENAME TO person_days;
CREATE INDEX person_days_day ON person_days (org_id, day, person_id, activity, questions, cost, input_tokens, output_tokens);

CREATE TABLE person_weeks_clustered (
    org_id     TEXT NOT NULL,
    person_id  TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    week       BIGINT NOT NULL,
    PRIMARY KEY (org_id, person_id, week)
) WITHOUT ROWID;
INSERT INTO person_weeks_clustered SELECT * FROM person_weeks;
DROP TABLE person_weeks;
ALTER TABLE person_weeks_clustered RENAME TO person_weeks;
CREATE INDEX person_weeks_week ON person_weeks (org_id, week, person_id);

CREATE TABLE person_last_active_clustered (
    org_id     TEXT NOT NULL,
    person_id  TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    day        BIGINT NOT NULL,
    PRIMARY KEY (org_id, person_id)
) WITHOUT ROWID;
INSERT INTO person_last_active_clustered SELECT * FROM person_last_active;
DROP TABLE person_last_active;
ALTER TABLE person_last_active_clustered RENAME TO person_last_active;

-- The topics each learner asked about lately, read from the index alone.
DROP INDEX question_log_person;
CREATE INDEX question_log_person ON question_log (org_id, person_id, asked_at, topic);

-- Active enrolments per program, counted from the index alone.
CREATE INDEX enrolments_program_status ON enrolments (program_id, status);
