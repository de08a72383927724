//! Plain text: one block, paragraphs (runs separated by blank lines) joined by a blank line.

use super::{BlockBuilder, ContentType, ExtractError, ExtractedDocument, Headings, decode_text};

pub(super) fn extract(bytes: &[u8], fallback_title: String) -> Result<ExtractedDocument, ExtractError> {
    let text = decode_text(bytes)?;
    let headings = Headings::default();
    let mut blocks = BlockBuilder::default();
    let mut paragraph = String::new();
    for line in text.lines() {
        let line = line.trim_end();
        if line.trim().is_empty() {
            blocks.paragraph(&headings, None, &paragraph);
            paragraph.clear();
        } else {
            if !paragraph.is_empty() {
                paragraph.push('\n');
            }
            paragraph.push_str(line);
        }
    }
    blocks.paragraph(&headings, None, &paragraph);
    Ok(ExtractedDocument {
        title: fallback_title,
        content_type: ContentType::Text,
        pages: None,
        blocks: blocks.finish(),
    })
}
