-- An organisation's own chat and embedding endpoints (OpenAI-compatible), e.g. a coaching business
-- with its own account: the API key is sealed with the server key and never returned; its last
-- four characters are kept so admins can tell keys apart.
CREATE TABLE org_model_endpoints (
    org_id          TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    kind            TEXT NOT NULL CHECK (kind IN ('chat', 'embedding')),
    base_url        TEXT NOT NULL,
    model           TEXT NOT NULL,
    api_key_sealed  TEXT,
    api_key_hint    TEXT,
    updated_by      TEXT REFERENCES people(id) ON DELETE SET NULL,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (org_id, kind)
);
