//! When to try an outbound message again, and when a platform still lets a
//! business write freely.

use chrono::{DateTime, Duration, Utc};

/// Attempts before a message is given up.
pub const MAX_ATTEMPTS: i64 = 8;

/// The longest wait between two attempts.
const MAX_BACKOFF_SECONDS: i64 = 3_600;

/// How long to wait after failed attempt number `attempt` (1 for the first): the platform's
/// `retry_after` when it gave one, else 2 s doubled per attempt up to an hour. `None` once the
/// attempts are used up.
pub fn retry_delay(attempt: i64, retry_after: Option<u64>) -> Option<Duration> {
    if attempt >= MAX_ATTEMPTS {
        return None;
    }
    let backoff = 2_i64.saturating_pow(attempt.clamp(1, 30) as u32).min(MAX_BACKOFF_SECONDS);
    let seconds = retry_after.map_or(backoff, |s| i64::try_from(s).unwrap_or(MAX_BACKOFF_SECONDS).max(1));
    Some(Duration::seconds(seconds))
}

/// WhatsApp's customer service window: a business may send free text for 24 hours after the
/// person's last message; outside it only an approved template.
pub const REPLY_WINDOW_HOURS: i64 = 24;

/// Whether free text may go to a person whose last message was at `last_inbound`.
pub fn within_reply_window(last_inbound: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    last_inbound.is_some_and(|at| at <= now && now - at < Duration::hours(REPLY_WINDOW_HOURS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_honours_retry_after_and_ends() {
        assert_eq!(retry_delay(1, None), Some(Duration::seconds(2)));
        assert_eq!(retry_delay(2, None), Some(Duration::seconds(4)));
        assert_eq!(retry_delay(7, None), Some(Duration::seconds(128)));
        assert_eq!(retry_delay(3, Some(17)), Some(Duration::seconds(17)));
        assert_eq!(retry_delay(3, Some(0)), Some(Duration::seconds(1)));
        assert_eq!(retry_delay(MAX_ATTEMPTS, None), None);
    }

    #[test]
    fn the_window_is_24_hours_from_the_last_message() {
        let now = DateTime::from_timestamp(1_764_720_000, 0).unwrap();
        assert!(within_reply_window(Some(now - Duration::hours(23)), now));
        assert!(!within_reply_window(Some(now - Duration::hours(24)), now));
        assert!(!within_reply_window(None, now));
    }
}
