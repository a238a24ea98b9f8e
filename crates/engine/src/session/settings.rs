//! A session's PostgreSQL-style run-time parameters (`SET`, `SHOW`, `RESET`,
//! `current_setting()`, `set_config()`), kept per session.
//!
//! The names and defaults are PostgreSQL's, for the parameters clients and BI tools set
//! or read at connect time. A value Lyceum cannot honour (a client encoding other than
//! UTF8, a non-ISO date style) is refused with an error rather than silently ignored.
//! Names with a dot (`myapp.flag`) are custom placeholders, as in PostgreSQL. Settings
//! under `lyceum.` and `datafusion.` are DataFusion options handled by the session.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::error::{EngineError, Result};

/// The version PostgreSQL clients are told they talk to (they pick features by it).
pub const SERVER_VERSION: &str = "15.18";
/// `server_version_num` for [`SERVER_VERSION`].
pub const SERVER_VERSION_NUM: &str = "150018";

/// How a parameter's value is checked.
#[derive(Clone, Copy)]
enum Kind {
    Text,
    Bool,
    Int {
        min: i64,
        max: i64,
    },
    /// Milliseconds, with an optional unit (`ms`, `s`, `min`, `h`, `d`).
    Duration,
    /// Only values equal (case-insensitively) to one of these.
    OneOf(&'static [&'static str]),
    ClientEncoding,
    DateStyle,
    /// An IANA zone name (`Europe/Paris`) or a fixed offset (`+02:00`).
    TimeZone,
    ReadOnly,
}

struct Param {
    name: &'static str,
    default: &'static str,
    kind: Kind,
    /// Sent to the client as a `ParameterStatus` when it changes (PostgreSQL's GUC_REPORT).
    report: bool,
    description: &'static str,
}

const fn p(
    name: &'static str,
    default: &'static str,
    kind: Kind,
    report: bool,
    description: &'static str,
) -> Param {
    Param {
        name,
        default,
        kind,
        report,
        description,
    }
}

const PARAMS: &[Param] = &[
    p(
        "application_name",
        "",
        Kind::Text,
        true,
        "Sets the application name to be reported in statistics and logs.",
    ),
    p(
        "client_encoding",
        "UTF8",
        Kind::ClientEncoding,
        true,
        "Sets the client's character set encoding.",
    ),
    p(
        "client_min_messages",
        "notice",
        Kind::OneOf(&[
            "debug5", "debug4", "debug3", "debug2", "debug1", "log", "notice", "warning", "error",
        ]),
        false,
        "Sets the message levels that are sent to the client.",
    ),
    p(
        "DateStyle",
        "ISO, MDY",
        Kind::DateStyle,
        true,
        "Sets the display format for date and time values.",
    ),
    p(
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
    p(
        "default_transaction_read_only",
        "on",
        Kind::OneOf(&["on"]),
        false,
        "Lyceum sessions only read.",
    ),
    p(
        "extra_float_digits",
        "1",
        // Lyceum always writes the shortest text that reads back exactly, which is what
        // PostgreSQL 12+ writes for values above 0; rounded output (0 and below) is refused.
        Kind::Int { min: 1, max: 3 },
        false,
        "Sets the number of digits displayed for floating-point values (1..3: shortest exact).",
    ),
    p(
        "integer_datetimes",
        "on",
        Kind::ReadOnly,
        true,
        "Shows whether datetimes are integer based.",
    ),
    p(
        "IntervalStyle",
        "postgres",
        Kind::OneOf(&["postgres"]),
        true,
        "Sets the display format for interval values.",
    ),
    p(
        "is_superuser",
        "off",
        Kind::ReadOnly,
        true,
        "Shows whether the current user is a superuser.",
    ),
    p(
        "session_authorization",
        "",
        Kind::ReadOnly,
        true,
        "Shows the session user name.",
    ),
    p(
        "max_index_keys",
        "32",
        Kind::ReadOnly,
        false,
        "Shows the maximum number of index keys.",
    ),
    p(
        "max_function_args",
        "100",
        Kind::ReadOnly,
        false,
        "Shows the maximum number of function arguments.",
    ),
    p(
        "block_size",
        "8192",
        Kind::ReadOnly,
        false,
        "Shows the size of a disk block (PostgreSQL's unit for relpages).",
    ),
    p(
        "in_hot_standby",
        "off",
        Kind::ReadOnly,
        true,
        "Shows whether hot standby is active (Lyceum reads committed versions).",
    ),
    p(
        "lc_collate",
        "C",
        Kind::ReadOnly,
        false,
        "Shows the collation order locale (text sorts by code point).",
    ),
    p(
        "lc_ctype",
        "C",
        Kind::ReadOnly,
        false,
        "Shows the character classification and case conversion locale.",
    ),
    p(
        "lc_messages",
        "C",
        Kind::Text,
        false,
        "Sets the language in which messages are displayed.",
    ),
    p(
        "lc_monetary",
        "C",
        Kind::Text,
        false,
        "Sets the locale for formatting monetary amounts.",
    ),
    p(
        "lc_numeric",
        "C",
        Kind::Text,
        false,
        "Sets the locale for formatting numbers.",
    ),
    p(
        "lc_time",
        "C",
        Kind::Text,
        false,
        "Sets the locale for formatting date and time values.",
    ),
    p(
        "max_identifier_length",
        "63",
        Kind::ReadOnly,
        false,
        "Shows the maximum identifier length.",
    ),
    p(
        "search_path",
        "\"$user\", public",
        Kind::Text,
        false,
        "Sets the schema search order for names that are not schema-qualified.",
    ),
    p(
        "server_encoding",
        "UTF8",
        Kind::ReadOnly,
        true,
        "Shows the server (database) character set encoding.",
    ),
    p(
        "server_version",
        SERVER_VERSION,
        Kind::ReadOnly,
        true,
        "Shows the server version.",
    ),
    p(
        "server_version_num",
        SERVER_VERSION_NUM,
        Kind::ReadOnly,
        false,
        "Shows the server version as an integer.",
    ),
    p(
        "standard_conforming_strings",
        "on",
        Kind::OneOf(&["on"]),
        true,
        "Causes '...' strings to treat backslashes literally.",
    ),
    p(
        "statement_timeout",
        "0",
        Kind::Duration,
        false,
        "Sets the maximum allowed duration of any statement (0 = none).",
    ),
    p(
        "idle_in_transaction_session_timeout",
        "0",
        Kind::Duration,
        false,
        "Sets the maximum allowed idle time between queries in a transaction.",
    ),
    p(
        "lock_timeout",
        "0",
        Kind::Duration,
        false,
        "Sets the maximum allowed duration of any wait for a lock (Lyceum takes none).",
    ),
    p(
        "TimeZone",
        "UTC",
        Kind::TimeZone,
        true,
        "Sets the time zone for displaying and interpreting time stamps.",
    ),
    p(
        "transaction_isolation",
        "repeatable read",
        Kind::ReadOnly,
        false,
        "Shows the current transaction's isolation level.",
    ),
    p(
        "transaction_read_only",
        "on",
        Kind::ReadOnly,
        false,
        "Shows whether the current transaction is read-only.",
    ),
    p(
        "bytea_output",
        "hex",
        Kind::OneOf(&["hex"]),
        false,
        "Sets the output format for bytea.",
    ),
    p(
        "jit",
        "off",
        Kind::Bool,
        false,
        "Allow JIT compilation (accepted for compatibility).",
    ),
    p(
        "row_security",
        "on",
        Kind::Bool,
        false,
        "Enable row security.",
    ),
];

fn find(name: &str) -> Option<&'static Param> {
    let name = alias(&name.to_ascii_lowercase()).unwrap_or(name);
    PARAMS.iter().find(|p| p.name.eq_ignore_ascii_case(name))
}

/// What a `SET` changed, for the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reported {
    pub name: String,
    pub value: String,
}

/// One session's parameters.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Canonical name → value, only for values that differ from the default.
    values: BTreeMap<String, String>,
    /// Custom (dotted) parameters set in this session.
    custom: BTreeMap<String, String>,
    /// Reportable changes not yet sent to the client.
    pending: Vec<Reported>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings::new()
    }
}

impl Settings {
    pub fn new() -> Self {
        Settings {
            values: BTreeMap::new(),
            custom: BTreeMap::new(),
            pending: Vec::new(),
        }
    }

    /// The reportable changes since the last call, for `ParameterStatus` messages.
    pub fn take_reports(&mut self) -> Vec<Reported> {
        std::mem::take(&mut self.pending)
    }

    fn note(&mut self, report: Option<Reported>) -> Option<Reported> {
        if let Some(r) = &report {
            self.pending.retain(|p| p.name != r.name);
            self.pending.push(r.clone());
        }
        report
    }

    /// Whether `name` is a parameter this module keeps (as opposed to a DataFusion or
    /// `lyceum.` option).
    pub fn handles(name: &str) -> bool {
        let lower = name.to_ascii_lowercase();
        if lower.starts_with("datafusion.") || lower.starts_with("lyceum.") {
            return false;
        }
        find(name).is_some() || lower.contains('.')
    }

    /// The current value of `name`, or `None` when no such parameter exists.
    pub fn get(&self, name: &str) -> Option<String> {
        let lower = name.to_ascii_lowercase();
        if let Some(param) = find(name) {
            return Some(
                self.values
                    .get(param.name)
                    .cloned()
                    .unwrap_or_else(|| param.default.to_string()),
            );
        }
        self.custom.get(&lower).cloned()
    }

    /// Sets `name` to `value` after checking it; returns what to report to the client.
    pub fn set(&mut self, name: &str, value: &str) -> Result<Option<Reported>> {
        let lower = name.to_ascii_lowercase();
        let Some(param) = find(name) else {
            if lower.contains('.') {
                self.custom.insert(lower, value.to_string());
                return Ok(None);
            }
            return Err(EngineError::UnknownSetting {
                name: name.to_string(),
            });
        };
        let value = check(param, value)?;
        if value == param.default {
            self.values.remove(param.name);
        } else {
            self.values.insert(param.name.to_string(), value.clone());
        }
        Ok(self.note(param.report.then(|| Reported {
            name: param.name.to_string(),
            value,
        })))
    }

    /// Sets a read-only parameter the server decides (`is_superuser`,
    /// `session_authorization`) without checking it.
    pub(crate) fn force(&mut self, name: &str, value: &str) {
        if let Some(param) = find(name) {
            self.values
                .insert(param.name.to_string(), value.to_string());
        }
    }

    /// Back to the default (`RESET name`).
    pub fn reset(&mut self, name: &str) -> Result<Option<Reported>> {
        let lower = name.to_ascii_lowercase();
        match find(name) {
            Some(param) => {
                self.values.remove(param.name);
                Ok(self.note(param.report.then(|| Reported {
                    name: param.name.to_string(),
                    value: param.default.to_string(),
                })))
            }
            None if lower.contains('.') => {
                self.custom.remove(&lower);
                Ok(None)
            }
            None => Err(EngineError::UnknownSetting {
                name: name.to_string(),
            }),
        }
    }

    /// `RESET ALL` / `DISCARD ALL`: every parameter back to its default; returns the
    /// reportable ones that changed.
    pub fn reset_all(&mut self) -> Vec<Reported> {
        let changed: Vec<Reported> = self
            .values
            .keys()
            .filter_map(|name| find(name))
            .filter(|p| p.report && !matches!(p.kind, Kind::ReadOnly))
            .map(|p| Reported {
                name: p.name.to_string(),
                value: p.default.to_string(),
            })
            .collect();
        self.values
            .retain(|name, _| find(name).is_some_and(|p| matches!(p.kind, Kind::ReadOnly)));
        self.custom.clear();
        for r in &changed {
            self.note(Some(r.clone()));
        }
        changed
    }

    /// `statement_timeout`, or `None` when it is 0 (no limit).
    pub fn statement_timeout(&self) -> Option<Duration> {
        let value = self.get("statement_timeout")?;
        let ms = parse_duration_ms(&value).ok()?;
        (ms > 0).then(|| Duration::from_millis(ms as u64))
    }

    /// Every parameter with its value and description, for `SHOW ALL` and `pg_settings`.
    pub fn all(&self) -> Vec<(String, String, String)> {
        let mut rows: Vec<_> = PARAMS
            .iter()
            .map(|p| {
                (
                    p.name.to_string(),
                    self.get(p.name).unwrap_or_default(),
                    p.description.to_string(),
                )
            })
            .collect();
        rows.extend(
            self.custom
                .iter()
                .map(|(k, v)| (k.clone(), v.clone(), String::new())),
        );
        rows
    }

    /// The parameters a client is told about right after it connects.
    pub fn startup_report(&self) -> Vec<Reported> {
        PARAMS
            .iter()
            .filter(|p| p.report)
            .map(|p| Reported {
                name: p.name.to_string(),
                value: self.get(p.name).unwrap_or_default(),
            })
            .collect()
    }
}

/// Other spellings PostgreSQL accepts.
fn alias(lower: &str) -> Option<&'static str> {
    match lower {
        "time zone" | "timezone" => Some("TimeZone"),
        "names" => Some("client_encoding"),
        "datestyle" => Some("DateStyle"),
        "intervalstyle" => Some("IntervalStyle"),
        _ => None,
    }
}

fn invalid(param: &Param, value: &str, message: impl Into<String>) -> EngineError {
    EngineError::InvalidSetting {
        name: param.name.to_string(),
        value: value.to_string(),
        message: message.into(),
    }
}

/// The normalized value, or why it is refused.
fn check(param: &Param, value: &str) -> Result<String> {
    let trimmed = value.trim();
    match param.kind {
        Kind::Text => Ok(value.to_string()),
        Kind::Bool => match trimmed.to_ascii_lowercase().as_str() {
            "on" | "true" | "yes" | "1" | "t" => Ok("on".into()),
            "off" | "false" | "no" | "0" | "f" => Ok("off".into()),
            _ => Err(invalid(param, value, "requires a Boolean value")),
        },
        Kind::Int { min, max } => {
            let n: i64 = trimmed
                .parse()
                .map_err(|_| invalid(param, value, "requires an integer value"))?;
            if n < min || n > max {
                return Err(invalid(
                    param,
                    value,
                    format!("is outside the valid range ({min} .. {max})"),
                ));
            }
            Ok(n.to_string())
        }
        Kind::Duration => {
            let ms = parse_duration_ms(trimmed).map_err(|m| invalid(param, value, m))?;
            if ms < 0 {
                return Err(invalid(param, value, "must not be negative"));
            }
            Ok(format_duration_ms(ms))
        }
        Kind::OneOf(allowed) => allowed
            .iter()
            .find(|a| a.eq_ignore_ascii_case(trimmed))
            .map(|a| a.to_string())
            .ok_or_else(|| {
                invalid(
                    param,
                    value,
                    format!("Lyceum supports only: {}", allowed.join(", ")),
                )
            }),
        Kind::ClientEncoding => {
            let norm = trimmed.to_ascii_uppercase().replace(['-', '_'], "");
            if norm == "UTF8" || norm == "UNICODE" {
                Ok("UTF8".into())
            } else {
                Err(invalid(param, value, "Lyceum speaks only UTF8"))
            }
        }
        Kind::DateStyle => {
            let upper = trimmed.to_ascii_uppercase();
            let parts: Vec<&str> = upper.split(',').map(str::trim).collect();
            if parts
                .iter()
                .any(|p| ["SQL", "POSTGRES", "GERMAN"].contains(p))
            {
                return Err(invalid(param, value, "Lyceum writes dates only as ISO"));
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
        Kind::TimeZone => {
            let zone = trimmed.trim_matches('\'');
            match zone.parse::<arrow::array::timezone::Tz>() {
                Ok(_) => Ok(zone.to_string()),
                Err(_) => Err(invalid(
                    param,
                    value,
                    "not a time zone (use a name such as Europe/Paris, or an offset such as +02:00)",
                )),
            }
        }
        Kind::ReadOnly => Err(EngineError::InvalidSetting {
            name: param.name.to_string(),
            value: value.to_string(),
            message: "parameter cannot be changed".into(),
        }),
    }
}

/// PostgreSQL's duration syntax: a number of milliseconds, or a number with a unit.
/// A duration as PostgreSQL shows a setting in milliseconds: in the largest unit that
/// divides it (`1500ms`, `5s`, `2min`), `0` for none.
fn format_duration_ms(ms: i64) -> String {
    if ms == 0 {
        return "0".into();
    }
    let units = [
        (86_400_000, "d"),
        (3_600_000, "h"),
        (60_000, "min"),
        (1_000, "s"),
    ];
    for (size, unit) in units {
        if ms % size == 0 {
            return format!("{}{unit}", ms / size);
        }
    }
    format!("{ms}ms")
}

fn parse_duration_ms(value: &str) -> std::result::Result<i64, String> {
    let value = value.trim().trim_matches('\'');
    let split = value
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
        .unwrap_or(value.len());
    let (number, unit) = value.split_at(split);
    let number: f64 = number
        .trim()
        .parse()
        .map_err(|_| "requires a duration such as 5000, '5s' or '2min'".to_string())?;
    let factor = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "ms" => 1.0,
        "us" => 0.001,
        "s" => 1_000.0,
        "min" => 60_000.0,
        "h" => 3_600_000.0,
        "d" => 86_400_000.0,
        other => return Err(format!("unknown unit {other:?} (use ms, s, min, h or d)")),
    };
    Ok((number * factor).round() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_show_reset() {
        let mut s = Settings::new();
        assert_eq!(s.get("application_name").as_deref(), Some(""));
        let r = s.set("application_name", "metabase").expect("set");
        assert_eq!(
            r,
            Some(Reported {
                name: "application_name".into(),
                value: "metabase".into()
            })
        );
        assert_eq!(s.get("APPLICATION_NAME").as_deref(), Some("metabase"));
        s.reset("application_name").expect("reset");
        assert_eq!(s.get("application_name").as_deref(), Some(""));
        // The client hears about the last value only.
        assert_eq!(
            s.take_reports(),
            vec![Reported {
                name: "application_name".into(),
                value: "".into()
            }]
        );
        assert!(s.take_reports().is_empty());
    }

    #[test]
    fn values_are_checked() {
        let mut s = Settings::new();
        assert!(s.set("client_encoding", "latin1").is_err());
        assert_eq!(
            s.set("client_encoding", "utf-8").expect("utf8"),
            Some(Reported {
                name: "client_encoding".into(),
                value: "UTF8".into()
            })
        );
        assert!(s.set("extra_float_digits", "9").is_err());
        assert!(s.set("extra_float_digits", "0").is_err());
        s.set("extra_float_digits", "3").expect("3");
        assert!(s.set("server_version", "9").is_err());
        assert!(s.set("nope", "1").is_err());
        s.set("myapp.flag", "x").expect("custom");
        assert_eq!(s.get("myapp.flag").as_deref(), Some("x"));
        assert!(s.set("DateStyle", "SQL, DMY").is_err());
        s.set("datestyle", "iso, dmy").expect("iso");
        assert_eq!(s.get("DateStyle").as_deref(), Some("ISO, DMY"));
        s.set("timezone", "Europe/Paris").expect("a zone name");
        assert_eq!(s.get("TimeZone").as_deref(), Some("Europe/Paris"));
        assert!(s.set("timezone", "Mars/Olympus").is_err());
        s.set("time zone", "UTC").expect("utc");
    }

    #[test]
    fn statement_timeout_units() {
        let mut s = Settings::new();
        assert_eq!(s.statement_timeout(), None);
        s.set("statement_timeout", "1500").expect("ms");
        assert_eq!(s.statement_timeout(), Some(Duration::from_millis(1500)));
        s.set("statement_timeout", "2s").expect("s");
        assert_eq!(s.get("statement_timeout").as_deref(), Some("2s"));
        assert_eq!(format_duration_ms(1500), "1500ms");
        assert_eq!(format_duration_ms(120_000), "2min");
        s.set("statement_timeout", "1min").expect("min");
        assert_eq!(s.statement_timeout(), Some(Duration::from_secs(60)));
        assert!(s.set("statement_timeout", "1 fortnight").is_err());
        s.set("statement_timeout", "0").expect("off");
        assert_eq!(s.statement_timeout(), None);
    }
}
