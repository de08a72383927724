//! Daily budgets for model use, per organisation and per person, in tokens and in cost. Pure
//! arithmetic over today's limits and usage; the server sums the usage and checks before calling
//! the model. A limit is reached when usage is at or above it, so a limit of 0 blocks all use and
//! `None` means unlimited. The organisation is checked before the person (when the organisation is
//! out, nothing the person does helps, and the message should say so), tokens before cost.
//! Costs are integers in millionths of the organisation's billing currency, so sums are exact.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Whose budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BudgetScope {
    /// The whole organisation's.
    Org,
    /// One person's.
    Person,
}

/// What is limited.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BudgetKind {
    /// Prompt plus completion tokens.
    Tokens,
    /// Money, in millionths of the billing currency.
    Cost,
}

/// Daily limits of one scope; `None` is unlimited.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyLimit {
    /// Tokens per day.
    pub tokens: Option<u64>,
    /// Cost per day in millionths of the billing currency (5.00 is 5_000_000).
    pub cost_micros: Option<u64>,
}

/// Today's usage of one scope.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyUsage {
    /// Tokens used today.
    pub tokens: u64,
    /// Cost incurred today, in millionths of the billing currency.
    pub cost_micros: u64,
}

/// Today's limits and usage for the organisation and the person asking.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetCheck {
    /// The organisation's limits.
    pub org_limit: DailyLimit,
    /// The organisation's usage today.
    pub org_used: DailyUsage,
    /// The person's limits.
    pub person_limit: DailyLimit,
    /// The person's usage today.
    pub person_used: DailyUsage,
}

/// A daily limit that has been reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error, Serialize, Deserialize)]
#[error("{}", self.message())]
pub struct BudgetExceeded {
    /// Whose limit.
    pub scope: BudgetScope,
    /// Which limit.
    pub kind: BudgetKind,
    /// The limit (tokens, or millionths of the currency).
    pub limit: u64,
    /// Usage today, in the same unit.
    pub used: u64,
}

impl BudgetCheck {
    /// `Ok` when another request may go to the model, else the first limit reached.
    pub fn check(&self) -> Result<(), BudgetExceeded> {
        let scopes = [
            (BudgetScope::Org, self.org_limit, self.org_used),
            (BudgetScope::Person, self.person_limit, self.person_used),
        ];
        for (scope, limit, used) in scopes {
            for (kind, limit, used) in [
                (BudgetKind::Tokens, limit.tokens, used.tokens),
                (BudgetKind::Cost, limit.cost_micros, used.cost_micros),
            ] {
                if let Some(limit) = limit
                    && used >= limit
                {
                    return Err(BudgetExceeded { scope, kind, limit, used });
                }
            }
        }
        Ok(())
    }

    /// Tokens left today under the tighter of the two token limits (`None` when neither is set);
    /// the server can cap a completion's `max_tokens` with it.
    pub fn remaining_tokens(&self) -> Option<u64> {
        let org = self.org_limit.tokens.map(|l| l.saturating_sub(self.org_used.tokens));
        let person = self.person_limit.tokens.map(|l| l.saturating_sub(self.person_used.tokens));
        match (org, person) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

impl BudgetExceeded {
    /// A stable machine-readable code, e.g. `person_token_budget_exceeded`.
    pub fn code(&self) -> &'static str {
        match (self.scope, self.kind) {
            (BudgetScope::Org, BudgetKind::Tokens) => "org_token_budget_exceeded",
            (BudgetScope::Org, BudgetKind::Cost) => "org_cost_budget_exceeded",
            (BudgetScope::Person, BudgetKind::Tokens) => "person_token_budget_exceeded",
            (BudgetScope::Person, BudgetKind::Cost) => "person_cost_budget_exceeded",
        }
    }

    /// What to tell the person, with the numbers.
    pub fn message(&self) -> String {
        let who = match self.scope {
            BudgetScope::Org => "Your organisation has reached its",
            BudgetScope::Person => "You have reached your",
        };
        let what = match self.kind {
            BudgetKind::Tokens => {
                format!(
                    "daily limit for the AI coach ({} of {} tokens used)",
                    thousands(self.used),
                    thousands(self.limit)
                )
            }
            BudgetKind::Cost => {
                format!("daily spending limit for the AI coach ({} of {} used)", money(self.used), money(self.limit))
            }
        };
        format!("{who} {what}. It resets tomorrow; an administrator can raise the limit.")
    }
}

/// `1234567` → `"1,234,567"`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Millionths as a decimal with at least two places and no trailing zeros beyond them:
/// `5_000_000` → `"5.00"`, `1_500` → `"0.0015"`.
fn money(micros: u64) -> String {
    let fraction = format!("{:06}", micros % 1_000_000);
    let fraction = fraction.trim_end_matches('0');
    let fraction = if fraction.len() < 2 { format!("{fraction:0<2}") } else { fraction.to_string() };
    format!("{}.{fraction}", micros / 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_people_write_them() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(money(5_000_000), "5.00");
        assert_eq!(money(5_120_000), "5.12");
        assert_eq!(money(1_500), "0.0015");
        assert_eq!(money(10), "0.00001");
    }
}
