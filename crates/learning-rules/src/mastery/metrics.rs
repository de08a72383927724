//! Quality measures of probabilistic predictions of binary outcomes, independent of the model
//! that made them: AUC, RMSE, accuracy, log-loss.

/// Area under the ROC curve: the probability that a random right answer got a higher
/// prediction than a random wrong one, ties counting half. `None` when one class is missing.
pub fn auc(predictions: &[f64], outcomes: &[bool]) -> Option<f64> {
    assert_eq!(predictions.len(), outcomes.len(), "one outcome per prediction");
    let mut order: Vec<usize> = (0..predictions.len()).collect();
    order.sort_by(|&a, &b| predictions[a].total_cmp(&predictions[b]));
    let positives = outcomes.iter().filter(|&&o| o).count() as f64;
    let negatives = outcomes.len() as f64 - positives;
    if positives == 0.0 || negatives == 0.0 {
        return None;
    }
    // Mann–Whitney: sum of the (1-based, tie-averaged) ranks of the positives.
    let mut rank_sum = 0.0;
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && predictions[order[end]] == predictions[order[start]] {
            end += 1;
        }
        let mean_rank = (start + 1 + end) as f64 / 2.0;
        rank_sum += mean_rank * order[start..end].iter().filter(|&&i| outcomes[i]).count() as f64;
        start = end;
    }
    Some((rank_sum - positives * (positives + 1.0) / 2.0) / (positives * negatives))
}

/// Root mean squared error between predictions and outcomes (1 right, 0 wrong).
pub fn rmse(predictions: &[f64], outcomes: &[bool]) -> f64 {
    assert_eq!(predictions.len(), outcomes.len(), "one outcome per prediction");
    let total: f64 = predictions.iter().zip(outcomes).map(|(p, &o)| (p - f64::from(u8::from(o))).powi(2)).sum();
    (total / predictions.len().max(1) as f64).sqrt()
}

/// Share of outcomes on the side of `threshold` their prediction is on (≥ threshold: right).
pub fn accuracy(predictions: &[f64], outcomes: &[bool], threshold: f64) -> f64 {
    assert_eq!(predictions.len(), outcomes.len(), "one outcome per prediction");
    let hits = predictions.iter().zip(outcomes).filter(|&(&p, &o)| (p >= threshold) == o).count();
    hits as f64 / predictions.len().max(1) as f64
}

/// Mean negative log-likelihood of the outcomes (predictions clamped away from 0 and 1).
pub fn log_loss(predictions: &[f64], outcomes: &[bool]) -> f64 {
    assert_eq!(predictions.len(), outcomes.len(), "one outcome per prediction");
    let total: f64 = predictions
        .iter()
        .zip(outcomes)
        .map(|(&p, &o)| {
            let p = p.clamp(1e-12, 1.0 - 1e-12);
            -if o { p.ln() } else { (1.0 - p).ln() }
        })
        .sum();
    total / predictions.len().max(1) as f64
}
