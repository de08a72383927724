//! Fitting the learner model to an organisation's own evidence: replay every learner's evidence
//! through [`update`](super::update), take the features before each graded answer (exactly what
//! [`predict`](super::predict) would have seen), and fit the weights and the concept biases by
//! L2-regularised logistic regression with L-BFGS. The features do not depend on the weights, so
//! the problem is convex and the fit is deterministic.

use super::{
    ConceptParams, ConceptState, Evidence, Feature, LearnerState, MasteryParams, feature_values, sigmoid, update,
};
use std::{collections::HashMap, hash::Hash};
use strum::EnumCount;

/// Below this many graded answers an organisation keeps the default parameters: a handful of
/// learners' answers fit the weights worse than the defaults do. Above it the penalties of
/// [`FitOptions`] still hold each concept with few answers near the global weights.
pub const MIN_ANSWERS_TO_FIT: usize = 500;

/// One piece of evidence on a concept, as replayed by [`fit`].
#[derive(Clone, Debug, PartialEq)]
pub struct Observation<K> {
    pub concept: K,
    pub evidence: Evidence,
    /// The mean mastery of the concept's prerequisites when the evidence came, if it has any.
    pub prerequisite_mastery: Option<f64>,
}

/// One learner's evidence, oldest first.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LearnerSequence<K> {
    pub observations: Vec<Observation<K>>,
}

/// How strongly the fit holds parameters back (L2 penalties, in units of one answer's log-loss).
#[derive(Clone, Debug, PartialEq)]
pub struct FitOptions {
    /// Pull of each weight towards its initial value.
    pub weight_penalty: f64,
    /// Pull of each concept bias towards 0 (a concept with few answers stays near average).
    pub concept_penalty: f64,
    /// Pull of each per-concept weight adjustment towards 0.
    pub concept_weight_penalty: f64,
    /// Upper bound on L-BFGS iterations.
    pub max_iterations: usize,
}

impl Default for FitOptions {
    fn default() -> Self {
        Self { weight_penalty: 1.0, concept_penalty: 2.0, concept_weight_penalty: 10.0, max_iterations: 300 }
    }
}

/// The result of a fit: parameters for [`predict`](super::predict), one [`ConceptParams`] per
/// concept that had graded answers.
#[derive(Clone, Debug)]
pub struct FittedModel<K> {
    pub params: MasteryParams,
    pub concepts: HashMap<K, ConceptParams>,
    /// Graded answers the fit used.
    pub answers: usize,
    /// False when there were fewer than [`MIN_ANSWERS_TO_FIT`] answers (the defaults were kept).
    pub fitted: bool,
    /// Mean log-loss on the fitted answers, with the initial and with the fitted parameters.
    pub initial_log_loss: f64,
    pub log_loss: f64,
}

impl<K: Hash + Eq> FittedModel<K> {
    /// The parameters of a concept, or those of an unseen concept.
    pub fn concept(&self, key: &K) -> ConceptParams {
        self.concepts.get(key).cloned().unwrap_or_else(|| ConceptParams::unseen(&self.params))
    }
}

/// Fits weights and concept biases to the learners' evidence, starting from (and regularised
/// towards) `initial`, whose hyper-parameters (recent rates, half-life…) are kept.
pub fn fit<K: Hash + Eq + Clone>(sequences: &[LearnerSequence<K>], initial: &MasteryParams) -> FittedModel<K> {
    fit_with(sequences, initial, &FitOptions::default())
}

/// [`fit`] with explicit penalties.
pub fn fit_with<K: Hash + Eq + Clone>(
    sequences: &[LearnerSequence<K>],
    initial: &MasteryParams,
    options: &FitOptions,
) -> FittedModel<K> {
    let (design, keys) = Design::replay(sequences, initial);
    let answers = design.labels.len();
    let mut theta: Vec<f64> = initial.weights.0.to_vec();
    theta.resize(Feature::COUNT + keys.len() * design.block(), 0.0);
    let prior = theta.clone();
    let objective = |theta: &[f64], grad: &mut [f64]| design.objective(theta, &prior, options, grad);
    let initial_log_loss = if answers == 0 { 0.0 } else { design.log_loss(&theta) };
    let fitted = answers >= MIN_ANSWERS_TO_FIT;
    if fitted {
        minimise(&objective, &mut theta, options.max_iterations);
    }
    let log_loss = if answers == 0 { 0.0 } else { design.log_loss(&theta) };
    let mut params = initial.clone();
    if fitted {
        for &feature in Feature::ALL {
            if feature != Feature::ConceptDifficulty {
                params.weights.set(feature, theta[feature as usize]);
            }
        }
        params.weights.set(Feature::ConceptDifficulty, 1.0);
        params.default_concept_bias = 0.0;
    }
    let concepts = keys
        .iter()
        .enumerate()
        .map(|(i, key)| {
            let block = &theta[Feature::COUNT + i * design.block()..Feature::COUNT + (i + 1) * design.block()];
            let bias = if fitted { block[0] } else { initial.default_concept_bias };
            let weights = if fitted {
                design.per_concept.iter().zip(&block[1..]).map(|(&f, &w)| (Feature::ALL[f], w)).collect()
            } else {
                Default::default()
            };
            (key.clone(), ConceptParams { bias, weights, answers: design.concept_answers[i] })
        })
        .collect();
    FittedModel { params, concepts, answers, fitted, initial_log_loss, log_loss }
}

/// The replayed answers: one row of feature values per graded answer, its concept and outcome.
struct Design {
    /// Row-major, [`Feature::COUNT`] values a row; the concept-bias column is left 0.
    rows: Vec<f32>,
    concepts: Vec<u32>,
    labels: Vec<f64>,
    concept_answers: Vec<u64>,
    /// Features with a per-concept weight adjustment; a concept's block of parameters is its
    /// bias followed by these adjustments.
    per_concept: Vec<usize>,
}

impl Design {
    /// Replays the sequences; also returns the concept keys in index order.
    fn replay<K: Hash + Eq + Clone>(sequences: &[LearnerSequence<K>], params: &MasteryParams) -> (Self, Vec<K>) {
        let mut index: HashMap<K, u32> = HashMap::new();
        let mut keys = Vec::new();
        let mut per_concept: Vec<Feature> =
            params.per_concept.iter().copied().filter(|&f| f != Feature::ConceptDifficulty).collect();
        per_concept.sort();
        per_concept.dedup();
        let mut design = Design {
            rows: Vec::new(),
            concepts: Vec::new(),
            labels: Vec::new(),
            concept_answers: Vec::new(),
            per_concept: per_concept.iter().map(|&f| f as usize).collect(),
        };
        let neutral = ConceptParams { bias: 0.0, weights: Default::default(), answers: 0 };
        for sequence in sequences {
            let mut learner = LearnerState::default();
            let mut states: HashMap<u32, ConceptState> = HashMap::new();
            for observation in &sequence.observations {
                let next = index.len() as u32;
                let c = *index.entry(observation.concept.clone()).or_insert_with(|| {
                    keys.push(observation.concept.clone());
                    design.concept_answers.push(0);
                    next
                });
                let state = states.entry(c).or_default();
                if let Some(y) = observation.evidence.graded_outcome() {
                    let x = feature_values(params, &neutral, &learner, state, observation.prerequisite_mastery);
                    design.rows.extend(x.iter().map(|&v| v as f32));
                    design.concepts.push(c);
                    design.labels.push(y);
                    design.concept_answers[c as usize] += 1;
                }
                update(params, &mut learner, state, observation.evidence);
            }
        }
        (design, keys)
    }

    /// Parameters per concept: its bias and its weight adjustments.
    fn block(&self) -> usize {
        1 + self.per_concept.len()
    }

    fn logit(&self, theta: &[f64], row: usize) -> f64 {
        let x = &self.rows[row * Feature::COUNT..(row + 1) * Feature::COUNT];
        let start = Feature::COUNT + self.concepts[row] as usize * self.block();
        let mut z = theta[start];
        for (w, &v) in theta[..Feature::COUNT].iter().zip(x) {
            z += w * f64::from(v);
        }
        for (k, &f) in self.per_concept.iter().enumerate() {
            z += theta[start + 1 + k] * f64::from(x[f]);
        }
        z
    }

    /// Mean log-loss of the rows (no penalty).
    fn log_loss(&self, theta: &[f64]) -> f64 {
        let total: f64 = (0..self.labels.len()).map(|i| row_loss(self.logit(theta, i), self.labels[i])).sum();
        total / self.labels.len().max(1) as f64
    }

    /// Penalised total log-loss and its gradient, over two scoped threads (a fit runs in the
    /// background, off the request path; two halve its time on the 2-core machines we target).
    fn objective(&self, theta: &[f64], prior: &[f64], options: &FitOptions, grad: &mut [f64]) -> f64 {
        let n = self.labels.len();
        let halves = [0..n / 2, n / 2..n];
        let parts: Vec<(f64, Vec<f64>)> = std::thread::scope(|scope| {
            let handles: Vec<_> = halves
                .iter()
                .map(|range| {
                    let range = range.clone();
                    scope.spawn(move || {
                        let mut g = vec![0.0; theta.len()];
                        let mut loss = 0.0;
                        for i in range {
                            let z = self.logit(theta, i);
                            let y = self.labels[i];
                            loss += row_loss(z, y);
                            let residual = sigmoid(z) - y;
                            let x = &self.rows[i * Feature::COUNT..(i + 1) * Feature::COUNT];
                            for (gw, &v) in g[..Feature::COUNT].iter_mut().zip(x) {
                                *gw += residual * f64::from(v);
                            }
                            let start = Feature::COUNT + self.concepts[i] as usize * self.block();
                            g[start] += residual;
                            for (k, &f) in self.per_concept.iter().enumerate() {
                                g[start + 1 + k] += residual * f64::from(x[f]);
                            }
                        }
                        (loss, g)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().expect("fit worker panicked")).collect()
        });
        grad.fill(0.0);
        let mut loss = 0.0;
        for (l, g) in parts {
            loss += l;
            for (a, b) in grad.iter_mut().zip(g) {
                *a += b;
            }
        }
        for i in 0..theta.len() {
            let (penalty, centre) = if i < Feature::COUNT {
                (options.weight_penalty, prior[i])
            } else if (i - Feature::COUNT) % self.block() == 0 {
                (options.concept_penalty, 0.0)
            } else {
                (options.concept_weight_penalty, 0.0)
            };
            let d = theta[i] - centre;
            loss += 0.5 * penalty * d * d;
            grad[i] += penalty * d;
        }
        // The concept-bias column is not a free weight: its weight stays 1.
        grad[Feature::ConceptDifficulty as usize] = 0.0;
        loss
    }
}

/// Log-loss of one answer with outcome `y` (0..1) at logit `z`, computed stably.
fn row_loss(z: f64, y: f64) -> f64 {
    // −y·log σ(z) − (1−y)·log(1−σ(z)) = log(1+e^z) − y·z
    let softplus = if z > 0.0 { z + (-z).exp().ln_1p() } else { z.exp().ln_1p() };
    softplus - y * z
}

/// Limited-memory BFGS with a backtracking (Armijo) line search.
fn minimise(f: &dyn Fn(&[f64], &mut [f64]) -> f64, x: &mut [f64], max_iterations: usize) {
    const MEMORY: usize = 10;
    let n = x.len();
    let mut g = vec![0.0; n];
    let mut fx = f(x, &mut g);
    let mut history: std::collections::VecDeque<(Vec<f64>, Vec<f64>, f64)> = std::collections::VecDeque::new();
    let mut x_new = vec![0.0; n];
    let mut g_new = vec![0.0; n];
    for iteration in 0..max_iterations {
        // Two-loop recursion: d = −H·g.
        let mut d: Vec<f64> = g.iter().map(|v| -v).collect();
        let mut alphas = Vec::with_capacity(history.len());
        for (s, y, rho) in history.iter().rev() {
            let a = rho * dot(s, &d);
            axpy(-a, y, &mut d);
            alphas.push(a);
        }
        if let Some((s, y, _)) = history.back() {
            let gamma = dot(s, y) / dot(y, y);
            d.iter_mut().for_each(|v| *v *= gamma);
        }
        for ((s, y, rho), a) in history.iter().zip(alphas.into_iter().rev()) {
            let b = rho * dot(y, &d);
            axpy(a - b, s, &mut d);
        }
        let mut slope = dot(&g, &d);
        if slope >= 0.0 {
            history.clear();
            d = g.iter().map(|v| -v).collect();
            slope = dot(&g, &d);
        }
        let mut step = if history.is_empty() { 1.0 / norm(&g).max(1.0) } else { 1.0 };
        if iteration == 0 {
            step = 1.0 / norm(&g).max(1e-12);
        }
        let mut accepted = false;
        let mut f_new = fx;
        for _ in 0..40 {
            for i in 0..n {
                x_new[i] = x[i] + step * d[i];
            }
            f_new = f(&x_new, &mut g_new);
            if f_new.is_finite() && f_new <= fx + 1e-4 * step * slope {
                accepted = true;
                break;
            }
            step *= 0.5;
        }
        if !accepted {
            return;
        }
        let s: Vec<f64> = x_new.iter().zip(x.iter()).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = g_new.iter().zip(&g).map(|(a, b)| a - b).collect();
        let sy = dot(&s, &y);
        if sy > 1e-12 {
            if history.len() == MEMORY {
                history.pop_front();
            }
            history.push_back((s, y, 1.0 / sy));
        }
        x.copy_from_slice(&x_new);
        g.copy_from_slice(&g_new);
        let improvement = fx - f_new;
        fx = f_new;
        if improvement.abs() <= 1e-10 * fx.abs().max(1.0) || norm(&g) <= 1e-6 {
            return;
        }
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn axpy(a: f64, x: &[f64], y: &mut [f64]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
}

fn norm(a: &[f64]) -> f64 {
    dot(a, a).sqrt()
}
