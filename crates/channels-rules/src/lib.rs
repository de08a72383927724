//! The channel rules: pure functions the proactive engine and the channel
//! providers share. Which channels a conversation continues on and their
//! message limits (`channel`), splitting a long answer with its citations kept
//! as footnotes (`split`), one-time codes that link a messaging account to a
//! person (`link`), the commands a person sends to stop or resume messages
//! (`commands`), when a nudge may go out — quiet hours in the person's time
//! zone and a weekly cap (`schedule`) — and the holdout arm each person stays
//! in for a trigger rule (`holdout`), and the steps of a sequence with what an
//! enrolment does next (`sequence`).

pub mod channel;
pub mod commands;
pub mod delivery;
pub mod holdout;
pub mod link;
pub mod nudge;
pub mod schedule;
pub mod sequence;
pub mod split;
pub mod widget;

pub use channel::Channel;

wayfinder_accounts_rules::id_type!(
    /// Identifies a person's linked account on one channel.
    ChannelAccountId,
    /// Identifies one outbound message in the outbox.
    OutboundId,
    /// Identifies a nudge rule.
    NudgeRuleId,
    /// Identifies a sequence of scheduled steps.
    SequenceId,
    /// Identifies a person's enrolment in a sequence.
    SequenceEnrolmentId,
    /// Identifies a step an enrolment took (sent, skipped) — a check-in's answer is kept on it.
    StepTakenId,
    /// Identifies a website widget.
    WidgetId,
    /// Identifies someone's session in a website widget.
    WidgetSessionId,
);
