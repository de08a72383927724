//! Prints the local embedding of each line of standard input, one vector per line
//! (space-separated, 9 decimals), for comparing against a reference implementation
//! (`scripts/compare-with-numpy`).
//!
//! `cargo run --release --example embed_stdin -- MODEL_DIR < texts.txt`

use std::io::BufRead;

use wayfinder_embeddings::LocalEmbedder;

fn main() {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: embed_stdin MODEL_DIR < texts.txt");
        std::process::exit(2)
    };
    let model = LocalEmbedder::load(std::path::Path::new(&dir)).expect("load model");
    let texts: Vec<String> = std::io::stdin().lock().lines().map(|l| l.expect("read stdin")).collect();
    for v in model.embed_blocking(&texts).expect("embed") {
        println!("{}", v.iter().map(|x| format!("{x:.9}")).collect::<Vec<_>>().join(" "));
    }
}
