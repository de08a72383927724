-- A coach's provisioning: the invitation that brings them in, the program
-- that trains them and the manager who follows them. The coach is the
-- invitation's `accepted_by`; their intake is the program's placement.
CREATE TABLE coach_provisions (
    id                    TEXT PRIMARY KEY,
    org_id                TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    invitation_id         TEXT NOT NULL UNIQUE REFERENCES invitations(id) ON DELETE CASCADE,
    program_id            TEXT NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
    manager_id            TEXT REFERENCES people(id) ON DELETE SET NULL,
    provisioned_by        TEXT REFERENCES people(id) ON DELETE SET NULL,
    goal_id               TEXT REFERENCES goals(id) ON DELETE SET NULL,
    profile               TEXT,
    profile_completed_at  BIGINT,
    created_at            BIGINT NOT NULL
);
CREATE INDEX coach_provisions_org ON coach_provisions (org_id, created_at);
