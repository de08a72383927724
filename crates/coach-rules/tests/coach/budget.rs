use wayfinder_coach_rules::{BudgetCheck, BudgetExceeded, BudgetKind, BudgetScope, DailyLimit, DailyUsage};

fn limits(tokens: Option<u64>, cost_micros: Option<u64>) -> DailyLimit {
    DailyLimit { tokens, cost_micros }
}

fn usage(tokens: u64, cost_micros: u64) -> DailyUsage {
    DailyUsage { tokens, cost_micros }
}

#[test]
fn usage_under_every_limit_is_ok() {
    let check = BudgetCheck {
        org_limit: limits(Some(100_000), Some(5_000_000)),
        org_used: usage(99_999, 4_999_999),
        person_limit: limits(Some(10_000), Some(500_000)),
        person_used: usage(9_999, 499_999),
    };
    assert_eq!(check.check(), Ok(()));
}

#[test]
fn no_limits_means_unlimited() {
    let check =
        BudgetCheck { org_used: usage(u64::MAX, u64::MAX), person_used: usage(u64::MAX, 1), ..Default::default() };
    assert_eq!(check.check(), Ok(()));
    assert_eq!(check.remaining_tokens(), None);
}

#[test]
fn reaching_a_limit_exactly_exceeds_it() {
    let check =
        BudgetCheck { org_limit: limits(Some(100_000), None), org_used: usage(100_000, 0), ..Default::default() };
    assert_eq!(
        check.check(),
        Err(BudgetExceeded { scope: BudgetScope::Org, kind: BudgetKind::Tokens, limit: 100_000, used: 100_000 })
    );
}

#[test]
fn a_zero_limit_blocks_all_use() {
    let check = BudgetCheck { person_limit: limits(None, Some(0)), ..Default::default() };
    let exceeded = check.check().unwrap_err();
    assert_eq!((exceeded.scope, exceeded.kind), (BudgetScope::Person, BudgetKind::Cost));
}

#[test]
fn the_person_s_cost_limit_is_enforced() {
    let check = BudgetCheck {
        org_limit: limits(Some(1_000_000), Some(50_000_000)),
        org_used: usage(20_000, 1_000_000),
        person_limit: limits(Some(50_000), Some(500_000)),
        person_used: usage(12_000, 512_300),
    };
    let exceeded = check.check().unwrap_err();
    assert_eq!(
        exceeded,
        BudgetExceeded { scope: BudgetScope::Person, kind: BudgetKind::Cost, limit: 500_000, used: 512_300 }
    );
    assert_eq!(exceeded.code(), "person_cost_budget_exceeded");
    assert_eq!(
        exceeded.to_string(),
        "You have reached your daily spending limit for the AI coach (0.5123 of 0.50 used). It resets tomorrow; \
         an administrator can raise the limit."
    );
}

#[test]
fn the_organisation_is_checked_before_the_person() {
    let check = BudgetCheck {
        org_limit: limits(None, Some(5_000_000)),
        org_used: usage(0, 5_120_000),
        person_limit: limits(Some(1_000), None),
        person_used: usage(2_000, 0),
    };
    let exceeded = check.check().unwrap_err();
    assert_eq!((exceeded.scope, exceeded.kind), (BudgetScope::Org, BudgetKind::Cost));
    assert_eq!(exceeded.code(), "org_cost_budget_exceeded");
    assert!(exceeded.message().starts_with("Your organisation has reached its daily spending limit"));
    assert!(exceeded.message().contains("(5.12 of 5.00 used)"));
}

#[test]
fn token_messages_show_readable_numbers() {
    let exceeded =
        BudgetExceeded { scope: BudgetScope::Person, kind: BudgetKind::Tokens, limit: 100_000, used: 123_456 };
    assert_eq!(exceeded.code(), "person_token_budget_exceeded");
    assert!(exceeded.message().contains("(123,456 of 100,000 tokens used)"), "{}", exceeded.message());
    let org = BudgetExceeded { scope: BudgetScope::Org, ..exceeded };
    assert_eq!(org.code(), "org_token_budget_exceeded");
}

#[test]
fn remaining_tokens_follow_the_tighter_limit() {
    let check = BudgetCheck {
        org_limit: limits(Some(100_000), None),
        org_used: usage(95_000, 0),
        person_limit: limits(Some(20_000), None),
        person_used: usage(12_000, 0),
    };
    assert_eq!(check.remaining_tokens(), Some(5_000));
    let over = BudgetCheck { org_used: usage(150_000, 0), ..check };
    assert_eq!(over.remaining_tokens(), Some(0));
    let person_only = BudgetCheck { org_limit: DailyLimit::default(), ..check };
    assert_eq!(person_only.remaining_tokens(), Some(8_000));
}
