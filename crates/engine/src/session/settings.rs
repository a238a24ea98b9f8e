//! A session's run-time parameters (`SET`, `SHOW`, `RESET`, `current_setting()`,
//! `set_config()`), kept per session.
//!
//! The core keeps the parameters it acts on itself ([`CORE_PARAMS`]: the client's
//! application name, the schema search path, the statement timeout and the time zone);
//! a [`Profile`](super::Profile) adds the ones its clients expect to find (the Postgres
//! profile: `client_encoding`, `DateStyle`, `server_version`, ...). A value that cannot be
//! honoured is refused with an error rather than silently ignored. Names with a dot
//! (`myapp.flag`) are custom placeholders kept as given. Settings under `lyceum.` and
//! `datafusion.` are DataFusion options handled by the session, not here.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::error::{EngineError, Result};

/// How a parameter's value is checked.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
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
    /// An IANA zone name (`Europe/Paris`) or a fixed offset (`+02:00`).
    TimeZone,
    ReadOnly,
    /// A check of the profile's own: the normalized value, or why it is refused.
    Check(fn(&str) -> std::result::Result<String, String>),
}

/// One run-time parameter.
#[derive(Debug)]
pub struct Param {
    /// The canonical spelling (names match case-insensitively).
    pub name: &'static str,
    /// Other spellings (`time zone` for `TimeZone`).
    pub aliases: &'static [&'static str],
    pub default: &'static str,
    pub kind: Kind,
    /// The client is told when it changes (and at connect).
    pub report: bool,
    pub description: &'static str,
}

/// A parameter without other spellings.
pub const fn param(
    name: &'static str,
    default: &'static str,
    kind: Kind,
    report: bool,
    description: &'static str,
) -> Param {
    Param {
        name,
        aliases: &[],
        default,
        kind,
        report,
        description,
    }
}

/// The parameters the core acts on, whatever the profile.
pub const CORE_PARAMS: &[Param] = &[
    param(
        "application_name",
        "",
        Kind::Text,
        true,
        "Sets the application name to be reported in statistics and logs.",
    ),
    param(
        "search_path",
        "\"$user\", public",
        Kind::Text,
        false,
        "Sets the schema search order for names that are not schema-qualified.",
    ),
    param(
        "statement_timeout",
        "0",
        Kind::Duration,
        false,
        "Sets the maximum allowed duration of any statement (0 = none).",
    ),
    Param {
        aliases: &["time zone"],
        ..param(
            "TimeZone",
            "UTC",
            Kind::TimeZone,
            true,
            "Sets the time zone for displaying and interpreting time stamps.",
        )
    },
];

/// What a `SET` changed, for the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reported {
    pub name: String,
    pub value: String,
}

/// One session's parameters.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The profile's parameters, beside [`CORE_PARAMS`].
    profile: &'static [Param],
    /// Canonical name → value, only for values that differ from the default.
    values: BTreeMap<String, String>,
    /// Custom (dotted) parameters set in this session.
    custom: BTreeMap<String, String>,
    /// Reportable changes not yet sent to the client.
    pending: Vec<Reported>,
}

impl Settings {
    /// Settings at their defaults: the core's parameters and `profile`'s.
    pub fn new(profile: &'static [Param]) -> Self {
        Settings {
            profile,
            values: BTreeMap::new(),
            custom: BTreeMap::new(),
            pending: Vec::new(),
        }
    }

    /// The reportable changes since the last call.
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

    fn params(&self) -> impl Iterator<Item = &'static Param> {
        CORE_PARAMS.iter().chain(self.profile.iter())
    }

    fn find(&self, name: &str) -> Option<&'static Param> {
        self.params().find(|p| {
            p.name.eq_ignore_ascii_case(name)
                || p.aliases.iter().any(|a| a.eq_ignore_ascii_case(name))
        })
    }

    /// The canonical spelling of parameter `name` (`TimeZone` for `time zone`), or `name`.
    pub fn canonical_name(&self, name: &str) -> String {
        self.find(name)
            .map_or_else(|| name.to_string(), |p| p.name.to_string())
    }

    /// The current value of `name`, or `None` when no such parameter exists.
    pub fn get(&self, name: &str) -> Option<String> {
        let lower = name.to_ascii_lowercase();
        if let Some(param) = self.find(name) {
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
        let Some(param) = self.find(name) else {
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

    /// Sets a read-only parameter the server decides (the Postgres profile's
    /// `session_authorization`) without checking it.
    pub(crate) fn force(&mut self, name: &str, value: &str) {
        if let Some(param) = self.find(name) {
            self.values
                .insert(param.name.to_string(), value.to_string());
        }
    }

    /// Back to the default (`RESET name`).
    pub fn reset(&mut self, name: &str) -> Result<Option<Reported>> {
        let lower = name.to_ascii_lowercase();
        match self.find(name) {
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
            .filter_map(|name| self.find(name))
            .filter(|p| p.report && !matches!(p.kind, Kind::ReadOnly))
            .map(|p| Reported {
                name: p.name.to_string(),
                value: p.default.to_string(),
            })
            .collect();
        let read_only: Vec<String> = self
            .values
            .keys()
            .filter(|name| {
                self.find(name)
                    .is_some_and(|p| matches!(p.kind, Kind::ReadOnly))
            })
            .cloned()
            .collect();
        self.values.retain(|name, _| read_only.contains(name));
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

    /// Every parameter with its value and description (`SHOW ALL`).
    pub fn all(&self) -> Vec<(String, String, String)> {
        let mut rows: Vec<_> = self
            .params()
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
        rows.sort_by_key(|(name, _, _)| name.to_ascii_lowercase());
        rows
    }

    /// Every parameter the client is told about, with its value (at connect).
    pub fn reported(&self) -> Vec<Reported> {
        self.params()
            .filter(|p| p.report)
            .map(|p| Reported {
                name: p.name.to_string(),
                value: self.get(p.name).unwrap_or_default(),
            })
            .collect()
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
        Kind::Check(check) => check(trimmed).map_err(|m| invalid(param, value, m)),
        Kind::ReadOnly => Err(EngineError::InvalidSetting {
            name: param.name.to_string(),
            value: value.to_string(),
            message: "parameter cannot be changed".into(),
        }),
    }
}

/// A duration setting as it is shown: in the largest unit that divides it (`1500ms`,
/// `5s`, `2min`), `0` for none.
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

/// A duration setting: a number of milliseconds, or a number with a unit.
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

    fn core() -> Settings {
        Settings::new(&[])
    }

    #[test]
    fn set_show_reset() {
        let mut s = core();
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
        let mut s = core();
        assert!(s.set("nope", "1").is_err());
        s.set("myapp.flag", "x").expect("custom");
        assert_eq!(s.get("myapp.flag").as_deref(), Some("x"));
        s.set("timezone", "Europe/Paris").expect("a zone name");
        assert_eq!(s.get("TimeZone").as_deref(), Some("Europe/Paris"));
        assert_eq!(s.canonical_name("time zone"), "TimeZone");
        assert!(s.set("timezone", "Mars/Olympus").is_err());
        s.set("time zone", "UTC").expect("utc");
        // Without a profile, a profile's parameter does not exist.
        assert!(s.set("client_encoding", "UTF8").is_err());
    }

    #[test]
    fn a_profile_adds_parameters_with_its_own_checks() {
        const EXTRA: &[Param] = &[
            param(
                "shade",
                "blue",
                Kind::Check(|v| match v {
                    "blue" | "green" => Ok(v.to_string()),
                    _ => Err("only blue or green".into()),
                }),
                true,
                "A colour.",
            ),
            param("fixed", "1", Kind::ReadOnly, false, "Cannot change."),
        ];
        let mut s = Settings::new(EXTRA);
        assert!(s.set("shade", "red").is_err());
        s.set("SHADE", "green").expect("green");
        assert!(s.set("fixed", "2").is_err());
        s.force("fixed", "3");
        s.reset_all();
        assert_eq!(s.get("shade").as_deref(), Some("blue"));
        assert_eq!(
            s.get("fixed").as_deref(),
            Some("3"),
            "read-only values stay"
        );
        let reported: Vec<String> = s.reported().into_iter().map(|r| r.name).collect();
        assert_eq!(reported, ["application_name", "TimeZone", "shade"]);
    }

    #[test]
    fn statement_timeout_units() {
        let mut s = core();
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
