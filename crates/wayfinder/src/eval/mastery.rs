//! `wayfinder eval mastery`: replays answer logs (the 3-lines-per-student format of
//! knowledge-tracing research) through the learner model the server uses — fit on the train
//! students, then predict each test answer from that student's earlier answers only, before
//! updating with it — and prints AUC, RMSE, accuracy and the time per prediction and update.

use crate::cli::EvalMasteryArgs;
use anyhow::{Context, bail};
use std::{collections::HashMap, path::Path, time::Instant};
use wayfinder_learning_rules::mastery::{
    self, ConceptState, Evidence, FitOptions, LearnerSequence, LearnerState, MasteryParams, Observation, metrics,
};

/// One student's answers: (1-based skill or question id, right).
type Student = Vec<(u32, bool)>;

/// Reads a file of students, three lines each: the number of answers, the comma-separated ids,
/// the comma-separated 0/1 outcomes.
fn read_students(path: &Path) -> anyhow::Result<Vec<Student>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot open {}", path.display()))?;
    let lines: Vec<(usize, &str)> =
        text.lines().enumerate().map(|(i, l)| (i + 1, l.trim())).filter(|(_, l)| !l.is_empty()).collect();
    if !lines.len().is_multiple_of(3) {
        bail!("{}: {} non-empty lines, not a multiple of 3", path.display(), lines.len());
    }
    let parse = |(n, line): (usize, &str)| -> anyhow::Result<Vec<u32>> {
        line.split(',')
            .filter(|v| !v.trim().is_empty())
            .map(|v| v.trim().parse::<u32>().with_context(|| format!("{} line {n}: {v:?}", path.display())))
            .collect()
    };
    lines
        .chunks(3)
        .map(|chunk| {
            let (n, count) = chunk[0];
            let count: usize = count.parse().with_context(|| format!("{} line {n}: answer count", path.display()))?;
            let ids = parse(chunk[1])?;
            let outcomes = parse(chunk[2])?;
            if ids.len() != count || outcomes.len() != count {
                bail!(
                    "{} line {n}: {count} answers announced, {} ids and {} outcomes",
                    path.display(),
                    ids.len(),
                    outcomes.len()
                );
            }
            Ok(ids.into_iter().zip(outcomes.into_iter().map(|o| o != 0)).collect())
        })
        .collect()
}

/// Splits students deterministically: a `fraction` of them (shuffled by `seed`) are held out.
fn hold_out(students: Vec<Student>, fraction: f64, seed: u64) -> (Vec<Student>, Vec<Student>) {
    let mut keyed: Vec<(u64, Student)> =
        students.into_iter().enumerate().map(|(i, s)| (splitmix64(seed ^ splitmix64(i as u64)), s)).collect();
    keyed.sort_by_key(|(k, _)| *k);
    let held = ((keyed.len() as f64) * fraction.clamp(0.0, 1.0)).round() as usize;
    let mut train = Vec::with_capacity(keyed.len() - held);
    let mut test = Vec::with_capacity(held);
    for (i, (_, s)) in keyed.into_iter().enumerate() {
        if i < held { test.push(s) } else { train.push(s) }
    }
    (train, test)
}

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The answer logs carry no times: every answer happens at the same instant, so forgetting
/// plays no part in these figures.
const LOG_TIME: i64 = 0;

fn sequences(students: &[Student]) -> Vec<LearnerSequence<u32>> {
    students
        .iter()
        .map(|s| LearnerSequence {
            observations: s
                .iter()
                .map(|&(concept, right)| Observation {
                    concept,
                    evidence: Evidence::answer(right, LOG_TIME),
                    prerequisite_mastery: None,
                })
                .collect(),
        })
        .collect()
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

pub fn run(args: &EvalMasteryArgs) -> anyhow::Result<()> {
    let train_all = read_students(&args.train)?;
    let (train, test, split) = match &args.test {
        Some(path) => (train_all, read_students(path)?, format!("test file {}", path.display())),
        None => {
            let (train, test) = hold_out(train_all, args.holdout, args.seed);
            (train, test, format!("{:.0}% of the students held out (seed {})", 100.0 * args.holdout, args.seed))
        }
    };
    let answers = |s: &[Student]| s.iter().map(Vec::len).sum::<usize>();
    outln!(
        "train: {} students, {} answers; test: {} students, {} answers ({split})",
        train.len(),
        answers(&train),
        test.len(),
        answers(&test)
    );

    let initial: MasteryParams = match &args.params {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("cannot open {}", path.display()))?;
            serde_json::from_str(&text).with_context(|| format!("{}: not mastery parameters", path.display()))?
        }
        None => MasteryParams::default(),
    };
    let mut options = FitOptions::default();
    if let Some(p) = args.weight_penalty {
        options.weight_penalty = p;
    }
    if let Some(p) = args.concept_penalty {
        options.concept_penalty = p;
    }
    if let Some(p) = args.concept_weight_penalty {
        options.concept_weight_penalty = p;
    }
    let started = Instant::now();
    let model = mastery::fit_with(&sequences(&train), &initial, &options);
    outln!(
        "fit: {} answers, {} concepts, {:.1} s, train log-loss {:.4} (defaults {:.4}){}",
        model.answers,
        model.concepts.len(),
        started.elapsed().as_secs_f64(),
        model.log_loss,
        model.initial_log_loss,
        if model.fitted { "" } else { " — too few answers, defaults kept" }
    );
    if args.show_weights {
        for &feature in mastery::Feature::ALL {
            outln!("  {feature:<28} {:+.4}", model.params.weights.get(feature));
        }
    }
    if let Some(path) = &args.save {
        std::fs::write(path, serde_json::to_string_pretty(&model.params)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }

    // Replay the test students: predict each answer before updating with it.
    let mut predictions = Vec::with_capacity(answers(&test));
    let mut outcomes = Vec::with_capacity(answers(&test));
    let mut predict_ns = Vec::with_capacity(answers(&test));
    let mut update_ns = Vec::with_capacity(answers(&test));
    let mut unseen = 0usize;
    for student in &test {
        let mut learner = LearnerState::default();
        let mut states: HashMap<u32, ConceptState> = HashMap::new();
        for &(concept, right) in student {
            let params = model.concepts.get(&concept).cloned().unwrap_or_else(|| {
                unseen += 1;
                mastery::ConceptParams::unseen(&model.params)
            });
            let state = states.entry(concept).or_default();
            let t = Instant::now();
            let prediction = mastery::predict(&model.params, &params, &learner, state, None, LOG_TIME);
            predict_ns.push(t.elapsed().as_nanos() as f64);
            predictions.push(prediction.probability);
            outcomes.push(right);
            let t = Instant::now();
            mastery::update(&model.params, &mut learner, state, Evidence::answer(right, LOG_TIME));
            update_ns.push(t.elapsed().as_nanos() as f64);
        }
    }
    if predictions.is_empty() {
        bail!("no test answers");
    }
    let auc = metrics::auc(&predictions, &outcomes).context("the test answers are all right or all wrong")?;
    outln!(
        "AUC {auc:.4}  RMSE {:.4}  accuracy {:.4}  log-loss {:.4}  ({} answers, {unseen} on concepts the fit never saw)",
        metrics::rmse(&predictions, &outcomes),
        metrics::accuracy(&predictions, &outcomes, 0.5),
        metrics::log_loss(&predictions, &outcomes),
        predictions.len()
    );
    for (name, mut times) in [("prediction", predict_ns), ("update", update_ns)] {
        times.sort_by(f64::total_cmp);
        let mean = times.iter().sum::<f64>() / times.len() as f64;
        outln!(
            "time per {name}: mean {:.2} µs, median {:.2} µs, p95 {:.2} µs (timer included)",
            mean / 1000.0,
            percentile(&times, 0.5) / 1000.0,
            percentile(&times, 0.95) / 1000.0
        );
    }
    outln!(
        "reference AUC (ASSIST2009 / ASSIST2015 / Statics): per-skill rate 0.620 / 0.643 / 0.796, \
         PFA 0.715 / 0.704 / 0.796, DKT 0.805 / 0.725 / 0.802, DKVMN 0.816 / 0.727 / 0.828"
    );
    Ok(())
}
