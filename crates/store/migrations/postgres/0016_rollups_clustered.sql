-- Indexes the dashboards read from alone. (SQLite's counterpart migration also
-- clusters the per-person rollups by person; PostgreSQL reads them by index.)

-- The topics each learner asked about lately.
DROP INDEX question_log_person;
CREATE INDEX question_log_person ON question_log (org_id, person_id, asked_at) INCLUDE (topic);

-- Active enrolments per program.
CREATE INDEX enrolments_program_status ON enrolments (program_id, status);
