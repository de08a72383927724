use wayfinder_knowledge_rules::{ChunkingConfig, WordPieceEstimate};
use wayfinder_knowledge_rules::{ContentType, ExtractError, chunk_document, detect, extract};

use crate::fixtures::{
    Line, OutlineEntry, docx, docx_paragraph, pdf, pdf_from_operations, pdf_with_nested_page_tree, text, zip_of,
};

const LIMIT: usize = 10 * 1024 * 1024;

fn path(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|p| p.to_string()).collect()
}

// ---------------------------------------------------------------- PDF

#[test]
fn pdf_keeps_each_pages_text_with_its_page_number_and_the_info_title() {
    let bytes = pdf(
        &[
            vec![text("The heron waits in the shallow water.")],
            vec![text("Spaced repetition beats cramming before exams.")],
            vec![text("Feynman explained ideas in plain words.")],
        ],
        Some("Study Notes"),
        &[],
    );
    let doc = extract("notes.pdf", &bytes, LIMIT).unwrap();
    assert_eq!(doc.title, "Study Notes");
    assert_eq!(doc.content_type, ContentType::Pdf);
    assert_eq!(doc.pages, Some(3));
    let pages: Vec<(Option<u32>, &str)> = doc.blocks.iter().map(|b| (b.page, b.text.as_str())).collect();
    assert_eq!(
        pages,
        vec![
            (Some(1), "The heron waits in the shallow water."),
            (Some(2), "Spaced repetition beats cramming before exams."),
            (Some(3), "Feynman explained ideas in plain words."),
        ]
    );
    assert!(doc.blocks.iter().all(|b| b.section_path.is_empty()));
}

#[test]
fn pdf_without_info_title_is_named_after_the_file() {
    let bytes = pdf(&[vec![text("Only one page here.")]], None, &[]);
    assert_eq!(extract("uploads/Week 3 reading.pdf", &bytes, LIMIT).unwrap().title, "Week 3 reading");
}

/// Every line carries a marker `pNlM` naming its page, so a chunk's true page range can be read
/// from its own text and compared with what the chunker recorded.
fn marked_lines(page: usize, count: usize) -> Vec<Line> {
    (1..=count).map(|line| text(format!("p{page}l{line} students review their notes every single evening."))).collect()
}

fn marker_pages(chunk_text: &str) -> (u32, u32) {
    let pages: Vec<u32> =
        chunk_text.split_whitespace().filter_map(|w| w.strip_prefix('p')?.split_once('l')?.0.parse().ok()).collect();
    (*pages.iter().min().unwrap(), *pages.iter().max().unwrap())
}

#[test]
fn a_long_pdf_page_split_into_chunks_keeps_the_page_range_each_chunk_covers() {
    let bytes = pdf(&[marked_lines(1, 5), marked_lines(2, 120), marked_lines(3, 5)], None, &[]);
    let doc = extract("long.pdf", &bytes, LIMIT).unwrap();
    let config = ChunkingConfig { target_tokens: 150, overlap_tokens: 20 };
    let chunks = chunk_document(&doc, &config, &WordPieceEstimate);
    assert!(chunks.len() >= 8, "page 2 alone is ~1,300 tokens, got {} chunks", chunks.len());
    for chunk in &chunks {
        let (first, last) = marker_pages(&chunk.text);
        assert_eq!((chunk.page_start, chunk.page_end), (Some(first), Some(last)), "chunk {}", chunk.text);
    }
    // Chunks entirely inside page 2, and ones crossing into it from page 1 and out to page 3.
    assert!(chunks.iter().any(|c| c.page_start == Some(2) && c.page_end == Some(2)));
    assert!(chunks.iter().any(|c| c.page_start == Some(1) && c.page_end == Some(2)));
    assert!(chunks.iter().any(|c| c.page_end == Some(3)));
}

#[test]
fn pdf_outline_gives_sections_split_where_the_heading_appears_on_the_page() {
    let bytes = pdf(
        &[
            vec![text("Chapter One"), text("Attention is a limited resource.")],
            vec![
                text("The first chapter ends with a summary."),
                Line::Gap,
                // Printed with its number, which the outline title leaves out.
                text("2 Chapter Two"),
                text("Retrieval practice strengthens memory."),
            ],
            vec![text("Worked Examples"), text("Practice problems come with solutions.")],
        ],
        Some("Learning"),
        &[
            OutlineEntry { title: "Chapter One", page: 1, parent: None },
            OutlineEntry { title: "Chapter Two", page: 2, parent: None },
            OutlineEntry { title: "Worked Examples", page: 3, parent: Some(1) },
        ],
    );
    let doc = extract("learning.pdf", &bytes, LIMIT).unwrap();
    let blocks: Vec<(Vec<String>, Option<u32>, &str)> =
        doc.blocks.iter().map(|b| (b.section_path.clone(), b.page, b.text.as_str())).collect();
    assert_eq!(
        blocks,
        vec![
            (path(&["Chapter One"]), Some(1), "Attention is a limited resource."),
            (path(&["Chapter One"]), Some(2), "The first chapter ends with a summary."),
            (path(&["Chapter Two"]), Some(2), "Retrieval practice strengthens memory."),
            (path(&["Chapter Two", "Worked Examples"]), Some(3), "Practice problems come with solutions."),
        ]
    );
}

#[test]
fn pdf_text_keeps_word_gaps_from_kerning_and_joins_wrapped_lines() {
    use lopdf::Object;
    use lopdf::content::Operation;
    let ops = vec![
        Operation::new("BT", vec![]),
        Operation::new("Tf", vec!["F1".into(), 10.into()]),
        Operation::new("Td", vec![72.into(), 700.into()]),
        // A TJ array with kerning inside a word (-20) and an inter-word gap (-300).
        Operation::new(
            "TJ",
            vec![Object::Array(vec![
                Object::string_literal("Re"),
                (-20).into(),
                Object::string_literal("view"),
                (-300).into(),
                Object::string_literal("your notes and con-"),
            ])],
        ),
        Operation::new("Td", vec![0.into(), (-12).into()]),
        Operation::new("Tj", vec![Object::string_literal("solidate them daily.")]),
        // A big vertical gap: a new paragraph.
        Operation::new("Td", vec![0.into(), (-40).into()]),
        Operation::new("Tj", vec![Object::string_literal("Next paragraph.")]),
        Operation::new("ET", vec![]),
    ];
    let bytes = pdf_from_operations(vec![ops], None, &[], None);
    let doc = extract("kerning.pdf", &bytes, LIMIT).unwrap();
    assert_eq!(doc.text(), "Review your notes and consolidate them daily.\n\nNext paragraph.");
}

#[test]
fn pdf_with_pages_but_no_text_layer_is_empty() {
    use lopdf::content::Operation;
    // A scanned page is an image; here, a page that only strokes a line.
    let ops = vec![
        Operation::new("m", vec![0.into(), 0.into()]),
        Operation::new("l", vec![100.into(), 100.into()]),
        Operation::new("S", vec![]),
    ];
    let bytes = pdf_from_operations(vec![ops.clone(), ops], Some("Scan"), &[], None);
    let err = extract("scan.pdf", &bytes, LIMIT).unwrap_err();
    assert_eq!(err, ExtractError::Empty);
    assert_eq!(err.code().to_string(), "empty_document");
}

#[test]
fn a_page_tree_nested_200_000_levels_deep_is_broken_not_empty() {
    for leaf_text in [None, Some("Text at the bottom of the tree.")] {
        let bytes = pdf_with_nested_page_tree(200_000, leaf_text);
        let err = extract("deep.pdf", &bytes, 64 * 1024 * 1024).unwrap_err();
        assert!(matches!(&err, ExtractError::Broken { reason } if reason.contains("nested")), "{err:?}");
        assert_eq!(err.code().to_string(), "broken_document");
    }
    // Nesting a real producer might write still reads.
    let doc = extract("shallow.pdf", &pdf_with_nested_page_tree(40, Some("Text at the bottom.")), LIMIT).unwrap();
    assert_eq!(doc.text(), "Text at the bottom.");
    assert_eq!(doc.pages, Some(1));
}

#[test]
fn truncated_or_garbage_pdf_is_broken() {
    let err = extract("bad.pdf", b"%PDF-1.4\n\x00\x01garbage that is not a PDF body \xff\xfe", LIMIT).unwrap_err();
    assert!(matches!(&err, ExtractError::Broken { reason } if reason.contains("PDF")), "{err:?}");
    assert_eq!(err.code().to_string(), "broken_document");

    let good = pdf(&[vec![text("Some text that will be cut off.")]], None, &[]);
    let err = extract("cut.pdf", &good[..good.len() / 3], LIMIT).unwrap_err();
    assert!(matches!(err, ExtractError::Broken { .. } | ExtractError::Empty), "{err:?}");
}

#[test]
fn a_file_named_pdf_that_is_not_a_pdf_is_broken() {
    let err = extract("essay.pdf", b"Just some text saved with the wrong name.", LIMIT).unwrap_err();
    assert_eq!(err, ExtractError::Broken { reason: "the file is named .pdf but is not a PDF".into() });
}

#[test]
fn password_protected_pdf_is_broken_with_a_clear_reason() {
    use lopdf::Object;
    use lopdf::content::Operation;
    let ops = vec![
        Operation::new("BT", vec![]),
        Operation::new("Tf", vec!["F1".into(), 12.into()]),
        Operation::new("Tj", vec![Object::string_literal("Secret study plan.")]),
        Operation::new("ET", vec![]),
    ];
    let locked = pdf_from_operations(vec![ops.clone()], None, &[], Some("hunter2"));
    let err = extract("locked.pdf", &locked, LIMIT).unwrap_err();
    assert!(matches!(&err, ExtractError::Broken { reason } if reason.contains("password")), "{err:?}");

    // An empty user password (owner-only protection) opens without asking.
    let open = pdf_from_operations(vec![ops], None, &[], Some(""));
    assert_eq!(extract("open.pdf", &open, LIMIT).unwrap().text(), "Secret study plan.");
}

// ---------------------------------------------------------------- DOCX

#[test]
fn docx_headings_build_section_paths_and_title() {
    let body = [
        docx_paragraph(Some("Title"), "Study Skills Handbook"),
        docx_paragraph(None, "How to learn well."),
        docx_paragraph(Some("Heading1"), "Chapter 3"),
        docx_paragraph(None, "Taking notes by hand helps recall."),
        docx_paragraph(Some("Heading2"), "Note-taking"),
        r#"<w:p><w:r><w:t>Cornell</w:t><w:tab/><w:t>method &amp; mind maps</w:t><w:br/><w:t>second line</w:t></w:r></w:p>"#.to_string(),
        r#"<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Method</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Use</w:t></w:r></w:p></w:tc></w:tr><w:tr><w:tc><w:p><w:r><w:t>Outline</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Lectures</w:t></w:r></w:p></w:tc></w:tr></w:tbl>"#.to_string(),
        docx_paragraph(Some("Heading1"), "Chapter 4"),
        docx_paragraph(None, "Exams reward retrieval practice."),
    ]
    .concat();
    let doc = extract("handbook.docx", &docx(&body, None), LIMIT).unwrap();
    assert_eq!(doc.title, "Study Skills Handbook");
    assert_eq!(doc.content_type, ContentType::Docx);
    assert_eq!(doc.pages, None);
    let blocks: Vec<(Vec<String>, &str)> =
        doc.blocks.iter().map(|b| (b.section_path.clone(), b.text.as_str())).collect();
    assert_eq!(
        blocks,
        vec![
            (path(&["Study Skills Handbook"]), "How to learn well."),
            (path(&["Chapter 3"]), "Taking notes by hand helps recall."),
            (
                path(&["Chapter 3", "Note-taking"]),
                "Cornell method & mind maps\nsecond line\n\nMethod | Use\nOutline | Lectures"
            ),
            (path(&["Chapter 4"]), "Exams reward retrieval practice."),
        ]
    );
}

#[test]
fn docx_headings_are_recognised_by_style_name_when_the_id_is_localised() {
    let styles = r#"<?xml version="1.0" encoding="UTF-8"?>
<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">
<w:style w:type="paragraph" w:styleId="berschrift1"><w:name w:val="heading 1"/></w:style>
<w:style w:type="paragraph" w:styleId="Kapitel"><w:name w:val="Kapitel"/><w:basedOn w:val="berschrift1"/></w:style>
<w:style w:type="paragraph" w:styleId="Zwischen"><w:name w:val="Zwischen"/><w:pPr><w:outlineLvl w:val="1"/></w:pPr></w:style>
</w:styles>"#;
    let body = [
        docx_paragraph(Some("berschrift1"), "Lernen"),
        docx_paragraph(Some("Zwischen"), "Wiederholen"),
        docx_paragraph(None, "Jeden Tag ein wenig."),
        docx_paragraph(Some("Kapitel"), "Prüfungen"),
        docx_paragraph(None, "Ruhig bleiben."),
    ]
    .concat();
    let doc = extract("lernen.docx", &docx(&body, Some(styles)), LIMIT).unwrap();
    assert_eq!(doc.title, "Lernen");
    let paths: Vec<Vec<String>> = doc.blocks.iter().map(|b| b.section_path.clone()).collect();
    assert_eq!(paths, vec![path(&["Lernen", "Wiederholen"]), path(&["Prüfungen"])]);
}

#[test]
fn docx_that_is_not_a_zip_or_lacks_the_document_part_is_broken() {
    let err = extract("report.docx", b"This is plain text named .docx", LIMIT).unwrap_err();
    assert!(matches!(&err, ExtractError::Broken { reason } if reason.contains("not a Word document")), "{err:?}");
    assert_eq!(err.code().to_string(), "broken_document");

    let not_word = zip_of(&[("readme.txt", "hello".to_string())]);
    let err = extract("report.docx", &not_word, LIMIT).unwrap_err();
    assert!(matches!(&err, ExtractError::Broken { reason } if reason.contains("word/document.xml")), "{err:?}");

    let mut truncated = docx(&docx_paragraph(None, "Some words."), None);
    truncated.truncate(truncated.len() / 2);
    assert_eq!(extract("report.docx", &truncated, LIMIT).unwrap_err().code().to_string(), "broken_document");
}

#[test]
fn docx_with_only_empty_paragraphs_is_empty() {
    let body = [docx_paragraph(None, "   "), docx_paragraph(Some("Heading1"), "")].concat();
    assert_eq!(extract("blank.docx", &docx(&body, None), LIMIT).unwrap_err(), ExtractError::Empty);
}

// ---------------------------------------------------------------- HTML

const PAGE: &str = r#"<!doctype html>
<html><head>
  <title>  Memory   Techniques | Study Hub </title>
  <style>.secret-css { color: red }</style>
  <script>var trackingScriptText = "should never appear";</script>
</head>
<body>
  <header><a href="/">Study Hub home</a> <nav><a href="/login">Log in to Study Hub</a></nav></header>
  <nav class="sidebar"><ul><li><a href="/a">Sidebar link alpha</a></li></ul></nav>
  <main>
    <article>
      <header><h1>Memory Techniques</h1></header>
      <p>Memory improves with   <b>spaced</b>
         repetition.</p>
      <h2>The Method of Loci</h2>
      <p>Place items along a <a href="https://example.org/route">familiar route</a>.</p>
      <ul><li>Pick a route</li><li>Place images</li></ul>
      <h3>Example</h3>
      <pre>walk  door
  kitchen</pre>
      <h2>Chunking</h2>
      <table><tr><th>Digits</th><th>Chunks</th></tr><tr><td>0123456789</td><td><p>012 345</p><p>6789</p></td></tr></table>
      <blockquote>Seven plus or minus two.</blockquote>
      <noscript>Enable JavaScript to see noscript text</noscript>
      <div hidden>Hidden helper text</div>
    </article>
  </main>
  <footer>Copyright footer text</footer>
  <script>document.write("late script text")</script>
</body></html>"#;

#[test]
fn html_drops_page_furniture_and_keeps_headings_as_sections() {
    let doc = extract("memory.html", PAGE.as_bytes(), LIMIT).unwrap();
    assert_eq!(doc.title, "Memory Techniques | Study Hub");
    assert_eq!(doc.content_type, ContentType::Html);
    let all = doc.text();
    for noise in [
        "trackingScriptText",
        "secret-css",
        "Study Hub home",
        "Log in",
        "Sidebar link",
        "Copyright",
        "late script",
        "noscript text",
        "Hidden helper",
        "example.org",
    ] {
        assert!(!all.contains(noise), "{noise:?} leaked into {all:?}");
    }
    let blocks: Vec<(Vec<String>, &str)> =
        doc.blocks.iter().map(|b| (b.section_path.clone(), b.text.as_str())).collect();
    assert_eq!(
        blocks,
        vec![
            (path(&["Memory Techniques"]), "Memory improves with spaced repetition."),
            (
                path(&["Memory Techniques", "The Method of Loci"]),
                "Place items along a familiar route.\n\nPick a route\nPlace images"
            ),
            (path(&["Memory Techniques", "The Method of Loci", "Example"]), "walk  door\n  kitchen"),
            (
                path(&["Memory Techniques", "Chunking"]),
                "Digits | Chunks\n0123456789 | 012 345 6789\n\nSeven plus or minus two."
            ),
        ]
    );
}

#[test]
fn html_without_title_uses_first_h1_and_script_only_page_is_empty() {
    let doc = extract("a.htm", b"<h1>Focus</h1><p>Turn off notifications.</p>", LIMIT).unwrap();
    assert_eq!(doc.title, "Focus");
    let err = extract("b.html", b"<html><script>alert('only script')</script></html>", LIMIT).unwrap_err();
    assert_eq!(err, ExtractError::Empty);
}

// ---------------------------------------------------------------- Markdown

const MARKDOWN: &str = "---
title: Front matter title
---
# Exam Preparation

Start *early*, see [the guide](https://example.org/guide).

## Planning

- Make a schedule
- Block time
  - mornings for maths

### Tools

```
pomodoro --minutes 25
```

| Tool | Use |
|------|-----|
| Anki | flashcards |

## Rest
Sleep matters.<span>inline html</span>

# Appendix

Extra reading.
";

#[test]
fn markdown_headings_nest_and_reset_and_text_survives() {
    let doc = extract("exam.md", MARKDOWN.as_bytes(), LIMIT).unwrap();
    assert_eq!(doc.title, "Exam Preparation");
    assert_eq!(doc.content_type, ContentType::Markdown);
    let blocks: Vec<(Vec<String>, &str)> =
        doc.blocks.iter().map(|b| (b.section_path.clone(), b.text.as_str())).collect();
    assert_eq!(
        blocks,
        vec![
            (path(&["Exam Preparation"]), "Start early, see the guide."),
            (path(&["Exam Preparation", "Planning"]), "Make a schedule\nBlock time\nmornings for maths"),
            (
                path(&["Exam Preparation", "Planning", "Tools"]),
                "pomodoro --minutes 25\n\nTool | Use\nAnki | flashcards"
            ),
            (path(&["Exam Preparation", "Rest"]), "Sleep matters.inline html"),
            (path(&["Appendix"]), "Extra reading."),
        ]
    );
    assert!(!doc.text().contains("example.org"));
    assert!(!doc.text().contains("Front matter"));
}

#[test]
fn markdown_without_h1_takes_front_matter_title_then_file_name() {
    let doc = extract("notes.markdown", b"---\ntitle: \"Weekly review\"\n---\nSome notes.", LIMIT).unwrap();
    assert_eq!(doc.title, "Weekly review");
    let doc = extract("notes.md", b"## Only a subheading\n\nText.", LIMIT).unwrap();
    assert_eq!(doc.title, "notes");
}

// ---------------------------------------------------------------- Text

#[test]
fn text_is_one_block_of_paragraphs_named_after_the_file() {
    let doc = extract("journal.txt", b"First line\r\nstill first paragraph\r\n\r\n\r\n  Second paragraph  \n", LIMIT)
        .unwrap();
    assert_eq!(doc.title, "journal");
    assert_eq!(doc.content_type, ContentType::Text);
    assert_eq!(doc.blocks.len(), 1);
    assert_eq!(doc.blocks[0].text, "First line\nstill first paragraph\n\nSecond paragraph");
    assert!(doc.blocks[0].section_path.is_empty());
}

#[test]
fn text_encodings_utf16_and_legacy_windows_1252_decode_binary_is_refused() {
    let utf16: Vec<u8> = [0xFF, 0xFE].into_iter().chain("Grüße".encode_utf16().flat_map(u16::to_le_bytes)).collect();
    assert_eq!(extract("a.txt", &utf16, LIMIT).unwrap().text(), "Grüße");
    // "café – naïve" in Windows-1252: not valid UTF-8, decoded instead of mangled.
    assert_eq!(extract("b.text", b"caf\xe9 \x96 na\xefve", LIMIT).unwrap().text(), "café – naïve");
    let err = extract("c.txt", b"MZ\x90\x00\x03\x00\x00\x00binary", LIMIT).unwrap_err();
    assert!(matches!(&err, ExtractError::Broken { reason } if reason.contains("binary")), "{err:?}");
}

// ---------------------------------------------------------------- Refusals

#[test]
fn empty_and_whitespace_only_files_are_empty_for_every_type() {
    for name in ["a.txt", "a.md", "a.html", "a.pdf", "a.docx"] {
        for bytes in [&b""[..], b"  \n\t \r\n "] {
            let err = extract(name, bytes, LIMIT).unwrap_err();
            assert_eq!(err, ExtractError::Empty, "{name} {bytes:?}");
            assert_eq!(err.code().to_string(), "empty_document");
        }
    }
    assert_eq!(extract("a.html", b"<p> \n </p><div>&nbsp;</div>", LIMIT).unwrap_err(), ExtractError::Empty);
}

#[test]
fn oversized_input_is_refused_before_parsing() {
    // Garbage that would be Broken if parsed: TooLarge must win.
    let bytes = vec![b'x'; 2048];
    let err = extract("huge.pdf", &bytes, 1024).unwrap_err();
    assert_eq!(err, ExtractError::TooLarge { limit: 1024 });
    assert_eq!(err.code().to_string(), "file_too_large");
    assert!(extract("ok.txt", &bytes, 2048).is_ok(), "exactly at the limit is allowed");
}

#[test]
fn unknown_extensions_are_unsupported() {
    let err = extract("setup.exe", b"MZ\x90\x00", LIMIT).unwrap_err();
    assert_eq!(err, ExtractError::Unsupported { extension: "exe".into() });
    assert_eq!(err.code().to_string(), "unsupported_type");
    assert_eq!(
        extract("Makefile", b"all:", LIMIT).unwrap_err(),
        ExtractError::Unsupported { extension: String::new() }
    );
    assert_eq!(extract(".md", b"hidden file", LIMIT).unwrap_err().code().to_string(), "unsupported_type");
    assert!(err.to_string().contains(".exe"));
}

#[test]
fn detect_uses_extension_and_checks_magic_bytes() {
    let pdf_bytes = pdf(&[vec![text("x")]], None, &[]);
    assert_eq!(detect("A.PDF", &pdf_bytes), Ok(ContentType::Pdf));
    assert_eq!(detect("a.docx", &docx("", None)), Ok(ContentType::Docx));
    assert_eq!(detect("a.Markdown", b"# x"), Ok(ContentType::Markdown));
    assert_eq!(detect("dir.v2/a.htm", b"<p>"), Ok(ContentType::Html));
    assert_eq!(detect("a.text", b"x"), Ok(ContentType::Text));
    assert_eq!(detect("a.docx", &pdf_bytes).unwrap_err().code().to_string(), "broken_document");
    assert_eq!(detect("a.pdf", b"PK\x03\x04").unwrap_err().code().to_string(), "broken_document");
    assert_eq!(ContentType::Docx.as_str(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
    assert_eq!(ContentType::Pdf.as_str(), "application/pdf");
    assert_eq!(ContentType::Markdown.as_str(), "text/markdown");
}

#[test]
fn corrupted_pdf_and_docx_bytes_give_an_error_or_text_never_a_panic() {
    let pdf_bytes = pdf(&[marked_lines(1, 20), marked_lines(2, 20)], Some("T"), &[]);
    let docx_bytes = docx(&[docx_paragraph(Some("Heading1"), "H"), docx_paragraph(None, "Body text.")].concat(), None);
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    for (name, original, content_type) in
        [("x.pdf", &pdf_bytes, ContentType::Pdf), ("x.docx", &docx_bytes, ContentType::Docx)]
    {
        for round in 0..150 {
            let mut bytes = original.clone();
            for _ in 0..1 + next(8) {
                let at = next(bytes.len());
                bytes[at] = next(256) as u8;
            }
            if next(4) == 0 {
                bytes.truncate(next(bytes.len()) + 1);
            }
            // Whatever happens, it is a value: Ok, or one of the four errors. Which one is decided
            // here from the bytes alone: the name is supported and the size is under the limit, so
            // never Unsupported or TooLarge; blank bytes are Empty; bytes that lost their format's
            // magic are Broken; anything else parses to text, or is Broken or Empty.
            let blank = bytes.iter().all(u8::is_ascii_whitespace);
            let has_magic = match content_type {
                ContentType::Pdf => bytes[..bytes.len().min(1024)].windows(5).any(|w| w == b"%PDF-"),
                _ => bytes.starts_with(b"PK\x03\x04"),
            };
            let case = format!("{name}, round {round}, {} bytes", bytes.len());
            match extract(name, &bytes, LIMIT) {
                Ok(doc) => {
                    assert!(!blank && has_magic, "{case}: read as text although it cannot be");
                    assert_eq!(doc.content_type, content_type, "{case}");
                    assert!(!doc.blocks.is_empty(), "{case}: text without blocks");
                    assert!(doc.blocks.iter().all(|b| !b.text.trim().is_empty()), "{case}: a blank block");
                    match content_type {
                        ContentType::Pdf => {
                            let pages = doc.pages.unwrap_or_else(|| panic!("{case}: a PDF without a page count"));
                            assert!(
                                doc.blocks.iter().all(|b| b.page.is_some_and(|p| (1..=pages).contains(&p))),
                                "{case}: a block outside the document's {pages} pages"
                            );
                        }
                        _ => assert!(doc.pages.is_none() && doc.blocks.iter().all(|b| b.page.is_none()), "{case}"),
                    }
                }
                Err(ExtractError::Empty) => assert!(blank || has_magic, "{case}: Empty instead of Broken"),
                Err(ExtractError::Broken { reason }) => {
                    assert!(!blank, "{case}: blank bytes must be Empty, got Broken ({reason})");
                    assert!(!reason.trim().is_empty(), "{case}: Broken without a reason");
                }
                Err(other) => panic!("{case}: {other:?} cannot come from a supported name under the limit"),
            }
        }
    }
}
