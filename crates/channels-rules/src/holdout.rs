//! The holdout that shows whether nudges work: for each trigger rule a share
//! of people is never nudged, and the effect view compares them with the rest.
//! A person's arm is a hash of the rule and the person, so it stays the same
//! every time the rule fires, on every instance, without being stored first.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

/// Whether a rule nudges a person or holds them out.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, strum::Display, strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Arm {
    Nudged,
    Holdout,
}

/// The arm `person` is in for `rule` when `holdout_share` (0 to 1) of people are held out.
pub fn arm(rule: &str, person: &str, holdout_share: f64) -> Arm {
    let mut hasher = Sha256::new();
    hasher.update(rule.as_bytes());
    hasher.update([0]);
    hasher.update(person.as_bytes());
    let digest = hasher.finalize();
    let first: [u8; 8] = digest[..8].try_into().expect("a SHA-256 digest has 32 bytes");
    // The first 64 bits as a fraction in [0, 1).
    let position = u64::from_be_bytes(first) as f64 / 2f64.powi(64);
    if position < holdout_share.clamp(0.0, 1.0) { Arm::Holdout } else { Arm::Nudged }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_person_keeps_their_arm_and_the_share_is_held_out() {
        let people: Vec<String> = (0..10_000).map(|i| format!("person-{i}")).collect();
        let held = people.iter().filter(|p| arm("rule-a", p, 0.10) == Arm::Holdout).count();
        // Binomial(10,000, 0.1): standard deviation 30; four of them either side.
        assert!((880..=1_120).contains(&held), "{held} held out");
        assert!(people.iter().all(|p| arm("rule-a", p, 0.10) == arm("rule-a", p, 0.10)));
        // Another rule draws its own holdout: the two overlap about as chance says (1 % of people).
        let both = people
            .iter()
            .filter(|p| arm("rule-a", p, 0.1) == Arm::Holdout && arm("rule-b", p, 0.1) == Arm::Holdout)
            .count();
        assert!((40..=160).contains(&both), "{both} in both holdouts");
        // A larger share holds out everyone a smaller one did.
        assert!(people.iter().all(|p| arm("rule-a", p, 0.1) == Arm::Nudged || arm("rule-a", p, 0.2) == Arm::Holdout));
        assert!(people.iter().all(|p| arm("rule-a", p, 0.0) == Arm::Nudged && arm("rule-a", p, 1.0) == Arm::Holdout));
    }
}
