-- An epoch bump deletes the saved BM25 copies inside the database, by
-- trigger, instead of by one more statement in every write transaction.
-- (PostgreSQL keeps no vector copies: its vector index is in the database.)
CREATE FUNCTION forget_saved_lexical_copies() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM saved_copies WHERE org_id = NEW.org_id AND kind = 'lexical';
    RETURN NULL;
END
$$;

CREATE TRIGGER lexical_epochs_forget_saved_copies AFTER UPDATE ON lexical_epochs
    FOR EACH ROW EXECUTE FUNCTION forget_saved_lexical_copies();
