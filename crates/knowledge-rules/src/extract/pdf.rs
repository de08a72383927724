//! PDF through `lopdf`: the text layer page by page (1-based page numbers), the document info
//! title, and section paths from the outline (bookmarks) when there is one.
//!
//! We walk each page's content stream ourselves instead of calling `Document::extract_text`:
//! lopdf's helper emits a whole page as one line, while tracking the text position lets us
//! keep line and paragraph breaks, which the chunker uses as split points.
//!
//! Not read: text inside form XObjects, scanned pages (an image, so a scan-only PDF is `Empty`),
//! and glyphs of fonts without a Unicode mapping (subset fonts lacking ToUnicode). Reading order
//! is content-stream order, which for multi-column layouts may interleave columns.

use std::collections::BTreeMap;

use lopdf::{Dictionary, Document, Encoding, Object, ObjectId, content::Content};

use super::{BlockBuilder, ContentType, ExtractError, ExtractedDocument, Headings, clean_text, collapse_whitespace};

/// Bound on one page's decompressed content and one font's ToUnicode map, so a small
/// "decompression bomb" upload cannot exhaust memory.
const MAX_DECOMPRESSED: usize = 64 * 1024 * 1024;

/// A TJ adjustment more negative than this (thousandths of an em) is an inter-word gap;
/// kerning inside words stays well above it.
const WORD_GAP: f32 = -150.0;

/// Deepest page tree we walk. Producers write balanced trees a handful of levels deep (a million
/// pages fit in 6 levels of 10 kids); a deeper tree is a crafted file, refused as broken.
const MAX_PAGE_TREE_DEPTH: usize = 64;

pub(super) fn extract(bytes: &[u8], fallback_title: String) -> Result<ExtractedDocument, ExtractError> {
    // lopdf is a large parser facing untrusted input; a panic in it must fail this upload, not the
    // ingestion worker. (Only effective with panic=unwind, the default.)
    std::panic::catch_unwind(|| read(bytes, fallback_title))
        .unwrap_or_else(|_| Err(ExtractError::broken("the PDF is malformed (the parser gave up)")))
}

fn read(bytes: &[u8], fallback_title: String) -> Result<ExtractedDocument, ExtractError> {
    let doc = Document::load_mem(bytes).map_err(|e| ExtractError::broken(format!("the PDF cannot be parsed ({e})")))?;
    // lopdf opens documents with an empty user password by itself (owner-only protection is
    // common); anything still encrypted needs a password we do not have.
    if doc.is_encrypted() && !doc.was_encrypted() {
        return Err(ExtractError::broken("the PDF is password-protected; upload a copy without a password"));
    }
    let pages = page_ids(&doc)?;
    if pages.is_empty() {
        return Err(ExtractError::broken("the PDF has no pages"));
    }
    let outline = outline(&doc);
    let mut next_entry = 0;

    let mut headings = Headings::default();
    let mut blocks = BlockBuilder::default();
    let mut first_error = None;
    let mut readable_pages = 0;
    for (number, &page_id) in (1..).zip(&pages) {
        let text = match page_text(&doc, page_id) {
            Ok(text) => text,
            Err(e) => {
                first_error.get_or_insert(e);
                continue;
            }
        };
        readable_pages += 1;
        // Split the page where each outline entry pointing at it starts, so text above a heading
        // stays in the previous section.
        let mut cursor = 0;
        while let Some(entry) = outline.get(next_entry).filter(|e| e.page <= number) {
            next_entry += 1;
            let found = if entry.page == number { find_phrase(&text[cursor..], &entry.title) } else { None };
            if let Some((start, end)) = found {
                let start = include_section_number(&text[cursor..], start);
                push_text(&mut blocks, &headings, number, &text[cursor..cursor + start]);
                cursor += end;
            }
            headings.enter(entry.level, &entry.title);
        }
        push_text(&mut blocks, &headings, number, &text[cursor..]);
    }
    if readable_pages == 0 {
        let reason = first_error.map(|e| e.to_string()).unwrap_or_default();
        return Err(ExtractError::broken(format!("no page of the PDF could be read ({reason})")));
    }

    Ok(ExtractedDocument {
        title: info_title(&doc).unwrap_or(fallback_title),
        content_type: ContentType::Pdf,
        pages: Some(u32::try_from(pages.len()).unwrap_or(u32::MAX)),
        blocks: blocks.finish(),
    })
}

/// The page objects in reading order, walking the page tree with an explicit stack (so depth
/// costs heap, not call stack) and visiting each node once (so a cycle or a shared subtree cannot
/// loop or multiply work). lopdf's own walk follows a single-kid chain to any depth, and a page
/// found at the bottom of such a chain then fails or reads as blank, reporting a crafted file as
/// empty rather than broken.
fn page_ids(doc: &Document) -> Result<Vec<ObjectId>, ExtractError> {
    let root = doc
        .catalog()
        .and_then(|catalog| catalog.get(b"Pages"))
        .and_then(Object::as_reference)
        .map_err(|e| ExtractError::broken(format!("the PDF has no page tree ({e})")))?;
    let mut pages = Vec::new();
    let mut seen = std::collections::HashSet::from([root]);
    // Each level holds the kids still to visit under one node, in order.
    let mut stack: Vec<std::slice::Iter<Object>> = vec![kids(doc, root).iter()];
    while let Some(level) = stack.last_mut() {
        let Some(kid) = level.next() else {
            stack.pop();
            continue;
        };
        let Ok(id) = kid.as_reference() else { continue };
        if !seen.insert(id) {
            continue;
        }
        let Ok(node) = doc.get_dictionary(id) else {
            // A kid that does not load keeps its page slot, as viewers show a blank page; reading
            // it then fails like any unreadable page.
            pages.push(id);
            continue;
        };
        match node.get_type() {
            Ok(b"Pages") => {
                if stack.len() >= MAX_PAGE_TREE_DEPTH {
                    return Err(ExtractError::broken(format!(
                        "the PDF's page tree is nested more than {MAX_PAGE_TREE_DEPTH} levels deep"
                    )));
                }
                stack.push(kids(doc, id).iter());
            }
            Ok(b"Page") | Err(_) => pages.push(id),
            Ok(_) => {}
        }
    }
    Ok(pages)
}

/// A page-tree node's `/Kids`, empty when it has none or they do not load.
fn kids(doc: &Document, node: ObjectId) -> &[Object] {
    doc.get_dictionary(node)
        .and_then(|node| node.get_deref(b"Kids", doc))
        .and_then(Object::as_array)
        .map_or(&[], Vec::as_slice)
}

fn push_text(blocks: &mut BlockBuilder, headings: &Headings, page: u32, text: &str) {
    for paragraph in text.split("\n\n") {
        blocks.paragraph(headings, Some(page), paragraph);
    }
}

/// The `/Title` of the document information dictionary, if it says something.
fn info_title(doc: &Document) -> Option<String> {
    let info = match doc.trailer.get(b"Info").ok()? {
        Object::Reference(id) => doc.get_dictionary(*id).ok()?,
        Object::Dictionary(dict) => dict,
        _ => return None,
    };
    let title = lopdf::decode_text_string(info.get(b"Title").ok()?).ok()?;
    let title = collapse_whitespace(&clean_text(&title));
    (!title.is_empty()).then_some(title)
}

struct OutlineEntry {
    level: u8,
    title: String,
    page: u32,
}

/// Outline entries in document order; empty when the PDF has no (readable) outline.
fn outline(doc: &Document) -> Vec<OutlineEntry> {
    let Ok(toc) = doc.get_toc() else { return Vec::new() };
    toc.toc
        .into_iter()
        .filter_map(|entry| {
            let title = collapse_whitespace(&normalise_glyphs(&clean_text(&entry.title)));
            Some(OutlineEntry {
                level: u8::try_from(entry.level.max(1)).unwrap_or(u8::MAX),
                page: u32::try_from(entry.page).ok()?,
                title,
            })
        })
        .filter(|entry| !entry.title.is_empty())
        .collect()
}

/// Finds `phrase` in `text` word by word, ignoring case (ASCII) and the amount of whitespace
/// between words; returns its byte range.
fn find_phrase(text: &str, phrase: &str) -> Option<(usize, usize)> {
    let words: Vec<&str> = phrase.split_whitespace().collect();
    let first = words.first()?.as_bytes();
    let hay = text.as_bytes();
    // A UTF-8 needle can only match at a character boundary, so byte positions are safe to slice at.
    (0..hay.len())
        .filter(|&i| hay[i..].len() >= first.len() && hay[i..i + first.len()].eq_ignore_ascii_case(first))
        .find_map(|start| {
            let mut pos = start + first.len();
            for word in &words[1..] {
                let rest = &text[pos..];
                let trimmed = rest.trim_start();
                if trimmed.len() == rest.len() {
                    return None;
                }
                pos += rest.len() - trimmed.len();
                let word = word.as_bytes();
                if !trimmed.as_bytes().get(..word.len())?.eq_ignore_ascii_case(word) {
                    return None;
                }
                pos += word.len();
            }
            Some((start, pos))
        })
}

/// Outline titles usually omit the number printed before the heading ("2.1 Syntax" on the page,
/// "Syntax" in the outline); moves `start` back over such a number on the same line.
fn include_section_number(text: &str, start: usize) -> usize {
    let before = text[..start].trim_end_matches([' ', '\t']);
    if before.len() == start {
        return start;
    }
    let number_start = before.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.').len();
    let is_number = before[number_start..].starts_with(|c: char| c.is_ascii_digit());
    let stands_alone = before[..number_start].is_empty() || before[..number_start].ends_with(char::is_whitespace);
    if is_number && stands_alone { number_start } else { start }
}

/// An affine matrix `[a b c d e f]` in PDF's row-vector convention.
#[derive(Clone, Copy, Debug)]
struct Matrix([f32; 6]);

impl Matrix {
    const IDENTITY: Matrix = Matrix([1.0, 0.0, 0.0, 1.0, 0.0, 0.0]);

    fn translate(x: f32, y: f32) -> Matrix {
        Matrix([1.0, 0.0, 0.0, 1.0, x, y])
    }

    /// `self × other`: apply `self` first, then `other`.
    fn then(self, other: Matrix) -> Matrix {
        let [a, b, c, d, e, f] = self.0;
        let [a2, b2, c2, d2, e2, f2] = other.0;
        Matrix([
            a * a2 + b * c2,
            a * b2 + b * d2,
            c * a2 + d * c2,
            c * b2 + d * d2,
            e * a2 + f * c2 + e2,
            e * b2 + f * d2 + f2,
        ])
    }

    fn from_operands(operands: &[Object]) -> Option<Matrix> {
        let values: Vec<f32> = operands.iter().filter_map(|o| o.as_float().ok()).collect();
        let values: [f32; 6] = values.try_into().ok()?;
        values.iter().all(|v| v.is_finite()).then_some(Matrix(values))
    }
}

/// Turns a page's text-showing operators into lines and paragraphs by following the text position.
struct PageWriter {
    out: String,
    ctm: Matrix,
    ctm_stack: Vec<Matrix>,
    text_matrix: Matrix,
    line_matrix: Matrix,
    leading: f32,
    font_size: f32,
    /// Baseline height and font size (device space) of the last shown text.
    last: Option<(f32, f32)>,
    /// Whether the text position was set explicitly since the last shown text.
    moved: bool,
}

impl PageWriter {
    fn new() -> PageWriter {
        PageWriter {
            out: String::new(),
            ctm: Matrix::IDENTITY,
            ctm_stack: Vec::new(),
            text_matrix: Matrix::IDENTITY,
            line_matrix: Matrix::IDENTITY,
            leading: 0.0,
            font_size: 1.0,
            last: None,
            moved: false,
        }
    }

    fn move_line(&mut self, x: f32, y: f32) {
        self.line_matrix = Matrix::translate(x, y).then(self.line_matrix);
        self.text_matrix = self.line_matrix;
        self.moved = true;
    }

    /// Called before each text-showing operator: decides whether a space, line break or
    /// paragraph break separates it from the previous text.
    fn before_show(&mut self) {
        let m = self.text_matrix.then(self.ctm).0;
        let y = m[5];
        let size = (self.font_size * m[2].hypot(m[3])).abs().max(1.0);
        if let Some((last_y, last_size)) = self.last {
            let dy = (y - last_y).abs();
            let size_for_gap = size.max(last_size);
            if dy > 1.6 * size_for_gap {
                self.break_line(true);
            } else if dy > 0.5 * size.min(last_size) {
                self.break_line(false);
            } else if self.moved && !self.out.ends_with(char::is_whitespace) {
                self.out.push(' ');
            }
        }
        self.last = Some((y, size));
        self.moved = false;
    }

    fn break_line(&mut self, paragraph: bool) {
        self.out.truncate(self.out.trim_end_matches([' ', '\t']).len());
        if self.out.is_empty() {
            return;
        }
        if paragraph {
            if !self.out.ends_with("\n\n") {
                self.out.push_str(if self.out.ends_with('\n') { "\n" } else { "\n\n" });
            }
        } else if !self.out.ends_with('\n') {
            self.out.push('\n');
        }
    }

    fn show(&mut self, encoding: Option<&Encoding>, operand: &Object) {
        let Some(encoding) = encoding else { return };
        match operand {
            Object::String(bytes, _) => {
                // A string the font cannot map is skipped rather than failing the page.
                let _ = encoding.write_to_string(bytes, &mut self.out);
            }
            Object::Array(items) => {
                for item in items {
                    match item {
                        Object::String(bytes, _) => {
                            let _ = encoding.write_to_string(bytes, &mut self.out);
                        }
                        other => {
                            if other.as_float().is_ok_and(|gap| gap < WORD_GAP) && !self.out.ends_with(' ') {
                                self.out.push(' ');
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

fn page_text(doc: &Document, page_id: ObjectId) -> lopdf::Result<String> {
    let encodings: BTreeMap<Vec<u8>, Encoding> = doc
        .get_page_fonts(page_id)?
        .into_iter()
        .filter_map(|(name, font): (Vec<u8>, &Dictionary)| {
            font.get_font_encoding_with_limit(doc, MAX_DECOMPRESSED).ok().map(|encoding| (name, encoding))
        })
        .collect();
    let content = Content::decode(&doc.get_page_content_with_limit(page_id, MAX_DECOMPRESSED)?)?;

    let mut writer = PageWriter::new();
    let mut encoding = None;
    let number =
        |operands: &[Object], i: usize| operands.get(i).and_then(|o| o.as_float().ok()).filter(|v| v.is_finite());
    for operation in &content.operations {
        let operands = &operation.operands[..];
        match operation.operator.as_str() {
            "q" => writer.ctm_stack.push(writer.ctm),
            "Q" => writer.ctm = writer.ctm_stack.pop().unwrap_or(Matrix::IDENTITY),
            "cm" => {
                if let Some(m) = Matrix::from_operands(operands) {
                    writer.ctm = m.then(writer.ctm);
                }
            }
            "BT" => {
                writer.text_matrix = Matrix::IDENTITY;
                writer.line_matrix = Matrix::IDENTITY;
                writer.moved = true;
            }
            "Tf" => {
                encoding = operands.first().and_then(|o| o.as_name().ok()).and_then(|name| encodings.get(name));
                writer.font_size = number(operands, 1).unwrap_or(writer.font_size);
            }
            "TL" => writer.leading = number(operands, 0).unwrap_or(writer.leading),
            "Td" | "TD" => {
                let (x, y) = (number(operands, 0).unwrap_or(0.0), number(operands, 1).unwrap_or(0.0));
                if operation.operator == "TD" {
                    writer.leading = -y;
                }
                writer.move_line(x, y);
            }
            "Tm" => {
                if let Some(m) = Matrix::from_operands(operands) {
                    writer.line_matrix = m;
                    writer.text_matrix = m;
                    writer.moved = true;
                }
            }
            "T*" => writer.move_line(0.0, -writer.leading),
            "Tj" | "TJ" => {
                if let Some(operand) = operands.first() {
                    writer.before_show();
                    writer.show(encoding, operand);
                }
            }
            "'" | "\"" => {
                writer.move_line(0.0, -writer.leading);
                if let Some(operand) = operands.last() {
                    writer.before_show();
                    writer.show(encoding, operand);
                }
            }
            _ => {}
        }
    }
    Ok(reflow(&normalise_glyphs(&clean_text(&writer.out))))
}

/// Typographic ligatures become their letters, so "ﬁle" is indexed and found as "file".
fn normalise_glyphs(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\u{FB00}' => out.push_str("ff"),
            '\u{FB01}' => out.push_str("fi"),
            '\u{FB02}' => out.push_str("fl"),
            '\u{FB03}' => out.push_str("ffi"),
            '\u{FB04}' => out.push_str("ffl"),
            '\u{FB05}' | '\u{FB06}' => out.push_str("st"),
            '\u{00A0}' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Rejoins lines that the page layout wrapped: within a paragraph, a line break becomes a space
/// (or disappears after a word hyphenated at the line end), except before a list bullet, so the
/// chunker sees sentences rather than layout lines.
fn reflow(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, paragraph) in text.split("\n\n").enumerate() {
        if i > 0 {
            out.push_str("\n\n");
        }
        for (j, line) in paragraph.lines().map(str::trim).filter(|l| !l.is_empty()).enumerate() {
            if j > 0 {
                let hyphenated = out.ends_with('-')
                    && out[..out.len() - 1].ends_with(|c: char| c.is_alphabetic())
                    && line.starts_with(|c: char| c.is_lowercase());
                if hyphenated {
                    out.pop();
                } else if starts_list_item(line) {
                    out.push('\n');
                } else {
                    out.push(' ');
                }
            }
            out.push_str(line);
        }
    }
    out
}

fn starts_list_item(line: &str) -> bool {
    if line.starts_with(['•', '◦', '▪', '‣', '–', '-', '*', '·']) {
        return true;
    }
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0 && digits < 4 && line[digits..].starts_with(['.', ')']) && line[digits + 1..].starts_with(' ')
}
