-- The stored lexical index, written in the same transaction as the chunks,
-- shaped for loading each process's in-memory BM25 copy quickly:
--  * lexical_terms numbers each organisation's terms 1, 2, 3, … (new terms
--    take the next numbers, handed out by one writer at a time);
--  * chunk_postings holds one row per chunk: its terms as numbers with their
--    frequencies ("id tf id tf …"), and what the copy needs to filter, so the
--    copy is built from integers without looking up a term per posting.
-- They replace the FTS5 table, which was read back one row per term
-- occurrence (about 15 s for 100k chunks) and served nothing else.
CREATE TABLE lexical_terms (
    org_id  TEXT NOT NULL,
    term    TEXT NOT NULL,
    id      INTEGER NOT NULL,
    PRIMARY KEY (org_id, term),
    UNIQUE (org_id, id)
) WITHOUT ROWID;

CREATE TABLE chunk_postings (
    chunk_id       INTEGER PRIMARY KEY REFERENCES chunks(id) ON DELETE CASCADE,
    org_id         TEXT NOT NULL,
    collection_id  TEXT NOT NULL,
    document_id    TEXT NOT NULL,
    terms          TEXT NOT NULL
);
CREATE INDEX chunk_postings_org ON chunk_postings (org_id, chunk_id);

CREATE TEMPORARY TABLE counted AS
SELECT c.org_id AS org_id, i.doc AS chunk_id, i.term AS term, count(*) AS tf
FROM chunks_fts_instances i JOIN chunks c ON c.id = i.doc
GROUP BY i.doc, i.term;

INSERT INTO lexical_terms (org_id, term, id)
SELECT org_id, term, row_number() OVER (PARTITION BY org_id ORDER BY term)
FROM (SELECT DISTINCT org_id, term FROM counted);

INSERT INTO chunk_postings (chunk_id, org_id, collection_id, document_id, terms)
SELECT c.id, c.org_id, c.collection_id, c.document_id, COALESCE(p.terms, '')
FROM chunks c LEFT JOIN (
    SELECT n.chunk_id, group_concat(t.id || ' ' || n.tf, ' ') AS terms
    FROM counted n JOIN lexical_terms t ON t.org_id = n.org_id AND t.term = n.term
    GROUP BY n.chunk_id
) p ON p.chunk_id = c.id;

DROP TABLE counted;
DROP TABLE chunks_fts_instances;
DROP TABLE chunks_fts;
