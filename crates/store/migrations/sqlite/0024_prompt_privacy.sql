-- What an organisation lets a chat model see: personal data (e-mail addresses,
-- phone numbers, its people's names) replaced by placeholders, and whether a
-- learner's own record (goals, mastery, next step) is sent at all.
CREATE TABLE prompt_privacy (
    org_id                TEXT PRIMARY KEY REFERENCES organisations(id) ON DELETE CASCADE,
    redact_personal_data  BOOLEAN NOT NULL DEFAULT FALSE,
    no_learner_data       BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at            BIGINT NOT NULL
);
