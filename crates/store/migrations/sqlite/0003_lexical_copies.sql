-- Bumped in every transaction that adds or removes an organisation's chunks,
-- so each process knows when its in-memory copy of the postings is stale.
CREATE TABLE lexical_epochs (
    org_id  TEXT PRIMARY KEY,
    epoch   BIGINT NOT NULL
);

-- The FTS5 index read back term by term (one row per occurrence), to load
-- the in-memory postings.
CREATE VIRTUAL TABLE chunks_fts_instances USING fts5vocab(chunks_fts, instance);
