-- Practice questions: the item bank of an organisation. Each item belongs to
-- one or more concepts (question_concepts), cites the chunks it was made from,
-- and waits in review (status 'draft') until a coach or admin approves it.
-- `duplicate_key` is the kind and the prompt's words, so the bank holds each
-- question once, and a rejected item is not generated again.

CREATE TABLE questions (
    id             TEXT PRIMARY KEY,
    org_id         TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    kind           TEXT NOT NULL,
    body           TEXT NOT NULL,
    explanation    TEXT NOT NULL DEFAULT '',
    citations      TEXT NOT NULL DEFAULT '[]',
    status         TEXT NOT NULL,
    origin         TEXT NOT NULL,
    duplicate_key  TEXT NOT NULL,
    created_by     TEXT,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    UNIQUE (org_id, duplicate_key)
);
CREATE INDEX questions_review ON questions (org_id, status, created_at);

CREATE TABLE question_concepts (
    question_id  TEXT NOT NULL REFERENCES questions(id) ON DELETE CASCADE,
    org_id       TEXT NOT NULL,
    concept_id   TEXT NOT NULL,
    PRIMARY KEY (question_id, concept_id)
);
CREATE INDEX question_concepts_concept ON question_concepts (org_id, concept_id);
