-- Tokens for native and integration clients (OAuth 2.1). Clients are registered by operators;
-- a confidential client keeps a secret (its digest here). An authorization code lives two
-- minutes and works once; the grant it creates is a person's approval of a client and the family
-- of its refresh tokens: each refresh token is exchanged once for the next, and presenting an
-- exchanged one again ends the whole family. Access tokens are RS256 JWTs signed with the newest
-- signing key; a retired key still verifies for a while. Private keys are sealed with the server key.
CREATE TABLE oauth_clients (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('public', 'confidential')),
    secret_digest  TEXT,
    redirect_uris  TEXT NOT NULL,
    created_by     TEXT REFERENCES people(id) ON DELETE SET NULL,
    created_at     BIGINT NOT NULL,
    removed_at     BIGINT
);

CREATE TABLE oauth_grants (
    id              TEXT PRIMARY KEY,
    client_id       TEXT NOT NULL REFERENCES oauth_clients(id) ON DELETE CASCADE,
    person_id       TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    scope           TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    last_used_at    BIGINT NOT NULL,
    revoked_at      BIGINT,
    revoked_reason  TEXT CHECK (revoked_reason IN ('signed_out', 'refresh_token_reused', 'code_reused', 'client_removed'))
);
CREATE INDEX oauth_grants_person ON oauth_grants (person_id);
CREATE INDEX oauth_grants_client ON oauth_grants (client_id);

CREATE TABLE oauth_authorization_codes (
    code_digest     TEXT PRIMARY KEY,
    client_id       TEXT NOT NULL REFERENCES oauth_clients(id) ON DELETE CASCADE,
    person_id       TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    redirect_uri    TEXT NOT NULL,
    code_challenge  TEXT NOT NULL,
    scope           TEXT NOT NULL,
    expires_at      BIGINT NOT NULL,
    grant_id        TEXT REFERENCES oauth_grants(id) ON DELETE CASCADE
);
CREATE INDEX oauth_authorization_codes_person ON oauth_authorization_codes (person_id);

CREATE TABLE oauth_refresh_tokens (
    token_digest  TEXT PRIMARY KEY,
    grant_id      TEXT NOT NULL REFERENCES oauth_grants(id) ON DELETE CASCADE,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    exchanged_at  BIGINT
);
CREATE INDEX oauth_refresh_tokens_grant ON oauth_refresh_tokens (grant_id);

CREATE TABLE oauth_signing_keys (
    kid                 TEXT PRIMARY KEY,
    private_key_sealed  TEXT NOT NULL,
    public_n            TEXT NOT NULL,
    public_e            TEXT NOT NULL,
    created_at          BIGINT NOT NULL,
    retired_at          BIGINT
);
