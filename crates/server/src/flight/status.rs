//! Engine errors as gRPC statuses: the code from the error's kind
//! ([`crate::error::kind_grpc_code`], beside the SQLSTATE mapping), the client-facing
//! message, and the SQLSTATE in the details and in a `x-lyceum-sqlstate` trailer.

use datafusion::error::DataFusionError;
use lyceum_engine::EngineError;
use lyceum_engine::error::{ErrorKind, StopReason};
use tonic::metadata::MetadataValue;
use tonic::{Code, Status};
use tracing::info;

use crate::error as wire;

/// The gRPC status of an engine error.
pub(crate) fn engine(err: &EngineError) -> Status {
    let code = match err {
        EngineError::Canceled(StopReason::Timeout(_)) => Code::DeadlineExceeded,
        _ => wire::kind_grpc_code(err.kind()),
    };
    with_sqlstate(code, wire::sqlstate(err), wire::engine_message(err))
}

/// The gRPC status of an error raised while rows stream.
pub(crate) fn datafusion(err: &DataFusionError) -> Status {
    if let DataFusionError::External(inner) = err.find_root()
        && let Some(engine_err) = inner.downcast_ref::<EngineError>()
    {
        return engine(engine_err);
    }
    let kind = ErrorKind::of_datafusion(err);
    with_sqlstate(
        wire::kind_grpc_code(kind),
        wire::datafusion_sqlstate(err),
        wire::datafusion_message(err),
    )
}

/// A status whose message ends with the SQLSTATE, which also goes in the details (as
/// `SQLSTATE <code>`) and in the `x-lyceum-sqlstate` metadata.
pub(crate) fn with_sqlstate(code: Code, sqlstate: &str, message: String) -> Status {
    if code == Code::Internal {
        info!(
            sqlstate,
            message, "flight request failed with an internal error"
        );
    }
    let mut status = Status::with_details(
        code,
        format!("{message} (SQLSTATE {sqlstate})"),
        format!("SQLSTATE {sqlstate}").into_bytes().into(),
    );
    if let Ok(value) = MetadataValue::try_from(sqlstate) {
        status.metadata_mut().insert("x-lyceum-sqlstate", value);
    }
    status
}

/// A request the endpoint cannot decode (a malformed ticket or command).
pub(crate) fn malformed(what: &str) -> Status {
    with_sqlstate(Code::InvalidArgument, "08P01", what.to_string())
}
