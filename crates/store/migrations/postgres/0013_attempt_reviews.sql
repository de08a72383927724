-- A coach's grade of an answer that could not be graded automatically: who
-- graded it, when, and what they said (the grade itself replaces the attempt's).
ALTER TABLE practice_attempts ADD COLUMN reviewed_by TEXT;
ALTER TABLE practice_attempts ADD COLUMN reviewed_at BIGINT;
ALTER TABLE practice_attempts ADD COLUMN review_comment TEXT;
CREATE INDEX practice_attempts_awaiting ON practice_attempts (org_id, person_id) WHERE grade = '{"outcome":"needs_review"}';
