//! The run-time parameters PostgreSQL clients and BI tools set or read at connect time,
//! with PostgreSQL's names and defaults, beside the core's own
//! (`crate::session::CORE_PARAMS`). A value Lyceum cannot honour (a client encoding other
//! than UTF8, a non-ISO date style) is refused rather than silently ignored.

use crate::session::{Kind, Param, param};

/// The version PostgreSQL clients are told they talk to (they pick features by it).
pub const SERVER_VERSION: &str = "15.18";
/// `server_version_num` for [`SERVER_VERSION`].
pub const SERVER_VERSION_NUM: &str = "150018";

/// The Postgres profile's parameters.
pub(crate) const POSTGRES_PARAMS: &[Param] = &[
    Param {
        aliases: &["names"],
        ..param(
            "client_encoding",
            "UTF8",
            Kind::Check(client_encoding),
            true,
            "Sets the client's character set encoding.",
        )
    },
    param(
        "client_min_messages",
        "notice",
        Kind::OneOf(&[
            "debug5", "debug4", "debug3", "debug2", "debug1", "log", "notice", "warning", "error",
        ]),
        false,
        "Sets the message levels that are sent to the client.",
    ),
    param(
        "DateStyle",
        "ISO, MDY",
        Kind::Check(date_style),
        true,
        "Sets the display format for date and time values.",
    ),
    param(
        "default_transaction_isolation",
        "repeatable read",
        Kind::OneOf(&[
            "serializable",
            "repeatable read",
            "read committed",
            "read uncommitted",
        ]),
        false,
        "Sets the transaction isolation level of each new transaction.",
    ),
    param(
        "default_transaction_read_only",
        "on",
        Kind::OneOf(&["on"]),
        false,
        "Lyceum sessions only read.",
    ),
    param(
        "extra_float_digits",
        "1",
        // Lyceum always writes the shortest text that reads back exactly, which is what
        // PostgreSQL 12+ writes for values above 0; rounded output (0 and below) is refused.
        Kind::Int { min: 1, max: 3 },
        false,
        "Sets the number of digits displayed for floating-point values (1..3: shortest exact).",
    ),
    param(
        "integer_datetimes",
        "on",
        Kind::ReadOnly,
        true,
        "Shows whether datetimes are integer based.",
    ),
    param(
        "IntervalStyle",
        "postgres",
        Kind::OneOf(&["postgres"]),
        true,
        "Sets the display format for interval values.",
    ),
    param(
        "is_superuser",
        "off",
        Kind::ReadOnly,
        true,
        "Shows whether the current user is a superuser.",
    ),
    param(
        "session_authorization",
        "",
        Kind::ReadOnly,
        true,
        "Shows the session user name.",
    ),
    param(
        "max_index_keys",
        "32",
        Kind::ReadOnly,
        false,
        "Shows the maximum number of index keys.",
    ),
    param(
        "max_function_args",
        "100",
        Kind::ReadOnly,
        false,
        "Shows the maximum number of function arguments.",
    ),
    param(
        "block_size",
        "8192",
        Kind::ReadOnly,
        false,
        "Shows the size of a disk block (PostgreSQL's unit for relpages).",
    ),
    param(
        "in_hot_standby",
        "off",
        Kind::ReadOnly,
        true,
        "Shows whether hot standby is active (Lyceum reads committed versions).",
    ),
    param(
        "lc_collate",
        "C",
        Kind::ReadOnly,
        false,
        "Shows the collation order locale (text sorts by code point).",
    ),
    param(
        "lc_ctype",
        "C",
        Kind::ReadOnly,
        false,
        "Shows the character classification and case conversion locale.",
    ),
    param(
        "lc_messages",
        "C",
        Kind::Text,
        false,
        "Sets the language in which messages are displayed.",
    ),
    param(
        "lc_monetary",
        "C",
        Kind::Text,
        false,
        "Sets the locale for formatting monetary amounts.",
    ),
    param(
        "lc_numeric",
        "C",
        Kind::Text,
        false,
        "Sets the locale for formatting numbers.",
    ),
    param(
        "lc_time",
        "C",
        Kind::Text,
        false,
        "Sets the locale for formatting date and time values.",
    ),
    param(
        "max_identifier_length",
        "63",
        Kind::ReadOnly,
        false,
        "Shows the maximum identifier length.",
    ),
    param(
        "server_encoding",
        "UTF8",
        Kind::ReadOnly,
        true,
        "Shows the server (database) character set encoding.",
    ),
    param(
        "server_version",
        SERVER_VERSION,
        Kind::ReadOnly,
        true,
        "Shows the server version.",
    ),
    param(
        "server_version_num",
        SERVER_VERSION_NUM,
        Kind::ReadOnly,
        false,
        "Shows the server version as an integer.",
    ),
    param(
        "standard_conforming_strings",
        "on",
        Kind::OneOf(&["on"]),
        true,
        "Causes '...' strings to treat backslashes literally.",
    ),
    param(
        "idle_in_transaction_session_timeout",
        "0",
        Kind::Duration,
        false,
        "Sets the maximum allowed idle time between queries in a transaction.",
    ),
    param(
        "lock_timeout",
        "0",
        Kind::Duration,
        false,
        "Sets the maximum allowed duration of any wait for a lock (Lyceum takes none).",
    ),
    param(
        "transaction_isolation",
        "repeatable read",
        Kind::ReadOnly,
        false,
        "Shows the current transaction's isolation level.",
    ),
    param(
        "transaction_read_only",
        "on",
        Kind::ReadOnly,
        false,
        "Shows whether the current transaction is read-only.",
    ),
    param(
        "bytea_output",
        "hex",
        Kind::OneOf(&["hex"]),
        false,
        "Sets the output format for bytea.",
    ),
    param(
        "jit",
        "off",
        Kind::Bool,
        false,
        "Allow JIT compilation (accepted for compatibility).",
    ),
    param(
        "row_security",
        "on",
        Kind::Bool,
        false,
        "Enable row security.",
    ),
];

fn client_encoding(value: &str) -> Result<String, String> {
    let norm = value.to_ascii_uppercase().replace(['-', '_'], "");
    if norm == "UTF8" || norm == "UNICODE" {
        Ok("UTF8".into())
    } else {
        Err("Lyceum speaks only UTF8".into())
    }
}

fn date_style(value: &str) -> Result<String, String> {
    let upper = value.to_ascii_uppercase();
    let parts: Vec<&str> = upper.split(',').map(str::trim).collect();
    if parts
        .iter()
        .any(|p| ["SQL", "POSTGRES", "GERMAN"].contains(p))
    {
        return Err("Lyceum writes dates only as ISO".into());
    }
    let order = parts
        .iter()
        .find(|p| ["MDY", "DMY", "YMD", "US", "EURO", "EUROPEAN", "NONEURO"].contains(p))
        .map(|p| match *p {
            "US" | "NONEURO" => "MDY",
            "EURO" | "EUROPEAN" => "DMY",
            other => other,
        })
        .unwrap_or("MDY");
    Ok(format!("ISO, {order}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::{Reported, Settings};

    #[test]
    fn postgres_values_are_checked() {
        let mut s = Settings::new(POSTGRES_PARAMS);
        assert!(s.set("client_encoding", "latin1").is_err());
        assert_eq!(
            s.set("client_encoding", "utf-8").expect("utf8"),
            Some(Reported {
                name: "client_encoding".into(),
                value: "UTF8".into()
            })
        );
        s.set("names", "unicode").expect("SET NAMES");
        assert!(s.set("extra_float_digits", "9").is_err());
        assert!(s.set("extra_float_digits", "0").is_err());
        s.set("extra_float_digits", "3").expect("3");
        assert!(s.set("server_version", "9").is_err());
        assert!(s.set("DateStyle", "SQL, DMY").is_err());
        s.set("datestyle", "iso, dmy").expect("iso");
        assert_eq!(s.get("DateStyle").as_deref(), Some("ISO, DMY"));
        assert_eq!(s.canonical_name("intervalstyle"), "IntervalStyle");
        assert_eq!(s.get("server_version").as_deref(), Some(SERVER_VERSION));
    }
}
