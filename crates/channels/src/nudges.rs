//! Nudges: rules that reach out to learners when something happens or stops
//! happening, on the channel each person uses, within their quiet hours and
//! weekly cap, never after STOP — with a holdout per rule that is not nudged,
//! so the effect view can show whether the rule brings people back.

use crate::service::{Channels, ChannelsError, ChannelsResult};
use chrono::{DateTime, Duration, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use wayfinder_accounts_rules::{OrgId, PersonId};
use wayfinder_channels_rules::{
    Channel, NudgeRuleId,
    holdout::{Arm, arm},
    nudge::{
        Audience, PLACEHOLDERS, RETURN_WINDOW_HOURS, ReturnEffect, Trigger, compare_returns, compose,
        unknown_placeholder,
    },
    schedule::{NudgeLimits, QuietHours, SendDecision, Withheld},
};
use wayfinder_insights_rules::days::OrgTimeZone;
use wayfinder_store::{
    ChannelAccount, NewNudgeDecision, NewOutbound, NudgeCandidate, NudgeOutcome, NudgeRuleRecord, ReachPreferences,
    StoreError,
};

/// Decisions written per transaction.
const DECISIONS_PER_TRANSACTION: usize = 500;

/// Quiet hours when a person has not set their own: 21:00 to 08:00 in their time zone.
pub const DEFAULT_QUIET: (u32, u32) = (21, 8);
/// Nudges a person gets in seven days at most, unless they set their own cap.
pub const DEFAULT_WEEKLY_CAP: u32 = 3;

/// A rule as written by an admin.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NudgeRuleSpec {
    #[schema(min_length = 1, max_length = 120)]
    pub name: String,
    pub trigger: Trigger,
    /// The trigger's days: inactive for this many; rated an answer down within this many; a
    /// review overdue by this many; mastery falling over this many; a goal due within this many;
    /// a check-in unanswered for this many.
    #[schema(minimum = 1, maximum = 365)]
    pub days: i64,
    /// The message to the learner, with `{name}` (first name) and `{days}` filled in.
    #[schema(min_length = 1, max_length = 1000)]
    pub message: String,
    /// Whom the rule reaches about the learner it finds (default: the learner).
    pub audience: Option<Audience>,
    /// The alert to the learner's coaches and parents, with `{learner}` (their name) and
    /// `{days}` filled in; required when the audience includes them.
    #[schema(max_length = 1000)]
    pub alert_message: Option<String>,
    /// The share of people never nudged by this rule, to measure its effect (0 to 0.9; default 0.1).
    #[schema(minimum = 0.0, maximum = 0.9)]
    pub holdout_share: Option<f64>,
    /// Default true.
    pub active: Option<bool>,
}

/// A rule as the API shows it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct NudgeRule {
    #[schema(value_type = String)]
    pub id: NudgeRuleId,
    pub name: String,
    pub trigger: Trigger,
    pub days: i64,
    pub message: String,
    pub audience: Audience,
    pub alert_message: Option<String>,
    pub holdout_share: f64,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<NudgeRuleRecord> for NudgeRule {
    fn from(r: NudgeRuleRecord) -> Self {
        NudgeRule {
            id: r.id,
            name: r.name,
            trigger: r.trigger,
            days: r.days,
            message: r.message,
            audience: r.audience,
            alert_message: r.alert_message,
            holdout_share: r.holdout_share,
            active: r.active,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// What one evaluation decided.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct NudgeRun {
    /// Nudges queued (some to go after the person's quiet hours).
    pub queued: usize,
    pub held_out: usize,
    pub opted_out: usize,
    pub cap_reached: usize,
    /// People with no linked messaging account to reach them on.
    pub no_channel: usize,
    /// Alerts queued to coaches and parents about the people found.
    pub alerts: usize,
}

/// A rule's effect: people nudged against its holdout.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct NudgeEffect {
    pub rule: NudgeRule,
    /// Coming back (a question, an answer, practice) within 48 hours.
    pub returns: ReturnEffect,
    /// Decisions by what became of them.
    pub decisions: NudgeRun,
}

impl Channels {
    pub async fn nudge_rules(&self, org: OrgId) -> ChannelsResult<Vec<NudgeRule>> {
        Ok(self.store.nudge_rules(org, false).await?.into_iter().map(NudgeRule::from).collect())
    }

    pub async fn create_nudge_rule(&self, org: OrgId, spec: NudgeRuleSpec) -> ChannelsResult<NudgeRule> {
        let now = stored_now();
        let record = checked_rule(NudgeRuleId::new(), org, spec, now, now)?;
        self.store.create_nudge_rule(&record).await?;
        Ok(record.into())
    }

    pub async fn update_nudge_rule(
        &self,
        org: OrgId,
        id: NudgeRuleId,
        spec: NudgeRuleSpec,
    ) -> ChannelsResult<NudgeRule> {
        let current = self.store.nudge_rule(org, id).await.map_err(not_found)?;
        let record = checked_rule(id, org, spec, current.created_at, stored_now())?;
        self.store.update_nudge_rule(&record).await.map_err(not_found)?;
        Ok(record.into())
    }

    pub async fn delete_nudge_rule(&self, org: OrgId, id: NudgeRuleId) -> ChannelsResult<()> {
        self.store.delete_nudge_rule(org, id).await.map_err(not_found)
    }

    /// Evaluates the organisation's active rules at `now`: each person a rule finds is decided
    /// once per episode — held out, or nudged on their channel within their limits.
    pub async fn evaluate_nudges(&self, org: OrgId, now: DateTime<Utc>) -> ChannelsResult<NudgeRun> {
        let zone = self.store.org_time_zone(org).await?;
        let mut run = NudgeRun::default();
        let rules = self.store.nudge_rules(org, true).await?;
        if rules.is_empty() {
            return Ok(run);
        }
        // What every decision needs, read once for the organisation.
        let mut known = Known::load(self, org).await?;
        known.queued = self.store.nudges_queued_per_person(org, now - Duration::days(7)).await?;
        if rules.iter().any(|r| r.audience.reaches_supervisors()) {
            known.supervisors = self.store.supervisors_of_org(org).await?;
        }
        let today = zone.day_of(now).0;
        for rule in rules {
            let decided = self.store.nudge_episodes(rule.id).await?;
            let mut batch = Vec::with_capacity(DECISIONS_PER_TRANSACTION);
            let candidates = match rule.trigger {
                Trigger::Inactive => {
                    let cutoff = zone.day_of(now).0 - rule.days;
                    self.store.inactive_learners(org, cutoff, now - Duration::days(rule.days)).await?
                }
                Trigger::NegativeFeedback => {
                    self.store.learners_who_rated_down(org, now - Duration::days(rule.days)).await?
                }
                Trigger::ReviewDue => {
                    self.store.learners_with_reviews_due(org, now - Duration::days(rule.days)).await?
                }
                Trigger::MasteryFalling => {
                    self.store.learners_losing_mastery(org, today - rule.days + 1, today).await?
                }
                Trigger::GoalDeadline => self.store.learners_with_goals_due(org, today, today + rule.days).await?,
                Trigger::MissedCheckIn => {
                    self.store.learners_who_missed_check_ins(org, now - Duration::days(rule.days)).await?
                }
            };
            for candidate in candidates {
                if decided.contains(&(candidate.person, candidate.episode.clone())) {
                    continue;
                }
                let decision = self.decide(&rule, &candidate, &known, zone, now).await?;
                if decision.outcome == NudgeOutcome::Queued && rule.audience.reaches_learner() {
                    *known.queued.entry(candidate.person).or_default() += 1;
                }
                batch.push(decision);
                if batch.len() == DECISIONS_PER_TRANSACTION {
                    self.record(&mut batch, &mut run).await?;
                }
            }
            self.record(&mut batch, &mut run).await?;
        }
        if run.queued > 0 {
            self.outbox_ready.notify_one();
        }
        Ok(run)
    }

    /// Writes a batch of decisions in one transaction and counts the new ones.
    async fn record(&self, batch: &mut Vec<NewNudgeDecision>, run: &mut NudgeRun) -> ChannelsResult<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let new = self.store.record_nudge_decisions(batch).await?;
        for (decision, new) in batch.drain(..).zip(new) {
            if !new {
                continue;
            }
            run.alerts += decision.outbound.iter().filter(|o| o.person != Some(decision.person)).count();
            match decision.outcome {
                NudgeOutcome::Queued => run.queued += 1,
                NudgeOutcome::HeldOut => run.held_out += 1,
                NudgeOutcome::OptedOut => run.opted_out += 1,
                NudgeOutcome::CapReached => run.cap_reached += 1,
                NudgeOutcome::NoChannel => run.no_channel += 1,
            }
        }
        Ok(())
    }

    async fn decide(
        &self,
        rule: &NudgeRuleRecord,
        candidate: &NudgeCandidate,
        known: &Known,
        zone: OrgTimeZone,
        now: DateTime<Utc>,
    ) -> ChannelsResult<NewNudgeDecision> {
        let person = candidate.person;
        let mut decision = NewNudgeDecision {
            org: rule.org,
            rule: rule.id,
            person,
            episode: candidate.episode.clone(),
            arm: arm(&rule.id.to_string(), &person.to_string(), rule.holdout_share),
            outcome: NudgeOutcome::HeldOut,
            decided_at: now,
            outbound: Vec::new(),
        };
        if decision.arm == Arm::Holdout {
            return Ok(decision);
        }
        if rule.audience.reaches_learner() {
            let sent = Some(known.queued.get(&person).copied().unwrap_or(0));
            let message = Message {
                subject: &rule.name,
                text: compose(&rule.message, &candidate.display_name, rule.days),
                key: nudge_key(rule, candidate, person),
                sent_this_week: sent,
            };
            match self.address(rule.org, person, message, known, zone, now).await? {
                Ok(outbound) => {
                    decision.outcome = NudgeOutcome::Queued;
                    decision.outbound.push(outbound);
                }
                Err(withheld) => decision.outcome = withheld,
            }
        }
        if rule.audience.reaches_supervisors() {
            let template = rule.alert_message.as_deref().unwrap_or(&rule.message);
            let text = compose(template, &candidate.display_name, rule.days);
            let mut withheld = NudgeOutcome::NoChannel;
            for &supervisor in known.supervisors.get(&person).map(Vec::as_slice).unwrap_or_default() {
                let message = Message {
                    subject: &rule.name,
                    text: text.clone(),
                    key: nudge_key(rule, candidate, supervisor),
                    sent_this_week: None,
                };
                match self.address(rule.org, supervisor, message, known, zone, now).await? {
                    Ok(outbound) => decision.outbound.push(outbound),
                    Err(why) => withheld = why,
                }
            }
            if !rule.audience.reaches_learner() {
                decision.outcome = if decision.outbound.is_empty() { withheld } else { NudgeOutcome::Queued };
            }
        }
        Ok(decision)
    }

    /// A message to `recipient` on their channel, after their quiet hours — or why it is
    /// withheld.
    pub(crate) async fn address(
        &self,
        org: OrgId,
        recipient: PersonId,
        message: Message<'_>,
        known: &Known,
        zone: OrgTimeZone,
        now: DateTime<Utc>,
    ) -> ChannelsResult<Result<NewOutbound, NudgeOutcome>> {
        let Message { subject, text, key, sent_this_week: sent } = message;
        let preferences = known.preferences.get(&recipient).cloned().unwrap_or_default();
        let accounts = known.accounts.get(&recipient).map(Vec::as_slice).unwrap_or_default();
        // A linked messaging account, else their own address when e-mail goes out.
        let (channel, destination, opted_out) = match reachable_account(accounts, preferences.preferred_channel) {
            Some(account) => (account.channel, account.external_id.clone(), account.opted_out_at.is_some()),
            None if self.email_enabled() => (Channel::Email, self.store.person(recipient).await?.email, false),
            None => return Ok(Err(NudgeOutcome::NoChannel)),
        };
        let mut limits = limits(&preferences, zone, opted_out);
        if sent.is_none() {
            limits.weekly_cap = u32::MAX;
        }
        let send_at = match limits.decide(now, sent.unwrap_or(0)) {
            SendDecision::Now => now,
            SendDecision::At(at) => at,
            SendDecision::Withhold(Withheld::OptedOut) => return Ok(Err(NudgeOutcome::OptedOut)),
            SendDecision::Withhold(Withheld::CapReached) => return Ok(Err(NudgeOutcome::CapReached)),
        };
        let payload = match channel {
            Channel::Email => {
                let reply_to = self.reply_address(org, recipient).await?;
                serde_json::json!({ "text": text, "subject": subject, "reply_to": reply_to })
            }
            _ => serde_json::json!({ "text": text }),
        };
        Ok(Ok(NewOutbound {
            org,
            person: Some(recipient),
            channel,
            destination,
            payload,
            idempotency_key: key,
            send_at,
        }))
    }

    /// A rule's nudged people against its holdout, on coming back within 48 hours.
    pub async fn nudge_effect(&self, org: OrgId, id: NudgeRuleId) -> ChannelsResult<NudgeEffect> {
        let rule = self.store.nudge_rule(org, id).await.map_err(not_found)?;
        let decisions = self.store.nudge_decisions(id, Duration::hours(RETURN_WINDOW_HOURS)).await?;
        let mut counts = NudgeRun::default();
        // The arms as assigned: someone assigned to be nudged counts there even when no nudge
        // could reach them, as an unreachable person held out counts in the holdout — so the
        // arms stay comparable.
        let (mut nudged, mut nudged_back, mut holdout, mut holdout_back) = (0, 0, 0, 0);
        for d in &decisions {
            match d.arm {
                Arm::Nudged => (nudged, nudged_back) = (nudged + 1, nudged_back + usize::from(d.returned)),
                Arm::Holdout => (holdout, holdout_back) = (holdout + 1, holdout_back + usize::from(d.returned)),
            }
            match d.outcome {
                NudgeOutcome::Queued => counts.queued += 1,
                NudgeOutcome::HeldOut => counts.held_out += 1,
                NudgeOutcome::OptedOut => counts.opted_out += 1,
                NudgeOutcome::CapReached => counts.cap_reached += 1,
                NudgeOutcome::NoChannel => counts.no_channel += 1,
            }
        }
        use wayfinder_channels_rules::nudge::ArmFigure;
        let returns = compare_returns(ArmFigure::new(nudged, nudged_back), ArmFigure::new(holdout, holdout_back));
        Ok(NudgeEffect { rule: rule.into(), returns, decisions: counts })
    }

    /// Evaluates every organisation's rules, and sends last week's digests when they are due,
    /// every `every` until `stop` turns true.
    pub async fn run_nudges(self, every: std::time::Duration, stop: tokio::sync::watch::Receiver<bool>) {
        let work = |channels: Channels, org| async move {
            channels.evaluate_nudges(org, Utc::now()).await?;
            channels.send_digests(org, Utc::now()).await
        };
        self.every_organisation(every, stop, "nudges or digests were not sent", work).await;
    }

    /// Runs `work` for each organisation every `every` until `stop` turns true; a failure is
    /// logged as `failed` and the others go on.
    pub(crate) async fn every_organisation<T, F, Fut>(
        self,
        every: std::time::Duration,
        mut stop: tokio::sync::watch::Receiver<bool>,
        failed: &'static str,
        work: F,
    ) where
        F: Fn(Channels, OrgId) -> Fut,
        Fut: std::future::Future<Output = ChannelsResult<T>>,
    {
        loop {
            tokio::select! {
                _ = stop.wait_for(|s| *s) => return,
                _ = tokio::time::sleep(every) => {}
            }
            let orgs = match self.store.list_orgs().await {
                Ok(orgs) => orgs,
                Err(error) => {
                    tracing::warn!(%error, "{failed}");
                    continue;
                }
            };
            for org in orgs {
                if let Err(error) = work(self.clone(), org.id).await {
                    tracing::warn!(%error, org = %org.id, "{failed}");
                }
            }
        }
    }
}

/// Now, to the millisecond the store keeps: what a write answers is what a read gives back.
pub(crate) fn stored_now() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now)
}

/// The outbox key of a rule's message about a candidate to one recipient.
fn nudge_key(rule: &NudgeRuleRecord, candidate: &NudgeCandidate, recipient: PersonId) -> String {
    format!("nudge:{}:{}:{}:{recipient}", rule.id, candidate.person, candidate.episode)
}

/// One message to address to a person.
pub(crate) struct Message<'a> {
    /// The e-mail subject, when it goes by e-mail.
    pub subject: &'a str,
    pub text: String,
    /// The outbox's idempotency key.
    pub key: String,
    /// The recipient's nudges this week, when their weekly cap applies (to nudges, not to
    /// alerts about someone else or steps of a sequence they are enrolled in).
    pub sent_this_week: Option<u32>,
}

impl Known {
    /// Everyone's reach preferences and linked accounts in the organisation.
    pub(crate) async fn load(channels: &Channels, org: OrgId) -> ChannelsResult<Known> {
        Ok(Known {
            preferences: channels.store.reach_preferences_of_org(org).await?,
            accounts: channels.store.channel_accounts_of_org(org).await?,
            queued: Default::default(),
            supervisors: Default::default(),
        })
    }
}

/// What an evaluation reads once for the whole organisation.
pub(crate) struct Known {
    preferences: std::collections::HashMap<PersonId, ReachPreferences>,
    accounts: std::collections::HashMap<PersonId, Vec<ChannelAccount>>,
    /// Nudges queued per person in the last seven days (counting this evaluation's).
    queued: std::collections::HashMap<PersonId, u32>,
    /// Each learner's coaches and parents (read when a rule alerts them).
    supervisors: std::collections::HashMap<PersonId, Vec<PersonId>>,
}

/// The account a nudge goes to: the preferred channel's when it is linked, else the one the
/// person wrote from last; an account that sent STOP only when nothing else is linked (then
/// the nudge is withheld as opted out).
fn reachable_account(accounts: &[ChannelAccount], preferred: Option<Channel>) -> Option<&ChannelAccount> {
    let messaging = || accounts.iter().filter(|a| a.channel.is_messaging());
    let open = || messaging().filter(|a| a.opted_out_at.is_none());
    preferred
        .and_then(|channel| open().find(|a| a.channel == channel))
        .or_else(|| open().max_by_key(|a| (a.last_inbound_at, a.linked_at)))
        .or_else(|| messaging().next())
}

fn limits(preferences: &ReachPreferences, zone: OrgTimeZone, opted_out: bool) -> NudgeLimits {
    let zone = preferences
        .time_zone
        .as_deref()
        .and_then(|name| name.parse::<chrono_tz::Tz>().ok())
        .unwrap_or_else(|| zone.name().parse().unwrap_or(chrono_tz::UTC));
    let time = |text: &Option<String>| text.as_deref().and_then(|t| NaiveTime::parse_from_str(t, "%H:%M").ok());
    let quiet = match (time(&preferences.quiet_start), time(&preferences.quiet_end)) {
        (Some(start), Some(end)) => QuietHours { start, end },
        _ => QuietHours {
            start: NaiveTime::from_hms_opt(DEFAULT_QUIET.0, 0, 0).unwrap_or_default(),
            end: NaiveTime::from_hms_opt(DEFAULT_QUIET.1, 0, 0).unwrap_or_default(),
        },
    };
    let weekly_cap = preferences.weekly_cap.and_then(|c| u32::try_from(c).ok()).unwrap_or(DEFAULT_WEEKLY_CAP);
    NudgeLimits { zone, quiet: Some(quiet), weekly_cap, opted_out }
}

fn checked_rule(
    id: NudgeRuleId,
    org: OrgId,
    spec: NudgeRuleSpec,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
) -> ChannelsResult<NudgeRuleRecord> {
    let invalid = |field: &str, message: &str| ChannelsError::Invalid { field: field.into(), message: message.into() };
    let name = spec.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 120 {
        return Err(invalid("name", "must be 1 to 120 characters"));
    }
    if !(1..=365).contains(&spec.days) {
        return Err(invalid("days", "must be between 1 and 365"));
    }
    let message = spec.message.trim().to_string();
    if message.is_empty() || message.chars().count() > 1000 {
        return Err(invalid("message", "must be 1 to 1000 characters"));
    }
    for (field, text) in [("message", Some(&message)), ("alert_message", spec.alert_message.as_ref())] {
        if let Some(unknown) = text.and_then(|t| unknown_placeholder(t)) {
            let known = PLACEHOLDERS.join(", ");
            return Err(invalid(field, &format!("{unknown} is not a placeholder; use {known}")));
        }
    }
    let audience = spec.audience.unwrap_or(Audience::Learner);
    let alert_message = spec.alert_message.map(|m| m.trim().to_string()).filter(|m| !m.is_empty());
    if alert_message.as_ref().is_some_and(|m| m.chars().count() > 1000) {
        return Err(invalid("alert_message", "must be at most 1000 characters"));
    }
    if audience.reaches_supervisors() && alert_message.is_none() {
        return Err(invalid("alert_message", "is needed when the rule alerts coaches and parents"));
    }
    let holdout_share = spec.holdout_share.unwrap_or(0.1);
    if !(0.0..=0.9).contains(&holdout_share) {
        return Err(invalid("holdout_share", "must be between 0 and 0.9"));
    }
    Ok(NudgeRuleRecord {
        id,
        org,
        name,
        trigger: spec.trigger,
        days: spec.days,
        message,
        audience,
        alert_message,
        holdout_share,
        active: spec.active.unwrap_or(true),
        created_at,
        updated_at,
    })
}

fn not_found(e: StoreError) -> ChannelsError {
    match e {
        StoreError::NotFound => ChannelsError::NotFound("nudge rule"),
        other => other.into(),
    }
}

/// A person's reach preferences as the API shows and takes them.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReachSettings {
    /// An IANA time zone (default: the organisation's).
    pub time_zone: Option<String>,
    /// Quiet hours, local `HH:MM` (default 21:00 to 08:00).
    pub quiet_start: Option<String>,
    pub quiet_end: Option<String>,
    /// Nudges in seven days at most, 0 to 21 (default 3).
    #[schema(minimum = 0, maximum = 21)]
    pub weekly_cap: Option<i64>,
    /// Where nudges go when several accounts are linked.
    pub preferred_channel: Option<Channel>,
}

impl Channels {
    pub async fn reach_settings(&self, org: OrgId, person: PersonId) -> ChannelsResult<ReachSettings> {
        let p = self.store.reach_preferences(org, person).await?.unwrap_or_default();
        Ok(ReachSettings {
            time_zone: p.time_zone,
            quiet_start: p.quiet_start,
            quiet_end: p.quiet_end,
            weekly_cap: p.weekly_cap,
            preferred_channel: p.preferred_channel,
        })
    }

    pub async fn set_reach_settings(
        &self,
        org: OrgId,
        person: PersonId,
        s: ReachSettings,
    ) -> ChannelsResult<ReachSettings> {
        let invalid =
            |field: &str, message: &str| ChannelsError::Invalid { field: field.into(), message: message.into() };
        if let Some(zone) = &s.time_zone
            && zone.parse::<chrono_tz::Tz>().is_err()
        {
            return Err(invalid("time_zone", "must be an IANA time zone such as Europe/Berlin"));
        }
        for (field, value) in [("quiet_start", &s.quiet_start), ("quiet_end", &s.quiet_end)] {
            if value.as_deref().is_some_and(|t| NaiveTime::parse_from_str(t, "%H:%M").is_err()) {
                return Err(invalid(field, "must be a local time HH:MM"));
            }
        }
        if s.quiet_start.is_some() != s.quiet_end.is_some() {
            return Err(invalid("quiet_end", "quiet hours need both their start and their end"));
        }
        if s.weekly_cap.is_some_and(|c| !(0..=21).contains(&c)) {
            return Err(invalid("weekly_cap", "must be between 0 and 21"));
        }
        if s.preferred_channel.is_some_and(|c| !c.is_messaging()) {
            return Err(invalid("preferred_channel", "must be telegram or whatsapp"));
        }
        let stored = ReachPreferences {
            time_zone: s.time_zone.clone(),
            quiet_start: s.quiet_start.clone(),
            quiet_end: s.quiet_end.clone(),
            weekly_cap: s.weekly_cap,
            preferred_channel: s.preferred_channel,
        };
        self.store.put_reach_preferences(org, person, &stored).await?;
        Ok(s)
    }
}
