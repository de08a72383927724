-- Each learner's concept states are read together (every view of a learner,
-- a coach's overview of many): stored in primary-key order, one learner's rows
-- sit on neighbouring pages instead of wherever each was first written. The
-- (org_id, person_id) index goes: the primary key's person_id prefix serves
-- every read, and one index less is one write less per evidence.
CREATE TABLE learner_concepts_clustered (
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
) WITHOUT ROWID;
INSERT INTO learner_concepts_clustered
    SELECT org_id, person_id, concept_id, state, mastery, evidence_count, review, review_due, updated_at
    FROM learner_concepts;
DROP TABLE learner_concepts;
ALTER TABLE learner_concepts_clustered RENAME TO learner_concepts;
CREATE INDEX learner_concepts_due ON learner_concepts (person_id, review_due);
