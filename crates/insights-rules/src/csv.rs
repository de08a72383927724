//! CSV cells a spreadsheet opens as text: a cell that starts like a formula
//! (`=`, `+`, `-`, `@`, tab or carriage return) gets a leading apostrophe, so
//! `=HYPERLINK(…)` typed into a question is shown, never run. Quoting itself
//! is the `csv` writer's job.

/// The cell to write for `value`.
pub fn safe_cell(value: &str) -> std::borrow::Cow<'_, str> {
    match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}").into(),
        _ => value.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_cell;

    #[test]
    fn formulas_are_neutralised_and_text_is_kept() {
        assert_eq!(safe_cell("=1+1"), "'=1+1");
        assert_eq!(safe_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(safe_cell("+33 1 23"), "'+33 1 23");
        assert_eq!(safe_cell("-2"), "'-2");
        assert_eq!(safe_cell("\tcmd"), "'\tcmd");
        assert_eq!(safe_cell("plain, \"quoted\""), "plain, \"quoted\"");
        assert_eq!(safe_cell(""), "");
    }
}
