//! `lyceum generate`: write a synthetic university's source extracts.

use std::io::IsTerminal;
use std::path::Path;
use std::time::Instant;

use lyceum_engine::generate::{GenerateOptions, GenerateReport, generate};
use tracing::info;

use super::{bytes, rate, thousands};
use crate::cli::GenerateArgs;
use crate::error::CliError;

pub async fn run(args: GenerateArgs) -> Result<(), CliError> {
    let (report, seconds) = generate_extract(&args).await?;
    print!("{}", summary(&report, &args.out, seconds));
    Ok(())
}

/// Runs the generator off the async threads; returns its report and the seconds taken.
pub(crate) async fn generate_extract(
    args: &GenerateArgs,
) -> Result<(GenerateReport, f64), CliError> {
    let opts = GenerateOptions {
        scale: args.scale,
        out: args.out.clone(),
        seed: args.seed,
        dirty_rate: args.dirty_rate,
        as_of: args.as_of,
        progress: std::io::stderr().is_terminal(),
    };
    info!(?opts, "generating");
    let started = Instant::now();
    let report = tokio::task::spawn_blocking(move || generate(&opts))
        .await
        .map_err(|e| CliError::io("the generator stopped", std::io::Error::other(e)))??;
    Ok((report, started.elapsed().as_secs_f64()))
}

/// The per-file listing and a total line.
pub(crate) fn summary(report: &GenerateReport, out: &Path, seconds: f64) -> String {
    let name_width = report
        .files
        .iter()
        .map(|f| f.path.len())
        .max()
        .unwrap_or(0)
        .max(4);
    let rows: Vec<String> = report.files.iter().map(|f| thousands(f.rows)).collect();
    let rows_width = rows.iter().map(String::len).max().unwrap_or(0).max(4);
    let mut text = format!(
        "{:<name_width$}  {:>rows_width$}  {:>10}\n",
        "file", "rows", "bytes"
    );
    for (file, rows) in report.files.iter().zip(&rows) {
        text.push_str(&format!(
            "{:<name_width$}  {rows:>rows_width$}  {:>10}\n",
            file.path,
            bytes(file.bytes)
        ));
    }
    text.push_str(&format!(
        "generated {} files into {}: {} rows, {} in {:.2} s ({} rows/s)\n",
        report.files.len(),
        out.display(),
        thousands(report.total_rows),
        bytes(report.total_bytes),
        seconds,
        thousands(rate(report.total_rows, seconds)),
    ));
    text
}
