-- Knowledge base: collections, documents, chunks, the lexical and vector
-- indexes, and durable jobs (ingestion, re-embedding).

CREATE TABLE collections (
    id               TEXT PRIMARY KEY,
    org_id           TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    name             TEXT NOT NULL,
    description      TEXT NOT NULL DEFAULT '',
    domains          TEXT NOT NULL DEFAULT '[]',
    chunk_tokens     BIGINT NOT NULL,
    chunk_overlap    BIGINT NOT NULL,
    embedding_model  TEXT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    UNIQUE (org_id, name)
);

CREATE TABLE documents (
    id             TEXT PRIMARY KEY,
    org_id         TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    collection_id  TEXT NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
    title          TEXT NOT NULL,
    source_name    TEXT NOT NULL,
    content_type   TEXT NOT NULL,
    content_hash   TEXT NOT NULL,
    size_bytes     BIGINT NOT NULL,
    pages          BIGINT,
    domains        TEXT NOT NULL DEFAULT '[]',
    chunk_count    BIGINT NOT NULL,
    uploaded_by    TEXT REFERENCES people(id) ON DELETE SET NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    UNIQUE (collection_id, content_hash),
    UNIQUE (collection_id, source_name)
);
CREATE INDEX documents_org ON documents (org_id, collection_id);

CREATE TABLE chunks (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id         TEXT NOT NULL,
    collection_id  TEXT NOT NULL,
    document_id    TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    position       BIGINT NOT NULL,
    text           TEXT NOT NULL,
    section_path   TEXT NOT NULL DEFAULT '[]',
    page_start     BIGINT,
    page_end       BIGINT,
    token_count    BIGINT NOT NULL,
    term_count     BIGINT NOT NULL
);
CREATE INDEX chunks_document ON chunks (document_id, position);
CREATE INDEX chunks_collection ON chunks (org_id, collection_id);

-- BM25 over the analysed terms (stemmed, stopwords removed by Wayfinder, so
-- both backends rank exactly the same terms). PostgreSQL's own ts_rank is not
-- BM25 and ranks markedly worse, so the postings and statistics are kept here
-- and scored with the same BM25 formula SQLite's FTS5 uses.
CREATE TABLE chunk_terms (
    term           TEXT NOT NULL,
    chunk_id       BIGINT NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,
    org_id         TEXT NOT NULL,
    collection_id  TEXT NOT NULL,
    tf             INTEGER NOT NULL,
    chunk_terms    INTEGER NOT NULL,
    PRIMARY KEY (org_id, term, chunk_id)
);
CREATE INDEX chunk_terms_chunk ON chunk_terms (chunk_id);

-- Per organisation: how many chunks contain each term, and corpus totals.
CREATE TABLE term_stats (
    org_id  TEXT NOT NULL,
    term    TEXT NOT NULL,
    df      BIGINT NOT NULL,
    PRIMARY KEY (org_id, term)
);
CREATE TABLE lexical_stats (
    org_id       TEXT PRIMARY KEY,
    chunk_count  BIGINT NOT NULL,
    term_total   BIGINT NOT NULL
);

-- Vectors of any dimension; an HNSW index per (model dimension) is created on
-- demand as a partial expression index (pgvector indexes need a fixed size).
CREATE TABLE chunk_vectors (
    chunk_id       BIGINT PRIMARY KEY REFERENCES chunks(id) ON DELETE CASCADE,
    org_id         TEXT NOT NULL,
    collection_id  TEXT NOT NULL,
    model          TEXT NOT NULL,
    dims           INTEGER NOT NULL,
    embedding      vector NOT NULL
);
CREATE INDEX chunk_vectors_org ON chunk_vectors (org_id, model);

CREATE TABLE jobs (
    id                TEXT PRIMARY KEY,
    org_id            TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    kind              TEXT NOT NULL CHECK (kind IN ('ingest', 'embed')),
    state             TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed')),
    collection_id     TEXT NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
    created_by        TEXT REFERENCES people(id) ON DELETE SET NULL,
    progress_done     BIGINT NOT NULL DEFAULT 0,
    progress_total    BIGINT NOT NULL DEFAULT 0,
    phase             TEXT NOT NULL DEFAULT 'queued',
    error             TEXT,
    lease_owner       TEXT,
    lease_expires_at  BIGINT,
    created_at        BIGINT NOT NULL,
    started_at        BIGINT,
    finished_at       BIGINT
);
CREATE INDEX jobs_state ON jobs (state, created_at);
CREATE INDEX jobs_org ON jobs (org_id, created_at);

-- Files of an ingestion job, kept until the job ends so a restarted job
-- resumes from the database alone.
CREATE TABLE job_files (
    id             TEXT PRIMARY KEY,
    job_id         TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    position       BIGINT NOT NULL,
    filename       TEXT NOT NULL,
    domains        TEXT NOT NULL DEFAULT '[]',
    content        BYTEA,
    size_bytes     BIGINT NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('pending', 'ingested', 'unchanged', 'failed')),
    error_code     TEXT,
    error_message  TEXT,
    document_id    TEXT,
    chunk_count    BIGINT
);
CREATE INDEX job_files_pending ON job_files (job_id, state, position);
