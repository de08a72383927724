-- How an organisation runs its question bank: whether generated questions
-- that pass the check against their passage are approved without review.
CREATE TABLE practice_settings (
    org_id                  TEXT PRIMARY KEY REFERENCES organisations(id) ON DELETE CASCADE,
    auto_approve_generated  BOOLEAN NOT NULL,
    updated_at              BIGINT NOT NULL
);
