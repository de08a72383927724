//! The insights rules: pure functions over figures the store has rolled up.
//! An organisation's days in its time zone (`days`), activity streaks and
//! at-risk flags (`risk`), whether coaching made a difference (`outcomes`),
//! alert conditions (`alerts`), grouping unanswered questions into topics
//! (`gaps`) and spreadsheet-safe CSV cells (`csv`).

pub mod alerts;
pub mod csv;
pub mod days;
pub mod gaps;
pub mod outcomes;
pub mod risk;

pub use days::{Day, OrgTimeZone};

wayfinder_accounts_rules::id_type!(
    /// Identifies an alert rule.
    AlertRuleId,
    /// Identifies a fired alert.
    AlertId,
    /// Identifies one delivery of an alert to one person in the app.
    NotificationId,
);
