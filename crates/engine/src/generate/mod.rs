//! `lyceum generate`: a synthetic university's source extracts (the contract is
//! `data/README.md`).
//!
//! How it works: `sim` simulates all five academic years (2020-21 .. 2024-25) term by
//! term — admissions, persistence, course choice, demand-driven sections, grades, degrees —
//! without looking at `as_of`; the writers then emit what exists on `as_of`. Every random
//! decision draws from its own ChaCha8 stream keyed by (seed, purpose, entity), so:
//! - the same options give byte-identical files;
//! - a later `as_of` is a superset of an earlier one (only fields that legitimately change,
//!   like an in-progress term's grades, differ);
//! - the dirty rate only decides which rows get a defect, never the underlying data.
//!
//! Layout: `calendar` (days, terms, holidays), `catalog` (colleges, departments,
//! programs, courses), `people` / `names` (instructors, personal data), `students` /
//! `enroll` / `sim` (the simulation), `sis` / `activity` / `feedback` (writers),
//! `dirty` / `specs` (defects and where they go), `writer` (CSV/JSONL output and `manifest.json`).
//!
//! To add an extract: write its rows in a writer module with a header constant, give it a
//! dirty-data [`dirty::Spec`] in `specs`, and push its [`writer::FileOut`] in `generate`.

mod activity;
mod calendar;
mod catalog;
mod dirty;
mod enroll;
mod feedback;
mod model;
mod names;
mod people;
mod rng;
mod sim;
mod sis;
mod specs;
mod students;
mod writer;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_data;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::NaiveDate;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::error::{EngineError, Result};
use dirty::Dirt;
use sis::Ctx;
use writer::FileOut;

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    /// Scale factor: 1.0 = ~30,000 students a term. Must be in (0, 100].
    pub scale: f64,
    /// Output directory (created if missing; earlier extract files in it are replaced).
    pub out: PathBuf,
    pub seed: u64,
    /// Fraction of rows given one defect, 0.0..=0.5.
    pub dirty_rate: f64,
    /// The extract date: nothing dated later exists. 2020-07-01..=2025-06-30.
    pub as_of: NaiveDate,
    /// Show a progress bar (only when stderr is a terminal).
    pub progress: bool,
}

/// What was written.
#[derive(Debug, Clone)]
pub struct GenerateReport {
    /// Every data file, sorted by path (`manifest.json` is not listed).
    pub files: Vec<GeneratedFile>,
    pub total_rows: u64,
    pub total_bytes: u64,
}

#[derive(Debug, Clone)]
pub struct GeneratedFile {
    /// Relative to the output directory, e.g. `sis/students.csv`.
    pub path: String,
    /// Data rows (lines after the header; JSON lines for `.jsonl`).
    pub rows: u64,
    pub bytes: u64,
}

fn validate(opts: &GenerateOptions) -> Result<()> {
    if !opts.scale.is_finite() || opts.scale <= 0.0 || opts.scale > 100.0 {
        return Err(EngineError::InvalidArgument {
            name: "scale",
            message: format!("must be greater than 0 and at most 100, got {}", opts.scale),
        });
    }
    if !opts.dirty_rate.is_finite() || !(0.0..=0.5).contains(&opts.dirty_rate) {
        return Err(EngineError::InvalidArgument {
            name: "dirty_rate",
            message: format!("must be between 0.0 and 0.5, got {}", opts.dirty_rate),
        });
    }
    let (first, last) = (
        calendar::ymd(calendar::FIRST_AY, 7, 1),
        calendar::ymd(calendar::LAST_AY + 1, 6, 30),
    );
    let as_of = calendar::from_naive(opts.as_of);
    if as_of < first || as_of > last {
        return Err(EngineError::InvalidArgument {
            name: "as_of",
            message: format!(
                "must be between {} and {} (academic years 2020-21 to 2024-25), got {}",
                calendar::iso(first),
                calendar::iso(last),
                opts.as_of
            ),
        });
    }
    Ok(())
}

/// Removes extract files an earlier run left in `out` (a per-term file of a later `as_of`
/// would otherwise be read by the load). Only the generator's own file names are touched.
fn clear_previous(out: &Path) -> Result<()> {
    let ours = |dir: &str, name: &str| match dir {
        "" => name == "manifest.json",
        "sis" => name.ends_with(".csv"),
        "lms" => name.starts_with("assessments_") && name.ends_with(".csv"),
        "attendance" => name.starts_with("attendance_") && name.ends_with(".csv"),
        "survey" => name.starts_with("feedback_") && name.ends_with(".jsonl"),
        _ => false,
    };
    for dir in ["", "sis", "lms", "attendance", "survey"] {
        let path = out.join(dir);
        let entries = match std::fs::read_dir(&path) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(EngineError::io(format!("listing {}", path.display()), e)),
        };
        for entry in entries {
            let entry =
                entry.map_err(|e| EngineError::io(format!("listing {}", path.display()), e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let is_file = entry.file_type().map(|t| t.is_file()).unwrap_or(false);
            if is_file && ours(dir, &name) {
                std::fs::remove_file(entry.path()).map_err(|e| {
                    EngineError::io(format!("removing {}", entry.path().display()), e)
                })?;
            }
        }
    }
    Ok(())
}

fn progress_bar(show: bool, len: u64) -> ProgressBar {
    if !show || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}")
    {
        pb.set_style(style);
    }
    pb
}

#[derive(Clone, Copy)]
enum Job {
    Attendance(usize),
    Assessments(usize),
    Feedback(usize, u64),
}

/// Runs the per-term writers on a few threads; results keep the job order.
fn run_jobs(cx: &Ctx, jobs: &[Job], pb: &ProgressBar) -> Result<Vec<FileOut>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 4);
    let next = AtomicUsize::new(0);
    let mut results: Vec<(usize, Result<Option<FileOut>>)> = Vec::with_capacity(jobs.len());
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&job) = jobs.get(i) else { break };
                        let r = match job {
                            Job::Attendance(t) => activity::attendance(cx, t).map(Some),
                            Job::Assessments(t) => activity::assessments(cx, t).map(Some),
                            Job::Feedback(t, base) => feedback::feedback(cx, t, base),
                        };
                        let failed = r.is_err();
                        if let Ok(Some(f)) = &r {
                            pb.set_message(f.path.clone());
                        }
                        pb.inc(1);
                        mine.push((i, r));
                        if failed {
                            break;
                        }
                    }
                    mine
                })
            })
            .collect();
        for h in handles {
            match h.join() {
                Ok(mine) => results.extend(mine),
                Err(_) => results.push((
                    usize::MAX,
                    Err(EngineError::Internal("a generator thread panicked".into())),
                )),
            }
        }
    });
    results.sort_by_key(|r| r.0);
    let mut files = Vec::new();
    for (_, r) in results {
        if let Some(f) = r? {
            files.push(f);
        }
    }
    Ok(files)
}

/// Generates the extracts into `opts.out` and writes `manifest.json` last.
pub fn generate(opts: &GenerateOptions) -> Result<GenerateReport> {
    validate(opts)?;
    let as_of = calendar::from_naive(opts.as_of);
    let pb = progress_bar(opts.progress, 15 + 10 + 45 + 1);
    pb.set_message("simulating");
    let world = sim::simulate(opts.seed, opts.scale, &|code| {
        pb.set_message(format!("simulated {code}"));
        pb.inc(1);
    });
    std::fs::create_dir_all(&opts.out)
        .map_err(|e| EngineError::io(format!("creating {}", opts.out.display()), e))?;
    clear_previous(&opts.out)?;
    let cx = Ctx {
        w: &world,
        out: &opts.out,
        as_of,
        dirt: Dirt {
            rate: opts.dirty_rate,
            seed: opts.seed,
        },
    };
    let mut files = sis::reference(&cx)?;
    pb.inc(5);
    for write in [
        sis::instructors,
        sis::students,
        sis::sections,
        sis::enrollments,
        sis::degrees,
    ] {
        let f = write(&cx)?;
        pb.set_message(f.path.clone());
        pb.inc(1);
        files.push(f);
    }
    let bases = feedback::id_bases(&world);
    let started: Vec<usize> = (0..world.cal.terms.len())
        .filter(|&t| world.cal.terms[t].start <= as_of)
        .collect();
    let mut jobs: Vec<Job> = started.iter().map(|&t| Job::Attendance(t)).collect();
    jobs.extend(started.iter().map(|&t| Job::Assessments(t)));
    jobs.extend(started.iter().map(|&t| Job::Feedback(t, bases[t])));
    pb.set_length(15 + 10 + jobs.len() as u64 + 1);
    files.extend(run_jobs(&cx, &jobs, &pb)?);
    if opts.dirty_rate > 0.0 {
        files.push(writer::empty_file(
            &opts.out,
            "attendance/attendance_empty.csv",
        )?);
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let info = writer::RunInfo {
        seed: opts.seed,
        scale: opts.scale,
        as_of: opts.as_of.format("%Y-%m-%d").to_string(),
        dirty_rate: opts.dirty_rate,
    };
    writer::manifest(&opts.out, &info, &files)?;
    pb.inc(1);
    pb.finish_and_clear();
    Ok(GenerateReport {
        total_rows: files.iter().map(|f| f.rows).sum(),
        total_bytes: files.iter().map(|f| f.bytes).sum(),
        files: files
            .into_iter()
            .map(|f| GeneratedFile {
                path: f.path,
                rows: f.rows,
                bytes: f.bytes,
            })
            .collect(),
    })
}
