//! Which of the coach's domains a question belongs to, so the main retrieval can be narrowed to
//! them. Without a model, a first retrieval over the coach's collections (no domain filter) votes:
//! each hit gives `1 / (RANK_OFFSET + rank) × (0.5 + 0.5 × score / best score)` to its domains
//! (split evenly when it has several), counting only domains in the coach's list. Then:
//!
//! - the leading domain alone when it holds at least [`SINGLE_SHARE`] of the votes;
//! - the two leading domains when together they hold at least [`PAIR_SHARE`];
//! - otherwise every coach domain, with `confident: false` (no narrowing).
//!
//! At least [`MIN_VOTERS`] hits must carry a coach domain before anything is narrowed: one tagged
//! hit among untagged ones is not evidence. The shares are set so that a clear majority narrows
//! (top-heavy rank weights make 0.6 roughly "the top three hits agree") while a split between two
//! related domains keeps both rather than guessing; missing an answer to over-narrowing costs more
//! than searching a little wider.
//!
//! A coach with no domains is not routed: `domains` is empty, meaning "do not filter by domain".

use serde::{Deserialize, Serialize};

use crate::Role;
use crate::text::total;

/// The leading domain alone is chosen from this share of the votes.
pub const SINGLE_SHARE: f32 = 0.6;

/// The two leading domains are chosen from this combined share.
pub const PAIR_SHARE: f32 = 0.8;

/// Hits carrying a coach domain needed before narrowing.
pub const MIN_VOTERS: usize = 2;

/// Added to the 1-based rank in the vote weight, so the top hit does not outvote all the rest.
const RANK_OFFSET: f32 = 2.0;

/// Where to look.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Routing {
    /// Domains to filter retrieval by; empty means no domain filter.
    pub domains: Vec<String>,
    /// Whether the choice narrowed the coach's domains on evidence (false for a fallback).
    pub confident: bool,
    /// Each coach domain's share of the votes, largest first (empty when a model routed).
    pub shares: Vec<(String, f32)>,
}

impl Routing {
    fn fallback(coach_domains: &[String], shares: Vec<(String, f32)>) -> Self {
        Routing { domains: coach_domains.to_vec(), confident: false, shares }
    }
}

/// Routes by the domains of a first retrieval's hits: `votes` are `(domains of the hit, its
/// score, its 1-based rank)`.
pub fn route_domains(coach_domains: &[String], votes: &[(Vec<String>, f32, usize)]) -> Routing {
    if coach_domains.is_empty() {
        return Routing { domains: Vec::new(), confident: false, shares: Vec::new() };
    }
    let best = votes.iter().map(|(_, score, _)| *score).fold(0.0_f32, f32::max);
    let mut tally = vec![0.0_f32; coach_domains.len()];
    let mut voters = 0;
    for (domains, score, rank) in votes {
        let mut known: Vec<usize> =
            domains.iter().filter_map(|d| coach_domains.iter().position(|c| same_domain(c, d))).collect();
        known.sort_unstable();
        known.dedup();
        if known.is_empty() {
            continue;
        }
        voters += 1;
        let strength = if best > 0.0 { 0.5 + 0.5 * (score / best).clamp(0.0, 1.0) } else { 1.0 };
        let weight = strength / (RANK_OFFSET + (*rank).max(1) as f32);
        for i in &known {
            tally[*i] += weight / known.len() as f32;
        }
    }
    let all = total(tally.iter().copied());
    let mut shares: Vec<(String, f32)> =
        coach_domains.iter().zip(&tally).map(|(d, t)| (d.clone(), if all > 0.0 { t / all } else { 0.0 })).collect();
    // Stable: ties keep the coach's order.
    shares.sort_by(|a, b| b.1.total_cmp(&a.1));
    if voters < MIN_VOTERS || all <= 0.0 {
        return Routing::fallback(coach_domains, shares);
    }
    let top = shares[0].1;
    let second = shares.get(1).map_or(0.0, |s| s.1);
    let domains = if top >= SINGLE_SHARE {
        vec![shares[0].0.clone()]
    } else if top + second >= PAIR_SHARE {
        vec![shares[0].0.clone(), shares[1].0.clone()]
    } else {
        return Routing::fallback(coach_domains, shares);
    };
    Routing { domains, confident: true, shares }
}

fn same_domain(a: &str, b: &str) -> bool {
    normalise(a) == normalise(b)
}

/// Lowercase words separated by single spaces, so "Collaborative-Teams" matches "collaborative teams".
fn normalise(text: &str) -> String {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ").to_lowercase()
}

/// Messages asking a model which of `coach_domains` a question belongs to.
pub fn routing_prompt(question: &str, coach_domains: &[String]) -> Vec<(Role, String)> {
    let system = "You sort a learner's question into the knowledge domains of a coach. Reply with the names of \
                  the one or two domains the question belongs to, exactly as listed, separated by commas. If none \
                  fits, reply with: none. Do not explain.";
    let list: Vec<String> = coach_domains.iter().map(|d| format!("- {d}")).collect();
    let user = format!("Domains:\n{}\n\nQuestion: {}\n\nDomains:", list.join("\n"), question.trim());
    vec![(Role::System, system.to_string()), (Role::User, user)]
}

/// The coach domains named in a model's routing reply (case, punctuation and quotes ignored;
/// longer names matched first so "collaborative teams" is not read as "teams"), in the coach's
/// order. Names it does not know are ignored; a reply naming none ("none", an explanation) falls
/// back to every coach domain with `confident: false`.
pub fn parse_routing(model_output: &str, coach_domains: &[String]) -> Routing {
    if coach_domains.is_empty() {
        return Routing { domains: Vec::new(), confident: false, shares: Vec::new() };
    }
    let mut reply = format!(" {} ", normalise(model_output));
    let mut order: Vec<usize> = (0..coach_domains.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(normalise(&coach_domains[i]).len()));
    let mut found = vec![false; coach_domains.len()];
    for i in order {
        let name = normalise(&coach_domains[i]);
        if name.is_empty() {
            continue;
        }
        let needle = format!(" {name} ");
        if let Some(at) = reply.find(&needle) {
            found[i] = true;
            // Blank it out so a shorter name inside it does not match too; keep the spaces.
            reply.replace_range(at..at + needle.len(), &" ".repeat(needle.len()));
        }
    }
    let domains: Vec<String> = coach_domains.iter().zip(&found).filter(|(_, f)| **f).map(|(d, _)| d.clone()).collect();
    if domains.is_empty() {
        return Routing::fallback(coach_domains, Vec::new());
    }
    Routing { domains, confident: true, shares: Vec::new() }
}
