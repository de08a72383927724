//! Measures the peak memory of reading a PDF with very many short pages, the shape of a hostile
//! upload (150,000 pages in about 24 MB). Two steps, so generating the file does not count:
//!
//! ```text
//! cargo run -p wayfinder-knowledge-rules --example pdf_memory -- generate /tmp/many-pages.pdf 150000
//! cargo run -p wayfinder-knowledge-rules --example pdf_memory -- extract /tmp/many-pages.pdf
//! ```
//!
//! `extract` reads the file, extracts and chunks it as ingestion does, then prints the page and
//! chunk counts and the process's peak (`VmHWM`) and current (`VmRSS`) resident memory, before
//! and after dropping every buffer (Linux only). It asserts nothing.

use lopdf::content::{Content, Operation};
use lopdf::{Document, Object, Stream, dictionary};
use wayfinder_knowledge_rules::{ChunkingConfig, WordPieceEstimate, chunk_document, extract, lexical_terms};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["generate", path, pages] => generate(path, pages.parse().expect("a page count")),
        ["generate", path] => generate(path, 150_000),
        ["extract", path] => measure(path),
        _ => eprintln!("usage: pdf_memory generate PATH [PAGES] | pdf_memory extract PATH"),
    }
}

/// One page tree node over `pages` pages, each showing one short line in an uncompressed stream.
fn generate(path: &str, pages: usize) {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! { "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica" });
    let mut kids = Vec::with_capacity(pages);
    for number in 1..=pages {
        let operations = vec![
            Operation::new("BT", vec![]),
            Operation::new("Tf", vec!["F1".into(), 12.into()]),
            Operation::new("Tj", vec![Object::string_literal(format!("Page {number}."))]),
            Operation::new("ET", vec![]),
        ];
        let content = Content { operations }.encode().expect("content encodes");
        let content_id = doc.add_object(Stream::new(dictionary! {}, content));
        kids.push(Object::from(doc.add_object(dictionary! {
            "Type" => "Page", "Parent" => pages_id, "Contents" => content_id,
        })));
    }
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => kids,
            "Count" => pages as i64,
            "Resources" => dictionary! { "Font" => dictionary! { "F1" => font_id } },
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        }),
    );
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    doc.save(path).expect("PDF written");
    println!("{path}: {pages} pages, {} bytes", std::fs::metadata(path).map(|m| m.len()).unwrap_or(0));
}

fn measure(path: &str) {
    let bytes = std::fs::read(path).expect("PDF read");
    let started = std::time::Instant::now();
    let document = extract(path, &bytes, usize::MAX).expect("PDF extracts");
    let chunks = chunk_document(&document, &ChunkingConfig::default(), &WordPieceEstimate);
    let terms: usize = chunks.iter().map(|c| lexical_terms(&c.text).len()).sum();
    println!(
        "{} pages, {} blocks, {} chunks, {terms} terms in {:.1?}",
        document.pages.unwrap_or(0),
        document.blocks.len(),
        chunks.len(),
        started.elapsed()
    );
    println!("done: {}", memory_status());
    drop((document, chunks, bytes));
    println!("all dropped: {}", memory_status());
}

/// `VmHWM` (peak resident) and `VmRSS` (now) from /proc/self/status.
fn memory_status() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status.lines().filter(|l| l.starts_with("VmHWM") || l.starts_with("VmRSS")).collect::<Vec<_>>().join(", ")
}
