//! One module per subcommand. Each exposes `run(&Args) -> anyhow::Result<ExitCode>`.

pub mod analyze;
pub mod inspect;

/// Whether the reader of our stdout went away (`filmroom ... | head`): that is
/// the reader's choice, not an error worth reporting.
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
