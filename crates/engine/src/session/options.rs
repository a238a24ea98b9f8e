//! Lyceum's own session settings, set with `SET lyceum.<name> = <value>`.

use datafusion::common::config::ConfigExtension;
use datafusion::common::extensions_options;

extensions_options! {
    /// Settings under the `lyceum.` prefix.
    pub struct LyceumOptions {
        /// Read this warehouse version instead of the latest (time travel).
        pub as_of: Option<u64>, default = None
        /// Send string and binary columns to Arrow clients (Flight SQL) as DataFusion
        /// holds them (`Utf8View`, `BinaryView`, dictionaries) instead of the classic
        /// `Utf8` / `Binary` every client reads: faster for clients that read views.
        pub arrow_view_types: bool, default = false
        /// Answer a repeated read query from the result cache (see `result_cache`).
        pub result_cache: bool, default = true
        /// Answer aggregates from rollups: `on`, `off`, or `strict` (an aggregate over a
        /// fact table that no rollup answers is an error). See `crate::rollup`.
        pub rollups: String, default = "on".to_string()
    }
}

impl ConfigExtension for LyceumOptions {
    const PREFIX: &'static str = "lyceum";
}
