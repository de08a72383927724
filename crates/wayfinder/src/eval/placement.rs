//! `wayfinder eval placement`: the adaptive intake the server runs
//! (`wayfinder_learning_rules::placement`), taken by simulated learners whose true knowledge is
//! drawn from a model the intake does not know (its own concept difficulties, a different ability
//! spread, the items' real guessing chances), and compared with what they really know.

use crate::cli::EvalPlacementArgs;
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};
use std::time::Instant;
use wayfinder_learning_rules::placement::{Placement, auc, topological_order};

/// A wrong answer on a known concept, in the simulation (the intake assumes its own rate).
const TRUE_SLIP: f64 = 0.08;
/// Guessing chances of the item kinds the simulated bank rotates through: four-option multiple
/// choice, true/false, cloze.
const GUESSES: [f64; 3] = [0.25, 0.5, 0.02];
/// Ability levels (log-odds) of the simulated groups.
const LEVELS: [(&str, f64); 3] = [("beginner", -3.0), ("intermediate", -1.0), ("advanced", 1.5)];

/// The simulation's own random numbers (ChaCha8, seeded), independent of the intake's sample.
struct Rng(ChaCha8Rng);

impl Rng {
    fn unit(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: usize) -> usize {
        (self.0.next_u64() % n as u64) as usize
    }

    fn normal(&mut self) -> f64 {
        let (u, v) = (self.unit().max(1e-12), self.unit());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// A random program: concept `c` requires 1 to 3 of the 20 concepts before it (the first has none).
fn random_program(rng: &mut Rng, n: usize) -> Vec<Vec<usize>> {
    (0..n)
        .map(|c| {
            if c == 0 {
                return Vec::new();
            }
            let wanted = 1 + rng.below(3);
            let mut required: Vec<usize> = Vec::new();
            for _ in 0..wanted {
                let p = c - 1 - rng.below(c.min(20));
                if !required.contains(&p) {
                    required.push(p);
                }
            }
            required
        })
        .collect()
}

pub fn run(args: &EvalPlacementArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.concepts >= 2 && args.learners >= 1, "need at least 2 concepts and 1 learner");
    let mut rng = Rng(ChaCha8Rng::seed_from_u64(args.seed));
    let program = random_program(&mut rng, args.concepts);
    let order = topological_order(&program).ok_or_else(|| anyhow::anyhow!("the random program has a cycle"))?;
    // The simulation's concept difficulties: random, and harder deeper down, but not the
    // intake's formula.
    let mut depth = vec![0usize; args.concepts];
    for &c in &order {
        depth[c] = program[c].iter().map(|&p| depth[p] + 1).max().unwrap_or(0);
    }
    let ease: Vec<f64> = (0..args.concepts).map(|c| 4.0 + 0.8 * rng.normal() - 0.3 * depth[c] as f64).collect();
    let guess: Vec<f64> = (0..args.concepts).map(|c| GUESSES[c % GUESSES.len()]).collect();
    let askable: Vec<Option<f64>> = guess.iter().map(|g| Some(*g)).collect();
    let edges: usize = program.iter().map(Vec::len).sum();
    println!(
        "program           {} concepts, {edges} prerequisites, depth up to {}; items: 4-option choice, true/false, cloze in turn",
        args.concepts,
        depth.iter().max().copied().unwrap_or(0)
    );
    println!(
        "{:<14} {:>8} {:>9} {:>9} {:>10} {:>9} {:>10} {:>9} {:>8}",
        "learners", "known", "items", "max", "accuracy", "AUC", "prior acc", "settled", "ms each"
    );
    for (name, level) in LEVELS {
        let (mut items, mut max_items, mut accuracy, mut prior_accuracy, mut settled, mut known_share) =
            (0usize, 0usize, 0.0, 0.0, 0usize, 0.0);
        let mut aucs = Vec::new();
        let started = Instant::now();
        for s in 0..args.learners {
            // What this learner really knows: prerequisites first.
            let ability = level + 0.7 * rng.normal();
            let mut truth = vec![false; args.concepts];
            for &c in &order {
                truth[c] = program[c].iter().all(|&p| truth[p]) && rng.unit() < sigmoid(ability + ease[c]);
            }
            let mut placement = Placement::new(&program, args.seed.wrapping_mul(1_000_003).wrapping_add(s as u64))
                .ok_or_else(|| anyhow::anyhow!("cycle"))?;
            let prior = placement.probabilities();
            while !placement.is_done() {
                let Some(c) = placement.next_concept(&askable) else { break };
                let p_right = if truth[c] { 1.0 - TRUE_SLIP } else { guess[c] };
                placement.observe(c, rng.unit() < p_right, guess[c]);
            }
            let p = placement.probabilities();
            let asked = placement.asked().len();
            items += asked;
            max_items = max_items.max(asked);
            settled += usize::from(p.iter().all(|&x| !(0.15..0.85).contains(&x)));
            let n = args.concepts as f64;
            accuracy += p.iter().zip(&truth).filter(|(x, t)| (**x >= 0.5) == **t).count() as f64 / n;
            prior_accuracy += prior.iter().zip(&truth).filter(|(x, t)| (**x >= 0.5) == **t).count() as f64 / n;
            known_share += truth.iter().filter(|t| **t).count() as f64 / n;
            aucs.extend(auc(&p, &truth));
        }
        let m = args.learners as f64;
        let mean_auc = if aucs.is_empty() { f64::NAN } else { aucs.iter().sum::<f64>() / aucs.len() as f64 };
        println!(
            "{:<14} {:>7.0}% {:>9.1} {:>9} {:>9.1}% {:>9.3} {:>9.1}% {:>8.0}% {:>8.1}",
            name,
            100.0 * known_share / m,
            items as f64 / m,
            max_items,
            100.0 * accuracy / m,
            mean_auc,
            100.0 * prior_accuracy / m,
            100.0 * settled as f64 / m,
            started.elapsed().as_secs_f64() * 1000.0 / m
        );
    }
    println!(
        "known: share of concepts the simulated learners know; accuracy: concepts whose estimate (≥ 0.5 = known) \
         matches the truth; AUC over concepts, for learners who know some but not all; prior acc: the same \
         before any question; settled: learners whose every concept ended below 0.15 or above 0.85"
    );
    Ok(())
}
