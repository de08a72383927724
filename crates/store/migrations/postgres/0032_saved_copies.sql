-- Saved copies of the in-process indexes, so a new process reads an
-- organisation's BM25 copy (and, on SQLite, its 8-bit vector copy) as a few
-- large arrays instead of rebuilding it from every chunk's row. A saved copy
-- is stamped with the epoch it reflects and is used only while the database
-- is still at that epoch; every transaction that bumps an epoch deletes the
-- saved copies of that kind, so none outlives the chunks it was made from.
-- Large copies are split into parts, read back in order.
CREATE TABLE saved_copies (
    org_id  TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    kind    TEXT NOT NULL,
    model   TEXT NOT NULL,
    epoch   BIGINT NOT NULL,
    part    INTEGER NOT NULL,
    data    BYTEA NOT NULL,
    PRIMARY KEY (org_id, kind, model, part)
);
-- Stored uncompressed: the arrays compress poorly, and decompressing them
-- would be the new process's wait.
ALTER TABLE saved_copies ALTER COLUMN data SET STORAGE EXTERNAL;
