-- The stored lexical index, written in the same transaction as the chunks,
-- shaped for loading each process's in-memory BM25 copy quickly:
--  * lexical_terms numbers each organisation's terms 1, 2, 3, … (new terms
--    take the next numbers, handed out by one writer at a time: the writer
--    holds the organisation's lexical_epochs row);
--  * chunk_postings holds one row per chunk: its terms as numbers with their
--    frequencies ("id tf id tf …"), and what the copy needs to filter, so the
--    copy is built from integers without looking up a term per posting.
-- They replace chunk_terms, one row per (term, chunk): ten times the rows to
-- write and to read back, and read by nothing else.
CREATE TABLE lexical_terms (
    org_id  TEXT NOT NULL,
    term    TEXT NOT NULL,
    id      BIGINT NOT NULL,
    PRIMARY KEY (org_id, term),
    UNIQUE (org_id, id)
);

CREATE TABLE chunk_postings (
    chunk_id       BIGINT PRIMARY KEY REFERENCES chunks(id) ON DELETE CASCADE,
    org_id         TEXT NOT NULL,
    collection_id  TEXT NOT NULL,
    document_id    TEXT NOT NULL,
    terms          TEXT NOT NULL
);
CREATE INDEX chunk_postings_org ON chunk_postings (org_id, chunk_id);

INSERT INTO lexical_terms (org_id, term, id)
SELECT org_id, term, row_number() OVER (PARTITION BY org_id ORDER BY term)
FROM (SELECT DISTINCT org_id, term FROM chunk_terms) AS distinct_terms;

INSERT INTO chunk_postings (chunk_id, org_id, collection_id, document_id, terms)
SELECT c.id, c.org_id, c.collection_id, c.document_id,
       COALESCE(string_agg(t.id || ' ' || p.tf, ' ' ORDER BY t.id), '')
FROM chunks c
LEFT JOIN chunk_terms p ON p.chunk_id = c.id
LEFT JOIN lexical_terms t ON t.org_id = p.org_id AND t.term = p.term
GROUP BY c.id;

DROP TABLE chunk_terms;
