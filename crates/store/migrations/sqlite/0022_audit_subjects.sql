-- What was recorded about a person (who read their data; the reads noted once
-- an hour per reader and kind), found by subject.
CREATE INDEX audit_events_subject ON audit_events (subject, action, created_at);
