//! Warehouse locations: local paths and URLs, and the storage options for them.

use std::collections::HashMap;
use std::path::Path;

use url::Url;

use crate::error::{EngineError, Result};

/// A local path (absolute or relative to the working directory) or a URL. Nothing is
/// created here: only a writer creates the directories it writes.
pub fn parse_location(location: &str) -> Result<Url> {
    let bad = |message: String| EngineError::InvalidArgument {
        name: "warehouse",
        message,
    };
    if location.trim().is_empty() {
        return Err(bad("the warehouse location is empty".into()));
    }
    if location.contains("://") {
        let url = Url::parse(location).map_err(|e| bad(format!("{location}: {e}")))?;
        return match url.scheme() {
            "file" | "memory" => Ok(url),
            "s3" | "s3a" => {
                let bucket = url.host_str().unwrap_or_default();
                if bucket.len() < 3 {
                    Err(bad(format!(
                        "{location}: an S3 bucket name has at least 3 characters"
                    )))
                } else {
                    Ok(url)
                }
            }
            other => Err(bad(format!(
                "{location}: unsupported scheme {other:?} (use a local path, file:// or s3://)"
            ))),
        };
    }
    let path = Path::new(location);
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(|e| EngineError::io("current directory", e))?
            .join(path)
    };
    Url::from_directory_path(&absolute)
        .map_err(|()| bad(format!("{} is not a usable directory", absolute.display())))
}

/// `AWS_*` variables as storage options, for `s3://` locations, with conditional puts on
/// (atomic create-if-absent commits need them).
pub fn storage_options_from_env(url: &Url) -> HashMap<String, String> {
    let mut opts = HashMap::new();
    if !matches!(url.scheme(), "s3" | "s3a") {
        return opts;
    }
    for (key, value) in std::env::vars() {
        if key.starts_with("AWS_") {
            opts.insert(key, value);
        }
    }
    opts.entry("conditional_put".into())
        .or_insert_with(|| "etag".into());
    opts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| EngineError::io("tmp", e))?;
        let local = parse_location(&dir.path().join("wh").to_string_lossy())?;
        assert_eq!(local.scheme(), "file");
        assert!(local.path().ends_with("/wh/"));
        assert!(
            !dir.path().join("wh").exists(),
            "opening a location must not create it"
        );
        assert!(parse_location("s3://bucket/prefix").is_ok());
        assert!(parse_location("s3://b/x").is_err());
        assert!(parse_location("ftp://host/x").is_err());
        assert!(parse_location("").is_err());
        Ok(())
    }
}
