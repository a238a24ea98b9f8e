//! Lyceum's own session settings, set with `SET lyceum.<name> = <value>`.

use datafusion::common::config::ConfigExtension;
use datafusion::common::extensions_options;

extensions_options! {
    /// Settings under the `lyceum.` prefix.
    pub struct LyceumOptions {
        /// Read this warehouse version instead of the latest (time travel).
        pub as_of: Option<u64>, default = None
    }
}

impl ConfigExtension for LyceumOptions {
    const PREFIX: &'static str = "lyceum";
}
