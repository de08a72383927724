//! Small documents built in memory: PDFs written with lopdf's object API, DOCX zipped by hand.

use std::io::{Cursor, Write};

use lopdf::content::{Content, Operation};
use lopdf::{Bookmark, Document, EncryptionState, EncryptionVersion, Object, Permissions, Stream, dictionary};
use zip::write::SimpleFileOptions;

/// One line of PDF text, or a wider vertical gap that starts a new paragraph.
pub enum Line {
    Text(String),
    Gap,
}

pub fn text(s: impl Into<String>) -> Line {
    Line::Text(s.into())
}

/// An outline (bookmark) entry: title, 1-based page, index of the parent entry.
pub struct OutlineEntry<'a> {
    pub title: &'a str,
    pub page: usize,
    pub parent: Option<usize>,
}

/// A PDF whose pages each show `lines` in 12 pt Helvetica, one `Td` line step (14 pt) apart,
/// like `BT /F1 12 Tf 72 720 Td (text) Tj 0 -14 Td (more) Tj ET`.
pub fn pdf(pages: &[Vec<Line>], title: Option<&str>, outline: &[OutlineEntry]) -> Vec<u8> {
    let operations = pages
        .iter()
        .map(|lines| {
            let mut ops = vec![
                Operation::new("BT", vec![]),
                Operation::new("Tf", vec!["F1".into(), 12.into()]),
                Operation::new("Td", vec![72.into(), 720.into()]),
            ];
            let mut first = true;
            let mut gap = 0;
            for line in lines {
                match line {
                    Line::Gap => gap += 14,
                    Line::Text(s) => {
                        if !first {
                            ops.push(Operation::new("Td", vec![0.into(), (-14 - gap).into()]));
                        }
                        ops.push(Operation::new("Tj", vec![Object::string_literal(s.as_str())]));
                        first = false;
                        gap = 0;
                    }
                }
            }
            ops.push(Operation::new("ET", vec![]));
            ops
        })
        .collect::<Vec<_>>();
    pdf_from_operations(operations, title, outline, None)
}

/// A PDF whose one page sits under `depth` `/Pages` nodes that each have a single kid, showing
/// `leaf_text` (or nothing). The nodes carry no `/Parent`, as a crafted file may omit it.
pub fn pdf_with_nested_page_tree(depth: usize, leaf_text: Option<&str>) -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let font_id = doc.add_object(dictionary! { "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica" });
    let operations = match leaf_text {
        Some(s) => vec![
            Operation::new("BT", vec![]),
            Operation::new("Tf", vec!["F1".into(), 12.into()]),
            Operation::new("Td", vec![72.into(), 720.into()]),
            Operation::new("Tj", vec![Object::string_literal(s)]),
            Operation::new("ET", vec![]),
        ],
        None => Vec::new(),
    };
    let content_id = doc.add_object(Stream::new(dictionary! {}, Content { operations }.encode().unwrap()));
    let mut child = doc.add_object(dictionary! {
        "Type" => "Page",
        "Contents" => content_id,
        "Resources" => dictionary! { "Font" => dictionary! { "F1" => font_id } },
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
    });
    for _ in 0..depth {
        child = doc.add_object(dictionary! { "Type" => "Pages", "Kids" => vec![Object::from(child)], "Count" => 1 });
    }
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => child });
    doc.trailer.set("Root", catalog_id);
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).unwrap();
    bytes
}

/// A PDF from raw content-stream operations per page; optionally encrypted with a user password.
pub fn pdf_from_operations(
    pages: Vec<Vec<Operation>>,
    title: Option<&str>,
    outline: &[OutlineEntry],
    user_password: Option<&str>,
) -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "Type1",
        "BaseFont" => "Helvetica",
        "Encoding" => "WinAnsiEncoding",
    });
    let resources_id = doc.add_object(dictionary! { "Font" => dictionary! { "F1" => font_id } });
    let mut page_ids = Vec::new();
    for operations in pages {
        let content = Content { operations };
        let content_id = doc.add_object(Stream::new(dictionary! {}, content.encode().unwrap()));
        page_ids.push(doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "Contents" => content_id,
        }));
    }
    let pages_dict = dictionary! {
        "Type" => "Pages",
        "Kids" => page_ids.iter().map(|id| Object::from(*id)).collect::<Vec<_>>(),
        "Count" => page_ids.len() as i64,
        "Resources" => resources_id,
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
    };
    doc.objects.insert(pages_id, Object::Dictionary(pages_dict));
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    if let Some(title) = title {
        let info_id = doc.add_object(dictionary! { "Title" => Object::string_literal(title) });
        doc.trailer.set("Info", info_id);
    }

    let mut bookmark_ids = Vec::new();
    for entry in outline {
        let bookmark = Bookmark::new(entry.title.to_string(), [0.0, 0.0, 0.0], 0, page_ids[entry.page - 1]);
        let parent = entry.parent.map(|i| bookmark_ids[i]);
        bookmark_ids.push(doc.add_bookmark(bookmark, parent));
    }
    if let Some(outline_id) = doc.build_outline() {
        doc.get_dictionary_mut(catalog_id).unwrap().set("Outlines", outline_id);
    }

    if let Some(password) = user_password {
        doc.trailer.set(
            "ID",
            vec![
                Object::string_literal(b"0123456789abcdef".to_vec()),
                Object::string_literal(b"0123456789abcdef".to_vec()),
            ],
        );
        let version = EncryptionVersion::V2 {
            document: &doc,
            owner_password: "owner",
            user_password: password,
            key_length: 128,
            permissions: Permissions::all(),
        };
        let state = EncryptionState::try_from(version).unwrap();
        doc.encrypt(&state).unwrap();
    }

    // Flate-compressed streams, as real producers write them.
    doc.compress();
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).unwrap();
    bytes
}

/// A paragraph of WordprocessingML with an optional style id.
pub fn docx_paragraph(style: Option<&str>, text: &str) -> String {
    let properties = style.map(|s| format!(r#"<w:pPr><w:pStyle w:val="{s}"/></w:pPr>"#)).unwrap_or_default();
    format!(r#"<w:p>{properties}<w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:p>"#)
}

/// A DOCX package with `body` as the inside of `<w:body>` and optional word/styles.xml.
pub fn docx(body: &str, styles: Option<&str>) -> Vec<u8> {
    let document = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}<w:sectPr/></w:body></w:document>"#
    );
    let mut parts = vec![
        (
            "[Content_Types].xml",
            r#"<?xml version="1.0" encoding="UTF-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>
</Types>"#
                .to_string(),
        ),
        (
            "_rels/.rels",
            r#"<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>
</Relationships>"#
                .to_string(),
        ),
        ("word/document.xml", document),
    ];
    if let Some(styles) = styles {
        parts.push(("word/styles.xml", styles.to_string()));
    }
    zip_of(&parts)
}

pub fn zip_of(parts: &[(&str, String)]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, content) in parts {
        writer.start_file(*name, SimpleFileOptions::default()).unwrap();
        writer.write_all(content.as_bytes()).unwrap();
    }
    writer.finish().unwrap().into_inner()
}
