/// The catalog's one error type.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("object store error at {path}: {source}")]
    Store {
        path: String,
        #[source]
        source: object_store::Error,
    },

    #[error("warehouse version {version} was committed by another writer first")]
    VersionExists { version: u64 },

    #[error("catalog file {path} is not valid: {message}")]
    Corrupt { path: String, message: String },

    #[error("catalog file {path} has format version {found}; this build reads up to {supported}")]
    UnsupportedFormat {
        path: String,
        found: u32,
        supported: u32,
    },

    #[error("warehouse version {version} does not exist")]
    NoSuchVersion { version: u64 },

    #[error("table {name} is not in the catalog")]
    NoSuchTable { name: String },

    #[error("invalid SCRAM verifier: {reason}")]
    InvalidVerifier { reason: String },

    #[error("role \"{name}\" already exists")]
    UserExists { name: String },

    #[error("role \"{name}\" does not exist")]
    NoSuchUser { name: String },

    #[error("invalid role: {message}")]
    InvalidUser { message: String },

    #[error("the user list changed under {attempts} attempts to update it; try again")]
    PrincipalsContended { attempts: u32 },
}

pub type Result<T, E = CatalogError> = std::result::Result<T, E>;
