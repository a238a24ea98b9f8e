//! The ETL load: extract → validate → cleanse → conform → write → one catalog commit.
//!
//! Every source row is counted: loaded (possibly after named cleansing rules changed it)
//! or quarantined with a named rule (`system.quarantine`); `system.load_files` has the
//! per-file counts and `system.loads` one row per load. SIS files are full extracts;
//! fact files are authoritative for the terms they contain: a fact's terms whose content
//! is unchanged are not rewritten, so re-loading an extract changes no star-schema table.

mod conform;
mod dims;
mod facts;
mod grades;
mod quality;
mod rules;
mod scd2;
mod sentiment;
mod source;
mod system;
mod value;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::array::{Array, AsArray};
use arrow::datatypes::Int64Type;
use lyceum_catalog::{TableDef, UnitEntry, star};
use tracing::{Instrument, info, info_span, warn};

use crate::error::{EngineError, Result};
use crate::session::{Engine, QueryOutput};
use crate::warehouse::Warehouse;
use crate::warehouse::transaction::{Transaction, WriteMode};
use conform::{Conformer, KeyMap};
use quality::Quality;
use value::{TableData, WHOLE};

pub use dims::parse_term_code;

/// What to load.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// The extract directory (see `data/README.md`).
    pub source: PathBuf,
    /// Show progress bars on a terminal.
    pub progress: bool,
    /// How many times to retry after losing a commit race to another writer.
    pub max_retries: u32,
}

/// Counts for one source file. `rows_read == rows_loaded + rows_quarantined` always;
/// `rows_cleaned` counts loaded rows that a cleansing rule changed.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct FileReport {
    pub file: String,
    pub table: String,
    pub status: String,
    pub rows_read: u64,
    pub rows_loaded: u64,
    pub rows_cleaned: u64,
    pub rows_quarantined: u64,
}

/// What a load did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct LoadReport {
    pub load_id: u64,
    pub warehouse_version: u64,
    pub files: Vec<FileReport>,
    /// Star-schema tables whose content changed, with their new row counts.
    pub tables_changed: BTreeMap<String, u64>,
    /// Rollups the load made stale and refreshed in the same version (incrementally
    /// where it only appended rows).
    pub rollups_refreshed: Vec<crate::rollup::refresh::Refreshed>,
    pub quarantined_by_rule: BTreeMap<String, u64>,
    pub cleaned_by_rule: BTreeMap<String, u64>,
    pub seconds: f64,
}

/// Loads an extract into the warehouse and commits one new warehouse version.
/// On any error nothing is committed. Losing a commit race is retried `max_retries` times.
pub async fn load(warehouse: &Warehouse, opts: &LoadOptions) -> Result<LoadReport> {
    if !opts.source.is_dir() {
        return Err(EngineError::SourceMissing {
            path: opts.source.clone(),
        });
    }
    let mut attempt = 0;
    loop {
        let span = info_span!("load", source = %opts.source.display(), attempt);
        match load_once(warehouse, opts).instrument(span).await {
            Err(EngineError::Conflict { detail }) if attempt < opts.max_retries => {
                attempt += 1;
                let pause = Duration::from_millis(
                    200 * u64::from(attempt) + u64::from(std::process::id() % 97) * 7,
                );
                warn!(%detail, attempt, "lost a commit race, retrying");
                tokio::time::sleep(pause).await;
            }
            other => return other,
        }
    }
}

async fn load_once(warehouse: &Warehouse, opts: &LoadOptions) -> Result<LoadReport> {
    let clock = Instant::now();
    let started_at = chrono::Utc::now();
    let progress = Progress::new(opts.progress);
    progress.stage("preparing the warehouse");
    let mut tx = Transaction::begin(warehouse).await?;
    let load_id = tx.base().version + 1;
    let keys = existing_keys(warehouse, tx.base().version).await?;
    // The star schema's and system tables' definitions as the catalog has them (not as
    // this build would create them): a warehouse keeps the tables it was created with.
    let defs: Vec<TableDef> = tx
        .base()
        .tables
        .values()
        .map(|e| &e.definition)
        .filter(|d| d.schema == star::PUBLIC || d.schema == star::SYSTEM)
        .cloned()
        .collect();
    progress.stage("reading and conforming extracts");
    let source = opts.source.clone();
    let conform_defs = defs.clone();
    let (tables, quality) = tokio::task::spawn_blocking(move || {
        conform_all(&source, load_id as i64, &conform_defs, keys)
    })
    .await
    .map_err(|e| EngineError::Internal(format!("conform task failed: {e}")))??;

    let mut tables_changed = BTreeMap::new();
    for (name, data) in tables {
        progress.stage(&format!("writing {name}"));
        if let Some(rows) = write_table(&mut tx, data).await? {
            tables_changed.insert(name, rows);
        }
    }
    let mut report = LoadReport {
        load_id,
        warehouse_version: load_id,
        quarantined_by_rule: quality.quarantined_by_rule(),
        cleaned_by_rule: quality.cleaned_by_rule(),
        files: quality.files.clone(),
        tables_changed,
        rollups_refreshed: Vec::new(),
        seconds: 0.0,
    };
    progress.stage("refreshing rollups");
    // Boxed: planning and writing rollups is a deep future, kept off the caller's stack.
    let stage = |rollup: &str| progress.stage(&format!("refreshing rollup {rollup}"));
    report.rollups_refreshed = Box::pin(crate::rollup::refresh::refresh_stale(
        &mut tx, warehouse, &stage,
    ))
    .await?;
    progress.stage("recording the load in system tables");
    system::record(&mut tx, &defs, &opts.source, started_at, &quality, &report).await?;
    let summary = format!(
        "load {}: {} rows read, {} quarantined, {} tables changed",
        opts.source.display(),
        report.files.iter().map(|f| f.rows_read).sum::<u64>(),
        report.files.iter().map(|f| f.rows_quarantined).sum::<u64>(),
        report.tables_changed.len()
    );
    progress.stage("committing");
    let committed = tx.commit("load", Some(load_id), summary).await?;
    report.warehouse_version = committed.version;
    report.seconds = clock.elapsed().as_secs_f64();
    progress.finish();
    info!(
        version = committed.version,
        seconds = report.seconds,
        "load committed"
    );
    Ok(report)
}

/// Reads every extract and conforms it (CPU-bound; runs on a blocking thread).
fn conform_all(
    root: &Path,
    load_id: i64,
    defs: &[TableDef],
    keys: HashMap<&'static str, KeyMap>,
) -> Result<(BTreeMap<String, TableData>, Quality)> {
    let mut c = Conformer::new(root, load_id, defs, keys);
    c.terms()?;
    c.departments()?;
    c.programs()?;
    c.courses()?;
    c.instructors()?;
    c.students()?;
    c.sections()?;
    c.enrollments()?;
    c.assessments()?;
    c.attendance()?;
    c.degrees()?;
    c.feedback()?;
    c.student_terms()?;
    c.dates()?;
    let tables = std::mem::take(&mut c.tables)
        .into_iter()
        .map(|(name, t)| Ok((name, t.finish()?)))
        .collect::<Result<BTreeMap<_, _>>>()?;
    Ok((tables, std::mem::take(&mut c.quality)))
}

/// Writes what changed of one star-schema table; returns its new row count if it changed.
async fn write_table(tx: &mut Transaction, data: TableData) -> Result<Option<u64>> {
    let name = data.def.qualified_name();
    let entry = tx
        .entry(&name)
        .cloned()
        .ok_or_else(|| EngineError::Internal(format!("{name} is not in the warehouse")))?;
    if data.def.unit_column.is_none() {
        let whole = data.units.get(&WHOLE);
        let fingerprint = whole.map(|u| u.fingerprint());
        if fingerprint == entry.fingerprint || (whole.is_none() && entry.rows == 0) {
            return Ok(None);
        }
        let rows = data.rows();
        let batches = data.units.into_values().flat_map(|u| u.batches).collect();
        tx.write(
            &data.def,
            batches,
            WriteMode::Overwrite,
            rows,
            BTreeMap::new(),
            fingerprint,
        )
        .await?;
        return Ok(Some(rows));
    }
    let mut units = entry.units.clone();
    let mut changed = Vec::new();
    let mut batches = Vec::new();
    for (unit, u) in data.units {
        let key = unit.to_string();
        let fingerprint = u.fingerprint();
        if units.get(&key).map(|e| &e.fingerprint) == Some(&fingerprint) {
            continue;
        }
        changed.push(unit);
        units.insert(
            key,
            UnitEntry {
                fingerprint,
                rows: u.rows,
            },
        );
        batches.extend(u.batches);
    }
    if changed.is_empty() {
        return Ok(None);
    }
    let rows = units.values().map(|u| u.rows).sum();
    tx.write(
        &data.def,
        batches,
        WriteMode::ReplaceUnits(changed),
        rows,
        units,
        None,
    )
    .await?;
    Ok(Some(rows))
}

/// Natural → surrogate keys already in the warehouse, so they stay stable.
async fn existing_keys(
    warehouse: &Warehouse,
    version: u64,
) -> Result<HashMap<&'static str, KeyMap>> {
    const QUERIES: &[(&str, &str)] = &[
        (
            "dim_department",
            "SELECT department_code, CAST(department_key AS BIGINT) FROM public.dim_department",
        ),
        (
            "dim_program",
            "SELECT program_code, CAST(program_key AS BIGINT) FROM public.dim_program",
        ),
        (
            "dim_course",
            "SELECT course_id, CAST(course_key AS BIGINT) FROM public.dim_course",
        ),
        (
            "dim_section",
            "SELECT section_id, CAST(section_key AS BIGINT) FROM public.dim_section",
        ),
        (
            "dim_instructor",
            "SELECT instructor_id || '|' || CAST(effective_from AS VARCHAR), CAST(instructor_key AS BIGINT) FROM public.dim_instructor",
        ),
        (
            "dim_student",
            "SELECT student_id || '|' || CAST(effective_from AS VARCHAR), CAST(student_key AS BIGINT) FROM public.dim_student",
        ),
    ];
    // DataFusion's own SQL: these queries need no PostgreSQL spellings.
    let engine = Engine::new(warehouse.clone(), Arc::new(crate::session::Plain))?;
    let mut session = engine.session(crate::auth::Identity::local())?;
    session
        .execute(&format!("SET lyceum.as_of = {version}"))
        .await?;
    let mut maps = HashMap::new();
    for (table, sql) in QUERIES {
        let mut pairs = Vec::new();
        for output in session.execute(sql).await? {
            let QueryOutput::Rows { stream, .. } = output else {
                continue;
            };
            let batches: Vec<_> = futures::TryStreamExt::try_collect(stream).await?;
            for batch in batches {
                let batch =
                    arrow::compute::cast(batch.column(0), &arrow::datatypes::DataType::Utf8)
                        .map(|c| (c, batch.column(1).clone()))?;
                let (names, keys) = (
                    batch.0.as_string::<i32>(),
                    batch.1.as_primitive::<Int64Type>(),
                );
                for i in 0..names.len() {
                    if names.is_valid(i) && keys.is_valid(i) {
                        pairs.push((names.value(i).to_string(), keys.value(i)));
                    }
                }
            }
        }
        maps.insert(*table, KeyMap::from_existing(pairs));
    }
    Ok(maps)
}

/// Progress on a terminal: a spinner naming the current stage.
struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    fn new(enabled: bool) -> Progress {
        use std::io::IsTerminal;
        if !enabled || !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let bar = indicatif::ProgressBar::new_spinner();
        bar.enable_steady_tick(Duration::from_millis(120));
        Progress(Some(bar))
    }

    fn stage(&self, message: &str) {
        if let Some(bar) = &self.0 {
            bar.set_message(message.to_string());
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
