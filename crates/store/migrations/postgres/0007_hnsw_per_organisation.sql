-- One HNSW index per organisation and vector size, over half-precision copies of the
-- vectors, replaces one index per size over all organisations: a search walks only its
-- organisation's graph, and a bulk load can drop and rebuild one organisation's graph
-- without touching the others'. The exact vectors stay in `embedding`.
-- The pairs are read into a temporary table first: an index cannot be created on a table
-- that an open loop in the same session is still reading.
CREATE TEMPORARY TABLE hnsw_pairs AS SELECT DISTINCT org_id, dims FROM chunk_vectors;
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT org_id, dims FROM hnsw_pairs LOOP
        EXECUTE format(
            'CREATE INDEX IF NOT EXISTS %I ON chunk_vectors USING hnsw ((embedding::halfvec(%s)) halfvec_ip_ops) '
            'WHERE org_id = %L AND dims = %s',
            'chunk_vectors_hnsw_' || r.dims || '_' || replace(r.org_id, '-', ''), r.dims, r.org_id, r.dims);
    END LOOP;
    FOR r IN SELECT indexname FROM pg_indexes
             WHERE tablename = 'chunk_vectors' AND indexname ~ '^chunk_vectors_hnsw_[0-9]+$' LOOP
        EXECUTE format('DROP INDEX %I', r.indexname);
    END LOOP;
END
$$;
DROP TABLE hnsw_pairs;
