-- An epoch bump deletes that kind's saved copies inside the database, by
-- trigger, instead of by one more statement in every write transaction (a
-- statement is a round trip to SQLite's worker thread: 6-10 % of an
-- ingestion's time).
CREATE TRIGGER lexical_epochs_forget_saved_copies AFTER UPDATE ON lexical_epochs
BEGIN
    DELETE FROM saved_copies WHERE org_id = NEW.org_id AND kind = 'lexical';
END;

CREATE TRIGGER vector_epochs_forget_saved_copies AFTER UPDATE ON vector_epochs
BEGIN
    DELETE FROM saved_copies WHERE org_id = NEW.org_id AND kind = 'vectors';
END;
