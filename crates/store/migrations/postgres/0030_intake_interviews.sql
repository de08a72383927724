-- Coach provisioning's intake as a guided interview: the flow a provisioning
-- names (one of the organisation's coach-intake flows) and the interview
-- started on it when the coach accepts.
ALTER TABLE coach_provisions ADD COLUMN intake_flow_id TEXT REFERENCES interview_flows(id);
ALTER TABLE coach_provisions ADD COLUMN intake_interview_id TEXT REFERENCES interviews(id) ON DELETE SET NULL;
