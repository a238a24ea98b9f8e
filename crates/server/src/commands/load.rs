//! `lyceum load`: load an extract into the warehouse; print the data-quality summary.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::PathBuf;

use lyceum_engine::load::{LoadOptions, LoadReport, load};
use lyceum_engine::rollup::refresh::RefreshMode;
use lyceum_engine::warehouse::Warehouse;
use tracing::info;

use super::thousands;
use crate::cli::LoadArgs;
use crate::error::CliError;

pub async fn run(args: LoadArgs) -> Result<(), CliError> {
    let warehouse = Warehouse::open(&args.warehouse.warehouse)?;
    let report = load_extract(&warehouse, args.source.clone(), args.max_retries).await?;
    if args.json {
        let json = serde_json::to_string_pretty(&report)
            .map_err(|e| CliError::io("cannot serialise the load report", e.into()))?;
        println!("{json}");
    } else {
        print!("{}", summary(&report, &warehouse));
    }
    Ok(())
}

pub(crate) async fn load_extract(
    warehouse: &Warehouse,
    source: PathBuf,
    max_retries: u32,
) -> Result<LoadReport, CliError> {
    let opts = LoadOptions {
        source,
        progress: std::io::stderr().is_terminal(),
        max_retries,
    };
    info!(source = %opts.source.display(), warehouse = %warehouse.url(), "loading");
    Ok(load(warehouse, &opts).await?)
}

/// Per-file counts, the rules that quarantined or cleaned rows, and the commit.
pub(crate) fn summary(report: &LoadReport, warehouse: &Warehouse) -> String {
    let header = [
        "file",
        "table",
        "status",
        "read",
        "loaded",
        "cleaned",
        "quarantined",
    ];
    let mut rows: Vec<[String; 7]> = report
        .files
        .iter()
        .map(|f| {
            [
                f.file.clone(),
                f.table.clone(),
                f.status.clone(),
                thousands(f.rows_read),
                thousands(f.rows_loaded),
                thousands(f.rows_cleaned),
                thousands(f.rows_quarantined),
            ]
        })
        .collect();
    let sum = |get: fn(&lyceum_engine::load::FileReport) -> u64| {
        thousands(report.files.iter().map(get).sum())
    };
    rows.push([
        "total".into(),
        String::new(),
        String::new(),
        sum(|f| f.rows_read),
        sum(|f| f.rows_loaded),
        sum(|f| f.rows_cleaned),
        sum(|f| f.rows_quarantined),
    ]);
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.len());
        }
    }
    let line = |cells: [&str; 7]| {
        let mut s = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i > 0 {
                s.push_str("  ");
            }
            if i < 3 {
                s.push_str(&format!("{cell:<w$}"));
            } else {
                s.push_str(&format!("{cell:>w$}"));
            }
        }
        s.trim_end().to_string() + "\n"
    };
    let mut text = line(header);
    for row in &rows {
        text.push_str(&line(row.each_ref().map(String::as_str)));
    }
    text.push_str(&rules("quarantined by rule", &report.quarantined_by_rule));
    text.push_str(&rules("cleaned by rule", &report.cleaned_by_rule));
    if !report.tables_changed.is_empty() {
        text.push_str("\ntables changed (rows now):\n");
        let width = report
            .tables_changed
            .keys()
            .map(String::len)
            .max()
            .unwrap_or(0);
        for (table, rows) in &report.tables_changed {
            text.push_str(&format!("  {table:<width$}  {:>12}\n", thousands(*rows)));
        }
    }
    if !report.rollups_refreshed.is_empty() {
        text.push_str("\nrollups refreshed (groups now):\n");
        for done in &report.rollups_refreshed {
            let how = match (&done.mode, done.rows_read) {
                (RefreshMode::Incremental, Some(read)) => {
                    format!("incremental, from {} rows", thousands(read))
                }
                (RefreshMode::Incremental, None) => "incremental".to_string(),
                (RefreshMode::Full, _) => "rebuilt".to_string(),
            };
            text.push_str(&format!(
                "  {}  {}  ({how}, {:.2} s)\n",
                done.rollup,
                thousands(done.rows),
                done.seconds
            ));
            if let Some(reason) = &done.disabled {
                text.push_str(&format!("    disabled: {reason}\n"));
            }
        }
    }
    text.push_str(&format!(
        "\nload {} committed warehouse version {} to {} in {:.2} s\n",
        report.load_id,
        report.warehouse_version,
        warehouse.url(),
        report.seconds,
    ));
    text
}

fn rules(title: &str, counts: &BTreeMap<String, u64>) -> String {
    if counts.is_empty() {
        return format!("\n{title}: none\n");
    }
    let width = counts.keys().map(String::len).max().unwrap_or(0);
    let mut text = format!("\n{title}:\n");
    for (rule, n) in counts {
        text.push_str(&format!("  {rule:<width$}  {:>12}\n", thousands(*n)));
    }
    text
}
