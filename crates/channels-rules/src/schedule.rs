//! When a nudge may go out: never while the person has opted out, never past
//! their weekly cap, and not during their quiet hours, which are read in the
//! person's own time zone (a nudge due at night waits for the morning).

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A daily span of local time without nudges, e.g. 21:00 to 08:00 (it may cross midnight).
/// A span that starts where it ends is empty.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct QuietHours {
    #[schema(value_type = String, example = "21:00:00")]
    pub start: NaiveTime,
    #[schema(value_type = String, example = "08:00:00")]
    pub end: NaiveTime,
}

impl QuietHours {
    /// Whether the local time of day falls in the span (its start included, its end not).
    pub fn contains(&self, local: NaiveTime) -> bool {
        if self.start <= self.end {
            self.start <= local && local < self.end
        } else {
            local >= self.start || local < self.end
        }
    }
}

/// Why a nudge is not sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, strum::Display)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Withheld {
    /// The person stopped messages on the channel.
    OptedOut,
    /// The person had their cap of nudges in the last seven days.
    CapReached,
}

/// What to do with a nudge that is due.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendDecision {
    Now,
    /// After the quiet hours, at this instant.
    At(DateTime<Utc>),
    Withhold(Withheld),
}

/// A person's limits on nudges.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NudgeLimits {
    pub zone: Tz,
    pub quiet: Option<QuietHours>,
    /// Nudges at most in any seven days.
    pub weekly_cap: u32,
    pub opted_out: bool,
}

impl NudgeLimits {
    /// Whether a nudge due `now` goes now, later or not at all, given the nudges sent to the
    /// person in the seven days before.
    pub fn decide(&self, now: DateTime<Utc>, sent_in_last_week: u32) -> SendDecision {
        if self.opted_out {
            return SendDecision::Withhold(Withheld::OptedOut);
        }
        if sent_in_last_week >= self.weekly_cap {
            return SendDecision::Withhold(Withheld::CapReached);
        }
        let allowed = self.next_allowed(now);
        if allowed == now { SendDecision::Now } else { SendDecision::At(allowed) }
    }

    /// `now` if it is outside the quiet hours, else the instant they end in the person's zone
    /// (when a clock change skips that local time, the first instant after the gap).
    pub fn next_allowed(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let Some(quiet) = self.quiet.filter(|q| q.start != q.end) else {
            return now;
        };
        let local = now.with_timezone(&self.zone);
        if !quiet.contains(local.time()) {
            return now;
        }
        // The quiet span ends today if its end is still ahead, else tomorrow.
        let mut day = local.date_naive();
        if local.time() >= quiet.end {
            day = day.succ_opt().expect("a next day");
        }
        let end = day.and_time(quiet.end);
        match self.zone.from_local_datetime(&end) {
            chrono::LocalResult::Single(t) | chrono::LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
            chrono::LocalResult::None => (1..=180)
                .find_map(|m| self.zone.from_local_datetime(&(end + Duration::minutes(m))).earliest())
                .map_or(now, |t| t.with_timezone(&Utc)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::{America::New_York, Europe::Berlin};

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    fn night(zone: Tz) -> NudgeLimits {
        let quiet = QuietHours {
            start: NaiveTime::from_hms_opt(21, 0, 0).unwrap(),
            end: NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
        };
        NudgeLimits { zone, quiet: Some(quiet), weekly_cap: 3, opted_out: false }
    }

    #[test]
    fn quiet_hours_are_the_persons_own() {
        let ny = night(New_York);
        // 14:00 UTC is 09:00 in New York (EST, UTC-5): allowed.
        assert_eq!(ny.decide(at("2026-12-03T14:00:00Z"), 0), SendDecision::Now);
        // 03:00 UTC is 22:00 the evening before in New York: wait for 08:00 there, 13:00 UTC.
        assert_eq!(ny.decide(at("2026-12-03T03:00:00Z"), 0), SendDecision::At(at("2026-12-03T13:00:00Z")));
        // 12:30 UTC is 07:30 in New York: the same morning, half an hour later.
        assert_eq!(ny.decide(at("2026-12-03T12:30:00Z"), 2), SendDecision::At(at("2026-12-03T13:00:00Z")));
        // The same instant is 04:00 in Berlin (CET, UTC+1): its morning is 07:00 UTC.
        assert_eq!(night(Berlin).decide(at("2026-12-03T03:00:00Z"), 0), SendDecision::At(at("2026-12-03T07:00:00Z")));
    }

    #[test]
    fn clock_changes_move_the_morning() {
        // Berlin springs forward on 2026-03-29 at 02:00: 08:00 that morning is CEST, 06:00 UTC.
        assert_eq!(night(Berlin).next_allowed(at("2026-03-28T23:30:00Z")), at("2026-03-29T06:00:00Z"));
        // A quiet span ending at 02:30, a local time that day skips, ends at 03:00 CEST (01:00 UTC).
        let mut short = night(Berlin);
        short.quiet = Some(QuietHours {
            start: NaiveTime::from_hms_opt(23, 0, 0).unwrap(),
            end: NaiveTime::from_hms_opt(2, 30, 0).unwrap(),
        });
        assert_eq!(short.next_allowed(at("2026-03-28T23:30:00Z")), at("2026-03-29T01:00:00Z"));
    }

    #[test]
    fn opt_out_and_cap_withhold_and_an_empty_span_allows_all() {
        let mut limits = night(New_York);
        assert_eq!(limits.decide(at("2026-12-03T14:00:00Z"), 3), SendDecision::Withhold(Withheld::CapReached));
        limits.opted_out = true;
        assert_eq!(limits.decide(at("2026-12-03T14:00:00Z"), 0), SendDecision::Withhold(Withheld::OptedOut));
        let noon = NaiveTime::from_hms_opt(12, 0, 0).unwrap();
        let open = NudgeLimits { quiet: Some(QuietHours { start: noon, end: noon }), opted_out: false, ..limits };
        assert_eq!(open.decide(at("2026-12-03T17:00:00Z"), 0), SendDecision::Now);
        let span = QuietHours {
            start: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
            end: NaiveTime::from_hms_opt(17, 0, 0).unwrap(),
        };
        assert!(span.contains(NaiveTime::from_hms_opt(9, 0, 0).unwrap()));
        assert!(!span.contains(NaiveTime::from_hms_opt(17, 0, 0).unwrap()));
    }
}
