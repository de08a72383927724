//! Manual check of relevance and extractive answers on a real textbook: chunks the OpenStax
//! College Success modules (one JSON object per line: id, title, text) into paragraphs of about
//! 150 words, ranks them with a plain BM25 over `lexical_terms`, and prints what the coach would
//! do with the top hits.
//!
//! `cargo run --example try_openstax -- /path/to/modules_plaintext.jsonl "How does spaced practice work?"`

use std::collections::HashMap;

use wayfinder_coach_rules::{
    AnswerMode, ExtractiveOptions, Source, assess_relevance, citation_coverage, confidence, extractive_answer,
    refusal_text,
};
use wayfinder_knowledge_rules::lexical_terms;

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(path), Some(question)) = (args.next(), args.next()) else {
        eprintln!("usage: try_openstax <modules_plaintext.jsonl> <question>");
        std::process::exit(2);
    };
    let raw = std::fs::read_to_string(&path).expect("readable file");
    let mut chunks: Vec<(String, String)> = Vec::new();
    for line in raw.lines() {
        let module: serde_json::Value = serde_json::from_str(line).expect("one JSON object per line");
        let title = module["title"].as_str().unwrap_or("").to_string();
        let mut current = String::new();
        for paragraph in module["text"].as_str().unwrap_or("").split("\n\n") {
            current.push_str(paragraph);
            current.push_str("\n\n");
            if current.split_whitespace().count() >= 150 {
                chunks.push((title.clone(), std::mem::take(&mut current)));
            }
        }
        if !current.trim().is_empty() {
            chunks.push((title, current));
        }
    }
    let docs: Vec<Vec<String>> = chunks.iter().map(|(_, t)| lexical_terms(t)).collect();
    let mut df: HashMap<&str, usize> = HashMap::new();
    for doc in &docs {
        let mut seen: Vec<&str> = doc.iter().map(String::as_str).collect();
        seen.sort_unstable();
        seen.dedup();
        for t in seen {
            *df.entry(t).or_default() += 1;
        }
    }
    let n = docs.len() as f32;
    let avg = docs.iter().map(Vec::len).sum::<usize>() as f32 / n;
    let query = lexical_terms(&question);
    let mut scored: Vec<(usize, f32)> = docs
        .iter()
        .enumerate()
        .map(|(i, doc)| {
            let score = query
                .iter()
                .map(|q| {
                    let tf = doc.iter().filter(|t| *t == q).count() as f32;
                    let d = *df.get(q.as_str()).unwrap_or(&0) as f32;
                    let idf = (1.0 + (n - d + 0.5) / (d + 0.5)).ln();
                    idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * doc.len() as f32 / avg))
                })
                .sum();
            (i, score)
        })
        .filter(|(_, s)| *s > 0.0)
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1));
    let sources: Vec<Source> = scored
        .iter()
        .take(6)
        .enumerate()
        .map(|(rank, (i, score))| Source {
            number: rank + 1,
            chunk_id: *i as i64,
            document_id: "college-success".into(),
            document_title: "College Success".into(),
            section: Some(chunks[*i].0.clone()),
            page_start: None,
            page_end: None,
            domains: Vec::new(),
            text: chunks[*i].1.clone(),
            score: *score,
            lexical_rank: Some(rank + 1),
            dense_rank: None,
        })
        .collect();
    let judged = assess_relevance(&question, &sources);
    for (s, j) in sources.iter().zip(&judged) {
        println!(
            "[{}] {:<40} coverage {:.2} score {:.2} relevant {}",
            s.number,
            s.section.as_deref().unwrap_or(""),
            j.coverage,
            j.score,
            j.relevant
        );
    }
    println!();
    match extractive_answer(&question, &sources, &ExtractiveOptions::default()) {
        Some(answer) => {
            let c = confidence(&judged, &answer.cited, citation_coverage(&answer.text));
            println!("{}\n\nconfidence {:.2} {:?}", answer.text, c.score, c.level);
        }
        None => println!("{}", refusal_text(AnswerMode::Grounded, "Sage")),
    }
}
