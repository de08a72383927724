//! Weekly digests: each coach and parent gets, by e-mail, what their learners
//! did the week before (active days, questions, graded answers, mastery) —
//! once per week, from Monday 08:00 in the organisation's time zone, through
//! the outbox (its idempotency key is the recipient and the week).

use crate::service::{Channels, ChannelsResult};
use chrono::{DateTime, NaiveTime, Utc};
use std::collections::HashMap;
use wayfinder_accounts_rules::{OrgId, PersonId};
use wayfinder_channels_rules::Channel;
use wayfinder_store::{LearnerSpan, NewOutbound, StoreError};

/// The local time on Monday from which last week's digest goes out.
const SEND_FROM: (u32, u32) = (8, 0);

impl Channels {
    /// Queues last week's digest to every coach and parent of the organisation who has not had
    /// it yet, when it is Monday 08:00 or later in the organisation's time zone (and e-mail is
    /// set up); answers how many were queued.
    pub async fn send_digests(&self, org: OrgId, now: DateTime<Utc>) -> ChannelsResult<usize> {
        if !self.email_enabled() {
            return Ok(0);
        }
        let zone = self.store.org_time_zone(org).await?;
        let today = zone.day_of(now);
        let this_week = today.week_start();
        let send_from = NaiveTime::from_hms_opt(SEND_FROM.0, SEND_FROM.1, 0).unwrap_or_default();
        if zone.start_of(this_week) + (send_from - NaiveTime::MIN) > now {
            return Ok(0);
        }
        let (from, to) = (this_week.minus(7), this_week.minus(1));
        let supervisors = self.store.supervisors_of_org(org).await?;
        let mut learners_of: HashMap<PersonId, Vec<PersonId>> = HashMap::new();
        for (learner, of) in &supervisors {
            for supervisor in of {
                learners_of.entry(*supervisor).or_default().push(*learner);
            }
        }
        if learners_of.is_empty() {
            return Ok(0);
        }
        let spans = self.store.learner_spans(org, from.0, to.0).await?;
        let organisation = self.store.org(org).await?;
        let mut queued = 0;
        let mut recipients: Vec<_> = learners_of.into_iter().collect();
        recipients.sort_by_key(|(supervisor, _)| *supervisor);
        for (supervisor, learners) in recipients {
            let mut lines = Vec::new();
            for learner in learners {
                let name = self.store.person(learner).await?.display_name;
                lines.push((name.clone(), digest_line(&name, spans.get(&learner))));
            }
            lines.sort();
            let recipient = self.store.person(supervisor).await?;
            let text = format!(
                "Hello {},\n\nHow your learners did from {} to {}:\n\n{}\n\nTheir progress in full: {}/learners",
                recipient.display_name.split_whitespace().next().unwrap_or(&recipient.display_name),
                from.date().format("%a %-d %b"),
                to.date().format("%a %-d %b %Y"),
                lines.into_iter().map(|(_, line)| line).collect::<Vec<_>>().join("\n"),
                self.settings.public_url.trim_end_matches('/'),
            );
            let new = NewOutbound {
                org,
                person: Some(supervisor),
                channel: Channel::Email,
                destination: recipient.email,
                payload: serde_json::json!({
                    "text": text,
                    "subject": format!("Your learners' week at {}", organisation.name),
                }),
                idempotency_key: format!("digest:{org}:{supervisor}:{}", from.0),
                send_at: now,
            };
            match self.store.enqueue_outbound(&new).await {
                Ok(_) => queued += 1,
                Err(StoreError::Duplicate(_)) => {}
                Err(other) => return Err(other.into()),
            }
        }
        if queued > 0 {
            self.outbox_ready.notify_one();
        }
        Ok(queued)
    }
}

/// One learner's line in a digest.
pub fn digest_line(name: &str, span: Option<&LearnerSpan>) -> String {
    let Some(s) = span.filter(|s| s.active_days > 0) else {
        return format!("- {name}: not active this week");
    };
    let days = if s.active_days == 1 { "1 day".to_string() } else { format!("{} days", s.active_days) };
    let answers = match s.answers {
        0 => "no graded answers".to_string(),
        n => format!("{n} graded answers ({:.0} % right)", s.correct / n as f64 * 100.0),
    };
    format!("- {name}: active {days} of 7, {} questions, {answers}, mastery {:+.2}", s.questions, s.mastery_gain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_say_what_a_learner_did() {
        assert_eq!(digest_line("Lena Ortiz", None), "- Lena Ortiz: not active this week");
        let span = LearnerSpan { active_days: 3, questions: 5, answers: 4, correct: 3.0, mastery_gain: 0.256 };
        assert_eq!(
            digest_line("Lena Ortiz", Some(&span)),
            "- Lena Ortiz: active 3 days of 7, 5 questions, 4 graded answers (75 % right), mastery +0.26"
        );
        let span = LearnerSpan { active_days: 1, questions: 2, ..Default::default() };
        assert_eq!(
            digest_line("Max", Some(&span)),
            "- Max: active 1 day of 7, 2 questions, no graded answers, mastery +0.00"
        );
    }
}
