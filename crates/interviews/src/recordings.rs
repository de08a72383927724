//! Interview audio an organisation keeps: each spoken answer's recording, stored
//! with its interview after it was transcribed when the organisation's retention
//! policy says so (off by default), and read back by those who may read the
//! interview. It goes with the interview's conversation under retention and with
//! the learner on erasure.

use crate::{Interviews, InterviewsResult};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use wayfinder_accounts_rules::OrgId;
use wayfinder_interviews_rules::{InterviewId, InterviewRecordingId};
use wayfinder_store::{InterviewRecording as RecordingRecord, NewInterviewRecording};

/// A kept recording of a spoken answer; its audio is at `…/recordings/{id}/audio`.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct InterviewRecording {
    #[schema(value_type = String)]
    pub id: InterviewRecordingId,
    /// `audio/webm`, `audio/ogg` or `audio/wav`.
    pub content_type: String,
    pub duration_ms: i64,
    /// What the speech service heard (the answer sent may have been corrected from it).
    pub transcript: String,
    /// The audio's size in bytes.
    pub bytes: i64,
    pub created_at: DateTime<Utc>,
}

impl From<RecordingRecord> for InterviewRecording {
    fn from(r: RecordingRecord) -> Self {
        InterviewRecording {
            id: r.id,
            content_type: r.content_type,
            duration_ms: r.duration_ms,
            transcript: r.transcript,
            bytes: r.bytes,
            created_at: r.created_at,
        }
    }
}

/// A spoken answer just transcribed.
#[derive(Clone, Copy, Debug)]
pub struct SpokenAnswer<'a> {
    pub content_type: &'a str,
    pub duration_ms: u64,
    pub transcript: &'a str,
    pub audio: &'a [u8],
}

impl Interviews {
    /// Keeps a spoken answer's audio with its interview when the organisation keeps interview
    /// audio; the recording's id when it was kept.
    pub async fn keep_recording(
        &self,
        org: OrgId,
        interview: InterviewId,
        spoken: SpokenAnswer<'_>,
    ) -> InterviewsResult<Option<InterviewRecordingId>> {
        // Most organisations keep no audio: one read, and no write that would wait for others.
        if !self.store.retention_policy(org).await?.keep_interview_audio {
            return Ok(None);
        }
        let person = self.learner_of(org, interview).await?;
        let id = InterviewRecordingId::new();
        let new = NewInterviewRecording {
            id,
            org,
            interview,
            person,
            content_type: spoken.content_type,
            duration_ms: i64::try_from(spoken.duration_ms).unwrap_or(i64::MAX),
            transcript: spoken.transcript,
            audio: spoken.audio,
        };
        Ok(self.store.keep_interview_recording(&new).await?.then_some(id))
    }

    /// An interview's kept recordings, oldest first.
    pub async fn recordings(&self, org: OrgId, interview: InterviewId) -> InterviewsResult<Vec<InterviewRecording>> {
        Ok(self.store.interview_recordings(org, interview).await?.into_iter().map(InterviewRecording::from).collect())
    }

    /// One recording's content type and audio.
    pub async fn recording_audio(
        &self,
        org: OrgId,
        interview: InterviewId,
        id: InterviewRecordingId,
    ) -> InterviewsResult<(String, Vec<u8>)> {
        Ok(self.store.interview_recording_audio(org, interview, id).await?)
    }
}
