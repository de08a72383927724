//! The accounts service under concurrency: two admins stepping down, or
//! demoting or removing each other, at the same moment must never leave an
//! organisation without an admin.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

const ROUNDS: usize = 20;

/// What the two admins of a round do to the organisation at the same moment.
#[derive(Clone, Copy, Debug)]
enum Race {
    /// Each demotes themself to learner.
    BothStepDown,
    /// Each removes themself.
    BothLeave,
    /// Each demotes the other.
    DemoteEachOther,
    /// Each removes the other.
    RemoveEachOther,
}

impl Race {
    const ALL: [Race; 4] = [Race::BothStepDown, Race::BothLeave, Race::DemoteEachOther, Race::RemoveEachOther];

    /// The request `actor` sends, with the status it gets when it succeeds.
    async fn send(self, actor: &Client, org: &str, me: &str, other: &str) -> ((StatusCode, Value), StatusCode) {
        let target = match self {
            Race::BothStepDown | Race::BothLeave => me,
            Race::DemoteEachOther | Race::RemoveEachOther => other,
        };
        let path = format!("/orgs/{org}/members/{target}");
        match self {
            Race::BothStepDown | Race::DemoteEachOther => {
                (actor.patch(&path, json!({ "role": "learner" })).await, StatusCode::OK)
            }
            Race::BothLeave | Race::RemoveEachOther => (actor.delete(&path).await, StatusCode::NO_CONTENT),
        }
    }

    /// Whether the refused request may also have been turned away because the
    /// other change had already taken the actor's own admin role (or
    /// membership) before the request was authorised.
    fn actor_may_lose_rights_first(self) -> bool {
        matches!(self, Race::DemoteEachOther | Race::RemoveEachOther)
    }
}

async fn admins_of(operator: &Client, org: &str) -> Vec<String> {
    let (status, members) = operator.get(&format!("/orgs/{org}/members")).await;
    assert_eq!(status, StatusCode::OK, "{members}");
    members
        .as_array()
        .expect("a list")
        .iter()
        .filter(|m| m["role"] == "admin")
        .map(|m| m["person"]["id"].as_str().unwrap().to_string())
        .collect()
}

async fn concurrent_changes_keep_an_admin(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let operator = app.operator().await;
    let (_, me) = operator.get("/me").await;
    let operator_id = me["person"]["id"].as_str().unwrap().to_string();
    let mut refused_as_last_admin = 0;
    for round in 0..ROUNDS {
        let race = Race::ALL[round % Race::ALL.len()];
        let (status, body) = operator.post("/orgs", json!({ "slug": format!("race-{round}"), "name": "Race" })).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let org = body["organisation"]["id"].as_str().unwrap().to_string();
        let (first, first_id) = app.invite(&operator, &org, &format!("a{round}@race.example"), "admin").await;
        let (second, second_id) = app.invite(&operator, &org, &format!("b{round}@race.example"), "admin").await;
        // The operator created the organisation as its admin; leave so exactly two admins remain.
        let (status, body) = operator.delete(&format!("/orgs/{org}/members/{operator_id}")).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
        assert_eq!(admins_of(&operator, &org).await.len(), 2);

        let (a, b) = tokio::join!(
            race.send(&first, &org, &first_id, &second_id),
            race.send(&second, &org, &second_id, &first_id),
        );
        let outcomes = [a, b];
        let succeeded = outcomes.iter().filter(|((status, _), ok)| status == ok).count();
        assert_eq!(succeeded, 1, "round {round} ({race:?}): exactly one change must succeed: {outcomes:?}");
        let ((status, body), _) = outcomes.into_iter().find(|((status, _), ok)| status != ok).unwrap();
        let code = body["error"]["code"].as_str().unwrap_or_default().to_string();
        if code == "last_admin" {
            assert_eq!(status, StatusCode::CONFLICT, "{body}");
            refused_as_last_admin += 1;
        } else {
            assert!(
                race.actor_may_lose_rights_first()
                    && matches!(
                        (status, code.as_str()),
                        (StatusCode::FORBIDDEN, "forbidden") | (StatusCode::NOT_FOUND, "not_found")
                    ),
                "round {round} ({race:?}): refused with {status} {body}"
            );
        }
        let admins = admins_of(&operator, &org).await;
        assert_eq!(admins.len(), 1, "round {round} ({race:?}): the organisation must keep one admin");
        assert!(admins[0] == first_id || admins[0] == second_id);
    }
    // Both stepping down can only be refused as last admin: at least those rounds counted.
    assert!(refused_as_last_admin >= ROUNDS / 2, "only {refused_as_last_admin} refusals were last_admin");
}

wayfinder_testing::on_both_backends!(concurrent_changes_keep_an_admin);
