//! Placement: an adaptive intake that finds what a newcomer already knows of a program in a
//! handful of questions, using the prerequisite graph so one answer informs many concepts.
//!
//! The learner's knowledge is a *state*: the set of concepts they know, closed under
//! prerequisites (knowing a concept implies knowing what it requires). The posterior over states
//! is a weighted sample ("particles") drawn from a prior in which each learner has an ability and
//! deeper concepts are harder. An answer on a concept reweights every particle by how likely that
//! answer is in it — right with probability `1 − slip` when the concept is known, else with the
//! item's guessing chance — so a right answer raises the concept *and its prerequisites*, and a
//! wrong one lowers it *and what builds on it*.
//!
//! The next concept asked is the one whose answer is expected to remove the most uncertainty from
//! the whole program (the expected drop in the summed entropy of every concept's probability),
//! among the most uncertain candidates. The intake stops when every concept is settled (known or
//! unknown with probability at least [`SETTLED`]) or after [`MAX_PLACEMENT_ITEMS`].

/// The most questions a placement asks.
pub const MAX_PLACEMENT_ITEMS: usize = 15;
/// A concept is settled when its probability of being known is at least this, or at most one
/// minus this.
pub const SETTLED: f64 = 0.85;
/// Chance of a wrong answer on a known concept.
pub const SLIP: f64 = 0.1;
/// Sampled knowledge states.
const PARTICLES: usize = 4096;
/// Candidates whose expected information is computed exactly each step.
const SHORTLIST: usize = 8;

/// A small deterministic generator (xorshift64*), so a placement replays identically.
#[derive(Clone, Debug)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn normal(&mut self) -> f64 {
        let (u, v) = (self.unit().max(1e-12), self.unit());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn entropy(p: f64) -> f64 {
    if p <= 0.0 || p >= 1.0 { 0.0 } else { -(p * p.ln() + (1.0 - p) * (1.0 - p).ln()) }
}

/// Each concept's depth: the longest chain of prerequisites below it (roots are 0). `order` is a
/// topological order (prerequisites first).
fn depths(prerequisites: &[Vec<usize>], order: &[usize]) -> Vec<usize> {
    let mut depth = vec![0; prerequisites.len()];
    for &c in order {
        depth[c] = prerequisites[c].iter().map(|&p| depth[p] + 1).max().unwrap_or(0);
    }
    depth
}

/// A topological order of the concepts (prerequisites first), or None if the graph has a cycle.
pub fn topological_order(prerequisites: &[Vec<usize>]) -> Option<Vec<usize>> {
    let n = prerequisites.len();
    let mut dependants = vec![Vec::new(); n];
    let mut missing: Vec<usize> = prerequisites.iter().map(Vec::len).collect();
    for (c, required) in prerequisites.iter().enumerate() {
        for &p in required {
            dependants[p].push(c);
        }
    }
    let mut ready: Vec<usize> = (0..n).filter(|&c| missing[c] == 0).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(c) = ready.pop() {
        order.push(c);
        for &d in &dependants[c] {
            missing[d] -= 1;
            if missing[d] == 0 {
                ready.push(d);
            }
        }
    }
    (order.len() == n).then_some(order)
}

/// An intake in progress: the weighted sample of knowledge states and what was asked.
#[derive(Clone, Debug)]
pub struct Placement {
    concepts: usize,
    /// Particle-major: `known[i * concepts + c]`.
    known: Vec<bool>,
    weights: Vec<f64>,
    asked: Vec<usize>,
}

impl Placement {
    /// A fresh intake over a program whose concept `c` requires `prerequisites[c]` (indexes of
    /// the same program; the graph must be acyclic). `seed` fixes the sample.
    pub fn new(prerequisites: &[Vec<usize>], seed: u64) -> Option<Placement> {
        let n = prerequisites.len();
        let order = topological_order(prerequisites)?;
        let depth = depths(prerequisites, &order);
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        let mut known = vec![false; PARTICLES * n];
        for i in 0..PARTICLES {
            // Ability spread wide enough to hold beginners and experts alike. Given its
            // prerequisites, a concept is likely known and a little less so deeper down: long
            // chains (a book's sections in order) must keep states that know much of them.
            let ability = 2.0 * rng.normal();
            let row = &mut known[i * n..(i + 1) * n];
            for &c in &order {
                let ready = prerequisites[c].iter().all(|&p| row[p]);
                row[c] = ready && rng.unit() < sigmoid(ability + 2.0 - 0.15 * depth[c] as f64);
            }
        }
        Some(Placement { concepts: n, known, weights: vec![1.0 / PARTICLES as f64; PARTICLES], asked: Vec::new() })
    }

    /// The probability that the learner knows each concept.
    pub fn probabilities(&self) -> Vec<f64> {
        self.probabilities_under(&self.weights)
    }

    /// Each concept's probability of being known if the sample had `weights`.
    fn probabilities_under(&self, weights: &[f64]) -> Vec<f64> {
        let n = self.concepts;
        let mut p = vec![0.0; n];
        for (i, w) in weights.iter().enumerate() {
            for (c, slot) in p.iter_mut().enumerate() {
                if self.known[i * n + c] {
                    *slot += w;
                }
            }
        }
        p
    }

    /// The concepts asked so far, in order.
    pub fn asked(&self) -> &[usize] {
        &self.asked
    }

    /// Whether to stop: every concept settled, or the most questions asked.
    pub fn is_done(&self) -> bool {
        self.asked.len() >= MAX_PLACEMENT_ITEMS
            || self.probabilities().iter().all(|&p| p >= SETTLED || p <= 1.0 - SETTLED)
    }

    /// The posterior after an answer on `concept`, right or wrong, from an item whose chance of a
    /// lucky guess is `guess`; does not change `self`.
    fn reweighted(&self, concept: usize, correct: bool, guess: f64) -> Vec<f64> {
        let n = self.concepts;
        let mut weights: Vec<f64> = self
            .weights
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let p_right = if self.known[i * n + concept] { 1.0 - SLIP } else { guess };
                w * if correct { p_right } else { 1.0 - p_right }
            })
            .collect();
        let total: f64 = weights.iter().sum();
        if total > 0.0 {
            weights.iter_mut().for_each(|w| *w /= total);
        }
        weights
    }

    /// Records an answer on `concept` (right or wrong) from an item with guessing chance `guess`.
    pub fn observe(&mut self, concept: usize, correct: bool, guess: f64) {
        self.weights = self.reweighted(concept, correct, guess.clamp(0.0, 0.95));
        self.asked.push(concept);
    }

    /// The summed entropy of every concept's probability under `weights`.
    fn total_entropy(&self, weights: &[f64]) -> f64 {
        self.probabilities_under(weights).into_iter().map(entropy).sum()
    }

    /// The concept to ask next among those with an item (`askable[c]`, with its guessing chance):
    /// the one expected to remove the most uncertainty from the whole program. None when nothing
    /// askable is left unsettled.
    pub fn next_concept(&self, askable: &[Option<f64>]) -> Option<usize> {
        let p = self.probabilities();
        let mut shortlist: Vec<usize> = (0..self.concepts)
            .filter(|&c| askable.get(c).copied().flatten().is_some() && p[c] < SETTLED && p[c] > 1.0 - SETTLED)
            .filter(|c| !self.asked.contains(c))
            .collect();
        shortlist.sort_by(|&a, &b| entropy(p[b]).total_cmp(&entropy(p[a])).then(a.cmp(&b)));
        shortlist.truncate(SHORTLIST);
        let n = self.concepts;
        shortlist
            .into_iter()
            .map(|c| {
                let guess = askable[c].unwrap_or(0.25);
                let p_right: f64 = self
                    .weights
                    .iter()
                    .enumerate()
                    .map(|(i, w)| w * if self.known[i * n + c] { 1.0 - SLIP } else { guess })
                    .sum();
                let expected = p_right * self.total_entropy(&self.reweighted(c, true, guess))
                    + (1.0 - p_right) * self.total_entropy(&self.reweighted(c, false, guess));
                (c, expected)
            })
            .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)))
            .map(|(c, _)| c)
    }
}

/// How well estimated probabilities separate known from unknown concepts: the share of
/// (known, unknown) pairs ranked right (ties count half); None when either side is empty.
pub fn auc(probabilities: &[f64], truth: &[bool]) -> Option<f64> {
    let known: Vec<f64> = probabilities.iter().zip(truth).filter(|(_, t)| **t).map(|(p, _)| *p).collect();
    let unknown: Vec<f64> = probabilities.iter().zip(truth).filter(|(_, t)| !**t).map(|(p, _)| *p).collect();
    if known.is_empty() || unknown.is_empty() {
        return None;
    }
    let mut score = 0.0;
    for k in &known {
        for u in &unknown {
            score += if k > u {
                1.0
            } else if k == u {
                0.5
            } else {
                0.0
            };
        }
    }
    Some(score / (known.len() * unknown.len()) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A chain a ← b ← c ← d plus e requiring a: knowing d implies a, b, c.
    fn chain() -> Vec<Vec<usize>> {
        vec![vec![], vec![0], vec![1], vec![2], vec![0]]
    }

    #[test]
    fn a_cycle_has_no_order_and_depths_follow_the_longest_chain() {
        assert_eq!(topological_order(&[vec![1], vec![0]]), None);
        let order = topological_order(&chain()).unwrap();
        assert_eq!(depths(&chain(), &order), vec![0, 1, 2, 3, 1]);
    }

    #[test]
    fn the_sample_respects_prerequisites_and_deeper_concepts_are_rarer() {
        let placement = Placement::new(&chain(), 7).unwrap();
        let n = 5;
        for i in 0..PARTICLES {
            let row = &placement.known[i * n..(i + 1) * n];
            for (c, required) in chain().iter().enumerate() {
                assert!(!row[c] || required.iter().all(|&p| row[p]), "particle {i}");
            }
        }
        let p = placement.probabilities();
        assert!(p[0] > p[1] && p[1] > p[2] && p[2] > p[3], "{p:?}");
    }

    #[test]
    fn a_right_answer_raises_the_concept_and_its_prerequisites_a_wrong_one_lowers_what_builds_on_it() {
        let mut placement = Placement::new(&chain(), 3).unwrap();
        let before = placement.probabilities();
        placement.observe(2, true, 0.0);
        let after = placement.probabilities();
        for c in [0, 1, 2] {
            assert!(after[c] > before[c], "{c}: {before:?} → {after:?}");
        }
        let mut placement = Placement::new(&chain(), 3).unwrap();
        placement.observe(1, false, 0.0);
        let after = placement.probabilities();
        for c in [1, 2, 3] {
            assert!(after[c] < before[c], "{c}: {before:?} → {after:?}");
        }
        // A concept that does not build on it is barely moved (only through ability).
        assert!((after[4] - before[4]).abs() < (after[2] - before[2]).abs());
    }

    #[test]
    fn the_next_question_is_informative_and_never_repeated_or_settled() {
        let mut placement = Placement::new(&chain(), 11).unwrap();
        let askable = vec![Some(0.25); 5];
        let first = placement.next_concept(&askable).unwrap();
        // Asking the root or the deepest concept tells less than one in the middle of the chain.
        assert!([1, 2].contains(&first), "{first}");
        placement.observe(first, true, 0.25);
        assert_ne!(placement.next_concept(&askable), Some(first));
        // Without an item a concept is never asked.
        let none = vec![None; 5];
        assert_eq!(placement.next_concept(&none), None);
    }

    #[test]
    fn auc_counts_ranked_pairs() {
        assert_eq!(auc(&[0.9, 0.2, 0.6], &[true, false, true]), Some(1.0));
        assert_eq!(auc(&[0.1, 0.9], &[true, false]), Some(0.0));
        assert_eq!(auc(&[0.5, 0.5], &[true, false]), Some(0.5));
        assert_eq!(auc(&[0.5], &[true]), None);
    }
}
