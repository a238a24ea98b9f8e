//! Recording a load in the `system` tables (appended in the load's own transaction).

use std::collections::BTreeMap;
use std::path::Path;

use lyceum_catalog::TableDef;

use super::LoadReport;
use super::quality::Quality;
use super::value::{TableData, Value};
use crate::error::{EngineError, Result};
use crate::warehouse::transaction::{Transaction, WriteMode};

fn s(v: &str) -> Value {
    Value::Str(v.to_string())
}

pub async fn record(
    tx: &mut Transaction,
    defs: &[TableDef],
    source: &Path,
    started_at: chrono::DateTime<chrono::Utc>,
    quality: &Quality,
    report: &LoadReport,
) -> Result<()> {
    let def = |name: &str| {
        defs.iter()
            .find(|d| d.schema == "system" && d.name == name)
            .cloned()
            .ok_or_else(|| EngineError::Internal(format!("no system table {name}")))
    };
    let id = Value::I64(report.load_id as i64);
    let total = |f: fn(&super::FileReport) -> u64| report.files.iter().map(f).sum::<u64>() as i64;

    let mut loads = TableData::new(&def("loads")?);
    loads.push(&[
        id.clone(),
        s(&source.display().to_string()),
        Value::Ts(started_at.timestamp_micros()),
        Value::Ts(chrono::Utc::now().timestamp_micros()),
        Value::I32(report.files.len() as i32),
        Value::I64(total(|f| f.rows_read)),
        Value::I64(total(|f| f.rows_loaded)),
        Value::I64(total(|f| f.rows_cleaned)),
        Value::I64(total(|f| f.rows_quarantined)),
        Value::I64(report.tables_changed.values().sum::<u64>() as i64),
        s(&report
            .tables_changed
            .keys()
            .cloned()
            .collect::<Vec<_>>()
            .join(",")),
        id.clone(),
    ])?;

    let mut files = TableData::new(&def("load_files")?);
    for f in &report.files {
        files.push(&[
            id.clone(),
            s(&f.file),
            s(&f.table),
            s(&f.status),
            Value::I64(f.rows_read as i64),
            Value::I64(f.rows_loaded as i64),
            Value::I64(f.rows_cleaned as i64),
            Value::I64(f.rows_quarantined as i64),
        ])?;
    }

    let mut quarantine = TableData::new(&def("quarantine")?);
    for q in &quality.quarantine {
        quarantine.push(&[
            id.clone(),
            s(&q.file),
            Value::I64(q.line as i64),
            Value::opt_str(q.reject.column.clone()),
            s(q.reject.rule),
            s(&q.reject.message),
            Value::opt_str(q.reject.raw_value.clone()),
            Value::opt_str(q.raw_row.clone()),
        ])?;
    }

    let mut cleansing = TableData::new(&def("cleansing")?);
    for c in &quality.cleansing {
        cleansing.push(&[
            id.clone(),
            s(&c.file),
            Value::I64(c.line as i64),
            s(&c.column),
            s(c.rule),
            s(&c.raw),
            s(&c.clean),
        ])?;
    }

    for data in [loads, files, quarantine, cleansing] {
        let data = data.finish()?;
        let added = data.rows();
        if added == 0 {
            continue;
        }
        let name = data.def.qualified_name();
        let before = tx.entry(&name).map(|e| e.rows).unwrap_or(0);
        let def = data.def.clone();
        let batches = data.units.into_values().flat_map(|u| u.batches).collect();
        tx.write(
            &def,
            batches,
            WriteMode::Append,
            before + added,
            BTreeMap::new(),
            None,
        )
        .await?;
    }
    Ok(())
}
