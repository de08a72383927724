//! From uploaded bytes to an `ExtractedDocument`: the content type is taken
//! from the file name and confirmed by magic bytes, then one reader per format
//! produces blocks of text that carry their heading path and page.

mod docx;
mod html;
mod markdown;
mod pdf;
mod text;

/// The formats the knowledge base reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ContentType {
    /// Plain text (`.txt`, `.text`).
    Text,
    /// CommonMark with tables and footnotes (`.md`, `.markdown`).
    Markdown,
    /// An HTML page (`.html`, `.htm`).
    Html,
    /// A PDF with a text layer (`.pdf`).
    Pdf,
    /// A Word document (`.docx`).
    Docx,
}

impl ContentType {
    /// The MIME type stored with the document.
    pub fn as_str(self) -> &'static str {
        match self {
            ContentType::Text => "text/plain",
            ContentType::Markdown => "text/markdown",
            ContentType::Html => "text/html",
            ContentType::Pdf => "application/pdf",
            ContentType::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        }
    }

    /// The type for a file name's extension (case-insensitive), if it is one we read.
    pub fn from_extension(extension: &str) -> Option<ContentType> {
        match extension.to_ascii_lowercase().as_str() {
            "txt" | "text" => Some(ContentType::Text),
            "md" | "markdown" => Some(ContentType::Markdown),
            "html" | "htm" => Some(ContentType::Html),
            "pdf" => Some(ContentType::Pdf),
            "docx" => Some(ContentType::Docx),
            _ => None,
        }
    }
}

/// Why a file could not be turned into text.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExtractError {
    /// The file's extension is not one of the formats we read.
    #[error("files of type '.{extension}' are not supported; upload .txt, .md, .html, .pdf or .docx")]
    Unsupported {
        /// The extension as given, without the dot (empty when there is none).
        extension: String,
    },
    /// The file holds no text (empty, whitespace only, or a PDF without a text layer).
    #[error("the document contains no text")]
    Empty,
    /// The file is larger than the configured upload limit.
    #[error("the file is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The file claims a format but cannot be parsed as it.
    #[error("the document could not be read: {reason}")]
    Broken {
        /// What went wrong, in words a person can act on.
        reason: String,
    },
}

wayfinder_accounts_rules::closed_set! {
/// Why a file could not be read, as the stable code a job reports for it.
pub enum ExtractFailure {
    /// Not a type Wayfinder reads.
    UnsupportedType,
    /// No text in it.
    EmptyDocument,
    /// Over the per-file size limit.
    FileTooLarge,
    /// Damaged or not what its name says.
    BrokenDocument,
}
}

impl ExtractError {
    /// The stable error code the API returns.
    pub fn code(&self) -> ExtractFailure {
        match self {
            ExtractError::Unsupported { .. } => ExtractFailure::UnsupportedType,
            ExtractError::Empty => ExtractFailure::EmptyDocument,
            ExtractError::TooLarge { .. } => ExtractFailure::FileTooLarge,
            ExtractError::Broken { .. } => ExtractFailure::BrokenDocument,
        }
    }

    pub(crate) fn broken(reason: impl Into<String>) -> ExtractError {
        ExtractError::Broken { reason: reason.into() }
    }
}

/// The text of one document, in reading order, with its structure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExtractedDocument {
    /// The document's own title, or the file name without its extension.
    pub title: String,
    /// The format it was read as.
    pub content_type: ContentType,
    /// Number of pages (PDF only).
    pub pages: Option<u32>,
    /// Runs of text, each under one heading path and on one page.
    pub blocks: Vec<Block>,
}

impl ExtractedDocument {
    /// All block text joined by blank lines (for previews and tests).
    pub fn text(&self) -> String {
        self.blocks.iter().map(|b| b.text.as_str()).collect::<Vec<_>>().join("\n\n")
    }
}

/// A run of text under one heading path and (for PDF) on one page, in reading order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// Headings above this text, outermost first; empty when the document has none.
    pub section_path: Vec<String>,
    /// Paragraphs separated by blank lines; list items and table rows by single newlines.
    pub text: String,
    /// 1-based page number (PDF only).
    pub page: Option<u32>,
}

/// Determines the content type from the file name, checking the magic bytes of binary formats.
pub fn detect(filename: &str, bytes: &[u8]) -> Result<ContentType, ExtractError> {
    let content_type = type_from_name(filename)?;
    match content_type {
        // The PDF header may follow up to 1 KiB of junk (PDF 32000-1 §7.5.2 note; readers accept it).
        ContentType::Pdf if !bytes[..bytes.len().min(1024)].windows(5).any(|w| w == b"%PDF-") => {
            Err(ExtractError::broken("the file is named .pdf but is not a PDF"))
        }
        ContentType::Docx if !bytes.starts_with(b"PK\x03\x04") => {
            Err(ExtractError::broken("the file is named .docx but is not a Word document (not a zip archive)"))
        }
        _ => Ok(content_type),
    }
}

/// Reads a file into text blocks. Checks, in order: a supported extension, `max_bytes`, emptiness,
/// magic bytes; only then parses. A document whose text is only whitespace is `Empty`.
///
/// Text formats (TXT, Markdown, HTML) are read as UTF-8, or UTF-16 with a byte-order mark; bytes
/// that are not valid UTF-8 are read as Windows-1252 (legacy files keep their accents) and only a
/// file with NUL bytes is refused as binary. An HTML `<meta charset>` is not consulted.
pub fn extract(filename: &str, bytes: &[u8], max_bytes: usize) -> Result<ExtractedDocument, ExtractError> {
    type_from_name(filename)?;
    if bytes.len() > max_bytes {
        return Err(ExtractError::TooLarge { limit: max_bytes });
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ExtractError::Empty);
    }
    let content_type = detect(filename, bytes)?;
    let fallback_title = file_stem(filename);
    let mut document = match content_type {
        ContentType::Text => text::extract(bytes, fallback_title)?,
        ContentType::Markdown => markdown::extract(bytes, fallback_title)?,
        ContentType::Html => html::extract(bytes, fallback_title)?,
        ContentType::Pdf => pdf::extract(bytes, fallback_title)?,
        ContentType::Docx => docx::extract(bytes, fallback_title)?,
    };
    document.blocks.retain(|b| !b.text.trim().is_empty());
    if document.blocks.is_empty() {
        return Err(ExtractError::Empty);
    }
    Ok(document)
}

fn type_from_name(filename: &str) -> Result<ContentType, ExtractError> {
    let name = base_name(filename);
    let extension = match name.rfind('.') {
        Some(dot) if dot > 0 => &name[dot + 1..],
        _ => "",
    };
    ContentType::from_extension(extension).ok_or_else(|| ExtractError::Unsupported { extension: extension.to_string() })
}

fn base_name(filename: &str) -> &str {
    filename.rsplit(['/', '\\']).next().unwrap_or(filename)
}

/// The title used when a document has none of its own: the file name without its extension.
fn file_stem(filename: &str) -> String {
    let name = base_name(filename);
    let stem = match name.rfind('.') {
        Some(dot) if dot > 0 => &name[..dot],
        _ => name,
    };
    let stem = stem.trim();
    if stem.is_empty() { name.to_string() } else { stem.to_string() }
}

/// Decodes a text file: UTF-8 (with or without BOM), UTF-16 with a BOM, else Windows-1252.
///
/// Legacy single-byte files are common in uploaded notes, and every byte sequence is valid
/// Windows-1252, so a file is refused only when it looks binary (NUL bytes), never for being
/// "invalid UTF-8" — that way an old Latin-1 file keeps its accents instead of becoming U+FFFD.
fn decode_text(bytes: &[u8]) -> Result<String, ExtractError> {
    let (text, _) = if bytes.starts_with(b"\xFF\xFE") {
        encoding_rs::UTF_16LE.decode_without_bom_handling(&bytes[2..])
    } else if bytes.starts_with(b"\xFE\xFF") {
        encoding_rs::UTF_16BE.decode_without_bom_handling(&bytes[2..])
    } else {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        if bytes.contains(&0) {
            return Err(ExtractError::broken("the file contains binary data, not text"));
        }
        match std::str::from_utf8(bytes) {
            Ok(text) => (std::borrow::Cow::Borrowed(text), false),
            Err(_) => encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes),
        }
    };
    Ok(clean_text(&text))
}

/// Normalises line endings and drops control characters (other than newline and tab) and soft
/// hyphens, which would otherwise end up inside indexed terms.
fn clean_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push('\n');
                }
            }
            '\n' | '\t' => out.push(c),
            '\u{00AD}' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// The heading stack while reading: a heading of level N closes every open heading of level ≥ N.
#[derive(Debug, Default)]
struct Headings {
    stack: Vec<(u8, String)>,
}

impl Headings {
    fn enter(&mut self, level: u8, title: &str) {
        let title = collapse_whitespace(title);
        if title.is_empty() {
            return;
        }
        self.stack.retain(|(open, _)| *open < level);
        self.stack.push((level, title));
    }

    fn path(&self) -> Vec<String> {
        self.stack.iter().map(|(_, title)| title.clone()).collect()
    }
}

/// Collects paragraphs into blocks, starting a new block whenever the heading path or page changes.
#[derive(Debug, Default)]
struct BlockBuilder {
    blocks: Vec<Block>,
    last_was_line: bool,
}

impl BlockBuilder {
    /// A paragraph: separated from the previous text by a blank line.
    fn paragraph(&mut self, headings: &Headings, page: Option<u32>, text: &str) {
        self.push(headings, page, text, false);
    }

    /// A list item or table row: consecutive lines are separated by a single newline.
    fn line(&mut self, headings: &Headings, page: Option<u32>, text: &str) {
        self.push(headings, page, text, true);
    }

    fn push(&mut self, headings: &Headings, page: Option<u32>, text: &str, is_line: bool) {
        let text = text.trim_matches(|c: char| c.is_whitespace());
        if text.is_empty() {
            return;
        }
        let same_place = self.blocks.last().is_some_and(|last| {
            last.page == page
                && last.section_path.len() == headings.stack.len()
                && last.section_path.iter().zip(&headings.stack).all(|(a, (_, b))| a == b)
        });
        match self.blocks.last_mut() {
            Some(last) if same_place => {
                last.text.push_str(if is_line && self.last_was_line { "\n" } else { "\n\n" });
                last.text.push_str(text);
            }
            _ => self.blocks.push(Block { section_path: headings.path(), text: text.to_string(), page }),
        }
        self.last_was_line = is_line;
    }

    fn finish(self) -> Vec<Block> {
        self.blocks
    }
}

/// Collapses every run of whitespace into one space and trims the ends.
fn collapse_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}
