//! Output files: buffered CSV / JSON-lines writers that count rows, bytes and injected
//! defects, and the manifest.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::dirty::{KINDS, Kind};
use crate::error::{EngineError, Result};

/// What one written file holds.
#[derive(Debug, Clone)]
pub(crate) struct FileOut {
    pub path: String,
    pub rows: u64,
    pub bytes: u64,
    pub defects: [u64; KINDS.len()],
}

const BUF: usize = 1 << 20;

fn create(out: &Path, rel: &str) -> Result<(PathBuf, BufWriter<File>)> {
    let path = out.join(rel);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| EngineError::io(format!("creating {}", dir.display()), e))?;
    }
    let file = File::create(&path)
        .map_err(|e| EngineError::io(format!("creating {}", path.display()), e))?;
    Ok((path, BufWriter::with_capacity(BUF, file)))
}

fn size_of(path: &Path) -> Result<u64> {
    std::fs::metadata(path)
        .map(|m| m.len())
        .map_err(|e| EngineError::io(format!("reading size of {}", path.display()), e))
}

/// A CSV extract being written. Records are byte slices, so a defect can put raw
/// (non-UTF-8) bytes in a field; the writer is flexible so a defect can change the column
/// count.
pub(crate) struct CsvOut {
    rel: String,
    path: PathBuf,
    w: csv::Writer<BufWriter<File>>,
    pub rows: u64,
    pub defects: [u64; KINDS.len()],
}

impl CsvOut {
    pub(crate) fn create(out: &Path, rel: &str, header: &[&str]) -> Result<Self> {
        let (path, buf) = create(out, rel)?;
        let w = csv::WriterBuilder::new().flexible(true).from_writer(buf);
        let mut me = CsvOut {
            rel: rel.to_string(),
            path,
            w,
            rows: 0,
            defects: [0; KINDS.len()],
        };
        me.w.write_record(header).map_err(|e| me.err(e))?;
        Ok(me)
    }

    fn err(&self, e: csv::Error) -> EngineError {
        let context = format!("writing {}", self.path.display());
        match e.into_kind() {
            csv::ErrorKind::Io(io) => EngineError::io(context, io),
            other => EngineError::Internal(format!("{context}: {other:?}")),
        }
    }

    /// Writes one data row.
    pub(crate) fn row<I, T>(&mut self, record: I) -> Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        self.rows += 1;
        self.w.write_record(record).map_err(|e| self.err(e))
    }

    pub(crate) fn count(&mut self, kind: Kind) {
        self.defects[kind as usize] += 1;
    }

    pub(crate) fn finish(self) -> Result<FileOut> {
        let CsvOut {
            rel,
            path,
            w,
            rows,
            defects,
        } = self;
        let mut buf = w
            .into_inner()
            .map_err(|e| EngineError::io(format!("flushing {}", path.display()), e.into_error()))?;
        buf.flush()
            .map_err(|e| EngineError::io(format!("flushing {}", path.display()), e))?;
        drop(buf);
        Ok(FileOut {
            path: rel,
            rows,
            bytes: size_of(&path)?,
            defects,
        })
    }
}

/// A JSON-lines extract being written.
pub(crate) struct JsonlOut {
    rel: String,
    path: PathBuf,
    w: BufWriter<File>,
    pub rows: u64,
    pub defects: [u64; KINDS.len()],
}

impl JsonlOut {
    pub(crate) fn create(out: &Path, rel: &str) -> Result<Self> {
        let (path, w) = create(out, rel)?;
        Ok(JsonlOut {
            rel: rel.to_string(),
            path,
            w,
            rows: 0,
            defects: [0; KINDS.len()],
        })
    }

    /// Writes one line (the bytes of one JSON object, without the newline).
    pub(crate) fn line(&mut self, bytes: &[u8]) -> Result<()> {
        self.rows += 1;
        self.w
            .write_all(bytes)
            .and_then(|()| self.w.write_all(b"\n"))
            .map_err(|e| EngineError::io(format!("writing {}", self.path.display()), e))
    }

    pub(crate) fn count(&mut self, kind: Kind) {
        self.defects[kind as usize] += 1;
    }

    pub(crate) fn finish(mut self) -> Result<FileOut> {
        self.w
            .flush()
            .map_err(|e| EngineError::io(format!("flushing {}", self.path.display()), e))?;
        let JsonlOut {
            rel,
            path,
            w,
            rows,
            defects,
        } = self;
        drop(w);
        Ok(FileOut {
            path: rel,
            rows,
            bytes: size_of(&path)?,
            defects,
        })
    }
}

/// Writes an empty (0-byte) file.
pub(crate) fn empty_file(out: &Path, rel: &str) -> Result<FileOut> {
    let (path, mut w) = create(out, rel)?;
    w.flush()
        .map_err(|e| EngineError::io(format!("flushing {}", path.display()), e))?;
    let mut defects = [0; KINDS.len()];
    defects[Kind::EmptyFile as usize] = 1;
    Ok(FileOut {
        path: rel.to_string(),
        rows: 0,
        bytes: 0,
        defects,
    })
}

#[derive(Serialize)]
struct ManifestFile<'a> {
    path: &'a str,
    rows: u64,
    bytes: u64,
    defects: BTreeMap<&'static str, u64>,
}

#[derive(Serialize)]
struct ManifestKind {
    kind: &'static str,
    outcome: &'static str,
    rule: &'static str,
    injected: u64,
}

#[derive(Serialize)]
struct Manifest<'a> {
    generator: &'static str,
    generator_version: &'static str,
    seed: u64,
    scale: f64,
    as_of: String,
    dirty_rate: f64,
    total_rows: u64,
    total_bytes: u64,
    files: Vec<ManifestFile<'a>>,
    defect_kinds: Vec<ManifestKind>,
}

pub(crate) struct RunInfo {
    pub seed: u64,
    pub scale: f64,
    pub as_of: String,
    pub dirty_rate: f64,
}

/// Writes `manifest.json` (files sorted by path; per file only the defect kinds injected).
pub(crate) fn manifest(out: &Path, info: &RunInfo, files: &[FileOut]) -> Result<()> {
    let mut totals = [0u64; KINDS.len()];
    let mut list = Vec::with_capacity(files.len());
    for f in files {
        let mut defects = BTreeMap::new();
        for k in KINDS {
            let n = f.defects[k as usize];
            if n > 0 {
                defects.insert(k.name(), n);
                totals[k as usize] += n;
            }
        }
        list.push(ManifestFile {
            path: &f.path,
            rows: f.rows,
            bytes: f.bytes,
            defects,
        });
    }
    let m = Manifest {
        generator: "lyceum generate",
        generator_version: env!("CARGO_PKG_VERSION"),
        seed: info.seed,
        scale: info.scale,
        as_of: info.as_of.clone(),
        dirty_rate: info.dirty_rate,
        total_rows: files.iter().map(|f| f.rows).sum(),
        total_bytes: files.iter().map(|f| f.bytes).sum(),
        files: list,
        defect_kinds: KINDS
            .iter()
            .map(|&k| ManifestKind {
                kind: k.name(),
                outcome: k.outcome(),
                rule: k.rule(),
                injected: totals[k as usize],
            })
            .collect(),
    };
    let (path, mut w) = create(out, "manifest.json")?;
    serde_json::to_writer_pretty(&mut w, &m).map_err(|e| {
        EngineError::io(
            format!("writing {}", path.display()),
            std::io::Error::other(e),
        )
    })?;
    w.write_all(b"\n")
        .and_then(|()| w.flush())
        .map_err(|e| EngineError::io(format!("writing {}", path.display()), e))
}
