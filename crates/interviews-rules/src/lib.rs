//! Guided interviews: scripted conversations that ask, follow up and end in a
//! structured summary (interest discovery, a mock job interview, a weekly
//! reflection, a coach's intake, a program check-in). This crate holds what
//! needs no I/O: a flow's definition and its checks (`flow`), the scripted
//! interviewer's next move (`interviewer`), the summary and its checks against
//! the flow's schema (`summary`) and the built-in templates (`templates`).

pub mod flow;
pub mod interviewer;
pub mod profile;
pub mod summary;
pub mod templates;
mod words;

wayfinder_accounts_rules::id_type!(
    /// Identifies an interview flow (all its versions).
    InterviewFlowId,
    /// Identifies one run of a flow with one person.
    InterviewId,
    /// Identifies a spoken answer's audio, kept when the organisation keeps interview audio.
    InterviewRecordingId,
);
