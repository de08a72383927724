//! Markdown through `pulldown-cmark`: headings build the section path, paragraphs, list items,
//! table rows and code blocks keep their text; link and image URLs and raw HTML are dropped.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use super::{BlockBuilder, ContentType, ExtractError, ExtractedDocument, Headings, decode_text};

pub(super) fn extract(bytes: &[u8], fallback_title: String) -> Result<ExtractedDocument, ExtractError> {
    let source = decode_text(bytes)?;
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS
        | Options::ENABLE_PLUSES_DELIMITED_METADATA_BLOCKS;

    let mut headings = Headings::default();
    let mut blocks = BlockBuilder::default();
    let mut text = String::new();
    let mut heading: Option<(u8, String)> = None;
    let mut metadata: Option<String> = None;
    let mut front_matter_title = None;
    let mut first_h1 = None;
    let mut list_depth = 0usize;

    for event in Parser::new_ext(&source, options) {
        // Text inside a heading or metadata block goes there, not into the body.
        let sink = match (&mut heading, &mut metadata) {
            (Some((_, title)), _) => title,
            (_, Some(meta)) => meta,
            _ => &mut text,
        };
        match event {
            Event::Text(t) | Event::Code(t) => sink.push_str(&t),
            Event::SoftBreak => sink.push(' '),
            Event::HardBreak => sink.push('\n'),
            Event::Start(Tag::Heading { level, .. }) => {
                blocks.paragraph(&headings, None, &text);
                text.clear();
                heading = Some((heading_level(level), String::new()));
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, title)) = heading.take() {
                    if level == 1 && first_h1.is_none() && !title.trim().is_empty() {
                        first_h1 = Some(super::collapse_whitespace(&title));
                    }
                    headings.enter(level, &title);
                }
            }
            Event::Start(Tag::MetadataBlock(_)) => metadata = Some(String::new()),
            Event::End(TagEnd::MetadataBlock(_)) => {
                front_matter_title = metadata.take().as_deref().and_then(front_matter_title_of);
            }
            // The text of a list item written before its nested list belongs to the item.
            Event::Start(Tag::List(_)) => {
                if list_depth > 0 {
                    blocks.line(&headings, None, &text);
                    text.clear();
                }
                list_depth += 1;
            }
            Event::End(TagEnd::List(_)) => list_depth = list_depth.saturating_sub(1),
            Event::End(TagEnd::Item | TagEnd::TableHead | TagEnd::TableRow) => {
                blocks.line(&headings, None, text.trim_end_matches([' ', '|']));
                text.clear();
            }
            Event::End(TagEnd::TableCell) => text.push_str(" | "),
            Event::End(TagEnd::Paragraph) if list_depth > 0 => {
                blocks.line(&headings, None, &text);
                text.clear();
            }
            Event::End(TagEnd::Paragraph | TagEnd::CodeBlock | TagEnd::BlockQuote(_) | TagEnd::FootnoteDefinition)
            | Event::Rule => {
                blocks.paragraph(&headings, None, &text);
                text.clear();
            }
            Event::Start(Tag::CodeBlock(_) | Tag::Table(_) | Tag::BlockQuote(_)) => {
                blocks.paragraph(&headings, None, &text);
                text.clear();
            }
            _ => {}
        }
    }
    blocks.paragraph(&headings, None, &text);

    let title = first_h1.or(front_matter_title).unwrap_or(fallback_title);
    Ok(ExtractedDocument { title, content_type: ContentType::Markdown, pages: None, blocks: blocks.finish() })
}

fn heading_level(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

/// `title: "Study skills"` from YAML or TOML front matter, used when there is no H1.
fn front_matter_title_of(metadata: &str) -> Option<String> {
    metadata.lines().find_map(|line| {
        let rest = line.trim().strip_prefix("title")?.trim_start();
        let value = rest.strip_prefix(':').or_else(|| rest.strip_prefix('='))?.trim();
        let value = value.trim_matches(|c| c == '"' || c == '\'').trim();
        (!value.is_empty()).then(|| value.to_string())
    })
}
