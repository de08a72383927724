-- Nudge rules that alert a learner's coaches and parents as well as (or instead
-- of) nudging the learner, with the alert's own message; and goals with a
-- deadline (the organisation's local day) a rule can watch.
ALTER TABLE nudge_rules ADD COLUMN audience TEXT NOT NULL DEFAULT 'learner';
ALTER TABLE nudge_rules ADD COLUMN alert_message TEXT;
ALTER TABLE goals ADD COLUMN deadline_day BIGINT;
