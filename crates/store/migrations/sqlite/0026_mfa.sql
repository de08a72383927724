-- Multi-factor sign-in: a person's TOTP factor (RFC 6238; confirmed once they typed a code from
-- it; the last time step used, so a code works once), their single-use recovery codes, second
-- steps under way after a password, and devices remembered for 30 days.
CREATE TABLE mfa_factors (
    person_id       TEXT PRIMARY KEY REFERENCES people(id) ON DELETE CASCADE,
    secret          TEXT NOT NULL,
    confirmed_at    BIGINT,
    last_used_step  BIGINT NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL
);

CREATE TABLE mfa_recovery_codes (
    person_id    TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    code_digest  TEXT NOT NULL,
    used_at      BIGINT,
    PRIMARY KEY (person_id, code_digest)
);

CREATE TABLE mfa_challenges (
    secret_digest  TEXT PRIMARY KEY,
    person_id      TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    attempts       BIGINT NOT NULL DEFAULT 0,
    expires_at     BIGINT NOT NULL
);
CREATE INDEX mfa_challenges_person ON mfa_challenges (person_id);

CREATE TABLE mfa_remembered_devices (
    secret_digest  TEXT PRIMARY KEY,
    person_id      TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL
);
CREATE INDEX mfa_remembered_devices_person ON mfa_remembered_devices (person_id);

-- An organisation may require its admins to use a second factor.
ALTER TABLE organisations ADD COLUMN mfa_required_for_admins BOOLEAN NOT NULL DEFAULT FALSE;
