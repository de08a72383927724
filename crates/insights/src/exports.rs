//! CSV exports: every table a dashboard shows, and the organisation's
//! messages. Cells are quoted by the `csv` writer and neutralised against
//! spreadsheet formulas (`wayfinder_insights_rules::csv::safe_cell`). The
//! messages are written page by page into a bounded channel, so an export of
//! a million rows holds one page at a time and waits for a slow reader.

use crate::{Insights, InsightsError, InsightsResult};
use wayfinder_accounts_rules::OrgId;
use wayfinder_insights_rules::csv::safe_cell;
use wayfinder_store::MessageExportRow;

/// Rows read per page of the messages export.
const PAGE: i64 = 5_000;
/// Pages written ahead of the reader at most.
const PAGES_AHEAD: usize = 4;

/// A CSV document being written.
pub struct CsvTable {
    writer: csv::Writer<Vec<u8>>,
}

impl CsvTable {
    /// A table with these column names.
    pub fn new(header: &[&str]) -> CsvTable {
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record(header).expect("writing to memory cannot fail");
        CsvTable { writer }
    }

    /// Adds a row; text cells are made safe to open in a spreadsheet.
    pub fn row<I, S>(&mut self, cells: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<Cell>,
    {
        let cells: Vec<String> = cells.into_iter().map(|c| c.into().0).collect();
        self.writer.write_record(&cells).expect("writing to memory cannot fail");
    }

    pub fn finish(self) -> Vec<u8> {
        self.writer.into_inner().expect("writing to memory cannot fail")
    }
}

/// One cell: text is neutralised, numbers are written as they are.
pub struct Cell(String);

impl From<&str> for Cell {
    fn from(v: &str) -> Self {
        Cell(safe_cell(v).into_owned())
    }
}
impl From<String> for Cell {
    fn from(v: String) -> Self {
        Cell(safe_cell(&v).into_owned())
    }
}
impl From<i64> for Cell {
    fn from(v: i64) -> Self {
        Cell(v.to_string())
    }
}
impl From<usize> for Cell {
    fn from(v: usize) -> Self {
        Cell(v.to_string())
    }
}
impl From<f64> for Cell {
    fn from(v: f64) -> Self {
        Cell(v.to_string())
    }
}
impl From<Option<f64>> for Cell {
    fn from(v: Option<f64>) -> Self {
        Cell(v.map(|v| v.to_string()).unwrap_or_default())
    }
}
impl From<bool> for Cell {
    fn from(v: bool) -> Self {
        Cell(v.to_string())
    }
}

const MESSAGE_COLUMNS: [&str; 13] = [
    "id",
    "conversation_id",
    "person_id",
    "coach_id",
    "role",
    "kind",
    "confidence",
    "input_tokens",
    "output_tokens",
    "cost",
    "latency_ms",
    "created_at",
    "content",
];

impl Insights {
    /// The organisation's messages as CSV, oldest first, in chunks of about one page each. One
    /// task reads the pages and another writes them, so the database reads the next page while
    /// the last one is being written.
    pub fn messages_csv(&self, org: OrgId) -> tokio::sync::mpsc::Receiver<InsightsResult<Vec<u8>>> {
        let (sender, receiver) = tokio::sync::mpsc::channel(PAGES_AHEAD);
        let (pages, mut read) = tokio::sync::mpsc::channel::<InsightsResult<Vec<MessageExportRow>>>(1);
        let store = self.store.clone();
        tokio::spawn(async move {
            let mut after: Option<(i64, String)> = None;
            loop {
                let page = match store.messages_page(org, after.as_ref().map(|(t, id)| (*t, id.as_str())), PAGE).await {
                    Ok(page) => page,
                    Err(error) => {
                        let _ = pages.send(Err(InsightsError::from(error))).await;
                        return;
                    }
                };
                let last = page.last().map(|m| (m.created_at, m.id.clone()));
                let done = (page.len() as i64) < PAGE;
                if pages.send(Ok(page)).await.is_err() || done {
                    return;
                }
                after = last;
            }
        });
        tokio::spawn(async move {
            let mut header = Some(MESSAGE_COLUMNS);
            let mut number = String::new();
            while let Some(page) = read.recv().await {
                let page = match page {
                    Ok(page) => page,
                    Err(error) => {
                        let _ = sender.send(Err(error)).await;
                        return;
                    }
                };
                let mut writer = csv::Writer::from_writer(Vec::with_capacity(page.len() * 256));
                if let Some(columns) = header.take() {
                    writer.write_record(columns).expect("writing to memory cannot fail");
                }
                for m in &page {
                    write_message(&mut writer, m, &mut number).expect("writing to memory cannot fail");
                }
                let chunk = writer.into_inner().expect("writing to memory cannot fail");
                if sender.send(Ok(chunk)).await.is_err() {
                    return;
                }
            }
        });
        receiver
    }
}

/// Writes one message row, the text cells made safe, without a string per cell.
fn write_message(writer: &mut csv::Writer<Vec<u8>>, m: &MessageExportRow, number: &mut String) -> csv::Result<()> {
    for text in [&m.id, &m.conversation_id, &m.person_id, &m.coach_id, &m.role, &m.kind] {
        writer.write_field(safe_cell(text).as_bytes())?;
    }
    match m.confidence {
        Some(confidence) => write_number(writer, number, confidence)?,
        None => writer.write_field("")?,
    }
    write_number(writer, number, m.input_tokens)?;
    write_number(writer, number, m.output_tokens)?;
    write_number(writer, number, m.cost)?;
    write_number(writer, number, m.latency_ms)?;
    let at = chrono::DateTime::from_timestamp_millis(m.created_at).unwrap_or_default();
    writer.write_field(at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))?;
    writer.write_field(safe_cell(&m.content).as_bytes())?;
    writer.write_record(None::<&[u8]>)
}

/// Writes a number as `Display` writes it, through a reused buffer.
fn write_number(
    writer: &mut csv::Writer<Vec<u8>>,
    buffer: &mut String,
    value: impl std::fmt::Display,
) -> csv::Result<()> {
    use std::fmt::Write;
    buffer.clear();
    write!(buffer, "{value}").expect("writing to a string cannot fail");
    writer.write_field(buffer.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_and_formulas_neutralised() {
        let mut t = CsvTable::new(&["name", "n"]);
        t.row::<_, Cell>(["=HYPERLINK(\"x\")".into(), 3i64.into()]);
        t.row::<_, Cell>(["a, \"b\"\nc".into(), (-2.5f64).into()]);
        let text = String::from_utf8(t.finish()).unwrap();
        assert_eq!(text, "name,n\n\"'=HYPERLINK(\"\"x\"\")\",3\n\"a, \"\"b\"\"\nc\",-2.5\n");
    }
}
