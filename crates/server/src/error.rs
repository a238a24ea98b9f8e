//! The one place that decides what a client sees when something fails:
//!
//! - on the Postgres wire, a SQLSTATE code ([`sqlstate`], [`to_pg`], [`datafusion_to_pg`]),
//!   one for each [`ErrorKind`] the engine classifies an error as;
//! - on the command line, a `lyceum: error: <message>: <cause>: ...` line on stderr and a
//!   non-zero exit code ([`CliError`], [`report`]).
//!
//! No other module picks a SQLSTATE or an exit code.

use std::error::Error as StdError;
use std::process::ExitCode;

use arrow::error::ArrowError;
use datafusion::error::DataFusionError;
use lyceum_engine::EngineError;
use lyceum_engine::error::ErrorKind;
use lyceum_engine::session::NoticeKind;
use pgwire::error::{ErrorInfo, PgWireError};

/// What can make a `lyceum` command fail.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Engine(#[from] EngineError),

    #[error("{context}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },

    #[error("cannot write the result")]
    Output(#[from] ArrowError),

    #[error("{0}")]
    Usage(String),
}

impl CliError {
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        CliError::Io {
            context: context.into(),
            source,
        }
    }

    /// The process exit code: 1 for every failure (clap exits with 2 for usage errors
    /// before a command runs).
    pub fn exit_code(&self) -> u8 {
        1
    }
}

/// Prints `lyceum: error: <message with its causes>` on stderr; returns the exit code.
pub fn report(err: &CliError) -> ExitCode {
    tracing::debug!(error = ?err, "command failed");
    let message = match err {
        CliError::Engine(e) => engine_message(e),
        other => chain(other),
    };
    eprintln!("lyceum: error: {}", one_line(&message));
    ExitCode::from(err.exit_code())
}

/// An error and its sources on one line, `: `-separated, skipping a cause whose text the
/// message already contains (many errors print their source themselves).
pub fn chain(err: &(dyn StdError + 'static)) -> String {
    let mut text = one_line(&err.to_string());
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = one_line(&cause.to_string());
        if !cause_text.is_empty() && !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

fn one_line(s: &str) -> String {
    s.split('\n')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

// ---------------------------------------------------------------------------------------
// SQLSTATE

/// SQLSTATE codes Lyceum sends (see PostgreSQL's errcodes appendix).
pub mod codes {
    pub const SYNTAX_ERROR: &str = "42601";
    pub const UNDEFINED_TABLE: &str = "42P01";
    pub const UNDEFINED_COLUMN: &str = "42703";
    pub const UNDEFINED_FUNCTION: &str = "42883";
    pub const UNDEFINED_OBJECT: &str = "42704";
    pub const INVALID_SCHEMA_NAME: &str = "3F000";
    pub const AMBIGUOUS_COLUMN: &str = "42702";
    pub const DUPLICATE_COLUMN: &str = "42701";
    pub const DIVISION_BY_ZERO: &str = "22012";
    pub const NUMERIC_VALUE_OUT_OF_RANGE: &str = "22003";
    pub const INVALID_TEXT_REPRESENTATION: &str = "22P02";
    pub const INVALID_PARAMETER_VALUE: &str = "22023";
    pub const FEATURE_NOT_SUPPORTED: &str = "0A000";
    pub const INVALID_CATALOG_NAME: &str = "3D000";
    pub const OBJECT_NOT_IN_PREREQUISITE_STATE: &str = "55000";
    pub const OUT_OF_MEMORY: &str = "53200";
    pub const TOO_MANY_CONNECTIONS: &str = "53300";
    pub const QUERY_CANCELED: &str = "57014";
    pub const ADMIN_SHUTDOWN: &str = "57P01";
    pub const IN_FAILED_SQL_TRANSACTION: &str = "25P02";
    pub const ACTIVE_SQL_TRANSACTION: &str = "25001";
    pub const INVALID_SQL_STATEMENT_NAME: &str = "26000";
    pub const DUPLICATE_PREPARED_STATEMENT: &str = "42P05";
    pub const DUPLICATE_OBJECT: &str = "42710";
    pub const DUPLICATE_TABLE: &str = "42P07";
    pub const DUPLICATE_SCHEMA: &str = "42P06";
    pub const INSUFFICIENT_PRIVILEGE: &str = "42501";
    pub const WRONG_OBJECT_TYPE: &str = "42809";
    pub const NOT_NULL_VIOLATION: &str = "23502";
    pub const BAD_COPY_FILE_FORMAT: &str = "22P04";
    pub const PROTOCOL_VIOLATION: &str = "08P01";
    pub const INVALID_AUTHORIZATION: &str = "28000";
    pub const INVALID_PASSWORD: &str = "28P01";
    pub const SERIALIZATION_FAILURE: &str = "40001";
    pub const READ_ONLY_SQL_TRANSACTION: &str = "25006";
    pub const NO_ACTIVE_SQL_TRANSACTION: &str = "25P01";
    pub const INVALID_CURSOR_NAME: &str = "34000";
    pub const DUPLICATE_CURSOR: &str = "42P03";
    pub const INVALID_SAVEPOINT_SPECIFICATION: &str = "3B001";
    pub const INTERNAL_ERROR: &str = "XX000";
}

use codes::*;

/// The SQLSTATE of an engine error: its kind, as the engine classified it.
pub fn sqlstate(err: &EngineError) -> &'static str {
    kind_sqlstate(err.kind())
}

/// The SQLSTATE of a DataFusion error raised while rows stream.
pub fn datafusion_sqlstate(err: &DataFusionError) -> &'static str {
    kind_sqlstate(ErrorKind::of_datafusion(err))
}

/// The Postgres wire's code for each kind of failure.
fn kind_sqlstate(kind: ErrorKind) -> &'static str {
    use ErrorKind as K;
    match kind {
        K::Syntax => SYNTAX_ERROR,
        K::UndefinedTable => UNDEFINED_TABLE,
        K::UndefinedColumn => UNDEFINED_COLUMN,
        K::UndefinedFunction => UNDEFINED_FUNCTION,
        K::UndefinedObject => UNDEFINED_OBJECT,
        K::UndefinedSchema => INVALID_SCHEMA_NAME,
        K::AmbiguousColumn => AMBIGUOUS_COLUMN,
        K::DuplicateColumn => DUPLICATE_COLUMN,
        K::DuplicateTable => DUPLICATE_TABLE,
        K::DuplicateSchema => DUPLICATE_SCHEMA,
        K::DuplicateObject => DUPLICATE_OBJECT,
        K::DivisionByZero => DIVISION_BY_ZERO,
        K::NumericOutOfRange => NUMERIC_VALUE_OUT_OF_RANGE,
        K::InvalidTextRepresentation => INVALID_TEXT_REPRESENTATION,
        K::InvalidParameterValue => INVALID_PARAMETER_VALUE,
        K::FeatureNotSupported => FEATURE_NOT_SUPPORTED,
        K::NotInPrerequisiteState => OBJECT_NOT_IN_PREREQUISITE_STATE,
        K::OutOfMemory => OUT_OF_MEMORY,
        K::QueryCanceled => QUERY_CANCELED,
        K::InFailedTransaction => IN_FAILED_SQL_TRANSACTION,
        K::ActiveTransaction => ACTIVE_SQL_TRANSACTION,
        K::NoActiveTransaction => NO_ACTIVE_SQL_TRANSACTION,
        K::UndefinedPreparedStatement => INVALID_SQL_STATEMENT_NAME,
        K::DuplicatePreparedStatement => DUPLICATE_PREPARED_STATEMENT,
        K::ProtocolViolation => PROTOCOL_VIOLATION,
        K::InsufficientPrivilege => INSUFFICIENT_PRIVILEGE,
        K::WrongObjectType => WRONG_OBJECT_TYPE,
        K::NotNullViolation => NOT_NULL_VIOLATION,
        K::BadCopyData => BAD_COPY_FILE_FORMAT,
        K::InvalidPassword => INVALID_PASSWORD,
        K::InvalidAuthorization => INVALID_AUTHORIZATION,
        K::AdminShutdown => ADMIN_SHUTDOWN,
        K::SerializationFailure => SERIALIZATION_FAILURE,
        K::InvalidCursorName => INVALID_CURSOR_NAME,
        K::DuplicateCursor => DUPLICATE_CURSOR,
        K::InvalidSavepoint => INVALID_SAVEPOINT_SPECIFICATION,
        K::Internal => INTERNAL_ERROR,
    }
}

/// The severity and SQLSTATE a notice is sent with on the Postgres wire.
pub fn notice_severity_and_sqlstate(kind: NoticeKind) -> (&'static str, &'static str) {
    match kind {
        NoticeKind::AlreadyInTransaction => ("WARNING", ACTIVE_SQL_TRANSACTION),
        NoticeKind::NoTransaction => ("WARNING", NO_ACTIVE_SQL_TRANSACTION),
        NoticeKind::Skipped => ("NOTICE", "00000"),
    }
}

/// The gRPC code of each kind of failure (the Flight SQL endpoint): what a gRPC client
/// can act on; the SQLSTATE travels beside it (see `flight::status`).
pub fn kind_grpc_code(kind: ErrorKind) -> tonic::Code {
    use ErrorKind as K;
    use tonic::Code;
    match kind {
        K::UndefinedTable
        | K::UndefinedColumn
        | K::UndefinedFunction
        | K::UndefinedObject
        | K::UndefinedSchema
        | K::UndefinedPreparedStatement
        | K::InvalidCursorName => Code::NotFound,
        K::DuplicateTable
        | K::DuplicateSchema
        | K::DuplicateObject
        | K::DuplicatePreparedStatement
        | K::DuplicateCursor => Code::AlreadyExists,
        K::Syntax
        | K::AmbiguousColumn
        | K::DuplicateColumn
        | K::DivisionByZero
        | K::NumericOutOfRange
        | K::InvalidTextRepresentation
        | K::InvalidParameterValue
        | K::NotNullViolation
        | K::BadCopyData
        | K::ProtocolViolation
        | K::InvalidSavepoint
        | K::WrongObjectType => Code::InvalidArgument,
        K::FeatureNotSupported => Code::Unimplemented,
        K::NotInPrerequisiteState
        | K::InFailedTransaction
        | K::ActiveTransaction
        | K::NoActiveTransaction => Code::FailedPrecondition,
        K::OutOfMemory => Code::ResourceExhausted,
        K::QueryCanceled => Code::Cancelled,
        K::InsufficientPrivilege => Code::PermissionDenied,
        K::InvalidPassword | K::InvalidAuthorization => Code::Unauthenticated,
        K::AdminShutdown => Code::Unavailable,
        K::SerializationFailure => Code::Aborted,
        K::Internal => Code::Internal,
    }
}

/// The client-facing text of a DataFusion error: its message without DataFusion's
/// wrapper prefixes that only repeat what the SQLSTATE says.
pub fn datafusion_message(err: &DataFusionError) -> String {
    // The memory pool's own message names the limit; DataFusion's wrappers around it
    // suggest settings that are not the user's to change.
    if let DataFusionError::ResourcesExhausted(message) = err.find_root() {
        return message.clone();
    }
    match err {
        DataFusionError::SQL(e, _) => return e.to_string(),
        DataFusionError::Diagnostic(_, inner) => return datafusion_message(inner),
        DataFusionError::Shared(inner) => return datafusion_message(inner),
        // "Optimizer rule 'simplify_expressions' failed" (or the name of one of Lyceum's
        // analyzer rules) says where, the cause says what.
        DataFusionError::Context(context, inner)
            if context.starts_with("Optimizer rule") || context.starts_with("lyceum_") =>
        {
            return datafusion_message(inner);
        }
        _ => {}
    }
    let text = err.strip_backtrace();
    let text = text
        .strip_prefix("Error during planning: ")
        .or_else(|| text.strip_prefix("SQL error: "))
        .or_else(|| text.strip_prefix("Execution error: "))
        .or_else(|| text.strip_prefix("Arrow error: "))
        .or_else(|| text.strip_prefix("External error: "))
        .or_else(|| text.strip_prefix("Resources exhausted: "))
        .unwrap_or(&text);
    text.trim_end().to_string()
}

/// The client-facing text of an engine error.
pub fn engine_message(err: &EngineError) -> String {
    match err {
        EngineError::DataFusion(e) => datafusion_message(e),
        other => chain(other),
    }
}

fn error_info(code: &str, message: String) -> ErrorInfo {
    // DataFusion puts suggestions on a second line ("Did you mean 'floor'?"): a hint.
    let (message, hint) = match message.split_once('\n') {
        Some((first, rest)) if !rest.trim().is_empty() => {
            (first.trim_end().to_string(), Some(one_line(rest)))
        }
        _ => (message, None),
    };
    let mut info = ErrorInfo::new("ERROR".to_string(), code.to_string(), message);
    info.hint = hint;
    info
}

/// An engine error as the fields of a Postgres `ErrorResponse` (severity ERROR).
pub fn engine_error_info(err: &EngineError) -> ErrorInfo {
    error_info(sqlstate(err), engine_message(err))
}

/// An engine error as a Postgres `ErrorResponse` (severity ERROR: the connection stays).
pub fn to_pg(err: &EngineError) -> PgWireError {
    PgWireError::UserError(Box::new(engine_error_info(err)))
}

fn fatal_info(code: &str, message: String) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new(
        "FATAL".to_string(),
        code.to_string(),
        message,
    )))
}

/// `FATAL 28P01`: a wrong password, or a user that does not exist (the client cannot
/// tell which).
pub fn wrong_password(user: &str) -> PgWireError {
    fatal_info(
        INVALID_PASSWORD,
        format!("password authentication failed for user \"{user}\""),
    )
}

/// `FATAL 28000`: the server accepts only TLS connections.
pub fn tls_required() -> PgWireError {
    let mut info = ErrorInfo::new(
        "FATAL".to_string(),
        INVALID_AUTHORIZATION.to_string(),
        "this server accepts only TLS connections".to_string(),
    );
    info.hint = Some("connect with sslmode=require".to_string());
    PgWireError::UserError(Box::new(info))
}

/// `FATAL 28000`: the startup packet names no user.
pub fn no_user() -> PgWireError {
    fatal_info(
        INVALID_AUTHORIZATION,
        "no user name specified in the startup packet".to_string(),
    )
}

/// `FATAL 08P01`: an authentication message that breaks the protocol.
pub fn bad_auth_message(message: &str) -> PgWireError {
    fatal_info(PROTOCOL_VIOLATION, message.to_string())
}

/// `FATAL 0A000`: a kind of connection Lyceum does not serve.
pub fn fatal_unsupported(what: &str) -> PgWireError {
    fatal_info(FEATURE_NOT_SUPPORTED, format!("{what} are not supported"))
}

/// `FATAL 22023`: a startup parameter that cannot be read.
pub fn fatal_invalid_parameter(message: &str) -> PgWireError {
    fatal_info(INVALID_PARAMETER_VALUE, message.to_string())
}

/// `FATAL 53300`: every connection slot is taken.
pub fn too_many_connections() -> PgWireError {
    fatal_info(
        TOO_MANY_CONNECTIONS,
        "sorry, too many clients already".to_string(),
    )
}

/// `ERROR 42P05`: a named prepared statement that exists already.
pub fn duplicate_prepared(name: &str) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new(
        "ERROR".to_string(),
        DUPLICATE_PREPARED_STATEMENT.to_string(),
        format!("prepared statement \"{name}\" already exists"),
    )))
}

/// A DataFusion error raised while streaming rows, as a Postgres `ErrorResponse`.
pub fn datafusion_to_pg(err: &DataFusionError) -> PgWireError {
    PgWireError::UserError(Box::new(error_info(
        datafusion_sqlstate(err),
        datafusion_message(err),
    )))
}

/// `FATAL 3D000`: the client named a database other than `lyceum`.
pub fn unknown_database(name: &str) -> PgWireError {
    let mut info = ErrorInfo::new(
        "FATAL".to_string(),
        INVALID_CATALOG_NAME.to_string(),
        format!("database \"{name}\" does not exist"),
    );
    info.hint = Some(format!(
        "the database is named \"{}\"",
        lyceum_engine::session::CATALOG
    ));
    PgWireError::UserError(Box::new(info))
}

/// `FATAL 57P01`: the server is shutting down and takes no new queries.
pub fn shutting_down() -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new(
        "FATAL".to_string(),
        ADMIN_SHUTDOWN.to_string(),
        "terminating connection due to administrator command".to_string(),
    )))
}

/// `FATAL XX000` for a failure while setting up a connection.
pub fn fatal(err: &EngineError) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new(
        "FATAL".to_string(),
        sqlstate(err).to_string(),
        engine_message(err),
    )))
}

/// `ERROR 0A000`: what Lyceum cannot give as PostgreSQL would.
pub fn not_supported(message: impl Into<String>) -> PgWireError {
    PgWireError::UserError(Box::new(error_info(FEATURE_NOT_SUPPORTED, message.into())))
}

/// An internal error that is no client's fault.
pub fn internal(message: impl Into<String>) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new(
        "ERROR".to_string(),
        INTERNAL_ERROR.to_string(),
        message.into(),
    )))
}

/// The SQLSTATE a pgwire error will carry on the wire (for logging).
pub fn pg_code(err: &PgWireError) -> Option<&str> {
    match err {
        PgWireError::UserError(info) => Some(info.code.as_str()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::Int64Array;
    use arrow::datatypes::{DataType, Field, Schema};
    use arrow::record_batch::RecordBatch;
    use datafusion::datasource::MemTable;
    use datafusion::prelude::{SQLOptions, SessionConfig, SessionContext};

    use super::*;

    /// The SQLSTATE of the error DataFusion really raises for `sql`, whether at planning
    /// or while executing.
    async fn state_of(sql: &str) -> String {
        // Configured like the engine's sessions.
        let ctx =
            SessionContext::new_with_config(SessionConfig::new().with_information_schema(true));
        let schema = Arc::new(Schema::new(vec![Field::new("a", DataType::Int64, false)]));
        let batch =
            RecordBatch::try_new(schema.clone(), vec![Arc::new(Int64Array::from(vec![1, 0]))])
                .expect("batch");
        let table = MemTable::try_new(schema, vec![vec![batch]]).expect("table");
        ctx.register_table("t", Arc::new(table)).expect("register");
        let result = async {
            let plan = ctx.state().create_logical_plan(sql).await?;
            SQLOptions::new()
                .with_allow_ddl(false)
                .with_allow_dml(false)
                .verify_plan(&plan)?;
            ctx.execute_logical_plan(plan).await?.collect().await
        }
        .await;
        match result {
            Ok(_) => panic!("{sql} succeeded"),
            Err(e) => {
                let pg = to_pg(&EngineError::DataFusion(e));
                pg_code(&pg).expect("a user error").to_string()
            }
        }
    }

    #[tokio::test]
    async fn datafusion_errors_map_to_sqlstates() {
        assert_eq!(state_of("selec 1").await, "42601");
        assert_eq!(state_of("select * from nope").await, "42P01");
        assert_eq!(state_of("select nope from t").await, "42703");
        assert_eq!(state_of("select no_such_fn(a) from t").await, "42883");
        assert_eq!(state_of("select 1 / 0").await, "22012");
        assert_eq!(state_of("select a / (a - a) from t").await, "22012");
        assert_eq!(state_of("create table x (a int)").await, "0A000");
        assert_eq!(state_of("insert into t values (1)").await, "0A000");
        assert_eq!(state_of("set datafusion.nope = 1").await, "42704");
        assert_eq!(state_of("set nope = 1").await, "42704");
        assert_eq!(state_of("show nope").await, "42704");
        assert_eq!(
            state_of("set datafusion.execution.batch_size = 'x'").await,
            "22023"
        );
        assert_eq!(state_of("select cast('x' as int)").await, "22P02");
    }

    #[test]
    fn engine_errors_map_to_sqlstates() {
        let no_version = EngineError::NoSuchVersion {
            version: 9,
            latest: 1,
        };
        assert_eq!(sqlstate(&no_version), "22023");
        let bad_setting = EngineError::InvalidSetting {
            name: "lyceum.as_of".into(),
            value: "x".into(),
            message: "not a number".into(),
        };
        assert_eq!(sqlstate(&bad_setting), "22023");
        assert_eq!(sqlstate(&EngineError::Internal("boom".into())), "XX000");
        let shared = DataFusionError::Shared(Arc::new(DataFusionError::ArrowError(
            Box::new(ArrowError::DivideByZero),
            None,
        )));
        assert_eq!(datafusion_sqlstate(&shared), "22012");
    }

    #[test]
    fn chain_skips_repeated_causes() {
        let io = std::io::Error::other("disk on fire");
        let err = CliError::Engine(EngineError::io("read manifest", io));
        assert_eq!(chain(&err), "read manifest: disk on fire");
        let err = CliError::io("open out", std::io::Error::other("denied"));
        assert_eq!(chain(&err), "open out: denied");
    }
}
