-- Interview audio, kept only when the organisation asks for it (off by
-- default: audio is held in memory while it is transcribed and dropped). A
-- kept recording belongs to its interview, so it goes with the interview's
-- conversation under retention, and with the person on erasure.
ALTER TABLE retention_policies ADD COLUMN keep_interview_audio BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE interview_recordings (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    interview_id  TEXT NOT NULL REFERENCES interviews(id) ON DELETE CASCADE,
    person_id     TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    content_type  TEXT NOT NULL,
    duration_ms   BIGINT NOT NULL,
    transcript    TEXT NOT NULL,
    audio         BLOB NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX interview_recordings_interview ON interview_recordings (interview_id, created_at);
