//! HTML through `scraper` (html5ever, so real-world tag soup parses like a browser would).
//! Page furniture (scripts, styles, navigation, site header and footer) is dropped; h1–h6 build
//! the section path; block elements become paragraphs, list items and table rows become lines.

use ego_tree::iter::Edge;
use scraper::{Html, Node, node::Element};

use super::{BlockBuilder, ContentType, ExtractError, ExtractedDocument, Headings, collapse_whitespace, decode_text};

pub(super) fn extract(bytes: &[u8], fallback_title: String) -> Result<ExtractedDocument, ExtractError> {
    let source = decode_text(bytes)?;
    let document = Html::parse_document(&source);

    let mut headings = Headings::default();
    let mut blocks = BlockBuilder::default();
    let mut text = String::new();
    let mut heading: Option<(u8, String)> = None;
    let mut title_tag: Option<String> = None;
    let mut in_title = false;
    let mut first_h1 = None;
    // Depth counters rather than a recursive walk: a deeply nested page cannot overflow the stack.
    let mut skip_depth = 0usize;
    let mut pre_depth = 0usize;
    let mut line_depth = 0usize;
    let mut content_depth = 0usize;
    // Inside a table cell, paragraphs and divs only separate words: the row stays one line.
    let mut cell_depth = 0usize;

    for edge in document.root_element().traverse() {
        match edge {
            Edge::Open(node) => match node.value() {
                Node::Element(element) => {
                    let name = element.name();
                    if skip_depth > 0 || is_furniture(name, element, content_depth) {
                        skip_depth += 1;
                        continue;
                    }
                    match name {
                        "title" => in_title = true,
                        "br" => {
                            let target = heading.as_mut().map_or(&mut text, |(_, t)| t);
                            target.truncate(target.trim_end_matches(' ').len());
                            target.push('\n');
                        }
                        "pre" => pre_depth += 1,
                        "article" | "main" | "section" => content_depth += 1,
                        "td" | "th" => cell_depth += 1,
                        _ => {}
                    }
                    if let Some(level) = heading_level(name) {
                        flush(&mut blocks, &headings, &mut text, line_depth);
                        heading = Some((level, String::new()));
                    } else if is_block(name) && cell_depth > 0 {
                        push_collapsed(&mut text, " ");
                    } else if is_block(name) {
                        flush(&mut blocks, &headings, &mut text, line_depth);
                    }
                    if is_line(name) {
                        line_depth += 1;
                    }
                }
                Node::Text(t) if skip_depth == 0 => {
                    if in_title {
                        title_tag.get_or_insert_with(String::new).push_str(t);
                    } else if let Some((_, title)) = heading.as_mut() {
                        push_collapsed(title, t);
                    } else if pre_depth > 0 {
                        text.push_str(t);
                    } else {
                        push_collapsed(&mut text, t);
                    }
                }
                _ => {}
            },
            Edge::Close(node) => {
                let Node::Element(element) = node.value() else { continue };
                if skip_depth > 0 {
                    skip_depth -= 1;
                    continue;
                }
                let name = element.name();
                match name {
                    "title" => in_title = false,
                    "pre" => pre_depth = pre_depth.saturating_sub(1),
                    "article" | "main" | "section" => content_depth = content_depth.saturating_sub(1),
                    "td" | "th" => {
                        cell_depth = cell_depth.saturating_sub(1);
                        text.truncate(text.trim_end().len());
                        text.push_str(" | ");
                    }
                    _ => {}
                }
                if heading_level(name).is_some() {
                    if let Some((level, title)) = heading.take() {
                        if level == 1 && first_h1.is_none() && !title.trim().is_empty() {
                            first_h1 = Some(collapse_whitespace(&title));
                        }
                        headings.enter(level, &title);
                    }
                } else if is_block(name) && cell_depth > 0 {
                    push_collapsed(&mut text, " ");
                } else if is_block(name) || is_line(name) {
                    if name == "tr" {
                        text.truncate(text.trim_end_matches([' ', '|']).len());
                    }
                    flush(&mut blocks, &headings, &mut text, line_depth);
                }
                if is_line(name) {
                    line_depth = line_depth.saturating_sub(1);
                }
            }
        }
    }
    flush(&mut blocks, &headings, &mut text, line_depth);

    let title = title_tag.map(|t| collapse_whitespace(&t)).filter(|t| !t.is_empty()).or(first_h1);
    Ok(ExtractedDocument {
        title: title.unwrap_or(fallback_title),
        content_type: ContentType::Html,
        pages: None,
        blocks: blocks.finish(),
    })
}

fn flush(blocks: &mut BlockBuilder, headings: &Headings, text: &mut String, line_depth: usize) {
    if line_depth > 0 {
        blocks.line(headings, None, text);
    } else {
        blocks.paragraph(headings, None, text);
    }
    text.clear();
}

/// Appends text the way a browser renders it: any run of whitespace becomes one space.
fn push_collapsed(out: &mut String, text: &str) {
    for c in text.chars() {
        if c.is_whitespace() {
            if !out.is_empty() && !out.ends_with(char::is_whitespace) {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
    }
}

/// Elements whose text is page furniture or not text at all. A `<header>` inside an article,
/// main or section usually holds that article's own heading, so only a page-level one is dropped.
fn is_furniture(name: &str, element: &Element, content_depth: usize) -> bool {
    let dropped = matches!(
        name,
        "script"
            | "style"
            | "nav"
            | "footer"
            | "noscript"
            | "template"
            | "svg"
            | "iframe"
            | "object"
            | "embed"
            | "canvas"
            | "button"
            | "select"
            | "datalist"
    ) || (name == "header" && content_depth == 0);
    dropped
        || element.attr("hidden").is_some()
        || element.attr("aria-hidden") == Some("true")
        || matches!(element.attr("role"), Some("navigation" | "banner" | "contentinfo" | "search"))
}

fn heading_level(name: &str) -> Option<u8> {
    match name {
        "h1" => Some(1),
        "h2" => Some(2),
        "h3" => Some(3),
        "h4" => Some(4),
        "h5" => Some(5),
        "h6" => Some(6),
        _ => None,
    }
}

/// Elements that end the current paragraph when they open or close.
fn is_block(name: &str) -> bool {
    matches!(
        name,
        "address"
            | "article"
            | "aside"
            | "blockquote"
            | "body"
            | "caption"
            | "center"
            | "details"
            | "dialog"
            | "div"
            | "dl"
            | "fieldset"
            | "figcaption"
            | "figure"
            | "form"
            | "hr"
            | "legend"
            | "main"
            | "ol"
            | "p"
            | "pre"
            | "section"
            | "summary"
            | "table"
            | "tbody"
            | "tfoot"
            | "thead"
            | "ul"
    )
}

/// Elements rendered one per line: list items, table rows, definition terms.
fn is_line(name: &str) -> bool {
    matches!(name, "li" | "tr" | "dt" | "dd")
}
