//! Reading extract files: header check, column counts, UTF-8, line numbers.

use std::path::{Path, PathBuf};

use crate::error::{EngineError, Result};

use super::quality::{Quality, Reject};

/// The extract files matching `dir/<prefix>*<suffix>`, sorted by name.
pub fn find_files(root: &Path, sub: &str, prefix: &str, suffix: &str) -> Result<Vec<PathBuf>> {
    let dir = root.join(sub);
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
        Err(e) => return Err(EngineError::io(format!("read {}", dir.display()), e)),
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| EngineError::io(format!("read {}", dir.display()), e))?;
        let name = entry.file_name().to_string_lossy().to_string();
        if name.starts_with(prefix) && name.ends_with(suffix) {
            files.push(entry.path());
        }
    }
    files.sort();
    Ok(files)
}

/// The name a file is reported under: relative to the extract root.
pub fn display_name(root: &Path, file: &Path) -> String {
    file.strip_prefix(root)
        .unwrap_or(file)
        .to_string_lossy()
        .to_string()
}

/// Reads one CSV file, checking its header against `expected`, and calls `row` for every
/// data line whose column count and encoding are right; other lines are quarantined.
/// `row` returns `Ok(cleaned)` to load the row or `Err(reject)` to quarantine it.
pub fn read_csv(
    root: &Path,
    path: &Path,
    table: &str,
    expected: &[&str],
    quality: &mut Quality,
    mut row: impl FnMut(&[&str], &mut RowCtx) -> std::result::Result<(), Reject>,
) -> Result<()> {
    let name = display_name(root, path);
    let file_idx = quality.start_file(&name, table);
    let meta = std::fs::metadata(path).map_err(|e| EngineError::io(format!("read {name}"), e))?;
    if meta.len() == 0 {
        quality.set_status(file_idx, "EMPTY");
        return Ok(());
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(path)
        .map_err(|e| EngineError::BadSource {
            file: name.clone(),
            message: e.to_string(),
        })?;
    let mut record = csv::ByteRecord::new();
    let mut header_seen = false;
    loop {
        let more = reader
            .read_byte_record(&mut record)
            .map_err(|e| EngineError::BadSource {
                file: name.clone(),
                message: e.to_string(),
            })?;
        if !more {
            break;
        }
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        if !header_seen {
            header_seen = true;
            let found: Vec<String> = record
                .iter()
                .map(|f| {
                    String::from_utf8_lossy(f)
                        .trim()
                        .trim_start_matches('\u{feff}')
                        .to_string()
                })
                .collect();
            if found
                .iter()
                .map(String::as_str)
                .ne(expected.iter().copied())
            {
                return Err(EngineError::WrongHeader {
                    file: name,
                    expected: expected.join(","),
                    found: found.join(","),
                });
            }
            continue;
        }
        let raw_row = || {
            record
                .iter()
                .map(|f| String::from_utf8_lossy(f).to_string())
                .collect::<Vec<_>>()
                .join(",")
        };
        if record.len() != expected.len() {
            let reject = Reject::row(
                "wrong_column_count",
                format!("{} fields, expected {}", record.len(), expected.len()),
            );
            quality.quarantined(file_idx, line, reject, Some(raw_row()));
            continue;
        }
        let mut fields: Vec<&str> = Vec::with_capacity(record.len());
        let mut bad_utf8 = None;
        for (i, f) in record.iter().enumerate() {
            match std::str::from_utf8(f) {
                Ok(s) => fields.push(s),
                Err(_) => {
                    bad_utf8 = Some(i);
                    break;
                }
            }
        }
        if let Some(i) = bad_utf8 {
            let raw = String::from_utf8_lossy(record.get(i).unwrap_or_default()).to_string();
            let reject = Reject::new(
                expected[i],
                "invalid_utf8",
                "field is not valid UTF-8",
                Some(&raw),
            );
            quality.quarantined(file_idx, line, reject, Some(raw_row()));
            continue;
        }
        let mut ctx = RowCtx {
            cleaned: Vec::new(),
            columns: expected,
        };
        match row(&fields, &mut ctx) {
            Ok(()) => quality.loaded(file_idx, line, ctx.cleaned),
            Err(reject) => quality.quarantined(file_idx, line, reject, Some(fields.join(","))),
        }
    }
    if !header_seen {
        quality.set_status(file_idx, "EMPTY");
    }
    Ok(())
}

/// Reads a JSON-lines file; every non-blank line is one row.
pub fn read_jsonl(
    root: &Path,
    path: &Path,
    table: &str,
    quality: &mut Quality,
    mut row: impl FnMut(&serde_json::Value, &mut RowCtx) -> std::result::Result<(), Reject>,
) -> Result<()> {
    let name = display_name(root, path);
    let file_idx = quality.start_file(&name, table);
    let bytes = std::fs::read(path).map_err(|e| EngineError::io(format!("read {name}"), e))?;
    if bytes.is_empty() {
        quality.set_status(file_idx, "EMPTY");
        return Ok(());
    }
    for (idx, raw) in bytes.split(|b| *b == b'\n').enumerate() {
        let line = idx as u64 + 1;
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let Ok(text) = std::str::from_utf8(raw) else {
            let lossy = String::from_utf8_lossy(raw).to_string();
            quality.quarantined(
                file_idx,
                line,
                Reject::row("invalid_utf8", "line is not valid UTF-8"),
                Some(lossy),
            );
            continue;
        };
        let value: serde_json::Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                quality.quarantined(
                    file_idx,
                    line,
                    Reject::row("invalid_json", e.to_string()),
                    Some(text.to_string()),
                );
                continue;
            }
        };
        let mut ctx = RowCtx {
            cleaned: Vec::new(),
            columns: &[],
        };
        match row(&value, &mut ctx) {
            Ok(()) => quality.loaded(file_idx, line, ctx.cleaned),
            Err(reject) => quality.quarantined(file_idx, line, reject, Some(text.to_string())),
        }
    }
    Ok(())
}

/// Per-row state while a row is validated and cleansed.
pub struct RowCtx<'a> {
    pub cleaned: Vec<super::quality::Cleaned>,
    pub columns: &'a [&'a str],
}
