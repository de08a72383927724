//! Alerts: rules an administrator sets, evaluated against the rollups at an
//! instant (every minute in the background, or on demand). A condition fires
//! once — recorded, delivered in the app to the organisation's administrators
//! (and, for a learner at risk, their coaches) in the same transaction — and
//! fires again only after it cleared. Further outlets (e-mail, messaging)
//! receive each fired alert through [`AlertOutlet`].

use crate::{Insights, InsightsError, InsightsResult};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::sync::Arc;
use utoipa::ToSchema;
use wayfinder_accounts_rules::{OrgId, PersonId, RelationshipKind, Role};
use wayfinder_insights_rules::alerts::{AlertKind, AlertRuleSpec, Measurements, conditions};
use wayfinder_insights_rules::{AlertRuleId, NotificationId};
use wayfinder_store::{AlertRecord, AlertRuleRecord, HeldCondition, NotificationRecord};

/// Another place fired alerts go besides the app (an e-mail sender, a messaging channel).
pub trait AlertOutlet: Send + Sync {
    /// Delivers one fired alert to the people it concerns; failures are the outlet's to log.
    fn deliver(&self, org: OrgId, alert: &Alert, recipients: &[PersonId]);
}

/// An alert rule.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AlertRule {
    pub id: String,
    pub kind: AlertKind,
    pub threshold: f64,
    pub min_count: i64,
    pub created_at: DateTime<Utc>,
}

impl From<AlertRuleRecord> for AlertRule {
    fn from(r: AlertRuleRecord) -> Self {
        AlertRule {
            id: r.id.to_string(),
            kind: r.kind,
            threshold: r.threshold,
            min_count: r.min_count,
            created_at: r.created_at,
        }
    }
}

/// A fired alert.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Alert {
    pub id: String,
    pub rule_id: String,
    pub kind: AlertKind,
    /// The person it is about, if any (a learner at risk, a person's cost).
    pub person_id: Option<String>,
    pub message: String,
    /// The measured figure (a share, an amount, a number of reasons).
    pub value: f64,
    pub fired_at: DateTime<Utc>,
    /// When its condition stopped holding (null: it still holds).
    pub cleared_at: Option<DateTime<Utc>>,
}

impl From<AlertRecord> for Alert {
    fn from(a: AlertRecord) -> Self {
        Alert {
            id: a.id.to_string(),
            rule_id: a.rule.to_string(),
            kind: a.kind,
            person_id: a.person.map(|p| p.to_string()),
            message: a.message,
            value: a.value,
            fired_at: a.fired_at,
            cleared_at: a.cleared_at,
        }
    }
}

/// An alert as delivered to one person in the app.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Notification {
    pub id: String,
    pub alert: Alert,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

impl From<NotificationRecord> for Notification {
    fn from(n: NotificationRecord) -> Self {
        Notification { id: n.id.to_string(), alert: n.alert.into(), created_at: n.created_at, read_at: n.read_at }
    }
}

/// Alerts listed at most.
const ALERTS_SHOWN: i64 = 200;

impl Insights {
    /// The same service handing fired alerts to `outlet` too.
    pub fn with_outlet(mut self, outlet: Arc<dyn AlertOutlet>) -> Insights {
        self.outlets.push(outlet);
        self
    }

    pub async fn alert_rules(&self, org: OrgId) -> InsightsResult<Vec<AlertRule>> {
        Ok(self.store.alert_rules(org).await?.into_iter().map(AlertRule::from).collect())
    }

    pub async fn add_alert_rule(&self, org: OrgId, spec: AlertRuleSpec, by: PersonId) -> InsightsResult<AlertRule> {
        let (kind, threshold, min_count) =
            spec.checked().map_err(|(field, message)| InsightsError::Invalid { field, message })?;
        Ok(self.store.add_alert_rule(org, kind, threshold, min_count, by).await?.into())
    }

    pub async fn remove_alert_rule(&self, org: OrgId, rule: AlertRuleId) -> InsightsResult<()> {
        Ok(self.store.remove_alert_rule(org, rule).await?)
    }

    /// The organisation's alerts, newest first.
    pub async fn alerts(&self, org: OrgId) -> InsightsResult<Vec<Alert>> {
        Ok(self.store.alerts(org, ALERTS_SHOWN).await?.into_iter().map(Alert::from).collect())
    }

    /// The alerts delivered to a person in the app, newest first.
    pub async fn notifications(&self, org: OrgId, person: PersonId) -> InsightsResult<Vec<Notification>> {
        Ok(self.store.notifications(org, person, ALERTS_SHOWN).await?.into_iter().map(Notification::from).collect())
    }

    pub async fn mark_notification_read(&self, org: OrgId, person: PersonId, id: NotificationId) -> InsightsResult<()> {
        Ok(self.store.mark_notification_read(org, person, id).await?)
    }

    /// Evaluates every rule of the organisation at `now`; answers the alerts that fired.
    pub async fn evaluate_alerts(&self, org: OrgId, now: DateTime<Utc>) -> InsightsResult<Vec<Alert>> {
        let rules = self.store.alert_rules(org).await?;
        if rules.is_empty() {
            return Ok(Vec::new());
        }
        let m = self.measure(org, &rules, now).await?;
        let admins = self.store.members_with_role(org, Role::Admin).await?;
        let relationships = self.store.list_relationships(org).await?;
        let coaches_of = |learner: PersonId| {
            relationships
                .iter()
                .filter(move |r| r.kind == RelationshipKind::CoachLearner && r.to_person == learner)
                .map(|r| r.from_person)
        };
        let mut fired = Vec::new();
        for rule in &rules {
            let held: Vec<HeldCondition> = conditions(rule.kind, rule.threshold, rule.min_count, &m)
                .into_iter()
                .map(|c| HeldCondition { key: c.key, person: c.person, value: c.value, message: c.message })
                .collect();
            let recipients = |c: &HeldCondition| -> Vec<PersonId> {
                let mut people = admins.clone();
                if rule.kind == AlertKind::LearnerAtRisk
                    && let Some(learner) = c.person
                {
                    people.extend(coaches_of(learner));
                }
                people.sort_unstable();
                people.dedup();
                people
            };
            for record in self.store.settle_alerts(org, rule, &held, now, recipients).await? {
                let people = held.iter().find(|c| c.key == record.condition_key).map(recipients).unwrap_or_default();
                let alert = Alert::from(record);
                for outlet in &self.outlets {
                    outlet.deliver(org, &alert, &people);
                }
                fired.push(alert);
            }
        }
        Ok(fired)
    }

    async fn measure(&self, org: OrgId, rules: &[AlertRuleRecord], now: DateTime<Utc>) -> InsightsResult<Measurements> {
        let zone = self.store.org_time_zone(org).await?;
        let today = zone.day_of(now);
        let (hour_ratings, hour_questions) =
            self.store.recent_ratings_and_refusals(org, now - Duration::hours(1), now).await?;
        let cost_today = self.store.org_days(org, today, today).await?.first().map_or(0.0, |d| d.cost);
        let wants = |k: AlertKind| rules.iter().any(|r| r.kind == k);
        let person_cost_today =
            if wants(AlertKind::PersonDailyCost) { self.store.person_costs_on(org, today).await? } else { Vec::new() };
        let at_risk = if wants(AlertKind::LearnerAtRisk) {
            let learners = self.store.members_with_role(org, Role::Learner).await?;
            self.risks(org, &learners, now)
                .await?
                .into_iter()
                .map(|(person, flags)| (person, flags.into_iter().map(|f| f.reason).collect()))
                .collect()
        } else {
            Vec::new()
        };
        Ok(Measurements { today, hour_ratings, hour_questions, cost_today, person_cost_today, at_risk })
    }

    /// Evaluates the rules of every organisation that has any, every `every`, until `shutdown`.
    pub async fn run_alerts(&self, every: std::time::Duration, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        loop {
            match self.store.orgs_with_alert_rules().await {
                Ok(orgs) => {
                    for org in orgs {
                        if let Err(error) = self.evaluate_alerts(org, Utc::now()).await {
                            tracing::error!(%error, %org, "alert rules could not be evaluated");
                        }
                    }
                }
                Err(error) => tracing::error!(%error, "the organisations with alert rules could not be read"),
            }
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = shutdown.changed() => return,
            }
        }
    }
}
