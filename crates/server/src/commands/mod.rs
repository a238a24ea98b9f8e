//! One module per subcommand; each exposes `run(args)`.

mod generate;
mod load;
mod quickstart;
mod serve;
mod sql;

use crate::cli::Command;
use crate::error::CliError;

pub async fn run(command: Command) -> Result<(), CliError> {
    match command {
        Command::Generate(args) => generate::run(args).await,
        Command::Load(args) => load::run(args).await,
        Command::Sql(args) => sql::run(args).await,
        Command::Serve(args) => serve::run(args).await,
        Command::Quickstart(args) => quickstart::run(args).await,
    }
}

/// `1234567` → `1,234,567`.
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1536` → `1.5 KiB`.
pub(crate) fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Rows per second, guarding against a zero duration.
pub(crate) fn rate(rows: u64, seconds: f64) -> u64 {
    if seconds > 0.0 {
        (rows as f64 / seconds).round() as u64
    } else {
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_numbers() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(bytes(10), "10 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(rate(10, 0.0), 10);
        assert_eq!(rate(10, 2.0), 5);
    }
}
