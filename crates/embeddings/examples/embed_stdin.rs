//! Prints the local embedding of each line of standard input, one vector per line
//! (space-separated, 9 decimals), for comparing against a reference implementation
//! (`scripts/compare-embeddings-with-numpy`) or the int8 kernel against the f32 one.
//!
//! `cargo run --release --example embed_stdin -- MODEL_DIR [int8|f32] < texts.txt`
//! (default: the fastest kernel this CPU runs)

use std::io::BufRead;

use wayfinder_embeddings::{LocalEmbedder, MatrixKernel};

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: embed_stdin MODEL_DIR [int8|f32] < texts.txt");
        std::process::exit(2)
    };
    let kernel = match args.next() {
        Some(name) => name.parse().unwrap_or_else(|e: String| {
            eprintln!("{e}");
            std::process::exit(2)
        }),
        None => MatrixKernel::fastest(),
    };
    let model = LocalEmbedder::load_with(std::path::Path::new(&dir), kernel).expect("load model");
    eprint!("{} kernel", model.kernel().as_str());
    let texts: Vec<String> = std::io::stdin().lock().lines().map(|l| l.expect("read stdin")).collect();
    for v in model.embed_blocking(&texts).expect("embed") {
        println!("{}", v.iter().map(|x| format!("{x:.9}")).collect::<Vec<_>>().join(" "));
    }
}
