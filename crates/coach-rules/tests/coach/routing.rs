use wayfinder_coach_rules::{Role, parse_routing, route_domains, routing_prompt};

fn coach() -> Vec<String> {
    ["assessment", "collaborative teams", "feedback", "study skills"].iter().map(|s| s.to_string()).collect()
}

fn hit(domains: &[&str], rank: usize) -> (Vec<String>, f32, usize) {
    // Fused scores fall slowly with rank, as min-max normalised hybrid scores do.
    (domains.iter().map(|d| d.to_string()).collect(), 1.0 - 0.05 * rank as f32, rank)
}

#[test]
fn a_clear_majority_routes_to_one_domain() {
    let votes = vec![
        hit(&["feedback"], 1),
        hit(&["feedback"], 2),
        hit(&["feedback"], 3),
        hit(&["assessment"], 4),
        hit(&["feedback"], 5),
        hit(&["study skills"], 6),
    ];
    let routing = route_domains(&coach(), &votes);
    assert_eq!(routing.domains, vec!["feedback"]);
    assert!(routing.confident);
    assert_eq!(routing.shares[0].0, "feedback");
    assert!(routing.shares[0].1 >= 0.6);
    let total: f32 = routing.shares.iter().map(|s| s.1).sum();
    assert!((total - 1.0).abs() < 1e-4);
}

#[test]
fn two_leading_domains_are_both_kept() {
    let votes = vec![
        hit(&["assessment"], 1),
        hit(&["feedback"], 2),
        hit(&["assessment"], 3),
        hit(&["feedback"], 4),
        hit(&["assessment", "feedback"], 5),
    ];
    let routing = route_domains(&coach(), &votes);
    assert!(routing.confident);
    assert_eq!(routing.domains, vec!["assessment", "feedback"]);
}

#[test]
fn a_spread_of_domains_falls_back_to_all_of_them() {
    let votes = vec![
        hit(&["assessment"], 1),
        hit(&["feedback"], 2),
        hit(&["study skills"], 3),
        hit(&["collaborative teams"], 4),
    ];
    let routing = route_domains(&coach(), &votes);
    assert!(!routing.confident);
    assert_eq!(routing.domains, coach());
}

#[test]
fn rank_decides_more_than_count() {
    // Two hits at the top outweigh two at the bottom plus one more.
    let votes = vec![
        hit(&["study skills"], 1),
        hit(&["study skills"], 2),
        hit(&["feedback"], 8),
        hit(&["feedback"], 9),
        hit(&["feedback"], 10),
    ];
    let routing = route_domains(&coach(), &votes);
    assert_eq!(routing.shares[0].0, "study skills");
}

#[test]
fn domains_the_coach_does_not_have_are_ignored() {
    let votes = vec![
        hit(&["finance"], 1),
        hit(&["finance"], 2),
        hit(&["finance"], 3),
        hit(&["Feedback"], 4),
        hit(&["feedback"], 5),
        hit(&[], 6),
    ];
    let routing = route_domains(&coach(), &votes);
    assert_eq!(routing.domains, vec!["feedback"], "case-insensitive; finance is not the coach's");
    assert!(routing.shares.iter().all(|(d, _)| d != "finance"));
}

#[test]
fn one_tagged_hit_is_not_evidence() {
    let votes = vec![hit(&["feedback"], 1), hit(&[], 2), hit(&["finance"], 3)];
    let routing = route_domains(&coach(), &votes);
    assert!(!routing.confident);
    assert_eq!(routing.domains, coach());
    assert!(!route_domains(&coach(), &[]).confident);
}

#[test]
fn a_coach_without_domains_is_not_routed() {
    let routing = route_domains(&[], &[hit(&["feedback"], 1), hit(&["feedback"], 2)]);
    assert!(routing.domains.is_empty());
    assert!(!routing.confident);
}

#[test]
fn the_model_is_given_the_domains_and_the_question() {
    let messages = routing_prompt("How do I grade group projects fairly?", &coach());
    assert_eq!(messages[0].0, Role::System);
    assert!(messages[0].1.contains("none"));
    for domain in coach() {
        assert!(messages[1].1.contains(&format!("- {domain}")));
    }
    assert!(messages[1].1.contains("Question: How do I grade group projects fairly?"));
}

#[test]
fn model_replies_are_matched_to_the_coach_domains() {
    let coach = coach();
    assert_eq!(parse_routing("Assessment", &coach).domains, vec!["assessment"]);
    assert_eq!(
        parse_routing("**Collaborative Teams**, feedback.", &coach).domains,
        vec!["collaborative teams", "feedback"]
    );
    assert_eq!(parse_routing("Domains: assessment, grading", &coach).domains, vec!["assessment"]);
    assert!(parse_routing("\"study-skills\"", &coach).confident);
}

#[test]
fn a_longer_domain_name_is_not_also_read_as_a_shorter_one() {
    let coach: Vec<String> = vec!["teams".into(), "collaborative teams".into()];
    assert_eq!(parse_routing("collaborative teams", &coach).domains, vec!["collaborative teams"]);
    assert_eq!(parse_routing("teams, collaborative teams", &coach).domains, vec!["teams", "collaborative teams"]);
}

#[test]
fn a_reply_naming_no_domain_falls_back() {
    for reply in ["none", "", "I am not sure which domain this is.", "finance"] {
        let routing = parse_routing(reply, &coach());
        assert!(!routing.confident, "{reply:?}");
        assert_eq!(routing.domains, coach());
    }
    assert!(parse_routing("assessment", &[]).domains.is_empty());
}
