//! Identifiers of coach records.

wayfinder_accounts_rules::id_type!(
    /// Identifies a coach profile.
    CoachId,
    /// Identifies a conversation.
    ConversationId,
    /// Identifies a message in a conversation.
    MessageId,
);
