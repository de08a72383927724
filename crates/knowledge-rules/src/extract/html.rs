//! HTML through `scraper` (html5ever, so real-world tag soup parses like a browser would).
//! Page furniture (scripts, styles, navigation, site header and footer) is dropped; h1–h6 build
//! the section path; block elements become paragraphs, list items and table rows become lines.

use ego_tree::iter::Edge;
use scraper::{Html, Node, node::Element};

use super::{BlockBuilder, ContentType, ExtractError, ExtractedDocument, Headings, collapse_whitespace, decode_text};

pub(super) fn extract(bytes: &[u8], fallback_title: String) -> Result<ExtractedDocument, ExtractError> {
    let source = decode_text(bytes)?;
    let document = Html::parse_document(&source);
    let mut walk = Walk::default();
    // An iterative walk rather than a recursive one: a deeply nested page cannot overflow the stack.
    for edge in document.root_element().traverse() {
        match edge {
            Edge::Open(node) => match node.value() {
                Node::Element(element) => walk.open(element),
                Node::Text(t) => walk.text(t),
                _ => {}
            },
            Edge::Close(node) => {
                if let Node::Element(element) = node.value() {
                    walk.close(element);
                }
            }
        }
    }
    walk.flush();
    let title = walk.title_tag.map(|t| collapse_whitespace(&t)).filter(|t| !t.is_empty()).or(walk.first_h1);
    Ok(ExtractedDocument {
        title: title.unwrap_or(fallback_title),
        content_type: ContentType::Html,
        pages: None,
        blocks: walk.blocks.finish(),
    })
}

/// Where the walk through the page is: the text being gathered and the elements it is inside,
/// kept as depth counters.
#[derive(Default)]
struct Walk {
    headings: Headings,
    blocks: BlockBuilder,
    text: String,
    heading: Option<(u8, String)>,
    title_tag: Option<String>,
    in_title: bool,
    first_h1: Option<String>,
    skip_depth: usize,
    pre_depth: usize,
    line_depth: usize,
    content_depth: usize,
    /// Inside a table cell, paragraphs and divs only separate words: the row stays one line.
    cell_depth: usize,
}

impl Walk {
    fn open(&mut self, element: &Element) {
        let name = element.name();
        if self.skip_depth > 0 || is_furniture(name, element, self.content_depth) {
            self.skip_depth += 1;
            return;
        }
        match name {
            "title" => self.in_title = true,
            "br" => {
                let target = self.heading.as_mut().map_or(&mut self.text, |(_, t)| t);
                target.truncate(target.trim_end_matches(' ').len());
                target.push('\n');
            }
            "pre" => self.pre_depth += 1,
            "article" | "main" | "section" => self.content_depth += 1,
            "td" | "th" => self.cell_depth += 1,
            _ => {}
        }
        if let Some(level) = heading_level(name) {
            self.flush();
            self.heading = Some((level, String::new()));
        } else if is_block(name) && self.cell_depth > 0 {
            push_collapsed(&mut self.text, " ");
        } else if is_block(name) {
            self.flush();
        }
        if is_line(name) {
            self.line_depth += 1;
        }
    }

    fn text(&mut self, t: &str) {
        if self.skip_depth > 0 {
            return;
        }
        if self.in_title {
            self.title_tag.get_or_insert_with(String::new).push_str(t);
        } else if let Some((_, title)) = self.heading.as_mut() {
            push_collapsed(title, t);
        } else if self.pre_depth > 0 {
            self.text.push_str(t);
        } else {
            push_collapsed(&mut self.text, t);
        }
    }

    fn close(&mut self, element: &Element) {
        if self.skip_depth > 0 {
            self.skip_depth -= 1;
            return;
        }
        let name = element.name();
        match name {
            "title" => self.in_title = false,
            "pre" => self.pre_depth = self.pre_depth.saturating_sub(1),
            "article" | "main" | "section" => self.content_depth = self.content_depth.saturating_sub(1),
            "td" | "th" => {
                self.cell_depth = self.cell_depth.saturating_sub(1);
                self.text.truncate(self.text.trim_end().len());
                self.text.push_str(" | ");
            }
            _ => {}
        }
        if heading_level(name).is_some() {
            if let Some((level, title)) = self.heading.take() {
                if level == 1 && self.first_h1.is_none() && !title.trim().is_empty() {
                    self.first_h1 = Some(collapse_whitespace(&title));
                }
                self.headings.enter(level, &title);
            }
        } else if is_block(name) && self.cell_depth > 0 {
            push_collapsed(&mut self.text, " ");
        } else if is_block(name) || is_line(name) {
            if name == "tr" {
                self.text.truncate(self.text.trim_end_matches([' ', '|']).len());
            }
            self.flush();
        }
        if is_line(name) {
            self.line_depth = self.line_depth.saturating_sub(1);
        }
    }

    fn flush(&mut self) {
        flush(&mut self.blocks, &self.headings, &mut self.text, self.line_depth);
    }
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
