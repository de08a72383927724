//! DOCX through `zip` and `quick-xml`: the main document part's paragraphs in order; paragraphs
//! whose style is a heading (Heading1–6, by style id, style name or outline level, following
//! `basedOn`) or "Title" build the section path; table rows become lines with `|` between cells.
//! Headers, footers, footnotes and comments live in other parts and are not read.

use std::collections::HashMap;
use std::io::{Cursor, Read};

use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::{Reader, XmlVersion};
use zip::ZipArchive;
use zip::result::ZipError;

use super::{BlockBuilder, ContentType, ExtractError, ExtractedDocument, Headings, clean_text, collapse_whitespace};

/// Bound on one decompressed XML part, so a small zip cannot expand without limit.
const MAX_PART_BYTES: u64 = 256 * 1024 * 1024;

pub(super) fn extract(bytes: &[u8], fallback_title: String) -> Result<ExtractedDocument, ExtractError> {
    let mut archive = ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| ExtractError::broken(format!("the .docx is not a valid zip archive ({e})")))?;
    // The main part is normally word/document.xml, but the package relationships are what say so.
    let main_part = read_part(&mut archive, "_rels/.rels")?
        .and_then(|rels| main_part_name(&rels))
        .unwrap_or_else(|| "word/document.xml".to_string());
    let document = read_part(&mut archive, &main_part)?
        .ok_or_else(|| ExtractError::broken(format!("the .docx has no {main_part}; it is not a Word document")))?;
    let folder = main_part.rsplit_once('/').map_or("", |(folder, _)| folder);
    let styles = match read_part(&mut archive, &format!("{folder}/styles.xml")) {
        Ok(Some(xml)) => Styles::parse(&xml),
        _ => Styles::default(),
    };
    read_document(&document, &styles, fallback_title)
}

fn read_part(archive: &mut ZipArchive<Cursor<&[u8]>>, name: &str) -> Result<Option<String>, ExtractError> {
    let file = match archive.by_name(name) {
        Ok(file) => file,
        Err(ZipError::FileNotFound) => return Ok(None),
        Err(e) => return Err(ExtractError::broken(format!("the .docx part {name} cannot be read ({e})"))),
    };
    let mut bytes = Vec::new();
    file.take(MAX_PART_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| ExtractError::broken(format!("the .docx part {name} cannot be decompressed ({e})")))?;
    if bytes.len() as u64 > MAX_PART_BYTES {
        return Err(ExtractError::broken(format!("the .docx part {name} expands to more than 256 MiB")));
    }
    let text = if bytes.starts_with(b"\xFF\xFE") {
        encoding_rs::UTF_16LE.decode_without_bom_handling(&bytes[2..]).0.into_owned()
    } else if bytes.starts_with(b"\xFE\xFF") {
        encoding_rs::UTF_16BE.decode_without_bom_handling(&bytes[2..]).0.into_owned()
    } else {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
        String::from_utf8(bytes.to_vec())
            .map_err(|_| ExtractError::broken(format!("the .docx part {name} is not UTF-8 XML")))?
    };
    Ok(Some(text))
}

/// The target of the package's officeDocument relationship, e.g. `word/document.xml`.
fn main_part_name(rels: &str) -> Option<String> {
    let mut reader = Reader::from_str(rels);
    loop {
        match reader.read_event() {
            Ok(Event::Start(e) | Event::Empty(e)) if e.local_name().as_ref() == "Relationship" => {
                let is_main = attr(&e, "Type").is_some_and(|t| t.ends_with("/officeDocument"));
                if let Some(target) = attr(&e, "Target").filter(|_| is_main) {
                    return Some(target.trim_start_matches('/').to_string());
                }
            }
            Ok(Event::Eof) | Err(_) => return None,
            _ => {}
        }
    }
}

/// What a paragraph style means for structure.
#[derive(Debug, Default)]
struct Style {
    level: Option<u8>,
    title: bool,
    based_on: Option<String>,
}

/// Paragraph styles by style id, from word/styles.xml.
#[derive(Debug, Default)]
struct Styles(HashMap<String, Style>);

impl Styles {
    fn parse(xml: &str) -> Styles {
        let mut styles = HashMap::new();
        let mut reader = Reader::from_str(xml);
        let mut current: Option<(String, Style)> = None;
        loop {
            match reader.read_event() {
                Ok(Event::Start(e) | Event::Empty(e)) => match e.local_name().as_ref() {
                    "style" if attr(&e, "type").as_deref() == Some("paragraph") => {
                        current = attr(&e, "styleId").map(|id| (id, Style::default()));
                    }
                    "name" => {
                        if let (Some((_, style)), Some(name)) = (current.as_mut(), attr(&e, "val")) {
                            let name = name.to_ascii_lowercase();
                            style.title |= name == "title";
                            style.level = style.level.or_else(|| heading_level_in(&name, "heading"));
                        }
                    }
                    "basedOn" => {
                        if let Some((_, style)) = current.as_mut() {
                            style.based_on = attr(&e, "val");
                        }
                    }
                    "outlineLvl" => {
                        if let Some((_, style)) = current.as_mut() {
                            style.level = style.level.or_else(|| outline_level(&e));
                        }
                    }
                    _ => {}
                },
                Ok(Event::End(e)) if e.local_name().as_ref() == "style" => {
                    if let Some((id, style)) = current.take() {
                        styles.insert(id, style);
                    }
                }
                Ok(Event::Eof) | Err(_) => break,
                _ => {}
            }
        }
        Styles(styles)
    }

    /// Heading level (1–6) of a paragraph style; "Title" counts as level 1.
    fn heading_level(&self, style_id: &str) -> Option<u8> {
        let mut id = style_id;
        // basedOn chains are short; the bound only guards against cycles.
        for _ in 0..10 {
            let Some(style) = self.0.get(id) else { break };
            if style.title {
                return Some(1);
            }
            if style.level.is_some() {
                return style.level;
            }
            id = style.based_on.as_deref()?;
        }
        // Without styles.xml (or for an unknown id) the built-in English ids still tell.
        let lower = style_id.to_ascii_lowercase();
        if lower == "title" { Some(1) } else { heading_level_in(&lower, "heading") }
    }

    fn is_title(&self, style_id: &str) -> bool {
        self.0.get(style_id).map_or(style_id.eq_ignore_ascii_case("title"), |style| style.title)
    }
}

/// `heading 2` / `heading2` → 2, for levels 1–6.
fn heading_level_in(name: &str, prefix: &str) -> Option<u8> {
    let level: u8 = name.strip_prefix(prefix)?.trim().parse().ok()?;
    (1..=6).contains(&level).then_some(level)
}

/// `<w:outlineLvl w:val="0"/>` is a level-1 heading; 9 means body text.
fn outline_level(e: &BytesStart) -> Option<u8> {
    let level: u8 = attr(e, "val")?.parse().ok()?;
    (level < 6).then_some(level + 1)
}

fn attr(e: &BytesStart, local_name: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == local_name)
        .and_then(|a| a.normalized_value(XmlVersion::Implicit1_0).ok().map(|v| v.into_owned()))
}

fn resolve_reference(reference: &BytesRef) -> Option<char> {
    if let Ok(Some(c)) = reference.resolve_char_ref() {
        return Some(c);
    }
    match &**reference {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => None,
    }
}

#[derive(Debug, Default)]
struct Paragraph {
    text: String,
    style: Option<String>,
    outline: Option<u8>,
}

fn read_document(xml: &str, styles: &Styles, fallback_title: String) -> Result<ExtractedDocument, ExtractError> {
    let mut reader = Reader::from_str(xml);
    let mut body = Body::new(styles);
    // mc:Fallback repeats the mc:Choice content (e.g. a text box) for older readers.
    let mut fallback_depth = 0usize;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| ExtractError::broken(format!("the .docx document XML is malformed ({e})")))?;
        if fallback_depth > 0 {
            match &event {
                Event::Start(e) if e.local_name().as_ref() == "Fallback" => fallback_depth += 1,
                Event::End(e) if e.local_name().as_ref() == "Fallback" => fallback_depth -= 1,
                Event::Eof => break,
                _ => {}
            }
            continue;
        }
        match event {
            Event::Start(e) => match e.local_name().as_ref() {
                "p" => body.paragraphs.push(Paragraph::default()),
                "r" => body.run_depth += 1,
                "t" if body.run_depth > 0 => body.in_text = true,
                "tbl" => body.tables.push(Default::default()),
                "Fallback" => fallback_depth = 1,
                _ => {}
            },
            Event::Empty(e) => body.empty(&e),
            Event::Text(t) if body.in_text => {
                if let Some(p) = body.paragraphs.last_mut() {
                    p.text.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(reference) if body.in_text => {
                if let (Some(p), Some(c)) = (body.paragraphs.last_mut(), resolve_reference(&reference)) {
                    p.text.push(c);
                }
            }
            Event::End(e) => body.end(e.local_name().as_ref()),
            Event::Eof => break,
            _ => {}
        }
    }
    let title = body.title_paragraph.or(body.first_h1).unwrap_or(fallback_title);
    Ok(ExtractedDocument { title, content_type: ContentType::Docx, pages: None, blocks: body.blocks.finish() })
}

/// The document body as it is read: open paragraphs and tables, and what they have become.
struct Body<'a> {
    styles: &'a Styles,
    headings: Headings,
    blocks: BlockBuilder,
    title_paragraph: Option<String>,
    first_h1: Option<String>,
    /// Text boxes put paragraphs inside paragraphs, hence a stack.
    paragraphs: Vec<Paragraph>,
    run_depth: usize,
    in_text: bool,
    /// Each open table has the text of its current row and cell.
    tables: Vec<(String, String)>,
}

impl<'a> Body<'a> {
    fn new(styles: &'a Styles) -> Self {
        Body {
            styles,
            headings: Headings::default(),
            blocks: BlockBuilder::default(),
            title_paragraph: None,
            first_h1: None,
            paragraphs: Vec::new(),
            run_depth: 0,
            in_text: false,
            tables: Vec::new(),
        }
    }

    /// An empty element: paragraph properties, or a tab or break inside a run.
    fn empty(&mut self, e: &BytesStart<'_>) {
        let in_run = self.run_depth > 0;
        match (e.local_name().as_ref(), self.paragraphs.last_mut()) {
            ("pStyle", Some(p)) => p.style = attr(e, "val"),
            ("outlineLvl", Some(p)) => p.outline = outline_level(e),
            ("tab", Some(p)) if in_run => p.text.push(' '),
            ("br" | "cr", Some(p)) if in_run => p.text.push('\n'),
            ("noBreakHyphen", Some(p)) if in_run => p.text.push('-'),
            _ => {}
        }
    }

    fn end(&mut self, name: &str) {
        match name {
            "t" => self.in_text = false,
            "r" => self.run_depth = self.run_depth.saturating_sub(1),
            "p" => self.end_paragraph(),
            "tc" => {
                if let Some((row, cell)) = self.tables.last_mut() {
                    row.push_str(cell.trim());
                    row.push_str(" | ");
                    cell.clear();
                }
            }
            "tr" => self.end_row(),
            "tbl" => {
                self.tables.pop();
            }
            _ => {}
        }
    }

    /// A paragraph ends: into the open table cell, as a heading, or as body text.
    fn end_paragraph(&mut self) {
        let Some(paragraph) = self.paragraphs.pop() else { return };
        let text = clean_text(&paragraph.text);
        if let Some((_, cell)) = self.tables.last_mut() {
            if !cell.is_empty() && !text.trim().is_empty() {
                cell.push(' ');
            }
            cell.push_str(text.trim());
            return;
        }
        let style = paragraph.style.as_deref().unwrap_or_default();
        match paragraph.outline.or_else(|| self.styles.heading_level(style)) {
            Some(level) if !text.trim().is_empty() => {
                if self.styles.is_title(style) {
                    self.title_paragraph.get_or_insert_with(|| collapse_whitespace(&text));
                } else if level == 1 {
                    self.first_h1.get_or_insert_with(|| collapse_whitespace(&text));
                }
                self.headings.enter(level, &text);
            }
            _ => self.blocks.paragraph(&self.headings, None, &text),
        }
    }

    /// A table row ends: one line of the document, or (in a nested table) part of the outer cell.
    fn end_row(&mut self) {
        let Some((row, _)) = self.tables.last_mut() else { return };
        let line = std::mem::take(row);
        let line = line.trim_end_matches([' ', '|']);
        match self.tables.len() {
            1 => self.blocks.line(&self.headings, None, line),
            n => {
                let (_, outer_cell) = &mut self.tables[n - 2];
                outer_cell.push(' ');
                outer_cell.push_str(line);
            }
        }
    }
}
