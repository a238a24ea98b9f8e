//! What kind of failure an error is, decided once here so that every endpoint reports it
//! the same way: the Postgres wire maps each kind to a SQLSTATE, Flight SQL to a gRPC
//! status.
//!
//! DataFusion reports most semantic errors as `Plan(String)` with no structure, so
//! classifying those reads their text; that reading lives here, next to the engine that
//! raises them, and nowhere else.

use std::error::Error as StdError;

use arrow::error::ArrowError;
use datafusion::error::DataFusionError;
use datafusion::sql::sqlparser::parser::ParserError;
use lyceum_catalog::{CatalogError, ScramError};

use super::EngineError;

/// The kinds of failure a client can tell apart (PostgreSQL's error classes, where
/// Lyceum raises them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    Syntax,
    UndefinedTable,
    UndefinedColumn,
    UndefinedFunction,
    UndefinedObject,
    UndefinedSchema,
    AmbiguousColumn,
    DuplicateColumn,
    DuplicateTable,
    DuplicateSchema,
    DuplicateObject,
    DivisionByZero,
    NumericOutOfRange,
    InvalidTextRepresentation,
    InvalidParameterValue,
    FeatureNotSupported,
    /// The server's warehouse cannot serve queries yet.
    NotInPrerequisiteState,
    OutOfMemory,
    QueryCanceled,
    InFailedTransaction,
    ActiveTransaction,
    NoActiveTransaction,
    UndefinedPreparedStatement,
    DuplicatePreparedStatement,
    ProtocolViolation,
    InsufficientPrivilege,
    NotNullViolation,
    BadCopyData,
    InvalidPassword,
    InvalidAuthorization,
    /// The session was terminated (`pg_terminate_backend`, server shutdown).
    AdminShutdown,
    SerializationFailure,
    InvalidCursorName,
    DuplicateCursor,
    InvalidSavepoint,
    /// A statement names an object of another kind (`DROP MATERIALIZED VIEW a_table`).
    WrongObjectType,
    Internal,
}

impl EngineError {
    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        use ErrorKind as K;
        match self {
            EngineError::DataFusion(e) => ErrorKind::of_datafusion(e),
            EngineError::Arrow(e) => of_arrow(e),
            EngineError::NoSuchVersion { .. } | EngineError::InvalidSetting { .. } => {
                K::InvalidParameterValue
            }
            EngineError::UnknownSetting { .. } => K::UndefinedObject,
            EngineError::InvalidArgument {
                name: "warehouse", ..
            } => K::NotInPrerequisiteState,
            EngineError::InvalidArgument { .. } => K::InvalidParameterValue,
            EngineError::Catalog(e) => of_catalog(e),
            EngineError::DuplicateObject {
                kind: "relation", ..
            } => K::DuplicateTable,
            EngineError::DuplicateObject { kind: "schema", .. } => K::DuplicateSchema,
            EngineError::DuplicateObject { .. } => K::DuplicateObject,
            EngineError::UndefinedObject { kind: "table", .. } => K::UndefinedTable,
            EngineError::UndefinedObject { kind: "schema", .. } => K::UndefinedSchema,
            EngineError::UndefinedObject { .. } => K::UndefinedObject,
            EngineError::WrongObjectType { .. } => K::WrongObjectType,
            EngineError::Canceled(_) | EngineError::CopyFailed { .. } => K::QueryCanceled,
            EngineError::InFailedTransaction => K::InFailedTransaction,
            EngineError::InTransactionBlock { .. } | EngineError::SnapshotPinned { .. } => {
                K::ActiveTransaction
            }
            EngineError::Unsupported { .. } | EngineError::CachedPlanChanged => {
                K::FeatureNotSupported
            }
            EngineError::Syntax(_) | EngineError::MultipleCommands => K::Syntax,
            EngineError::NoSuchPrepared { .. } => K::UndefinedPreparedStatement,
            EngineError::DuplicatePrepared { .. } => K::DuplicatePreparedStatement,
            EngineError::ParameterCount { .. } => K::ProtocolViolation,
            EngineError::InvalidParameter { .. } => K::InvalidTextRepresentation,
            EngineError::PermissionDenied(_) | EngineError::ReadOnly { .. } => {
                K::InsufficientPrivilege
            }
            EngineError::NotNullViolation { .. } => K::NotNullViolation,
            EngineError::UndefinedColumn { .. } => K::UndefinedColumn,
            EngineError::DuplicateColumn { .. } => K::DuplicateColumn,
            EngineError::BadCopyData { .. } => K::BadCopyData,
            EngineError::NoTransaction { .. } => K::NoActiveTransaction,
            EngineError::NoSuchSavepoint { .. } => K::InvalidSavepoint,
            EngineError::NoSuchCursor { .. } => K::InvalidCursorName,
            EngineError::DuplicateCursor { .. } => K::DuplicateCursor,
            EngineError::Authentication(ScramError::WrongPassword) => K::InvalidPassword,
            EngineError::Authentication(_) => K::ProtocolViolation,
            EngineError::Redacted { kind, .. } => *kind,
            EngineError::RoleDropped { .. } => K::InvalidAuthorization,
            EngineError::Terminated => K::AdminShutdown,
            EngineError::Io { .. }
            | EngineError::SourceMissing { .. }
            | EngineError::WrongHeader { .. }
            | EngineError::BadSource { .. }
            | EngineError::MissingExtract { .. }
            | EngineError::Delta { .. }
            | EngineError::Conflict { .. }
            | EngineError::Internal(_) => K::Internal,
        }
    }
}

impl ErrorKind {
    /// The kind of a DataFusion error, looking through its wrappers to the cause.
    pub fn of_datafusion(err: &DataFusionError) -> ErrorKind {
        use ErrorKind as K;
        match err {
            DataFusionError::SQL(e, _) => match e.as_ref() {
                ParserError::RecursionLimitExceeded => K::FeatureNotSupported,
                _ => K::Syntax,
            },
            DataFusionError::Plan(msg) => of_plan_message(msg),
            DataFusionError::SchemaError(e, _) => {
                use datafusion::common::SchemaError;
                match e.as_ref() {
                    SchemaError::FieldNotFound { .. } => K::UndefinedColumn,
                    SchemaError::AmbiguousReference { .. } => K::AmbiguousColumn,
                    SchemaError::DuplicateQualifiedField { .. }
                    | SchemaError::DuplicateUnqualifiedField { .. } => K::DuplicateColumn,
                }
            }
            DataFusionError::NotImplemented(_) => K::FeatureNotSupported,
            DataFusionError::Configuration(msg) => {
                let lower = msg.to_ascii_lowercase();
                if lower.contains("could not find config namespace")
                    || lower.contains("not found on")
                {
                    K::UndefinedObject
                } else {
                    K::InvalidParameterValue
                }
            }
            // `SET x = 'abc'` for a numeric setting.
            DataFusionError::Context(context, _) if context.starts_with("Error parsing ") => {
                K::InvalidParameterValue
            }
            DataFusionError::Execution(msg) if is_division_by_zero(msg) => K::DivisionByZero,
            DataFusionError::ArrowError(e, _) => of_arrow(e),
            DataFusionError::ResourcesExhausted(_) => K::OutOfMemory,
            DataFusionError::Context(_, inner) | DataFusionError::Diagnostic(_, inner) => {
                ErrorKind::of_datafusion(inner)
            }
            DataFusionError::Shared(inner) => ErrorKind::of_datafusion(inner),
            DataFusionError::Collection(errors) => errors
                .first()
                .map(ErrorKind::of_datafusion)
                .unwrap_or(K::Internal),
            DataFusionError::External(e) => of_external(e.as_ref()),
            _ => K::Internal,
        }
    }
}

fn of_catalog(err: &CatalogError) -> ErrorKind {
    use ErrorKind as K;
    match err {
        CatalogError::NoSuchVersion { .. } | CatalogError::InvalidUser { .. } => {
            K::InvalidParameterValue
        }
        CatalogError::NoSuchTable { .. } => K::UndefinedTable,
        CatalogError::UserExists { .. } => K::DuplicateObject,
        CatalogError::NoSuchUser { .. } => K::UndefinedObject,
        CatalogError::PrincipalsContended { .. } => K::SerializationFailure,
        _ => K::Internal,
    }
}

fn of_arrow(err: &ArrowError) -> ErrorKind {
    use ErrorKind as K;
    match err {
        ArrowError::DivideByZero => K::DivisionByZero,
        ArrowError::ArithmeticOverflow(_) => K::NumericOutOfRange,
        // arrow's numeric casts report an out-of-range value this way.
        ArrowError::CastError(msg) if msg.starts_with("Can't cast value") => K::NumericOutOfRange,
        ArrowError::CastError(_) | ArrowError::ParseError(_) => K::InvalidTextRepresentation,
        ArrowError::ComputeError(msg) if is_division_by_zero(msg) => K::DivisionByZero,
        ArrowError::ExternalError(e) => of_external(e.as_ref()),
        _ => K::Internal,
    }
}

/// An error that crossed a `Box<dyn Error>` boundary (a table provider, a UDF).
fn of_external(err: &(dyn StdError + Send + Sync + 'static)) -> ErrorKind {
    if let Some(e) = err.downcast_ref::<DataFusionError>() {
        ErrorKind::of_datafusion(e)
    } else if let Some(e) = err.downcast_ref::<ArrowError>() {
        of_arrow(e)
    } else if let Some(e) = err.downcast_ref::<EngineError>() {
        e.kind()
    } else {
        ErrorKind::Internal
    }
}

/// DataFusion reports most semantic errors as `Plan(String)`; the text is all there is.
fn of_plan_message(msg: &str) -> ErrorKind {
    use ErrorKind as K;
    let lower = msg.to_ascii_lowercase();
    if (lower.starts_with("table '") || lower.starts_with("table function '"))
        && lower.contains("' not found")
        || lower.starts_with("no table named")
    {
        K::UndefinedTable
    } else if lower.starts_with("failed to resolve schema") {
        K::UndefinedSchema
    } else if lower.starts_with("invalid function")
        || lower.starts_with("unknown function")
        || lower.contains("function ") && lower.contains(") does not exist")
    {
        K::UndefinedFunction
    } else if lower.starts_with("column '") && lower.contains("' not found") {
        K::UndefinedColumn
    } else if lower.contains("is not a variable which can be viewed") {
        K::UndefinedObject
    } else if lower.starts_with("ddl not supported")
        || lower.starts_with("dml not supported")
        || lower.starts_with("statement not supported")
        || lower.contains("not supported")
        || lower.contains("unsupported")
    {
        K::FeatureNotSupported
    } else if is_division_by_zero(&lower) {
        K::DivisionByZero
    } else {
        K::Internal
    }
}

fn is_division_by_zero(msg: &str) -> bool {
    let lower = msg.to_ascii_lowercase();
    lower.contains("divide by zero") || lower.contains("division by zero")
}
