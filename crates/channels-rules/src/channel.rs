//! The channels a person's conversation continues on.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where a message was written or is delivered.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, strum::Display, strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Channel {
    /// The web app.
    Web,
    /// The widget embedded in another site.
    Widget,
    Email,
    Telegram,
    #[serde(rename = "whatsapp")]
    #[strum(serialize = "whatsapp")]
    WhatsApp,
}

impl Channel {
    /// The longest text one message may carry, in characters (Unicode scalar values), when the
    /// platform limits it: Telegram's 4,096 for a text message and WhatsApp's 4,096 for a text
    /// body. The web, the widget and e-mail take an answer whole.
    pub fn message_limit(self) -> Option<usize> {
        match self {
            Channel::Telegram | Channel::WhatsApp => Some(4_096),
            Channel::Web | Channel::Widget | Channel::Email => None,
        }
    }

    /// Whether the channel is a messaging platform reached through a linked account (and so
    /// understands STOP).
    pub fn is_messaging(self) -> bool {
        matches!(self, Channel::Telegram | Channel::WhatsApp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back_and_limits_follow_the_platforms() {
        for channel in [Channel::Web, Channel::Widget, Channel::Email, Channel::Telegram, Channel::WhatsApp] {
            assert_eq!(channel.to_string().parse::<Channel>().unwrap(), channel);
            assert_eq!(serde_json::to_value(channel).unwrap(), channel.to_string().as_str());
        }
        assert_eq!(Channel::WhatsApp.to_string(), "whatsapp");
        assert_eq!(Channel::Telegram.message_limit(), Some(4_096));
        assert_eq!(Channel::Email.message_limit(), None);
        assert!(Channel::WhatsApp.is_messaging() && !Channel::Widget.is_messaging());
    }
}
