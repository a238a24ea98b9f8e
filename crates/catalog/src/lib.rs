//! What exists in a Lyceum warehouse.
//!
//! The catalog records, for every warehouse version, which Delta version of every table is
//! part of it, together with each table's definition (columns, role, keys, PII marks) and
//! the star schema's hierarchies. It knows nothing about query engines: the engine adapts
//! it to DataFusion.
//!
//! Invariants:
//! - A warehouse version is immutable once written; versions are numbered 0, 1, 2, ... with
//!   no gaps, and version N+1 is written only with a create-if-absent put, so two writers
//!   can never both commit N+1.
//! - The persisted format carries [`FORMAT_VERSION`]; readers refuse a newer format and
//!   upgrade older ones in memory ([`WarehouseVersion::from_stored`]).
//! - Every object gets an OID once and keeps it; OIDs are never reused.
//!
//! Tables of the star schema come from [`star`] (version 0 of a new warehouse); tables
//! created later (schema `sandbox`) are added by DDL, each commit a new version.

mod error;
pub mod log;
pub mod model;
pub mod principals;
pub mod rollup;
pub mod scram;
pub mod star;
pub mod store;
pub mod version;

pub use error::{CatalogError, Result};
pub use log::VersionedLog;
pub use model::{ColumnDef, ColumnType, ForeignKey, Hierarchy, Sensitivity, TableDef, TableRole};
pub use principals::{PrincipalStore, Principals, UserRecord};
pub use rollup::{ROLLUP_STATE_FORMAT, RollupDef, SIZE_STATE_FORMAT, StateColumn, StateKind};
pub use scram::{MockAuthKey, ScramError, ScramServer, ScramVerifier};
pub use store::CatalogStore;
pub use version::{
    FORMAT_VERSION, Oid, SchemaEntry, TableEntry, TableOids, UnitEntry, WarehouseVersion,
    default_location,
};
