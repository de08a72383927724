-- Practice: sessions in which a learner answers questions of the bank, one
-- attempt per question and session (answering again is a duplicate), and each
-- question's statistics (attempts, right answers, difficulty, the running sums
-- of its discrimination) as JSON, updated with the attempt that changes them.

ALTER TABLE questions ADD COLUMN statistics TEXT NOT NULL DEFAULT '{}';

CREATE TABLE practice_sessions (
    id                   TEXT PRIMARY KEY,
    org_id               TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    person_id            TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    target               TEXT NOT NULL,
    concepts             TEXT NOT NULL,
    size                 BIGINT NOT NULL,
    status               TEXT NOT NULL,
    current_question_id  TEXT,
    answered             BIGINT NOT NULL DEFAULT 0,
    correct              BIGINT NOT NULL DEFAULT 0,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL,
    completed_at         BIGINT
);
CREATE INDEX practice_sessions_person ON practice_sessions (org_id, person_id, created_at);

CREATE TABLE practice_attempts (
    session_id     TEXT NOT NULL REFERENCES practice_sessions(id) ON DELETE CASCADE,
    question_id    TEXT NOT NULL REFERENCES questions(id) ON DELETE CASCADE,
    org_id         TEXT NOT NULL,
    person_id      TEXT NOT NULL,
    answer         TEXT NOT NULL,
    grade          TEXT NOT NULL,
    time_taken_ms  BIGINT,
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (session_id, question_id)
);
CREATE INDEX practice_attempts_person ON practice_attempts (org_id, person_id, question_id);
