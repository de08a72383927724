//! Rate limits over HTTP: a caller and an address over their limit are refused with
//! `429 rate_limited` and `Retry-After`, across two instances on one database; other callers,
//! other addresses and other kinds of request go on.

use crate::helpers::*;
use reqwest::{StatusCode, header::HeaderMap};
use serde_json::json;
use wayfinder_server::rate_limit::{RateLimit, RateLimits};

fn from(address: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("x-forwarded-for", address.parse().unwrap());
    headers
}

async fn limits_hold_across_instances(backend: Backend) {
    let settings = ServerSettings {
        trust_forwarded_for: true,
        rate_limits: RateLimits {
            search: RateLimit { per_caller: 4, per_ip: 0 },
            sign_in: RateLimit { per_caller: 0, per_ip: 3 },
            ..RateLimits::default()
        },
        ..test_settings()
    };
    let a = TestApp::spawn_with(backend, settings.clone()).await;
    let b = a.spawn_peer_with(settings).await;
    let w = World::build_on(a).await;
    let org = &w.org_a;
    let search = json!({ "org_id": org, "query": "anything" });
    // Four searches a minute for this caller, whichever instance answers them (two here, two
    // there); the fifth is refused on either, with the seconds to wait.
    let (learner_a, learner_b) = (w.learner.client.clone(), w.learner.client.rebased(&b));
    for client in [&learner_a, &learner_b, &learner_a, &learner_b] {
        let (status, body) = client.post("/search", search.clone()).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let window_open = chrono::Utc::now();
    for client in [&learner_a, &learner_b] {
        let (status, headers, body) =
            client.send_full(reqwest::Method::POST, "/search", Some(search.clone()), HeaderMap::new()).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited")));
        let wait: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=60).contains(&wait), "{wait}");
        let elapsed = (chrono::Utc::now() - window_open).num_seconds() as u64;
        assert!(wait <= 60 - elapsed.min(59), "the wait ends with the minute: {wait}");
    }
    // Another caller, and the same caller's other requests, go on.
    assert_eq!(w.other_learner.client.post("/search", search.clone()).await.0, StatusCode::OK);
    assert_eq!(learner_a.get("/me").await.0, StatusCode::OK);

    // Sign-in: three attempts a minute from one address, across both instances; another
    // address goes on (right password or not, the attempt counts).
    let login = json!({ "email": "learner@north.example", "password": PASSWORD });
    let anonymous = [w.app.client(), b.client()];
    for (i, client) in anonymous.iter().cycle().take(3).enumerate() {
        let (status, _, body) =
            client.send_full(reqwest::Method::POST, "/auth/login", Some(login.clone()), from("203.0.113.7")).await;
        assert_eq!(status, StatusCode::OK, "attempt {i}: {body}");
    }
    for client in &anonymous {
        let (status, headers, body) =
            client.send_full(reqwest::Method::POST, "/auth/login", Some(login.clone()), from("203.0.113.7")).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited")));
        assert!(headers.contains_key("retry-after"));
    }
    let (status, _, body) =
        anonymous[0].send_full(reqwest::Method::POST, "/auth/login", Some(login), from("198.51.100.2")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

wayfinder_testing::on_both_backends!(limits_hold_across_instances);
