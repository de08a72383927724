//! Server-sent events framing: bytes as they come off the network in, event payloads out.
//!
//! Hand-parsed rather than with `eventsource-stream`: OpenAI-compatible servers use a small subset
//! of SSE (`data:` lines, blank-line separators, `:` keep-alive comments), the parser is a few dozen
//! lines, and owning it lets the stream apply its own idle timeout around the byte stream and be
//! lenient at the end (a final `data: [DONE]` missing its blank line still counts) — for one
//! dependency fewer. Lines may end in `\n` or `\r\n`; a lone `\r` ending, which SSE allows but no
//! such server sends, is not recognised.

/// Splits a byte stream into SSE events and returns each event's `data` (lines joined by `\n`).
#[derive(Debug, Default)]
pub(crate) struct SseParser {
    /// The start of a line whose end has not arrived yet.
    line: Vec<u8>,
    /// The data of the event being read, once it has a `data:` line.
    data: Option<String>,
}

impl SseParser {
    /// Takes the next network chunk; returns the events it completed, in order.
    pub(crate) fn feed(&mut self, chunk: &[u8]) -> Vec<String> {
        let mut events = Vec::new();
        let mut rest = chunk;
        while let Some(end) = rest.iter().position(|&b| b == b'\n') {
            self.line.extend_from_slice(&rest[..end]);
            rest = &rest[end + 1..];
            let line = std::mem::take(&mut self.line);
            events.extend(self.on_line(&line));
        }
        self.line.extend_from_slice(rest);
        events
    }

    /// At the end of the stream: the event still being read, if any.
    pub(crate) fn finish(&mut self) -> Option<String> {
        let line = std::mem::take(&mut self.line);
        if let Some(event) = self.on_line(&line) {
            return Some(event);
        }
        self.data.take()
    }

    fn on_line(&mut self, line: &[u8]) -> Option<String> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            return self.data.take();
        }
        if line.starts_with(b":") {
            return None; // a comment, used as keep-alive
        }
        // Whole lines only, so a character split across network chunks is already rejoined here.
        let line = String::from_utf8_lossy(line);
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (&*line, ""),
        };
        // `event:`, `id:` and `retry:` carry nothing for chat completions.
        if field == "data" {
            match &mut self.data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => self.data = Some(value.to_owned()),
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WIRE: &str = ": keep-alive\r\n\r\ndata: {\"a\":1}\r\n\r\nevent: message\nid: 7\ndata: {\"b\":\"é\"}\n\ndata: x\ndata: y\n\ndata: [DONE]\n\n";
    const EVENTS: [&str; 4] = ["{\"a\":1}", "{\"b\":\"é\"}", "x\ny", "[DONE]"];

    #[test]
    fn all_events_of_one_chunk_come_out_in_order() {
        let mut parser = SseParser::default();
        assert_eq!(parser.feed(WIRE.as_bytes()), EVENTS);
        assert_eq!(parser.finish(), None);
    }

    #[test]
    fn any_split_into_chunks_gives_the_same_events() {
        let bytes = WIRE.as_bytes();
        for size in 1..=bytes.len() {
            let mut parser = SseParser::default();
            let mut events = Vec::new();
            for chunk in bytes.chunks(size) {
                events.extend(parser.feed(chunk));
            }
            events.extend(parser.finish());
            assert_eq!(events, EVENTS, "chunks of {size} bytes");
        }
    }

    #[test]
    fn a_last_event_without_its_blank_line_still_counts() {
        let mut parser = SseParser::default();
        assert_eq!(parser.feed(b"data: one\n\ndata: [DONE]"), ["one"]);
        assert_eq!(parser.finish().as_deref(), Some("[DONE]"));
        let mut parser = SseParser::default();
        assert!(parser.feed(b"data: [DONE]\n").is_empty());
        assert_eq!(parser.finish().as_deref(), Some("[DONE]"));
    }
}
