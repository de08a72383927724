//! Days as an organisation lives them: every rollup is keyed by the local day
//! (days since 1970-01-01 in the organisation's time zone) on which something
//! happened, and weeks run Monday to Sunday.

use chrono::{DateTime, Datelike, Days, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// 1970-01-01, day 0.
const EPOCH: NaiveDate = NaiveDate::from_ymd_opt(1970, 1, 1).expect("a valid date");
/// 1970-01-01 was a Thursday: day 4 is the first Monday, where week 0 starts.
const FIRST_MONDAY: i64 = 4;

/// An organisation's IANA time zone (e.g. `Europe/Berlin`); `UTC` until set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrgTimeZone(Tz);

impl OrgTimeZone {
    pub const UTC: OrgTimeZone = OrgTimeZone(Tz::UTC);

    /// The zone a name gives, or why not.
    pub fn parse(name: &str) -> Result<OrgTimeZone, String> {
        Tz::from_str(name.trim())
            .map(OrgTimeZone)
            .map_err(|_| format!("`{name}` is not an IANA time zone name such as Europe/Berlin or America/New_York"))
    }

    /// The stored name; an unknown stored name (a zone removed from a later tz database) reads as UTC.
    pub fn from_stored(name: &str) -> OrgTimeZone {
        OrgTimeZone::parse(name).unwrap_or(OrgTimeZone::UTC)
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// The local day an instant falls on.
    pub fn day_of(&self, at: DateTime<Utc>) -> Day {
        let local = at.with_timezone(&self.0).date_naive();
        Day::from_date(local)
    }

    /// The day an instant given in milliseconds since the epoch falls on.
    pub fn day_of_millis(&self, ms: i64) -> Day {
        self.day_of(DateTime::from_timestamp_millis(ms).unwrap_or_default())
    }

    /// When a local day begins (the first instant of it, across a daylight-saving change too).
    pub fn start_of(&self, day: Day) -> DateTime<Utc> {
        let midnight = day.date().and_hms_opt(0, 0, 0).expect("midnight exists");
        match self.0.from_local_datetime(&midnight) {
            chrono::LocalResult::Single(t) | chrono::LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
            // Midnight skipped by a change: the day starts at the first instant after the gap.
            chrono::LocalResult::None => (1..=180)
                .find_map(|m| self.0.from_local_datetime(&(midnight + chrono::Duration::minutes(m))).earliest())
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_else(|| Utc.from_utc_datetime(&midnight)),
        }
    }
}

/// A local day of an organisation: days since 1970-01-01.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Day(pub i64);

impl Day {
    pub fn from_date(date: NaiveDate) -> Day {
        Day(date.signed_duration_since(EPOCH).num_days())
    }

    /// The calendar date.
    pub fn date(self) -> NaiveDate {
        if self.0 >= 0 {
            EPOCH.checked_add_days(Days::new(self.0 as u64)).unwrap_or(NaiveDate::MAX)
        } else {
            EPOCH.checked_sub_days(Days::new(self.0.unsigned_abs())).unwrap_or(NaiveDate::MIN)
        }
    }

    /// The week it belongs to (weeks start on Mondays; week 0 starts on 1970-01-05).
    pub fn week(self) -> i64 {
        (self.0 - FIRST_MONDAY).div_euclid(7)
    }

    /// The Monday its week starts on.
    pub fn week_start(self) -> Day {
        Day(self.week() * 7 + FIRST_MONDAY)
    }

    pub fn minus(self, days: i64) -> Day {
        Day(self.0 - days)
    }

    pub fn plus(self, days: i64) -> Day {
        Day(self.0 + days)
    }

    /// Whether the date is a Monday (a sanity check for `week_start`).
    pub fn is_monday(self) -> bool {
        self.date().weekday() == chrono::Weekday::Mon
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_late_evening_in_new_york_is_the_next_day_in_berlin() {
        // 2026-03-10 23:30 in New York (summer time since the 8th) is 03:30 UTC on the 11th.
        let at = DateTime::parse_from_rfc3339("2026-03-11T03:30:00Z").unwrap().with_timezone(&Utc);
        let ny = OrgTimeZone::parse("America/New_York").unwrap();
        let berlin = OrgTimeZone::parse("Europe/Berlin").unwrap();
        assert_eq!(ny.day_of(at).date(), NaiveDate::from_ymd_opt(2026, 3, 10).unwrap());
        assert_eq!(berlin.day_of(at).date(), NaiveDate::from_ymd_opt(2026, 3, 11).unwrap());
        assert_eq!(OrgTimeZone::UTC.day_of(at).date(), NaiveDate::from_ymd_opt(2026, 3, 11).unwrap());
    }

    #[test]
    fn days_round_trip_and_weeks_start_on_mondays() {
        for n in [-800, -1, 0, 1, 4, 20_000, 20_523] {
            let day = Day(n);
            assert_eq!(Day::from_date(day.date()), day);
            assert!(day.week_start().is_monday(), "{:?}", day.date());
            assert!(day.week_start() <= day && day.week_start().plus(7) > day);
        }
    }

    #[test]
    fn a_day_starts_at_local_midnight_even_on_a_change_of_clocks() {
        let berlin = OrgTimeZone::parse("Europe/Berlin").unwrap();
        // Summer time began on 2026-03-29 at 02:00; midnight is still +01:00.
        let day = Day::from_date(NaiveDate::from_ymd_opt(2026, 3, 29).unwrap());
        assert_eq!(berlin.start_of(day).to_rfc3339(), "2026-03-28T23:00:00+00:00");
        let next = day.plus(1);
        assert_eq!(berlin.start_of(next).to_rfc3339(), "2026-03-29T22:00:00+00:00");
        // Santiago skipped midnight on 2026-09-06 (00:00 → 01:00).
        let santiago = OrgTimeZone::parse("America/Santiago").unwrap();
        let skipped = Day::from_date(NaiveDate::from_ymd_opt(2026, 9, 6).unwrap());
        assert_eq!(santiago.day_of(santiago.start_of(skipped)), skipped);
    }

    #[test]
    fn names_are_checked() {
        assert!(OrgTimeZone::parse("Mars/Olympus").is_err());
        assert_eq!(OrgTimeZone::from_stored("Mars/Olympus"), OrgTimeZone::UTC);
        assert_eq!(OrgTimeZone::parse(" Asia/Tokyo ").unwrap().name(), "Asia/Tokyo");
    }
}
