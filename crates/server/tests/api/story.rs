//! The first-run story: an operator sets up the instance, creates an
//! organisation, invites people, relates them, and each sees what
//! docs/PERMISSIONS.md says.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;
use std::collections::BTreeSet;

async fn each_role_sees_what_the_policy_says(backend: Backend) {
    let w = World::build(backend).await;
    let a = &w.org_a;
    let ids = |v: &[&Member]| v.iter().map(|m| m.id.clone()).collect::<BTreeSet<_>>();

    // Admin sees every member of A (the operator who created A is an admin too).
    let (status, all) = w.admin.client.get(&format!("/orgs/{a}/members")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(all.as_array().unwrap().len(), 7, "{all}");

    let cases: [(&Member, Vec<&Member>); 5] = [
        (&w.manager, vec![&w.manager, &w.coach, &w.learner]),
        (&w.coach, vec![&w.coach, &w.learner, &w.manager]),
        (&w.parent, vec![&w.parent, &w.learner]),
        (&w.learner, vec![&w.learner, &w.coach, &w.parent]),
        (&w.other_learner, vec![&w.other_learner]),
    ];
    for (who, expected) in cases {
        let (status, list) = who.client.get(&format!("/orgs/{a}/members")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(member_ids(&list), ids(&expected), "members visible to {}", who.id);
    }

    // The learner's record: visible to their coach, parent and manager; not to the other learner.
    for who in [&w.coach, &w.parent, &w.manager, &w.learner, &w.admin] {
        let (status, body) = who.client.get(&format!("/orgs/{a}/members/{}", w.learner.id)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["role"], "learner");
    }
    assert_error(
        w.other_learner.client.get(&format!("/orgs/{a}/members/{}", w.learner.id)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    // The unassigned learner is invisible to coach, parent and manager.
    for who in [&w.coach, &w.parent, &w.manager] {
        assert_error(
            who.client.get(&format!("/orgs/{a}/members/{}", w.other_learner.id)).await,
            StatusCode::NOT_FOUND,
            "not_found",
        );
    }

    // Relationships: the parent sees only their own link.
    let (_, rels) = w.parent.client.get(&format!("/orgs/{a}/relationships")).await;
    assert_eq!(rels.as_array().unwrap().len(), 1, "{rels}");
    assert_eq!(rels[0]["kind"], "parent_learner");
    let (_, rels) = w.manager.client.get(&format!("/orgs/{a}/relationships")).await;
    assert_eq!(rels.as_array().unwrap().len(), 2, "manager sees manager→coach and coach→learner: {rels}");
    let (_, rels) = w.admin.client.get(&format!("/orgs/{a}/relationships")).await;
    assert_eq!(rels.as_array().unwrap().len(), 3);

    // Each person's /me lists exactly their organisation and role.
    let (_, me) = w.coach.client.get("/me").await;
    assert_eq!(me["memberships"].as_array().unwrap().len(), 1);
    assert_eq!(me["memberships"][0]["role"], "coach");
    assert_eq!(me["memberships"][0]["organisation"]["id"], a.as_str());
    assert_eq!(me["authenticated_by"], "session");

    // Only the admin manages; the others are refused.
    for who in [&w.manager, &w.coach, &w.parent, &w.learner] {
        assert_error(
            who.client
                .post(&format!("/orgs/{a}/invitations"), json!({ "email": "x@north.example", "role": "learner" }))
                .await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
    }

    // Changing the coach into a learner ends the relationships that no longer fit.
    let (status, body) =
        w.admin.client.patch(&format!("/orgs/{a}/members/{}", w.coach.id), json!({ "role": "learner" })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["role"], "learner");
    let (_, rels) = w.admin.client.get(&format!("/orgs/{a}/relationships")).await;
    assert_eq!(rels.as_array().unwrap().len(), 1, "only parent→learner is left: {rels}");
    let (_, list) = w.manager.client.get(&format!("/orgs/{a}/members")).await;
    assert_eq!(member_ids(&list), ids(&[&w.manager]), "the manager no longer oversees anyone");

    // The audit log recorded the story.
    let (status, events) = w.admin.client.get(&format!("/orgs/{a}/audit")).await;
    assert_eq!(status, StatusCode::OK);
    let actions: BTreeSet<String> =
        events.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap().to_string()).collect();
    for expected in
        ["org.created", "invitation.created", "invitation.accepted", "relationship.created", "member.role_changed"]
    {
        assert!(actions.contains(expected), "missing {expected} in {actions:?}");
    }
}

async fn an_existing_person_joins_a_second_organisation(backend: Backend) {
    let w = World::build(backend).await;
    // B's admin invites A's learner; accepting needs their existing password.
    let (status, body) = w
        .admin_b
        .client
        .post(&format!("/orgs/{}/invitations", w.org_b), json!({ "email": "learner@north.example", "role": "coach" }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let token = body["token"].as_str().unwrap().to_string();
    assert!(body["accept_url"].as_str().unwrap().starts_with("http://wayfinder.test/invite/wfi_"));

    let anonymous = w.app.client();
    let (status, preview) = anonymous.get(&format!("/invitations/{token}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(preview["account_exists"], true);
    assert_eq!(preview["organisation"]["slug"], "south-high");

    assert_error(
        anonymous.post("/invitations/accept", json!({ "token": token, "password": "wrong-password-entirely" })).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    );
    let (status, body) = anonymous.post("/invitations/accept", json!({ "token": token, "password": PASSWORD })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["person"]["id"], w.learner.id.as_str());

    let (_, me) = w.learner.client.get("/me").await;
    let roles: BTreeSet<String> =
        me["memberships"].as_array().unwrap().iter().map(|m| m["role"].as_str().unwrap().to_string()).collect();
    assert_eq!(roles, BTreeSet::from(["learner".to_string(), "coach".to_string()]));

    // A used invitation cannot be used again.
    assert_error(
        anonymous.post("/invitations/accept", json!({ "token": token, "password": PASSWORD })).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
}

async fn revoked_invitations_cannot_be_accepted(backend: Backend) {
    let w = World::build(backend).await;
    let (_, body) = w
        .admin
        .client
        .post(&format!("/orgs/{}/invitations", w.org_a), json!({ "email": "late@north.example", "role": "learner" }))
        .await;
    let (id, token) = (body["invitation"]["id"].as_str().unwrap(), body["token"].as_str().unwrap());
    let (status, _) = w.admin.client.delete(&format!("/orgs/{}/invitations/{id}", w.org_a)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, list) = w.admin.client.get(&format!("/orgs/{}/invitations", w.org_a)).await;
    let revoked = list.as_array().unwrap().iter().find(|i| i["id"] == id).unwrap();
    assert_eq!(revoked["status"], "revoked");
    let before = w.app.row_counts().await;
    assert_error(
        w.app
            .client()
            .post("/invitations/accept", json!({ "token": token, "password": PASSWORD, "display_name": "Late" }))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_eq!(w.app.row_counts().await, before);
}

async fn the_last_admin_cannot_leave(backend: Backend) {
    let w = World::build(backend).await;
    let b = &w.org_b;
    // B has two admins: the operator who created it and admin_b. Remove the operator's membership first.
    let (_, me) = w.operator.get("/me").await;
    let operator_id = me["person"]["id"].as_str().unwrap().to_string();
    let (status, _) = w.admin_b.client.delete(&format!("/orgs/{b}/members/{operator_id}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_error(
        w.admin_b.client.patch(&format!("/orgs/{b}/members/{}", w.admin_b.id), json!({ "role": "coach" })).await,
        StatusCode::CONFLICT,
        "last_admin",
    );
    assert_error(
        w.admin_b.client.delete(&format!("/orgs/{b}/members/{}", w.admin_b.id)).await,
        StatusCode::CONFLICT,
        "last_admin",
    );
    // The operator still administers B without being a member.
    let (status, body) = w.operator.get(&format!("/orgs/{b}/members")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, org) = w.operator.get(&format!("/orgs/{b}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(org["role"], serde_json::Value::Null);
}

wayfinder_testing::on_both_backends!(
    each_role_sees_what_the_policy_says,
    an_existing_person_joins_a_second_organisation,
    revoked_invitations_cannot_be_accepted,
    the_last_admin_cannot_leave,
);
