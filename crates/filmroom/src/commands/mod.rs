//! One module per subcommand. Each exposes `run(&Args) -> anyhow::Result<ExitCode>`.

pub mod analyze;
pub mod import;
pub mod inspect;
pub mod reanalyze;
pub mod serve;
pub mod user;
pub mod watch;
pub mod worker;

/// Whether the reader of our stdout went away (`filmroom ... | head`): that is
/// the reader's choice, not an error worth reporting.
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The error chain on one line. Parser errors often repeat their source in
/// their own message; a cause already quoted by the message before it is dropped.
pub fn error_line(error: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if !parts.last().is_some_and(|last| last.contains(&text)) {
            parts.push(text);
        }
    }
    one_line(&parts.join(": "))
}

/// Collapses a (possibly multi-line, very long) message into one summary line.
pub fn one_line(text: &str) -> String {
    const MAX_CHARS: usize = 300;
    let words: Vec<&str> = text.split_whitespace().collect();
    let joined = words.join(" ");
    if joined.chars().count() <= MAX_CHARS {
        return joined;
    }
    let cut: String = joined.chars().take(MAX_CHARS).collect();
    format!("{cut}...")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::error_line;

    #[test]
    fn error_line_drops_causes_the_message_already_quotes_and_joins_lines() {
        let source = std::io::Error::other("Expected 4 bytes");
        let error = anyhow::Error::new(source)
            .context("decoding failed: Expected 4 bytes")
            .context("bad.replay\nsecond line");
        assert_eq!(
            error_line(&error),
            "bad.replay second line: decoding failed: Expected 4 bytes"
        );
    }
}
