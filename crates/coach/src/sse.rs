//! A small server-sent events parser over a byte stream: `event:` and `data:`
//! fields, multi-line data joined with `\n`, comments (`:`) ignored, a blank line
//! ends an event. Lines end with `\n` or `\r\n`; the providers do not send lone `\r`.

use crate::ProviderError;

/// Longest line accepted; a provider line is a JSON chunk of a few kilobytes, so a
/// line this long means a broken or hostile peer, not a bigger answer.
const MAX_LINE: usize = 1 << 20;
/// Longest event (all its data lines together).
const MAX_EVENT: usize = 4 << 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SseEvent {
    /// The `event:` field; `None` when absent (the spec's default `message`).
    pub event: Option<String>,
    pub data: String,
}

#[derive(Debug, Default)]
pub(crate) struct SseParser {
    line: Vec<u8>,
    event: Option<String>,
    data: String,
    has_data: bool,
}

impl SseParser {
    /// Feeds bytes; returns the events they complete.
    pub fn push(&mut self, bytes: &[u8]) -> Result<Vec<SseEvent>, ProviderError> {
        let mut events = Vec::new();
        let mut rest = bytes;
        while let Some(pos) = rest.iter().position(|&b| b == b'\n') {
            let (head, tail) = rest.split_at(pos);
            rest = tail.get(1..).unwrap_or_default();
            self.extend_line(head)?;
            let mut line = std::mem::take(&mut self.line);
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            if let Some(event) = self.line_done(&line)? {
                events.push(event);
            }
        }
        self.extend_line(rest)?;
        Ok(events)
    }

    fn extend_line(&mut self, bytes: &[u8]) -> Result<(), ProviderError> {
        if self.line.len().saturating_add(bytes.len()) > MAX_LINE {
            return Err(ProviderError::protocol(format!(
                "an event-stream line is longer than {MAX_LINE} bytes"
            )));
        }
        self.line.extend_from_slice(bytes);
        Ok(())
    }

    fn line_done(&mut self, line: &[u8]) -> Result<Option<SseEvent>, ProviderError> {
        if line.is_empty() {
            let event = self.event.take();
            let data = std::mem::take(&mut self.data);
            let has_data = std::mem::replace(&mut self.has_data, false);
            return Ok(has_data.then_some(SseEvent { event, data }));
        }
        if line.first() == Some(&b':') {
            return Ok(None);
        }
        let line = std::str::from_utf8(line)
            .map_err(|_| ProviderError::protocol("an event-stream line is not UTF-8"))?;
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        match field {
            "event" => self.event = Some(value.to_owned()),
            "data" => {
                if self.data.len().saturating_add(value.len()) > MAX_EVENT {
                    return Err(ProviderError::protocol(format!(
                        "an event is longer than {MAX_EVENT} bytes"
                    )));
                }
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            // `id`, `retry` and unknown fields carry nothing the providers use.
            _ => {}
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn parse_in_pieces(input: &str, piece: usize) -> Vec<SseEvent> {
        let mut parser = SseParser::default();
        let mut events = Vec::new();
        for chunk in input.as_bytes().chunks(piece) {
            events.extend(parser.push(chunk).unwrap());
        }
        events
    }

    #[test]
    fn events_split_at_any_byte_parse_the_same() {
        let input = ": comment\r\nevent: ping\r\ndata: {\"a\":1}\r\n\r\ndata: one\ndata:two\n\nevent: lonely\n\n";
        let expected = vec![
            SseEvent {
                event: Some("ping".into()),
                data: "{\"a\":1}".into(),
            },
            SseEvent {
                event: None,
                data: "one\ntwo".into(),
            },
        ];
        for piece in 1..input.len() {
            assert_eq!(parse_in_pieces(input, piece), expected, "piece {piece}");
        }
    }

    #[test]
    fn an_unfinished_event_is_not_dispatched() {
        assert!(parse_in_pieces("event: x\ndata: partial\n", 4).is_empty());
    }

    #[test]
    fn an_endless_line_is_an_error_not_an_allocation() {
        let mut parser = SseParser::default();
        let chunk = vec![b'a'; 64 * 1024];
        let mut failed = false;
        for _ in 0..20 {
            if parser.push(&chunk).is_err() {
                failed = true;
                break;
            }
        }
        assert!(failed);
    }
}
