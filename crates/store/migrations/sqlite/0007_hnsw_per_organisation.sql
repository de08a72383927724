-- PostgreSQL moves to one HNSW index per organisation in this step. SQLite searches its
-- vectors in each process's copy and has no such index: nothing changes here.
SELECT 1;
