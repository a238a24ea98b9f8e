//! Logging: tracing to stderr, filtered by `LYCEUM_LOG` (or `RUST_LOG`), e.g.
//! `LYCEUM_LOG=lyceum_server=debug,info`.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. `default` applies when neither variable is set (or the
/// set one does not parse, which is reported on stderr).
pub fn init(default: &str) {
    let directives = std::env::var("LYCEUM_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok()
        .filter(|s| !s.trim().is_empty());
    let mut bad_filter = None;
    let filter = match directives {
        Some(d) => EnvFilter::try_new(&d).unwrap_or_else(|e| {
            bad_filter = Some(format!("{d:?}: {e}"));
            EnvFilter::new(default)
        }),
        None => EnvFilter::new(default),
    };
    let installed = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init()
        .is_ok();
    if let (true, Some(bad)) = (installed, bad_filter) {
        tracing::warn!("ignoring invalid log filter {bad}; using {default:?}");
    }
}
