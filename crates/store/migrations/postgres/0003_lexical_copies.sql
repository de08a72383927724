-- Bumped in every transaction that adds or removes an organisation's chunks,
-- so each process knows when its in-memory copy of the postings is stale.
CREATE TABLE lexical_epochs (
    org_id  TEXT PRIMARY KEY,
    epoch   BIGINT NOT NULL
);

-- BM25 is scored in process now (see the store's lexical module): the corpus
-- statistics come from the postings themselves.
DROP TABLE term_stats;
DROP TABLE lexical_stats;
