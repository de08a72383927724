-- Single sign-on: an organisation's OpenID Connect identity providers, the provider accounts
-- linked to people, and sign-ins under way (state, nonce and PKCE verifier between the redirect
-- to the provider and its answer, kept here so any instance can finish what another began).
CREATE TABLE identity_providers (
    id               TEXT PRIMARY KEY,
    org_id           TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    kind             TEXT NOT NULL CHECK (kind IN ('oidc', 'google', 'clever')),
    name             TEXT NOT NULL,
    issuer_url       TEXT NOT NULL,
    client_id        TEXT NOT NULL,
    client_secret    TEXT NOT NULL,
    allowed_domains  TEXT NOT NULL,
    district_id      TEXT,
    role_claim       TEXT,
    role_map         TEXT NOT NULL,
    default_role     TEXT NOT NULL CHECK (default_role IN ('learner', 'coach', 'parent', 'manager', 'admin')),
    enabled          BOOLEAN NOT NULL DEFAULT TRUE,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX identity_providers_org ON identity_providers (org_id);

CREATE TABLE sso_identities (
    provider_id      TEXT NOT NULL REFERENCES identity_providers(id) ON DELETE CASCADE,
    subject          TEXT NOT NULL,
    person_id        TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    created_at       BIGINT NOT NULL,
    last_sign_in_at  BIGINT NOT NULL,
    PRIMARY KEY (provider_id, subject)
);
CREATE INDEX sso_identities_person ON sso_identities (person_id);

CREATE TABLE sso_logins (
    state_digest   TEXT PRIMARY KEY,
    provider_id    TEXT NOT NULL REFERENCES identity_providers(id) ON DELETE CASCADE,
    nonce          TEXT NOT NULL,
    pkce_verifier  TEXT NOT NULL,
    return_to      TEXT NOT NULL,
    expires_at     BIGINT NOT NULL
);

-- Members of an SSO-only organisation sign in through its providers, not with a password.
ALTER TABLE organisations ADD COLUMN sso_only BOOLEAN NOT NULL DEFAULT FALSE;
