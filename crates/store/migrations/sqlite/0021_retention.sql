-- Retention per organisation: conversations (with their messages) are deleted
-- once they have been quiet for `conversation_days`, and members who have not
-- been active for `inactive_account_days` (and belong to no other
-- organisation) are erased; NULL keeps them.
CREATE TABLE retention_policies (
    org_id                 TEXT PRIMARY KEY REFERENCES organisations(id) ON DELETE CASCADE,
    conversation_days      BIGINT,
    inactive_account_days  BIGINT,
    last_applied_at        BIGINT,
    updated_at             BIGINT NOT NULL
);

-- Quiet conversations, oldest first, for the retention sweep.
CREATE INDEX conversations_quiet ON conversations (org_id, updated_at);
