//! The server's memory budget: one pool every query draws from, and a share of it per
//! query, so that one large query cannot starve the others.
//!
//! DataFusion's sorts, aggregates and joins reserve what they hold through a
//! [`MemoryPool`]. The server's pool is a [`FairSpillPool`] of `--memory-limit` bytes:
//! operators that can spill (sort, grouped aggregate) share what non-spilling ones leave,
//! and spill to the temp directory when their share is used. Each session draws through a
//! [`QueryPool`] capped at the per-query share; its statements run one at a time, so the
//! cap is the running query's. An allocation that fits neither (after spilling) fails the
//! query with [`EngineError::OutOfMemory`] (SQLSTATE 53200), naming the limit; the
//! server and every other session go on.
//!
//! Memory the pool does not track (Parquet pages being decoded, scan and exchange
//! buffers, batches in flight to the client) grows with the number of statements running
//! at once, not with the limit: 64 dashboard clients scanning an SF1 fact together once
//! took a server to 24 GB and the kernel's OOM killer. So at most [`MemoryLimits::running`]
//! statements run at once (`--max-running-statements`); the others wait their turn (a
//! wait that `statement_timeout` and cancel requests cover). Two cores gain nothing from
//! more: throughput stays, memory stays bounded.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use datafusion::common::resources_datafusion_err;
use datafusion::error::DataFusionError;
use datafusion::execution::disk_manager::{DiskManagerBuilder, DiskManagerMode};
use datafusion::execution::memory_pool::{
    FairSpillPool, MemoryConsumer, MemoryLimit, MemoryPool, MemoryReservation,
};
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};

use crate::{EngineError, Result};

/// The tag that marks a memory error as Lyceum's own (limit named in the message).
const OUT_OF_MEMORY: &str = "out of memory";

/// What the server may use: the pool's size, one query's share, where spills go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryLimits {
    /// Bytes all queries together may reserve.
    pub server: usize,
    /// Bytes one query may reserve (at most `server`).
    pub query: usize,
    /// Where sorts and aggregates spill; the system temp directory when `None`.
    pub temp_dir: Option<PathBuf>,
    /// Statements that run at once, all sessions together (at least 1).
    pub running: usize,
}

/// The default number of statements running at once: twice the cores, at least 4.
pub fn default_running() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get() * 2)
        .unwrap_or(4)
        .max(4)
}

/// The default server limit as a fraction of the machine's memory.
pub const DEFAULT_FRACTION: f64 = 0.5;
/// The default per-query share as a fraction of the server limit.
pub const DEFAULT_QUERY_FRACTION: f64 = 0.5;

impl MemoryLimits {
    /// `server` bytes for all queries, `query` for one (default: half of `server`).
    pub fn new(server: usize, query: Option<usize>, temp_dir: Option<PathBuf>) -> Result<Self> {
        let query = query.unwrap_or((server as f64 * DEFAULT_QUERY_FRACTION) as usize);
        if query > server {
            return Err(EngineError::InvalidArgument {
                name: "query-memory-limit",
                message: format!(
                    "{} is more than the server's memory limit {}",
                    format_size(query),
                    format_size(server)
                ),
            });
        }
        Ok(MemoryLimits {
            server,
            query,
            temp_dir,
            running: default_running(),
        })
    }

    /// The same limits with at most `running` statements running at once.
    pub fn with_running(mut self, running: usize) -> Self {
        self.running = running.max(1);
        self
    }

    /// Half of the machine's memory (or of the container's limit), a query half of that.
    pub fn machine_default() -> Self {
        let server = (machine_memory() as f64 * DEFAULT_FRACTION) as usize;
        MemoryLimits {
            server,
            query: (server as f64 * DEFAULT_QUERY_FRACTION) as usize,
            temp_dir: None,
            running: default_running(),
        }
    }

    /// What one sort may keep back for merging its spills: DataFusion's `default`, or a
    /// sixteenth of a query's share when that is less.
    pub(crate) fn sort_spill_reservation(&self, default: usize) -> usize {
        default.min(self.query / 16)
    }

    /// The runtime the server's sessions share: the pool, the spill directory, the caches.
    pub(crate) fn server_runtime(&self) -> Result<Arc<RuntimeEnv>> {
        let mut disk = DiskManagerBuilder::default();
        if let Some(dir) = &self.temp_dir {
            disk = disk.with_mode(DiskManagerMode::Directories(vec![dir.clone()]));
        }
        let pool: Arc<dyn MemoryPool> = Arc::new(FairSpillPool::new(self.server));
        Ok(RuntimeEnvBuilder::new()
            .with_memory_pool(pool)
            .with_disk_manager_builder(disk)
            .build_arc()?)
    }

    /// One session's runtime: `server`'s spill directory and caches, its memory drawn
    /// from `server`'s pool through a cap of one query's share.
    pub(crate) fn session_runtime(&self, server: &RuntimeEnv) -> Result<Arc<RuntimeEnv>> {
        let pool: Arc<dyn MemoryPool> = Arc::new(QueryPool {
            server: server.memory_pool.clone(),
            limits: self.clone(),
            used: AtomicUsize::new(0),
        });
        Ok(RuntimeEnvBuilder::from_runtime_env(server)
            .with_memory_pool(pool)
            .build_arc()?)
    }
}

/// A session's view of the server pool: everything it reserves is reserved in the server
/// pool too, and never more than one query's share.
#[derive(Debug)]
struct QueryPool {
    server: Arc<dyn MemoryPool>,
    limits: MemoryLimits,
    used: AtomicUsize,
}

impl QueryPool {
    fn exhausted(&self, what: &str, cause: &str) -> DataFusionError {
        resources_datafusion_err!(
            "{OUT_OF_MEMORY}: {what} (server memory limit {}, per-query limit {}; set with --memory-limit and --query-memory-limit): {cause}",
            format_size(self.limits.server),
            format_size(self.limits.query)
        )
    }
}

impl fmt::Display for QueryPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "query pool ({} of {} reserved, cap {})",
            format_size(self.used.load(Ordering::Relaxed)),
            format_size(self.server.reserved()),
            format_size(self.limits.query)
        )
    }
}

impl MemoryPool for QueryPool {
    fn name(&self) -> &str {
        "lyceum-query"
    }

    fn register(&self, consumer: &MemoryConsumer) {
        self.server.register(consumer);
    }

    fn unregister(&self, consumer: &MemoryConsumer) {
        self.server.unregister(consumer);
    }

    fn grow(&self, reservation: &MemoryReservation, additional: usize) {
        self.server.grow(reservation, additional);
        self.used.fetch_add(additional, Ordering::SeqCst);
    }

    fn shrink(&self, reservation: &MemoryReservation, shrink: usize) {
        self.server.shrink(reservation, shrink);
        self.used.fetch_sub(shrink, Ordering::SeqCst);
    }

    fn try_grow(
        &self,
        reservation: &MemoryReservation,
        additional: usize,
    ) -> datafusion::error::Result<()> {
        let cap = self.limits.query;
        self.used
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |used| {
                used.checked_add(additional).filter(|total| *total <= cap)
            })
            .map_err(|used| {
                self.exhausted(
                    "the query needs more than its share of memory",
                    &format!(
                        "{} more for {} with {} reserved by this query",
                        format_size(additional),
                        reservation.consumer().name(),
                        format_size(used)
                    ),
                )
            })?;
        if let Err(e) = self.server.try_grow(reservation, additional) {
            self.used.fetch_sub(additional, Ordering::SeqCst);
            return Err(self.exhausted(
                "the server's memory limit is reached",
                e.strip_backtrace()
                    .trim_start_matches("Resources exhausted: "),
            ));
        }
        Ok(())
    }

    fn reserved(&self) -> usize {
        self.used.load(Ordering::SeqCst)
    }

    fn memory_limit(&self) -> MemoryLimit {
        MemoryLimit::Finite(self.limits.query)
    }
}

/// Whether `err` is a query running out of its memory (SQLSTATE 53200).
pub fn is_out_of_memory(err: &DataFusionError) -> bool {
    matches!(err.find_root(), DataFusionError::ResourcesExhausted(_))
}

/// Bytes of memory this machine (or its cgroup, when limited) has; 4 GiB when unknown.
pub fn machine_memory() -> usize {
    const UNKNOWN: usize = 4 << 30;
    let physical = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<usize>().ok())
        })
        .map(|kb| kb * 1024);
    let cgroup = std::fs::read_to_string("/sys/fs/cgroup/memory.max")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok());
    match (physical, cgroup) {
        (Some(p), Some(c)) => p.min(c),
        (Some(p), None) => p,
        (None, Some(c)) => c,
        (None, None) => UNKNOWN,
    }
}

/// A size as people write it: `1073741824`, `512MB`, `512MiB`, `4G`, `1.5GiB`, or a
/// percentage of the machine's memory (`25%`). `K`/`M`/`G`/`T` are powers of 1024 with
/// or without `B`/`iB`, as PostgreSQL's memory settings read them.
pub fn parse_size(text: &str) -> std::result::Result<usize, String> {
    let t = text.trim();
    if let Some(percent) = t.strip_suffix('%') {
        let p: f64 = percent
            .trim()
            .parse()
            .map_err(|_| format!("invalid percentage {text:?}"))?;
        if !(p > 0.0 && p <= 100.0) {
            return Err(format!("{text:?}: a percentage must be in (0, 100]"));
        }
        return Ok((machine_memory() as f64 * p / 100.0) as usize);
    }
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("invalid size {text:?}: expected e.g. 512MB, 4GiB or 25%"))?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => return Err(format!("invalid size {text:?}: unknown unit {unit:?}")),
    };
    let bytes = number * (1u64 << shift) as f64;
    if !(bytes >= 1.0 && bytes < usize::MAX as f64) {
        return Err(format!("invalid size {text:?}: must be at least 1 byte"));
    }
    Ok(bytes as usize)
}

/// `bytes` in the largest binary unit that keeps a whole number of tenths (`1.5 GiB`).
pub fn format_size(bytes: usize) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{:.1} {}", value, UNITS[unit]).replace(".0 ", " ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_as_people_write_them() {
        assert_eq!(parse_size("1024"), Ok(1024));
        assert_eq!(parse_size("512MB"), Ok(512 << 20));
        assert_eq!(parse_size("512 MiB"), Ok(512 << 20));
        assert_eq!(parse_size("4g"), Ok(4 << 30));
        assert_eq!(parse_size("1.5GiB"), Ok(3 << 29));
        assert!(parse_size("12 parsecs").is_err());
        assert!(parse_size("0").is_err());
        assert!(parse_size("150%").is_err());
        let quarter = parse_size("25%").expect("25%");
        assert_eq!(quarter, (machine_memory() as f64 * 0.25) as usize);
        assert_eq!(format_size(512 << 20), "512 MiB");
        assert_eq!(format_size(3 << 29), "1.5 GiB");
        assert_eq!(format_size(100), "100 bytes");
    }

    #[test]
    fn a_query_cannot_take_more_than_its_share_and_shares_add_up() {
        let limits = MemoryLimits::new(1000, Some(600), None).expect("limits");
        let server = limits.server_runtime().expect("server runtime");
        let a = limits.session_runtime(&server).expect("session runtime");
        let b = limits.session_runtime(&server).expect("session runtime");
        let ra = MemoryConsumer::new("a").register(&a.memory_pool);
        let rb = MemoryConsumer::new("b").register(&b.memory_pool);
        ra.try_grow(600).expect("within the share");
        let over_share = ra.try_grow(1).expect_err("past the share");
        assert!(is_out_of_memory(&over_share));
        assert!(
            over_share.to_string().contains("per-query limit 600 bytes"),
            "{over_share}"
        );
        // The server has 400 left: b may not take its full share now.
        let over_server = rb.try_grow(500).expect_err("past the server");
        assert!(
            over_server.to_string().contains("memory limit is reached"),
            "{over_server}"
        );
        rb.try_grow(400).expect("what the server has left");
        assert_eq!(server.memory_pool.reserved(), 1000);
        drop(ra);
        assert_eq!(server.memory_pool.reserved(), 400);
        assert_eq!(a.memory_pool.reserved(), 0);
        assert!(MemoryLimits::new(100, Some(200), None).is_err());
    }
}
