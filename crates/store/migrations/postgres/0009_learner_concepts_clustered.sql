-- Every read of learner_concepts is by learner, which the primary key's
-- person_id prefix serves: the (org_id, person_id) index goes, one index less
-- to write per evidence. (SQLite also re-stores the table in primary-key order
-- in this step; PostgreSQL's heap has no such order to keep.)
DROP INDEX IF EXISTS learner_concepts_org;
