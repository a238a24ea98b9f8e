//! Validation and cleansing rules for one field. Each returns the clean value, records the
//! named cleansing rule when it changed the raw text, or rejects the row with a named rule.
//!
//! Cleansing rules: `trim_whitespace`, `normalise_case`, `normalise_email`,
//! `standardise_date`. Quarantine rules: `missing_required`, `invalid_date`,
//! `invalid_number`, `invalid_boolean`, `invalid_email`, `negative_value`,
//! `out_of_range`, `invalid_code`.

use chrono::NaiveDate;

use super::quality::{Cleaned, Reject};
use super::source::RowCtx;

/// One row's fields with their column names, and the row's cleansing log.
pub struct Fields<'r, 'c> {
    pub values: &'r [&'r str],
    pub ctx: &'r mut RowCtx<'c>,
}

type R<T> = std::result::Result<T, Reject>;

impl Fields<'_, '_> {
    fn name(&self, i: usize) -> &str {
        self.ctx.columns.get(i).copied().unwrap_or("?")
    }

    fn note(&mut self, i: usize, rule: &'static str, raw: &str, clean: &str) {
        let column = self.name(i).to_string();
        self.ctx.cleaned.push(Cleaned {
            column,
            rule,
            raw: raw.to_string(),
            clean: clean.to_string(),
        });
    }

    /// Trimmed text; empty is `None`.
    pub fn opt_text(&mut self, i: usize) -> Option<String> {
        let raw = self.values.get(i).copied().unwrap_or("");
        let trimmed = raw.trim();
        if trimmed.len() != raw.len() && !trimmed.is_empty() {
            self.note(i, "trim_whitespace", raw, trimmed);
        }
        (!trimmed.is_empty()).then(|| trimmed.to_string())
    }

    pub fn text(&mut self, i: usize) -> R<String> {
        self.opt_text(i).ok_or_else(|| self.missing(i))
    }

    fn missing(&self, i: usize) -> Reject {
        let name = self.name(i).to_string();
        Reject::new(
            &name,
            "missing_required",
            format!("{name} is required"),
            Some(""),
        )
    }

    /// An upper-case code, e.g. a department or status.
    pub fn opt_code(&mut self, i: usize) -> Option<String> {
        let t = self.opt_text(i)?;
        let upper = t.to_ascii_uppercase();
        if upper != t {
            self.note(i, "normalise_case", &t, &upper);
        }
        Some(upper)
    }

    pub fn code(&mut self, i: usize) -> R<String> {
        self.opt_code(i).ok_or_else(|| self.missing(i))
    }

    /// A code from a closed list.
    pub fn one_of(&mut self, i: usize, allowed: &[&str]) -> R<String> {
        let v = self.code(i)?;
        self.check_in(i, v, allowed)
    }

    fn check_in(&self, i: usize, v: String, allowed: &[&str]) -> R<String> {
        if allowed.contains(&v.as_str()) {
            Ok(v)
        } else {
            let name = self.name(i).to_string();
            Err(Reject::new(
                &name,
                "invalid_code",
                format!("{v:?} is not one of {}", allowed.join("|")),
                Some(&v),
            ))
        }
    }

    pub fn email(&mut self, i: usize) -> R<String> {
        let raw = self.values.get(i).copied().unwrap_or("");
        let clean = raw.trim().to_ascii_lowercase();
        if clean.is_empty() {
            return Err(self.missing(i));
        }
        if !valid_email(&clean) {
            let name = self.name(i).to_string();
            return Err(Reject::new(
                &name,
                "invalid_email",
                format!("{raw:?} is not an email address"),
                Some(raw),
            ));
        }
        if clean != raw {
            self.note(i, "normalise_email", raw, &clean);
        }
        Ok(clean)
    }

    pub fn opt_date(&mut self, i: usize) -> R<Option<NaiveDate>> {
        let raw = self.values.get(i).copied().unwrap_or("");
        let t = raw.trim();
        if t.is_empty() {
            return Ok(None);
        }
        if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d")
            && t.len() == 10
        {
            if t.len() != raw.len() {
                self.note(i, "trim_whitespace", raw, t);
            }
            return Ok(Some(d));
        }
        for fmt in ["%m/%d/%Y", "%d-%b-%Y", "%Y/%m/%d", "%d.%m.%Y", "%Y%m%d"] {
            if let Ok(d) = NaiveDate::parse_from_str(t, fmt) {
                let clean = d.format("%Y-%m-%d").to_string();
                self.note(i, "standardise_date", raw, &clean);
                return Ok(Some(d));
            }
        }
        let name = self.name(i).to_string();
        Err(Reject::new(
            &name,
            "invalid_date",
            format!("{raw:?} is not a valid date"),
            Some(raw),
        ))
    }

    pub fn date(&mut self, i: usize) -> R<NaiveDate> {
        self.opt_date(i)?.ok_or_else(|| self.missing(i))
    }

    pub fn opt_i64(&mut self, i: usize, min: i64, max: i64) -> R<Option<i64>> {
        let Some(t) = self.opt_text(i) else {
            return Ok(None);
        };
        let name = self.name(i).to_string();
        let v: i64 = t.parse().map_err(|_| {
            Reject::new(
                &name,
                "invalid_number",
                format!("{t:?} is not an integer"),
                Some(&t),
            )
        })?;
        self.range(i, v as f64, min as f64, max as f64, &t)?;
        Ok(Some(v))
    }

    pub fn i64(&mut self, i: usize, min: i64, max: i64) -> R<i64> {
        self.opt_i64(i, min, max)?.ok_or_else(|| self.missing(i))
    }

    fn range(&self, i: usize, v: f64, min: f64, max: f64, raw: &str) -> R<()> {
        let name = self.name(i).to_string();
        if v < 0.0 && min >= 0.0 {
            return Err(Reject::new(
                &name,
                "negative_value",
                format!("{raw} is negative"),
                Some(raw),
            ));
        }
        if v < min || v > max {
            return Err(Reject::new(
                &name,
                "out_of_range",
                format!("{raw} is outside {min}..={max}"),
                Some(raw),
            ));
        }
        Ok(())
    }

    /// A decimal as an unscaled integer at `scale` (rounded half away from zero).
    pub fn opt_decimal(&mut self, i: usize, scale: u32, min: f64, max: f64) -> R<Option<i128>> {
        let Some(t) = self.opt_text(i) else {
            return Ok(None);
        };
        let name = self.name(i).to_string();
        let v: f64 = t
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .ok_or_else(|| {
                Reject::new(
                    &name,
                    "invalid_number",
                    format!("{t:?} is not a number"),
                    Some(&t),
                )
            })?;
        self.range(i, v, min, max, &t)?;
        Ok(Some(scaled(v, scale)))
    }

    pub fn decimal(&mut self, i: usize, scale: u32, min: f64, max: f64) -> R<i128> {
        self.opt_decimal(i, scale, min, max)?
            .ok_or_else(|| self.missing(i))
    }

    pub fn opt_bool(&mut self, i: usize) -> R<Option<bool>> {
        let Some(t) = self.opt_text(i) else {
            return Ok(None);
        };
        let lower = t.to_ascii_lowercase();
        let v = match lower.as_str() {
            "true" | "t" | "1" | "yes" | "y" => true,
            "false" | "f" | "0" | "no" | "n" => false,
            _ => {
                let name = self.name(i).to_string();
                return Err(Reject::new(
                    &name,
                    "invalid_boolean",
                    format!("{t:?} is not a boolean"),
                    Some(&t),
                ));
            }
        };
        if lower != "true" && lower != "false" || lower != t {
            self.note(i, "normalise_case", &t, if v { "true" } else { "false" });
        }
        Ok(Some(v))
    }

    pub fn bool(&mut self, i: usize) -> R<bool> {
        self.opt_bool(i)?.ok_or_else(|| self.missing(i))
    }
}

/// `local@domain.tld`, no spaces, one `@`.
pub fn valid_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(|c| c.is_whitespace() || c == ',')
}

pub fn scaled(v: f64, scale: u32) -> i128 {
    (v * 10f64.powi(scale as i32)).round() as i128
}

/// Days since the Unix epoch.
pub fn epoch_days(d: NaiveDate) -> i32 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    (d - epoch).num_days() as i32
}

/// `YYYYMMDD`
pub fn date_key(d: NaiveDate) -> i32 {
    use chrono::Datelike;
    d.year() * 10_000 + d.month() as i32 * 100 + d.day() as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with<T>(values: &[&str], f: impl FnOnce(&mut Fields) -> T) -> (T, Vec<&'static str>) {
        let columns = ["a", "b", "c"];
        let mut ctx = RowCtx {
            cleaned: vec![],
            columns: &columns,
        };
        let mut fields = Fields {
            values,
            ctx: &mut ctx,
        };
        let out = f(&mut fields);
        (out, ctx.cleaned.iter().map(|c| c.rule).collect())
    }

    #[test]
    fn dates() {
        let (d, rules) = with(&["03/15/2024"], |f| f.date(0).ok());
        assert_eq!(d, NaiveDate::from_ymd_opt(2024, 3, 15));
        assert_eq!(rules, ["standardise_date"]);
        let (d, rules) = with(&["2024-03-15"], |f| f.date(0).ok());
        assert_eq!((d.is_some(), rules.len()), (true, 0));
        let (r, _) = with(&["2023-02-30"], |f| f.date(0).map_err(|r| r.rule));
        assert_eq!(r, Err("invalid_date"));
        let (r, _) = with(&["15-Mar-2024"], |f| f.date(0).ok());
        assert_eq!(r, NaiveDate::from_ymd_opt(2024, 3, 15));
    }

    #[test]
    fn codes_emails_numbers() {
        let (v, rules) = with(&[" math "], |f| f.code(0).ok());
        assert_eq!(v.as_deref(), Some("MATH"));
        assert_eq!(rules, ["trim_whitespace", "normalise_case"]);
        let (v, rules) = with(&["Jane.Doe@Uni.EDU "], |f| f.email(0).ok());
        assert_eq!(v.as_deref(), Some("jane.doe@uni.edu"));
        assert_eq!(rules, ["normalise_email"]);
        let (r, _) = with(&["jane.doe@"], |f| f.email(0).map_err(|r| r.rule));
        assert_eq!(r, Err("invalid_email"));
        let (r, _) = with(&["-3.0"], |f| {
            f.decimal(0, 1, 0.0, 99.9).map_err(|r| r.rule)
        });
        assert_eq!(r, Err("negative_value"));
        let (r, _) = with(&["3.5"], |f| f.decimal(0, 1, 0.0, 99.9));
        assert_eq!(r.ok(), Some(35));
        let (r, _) = with(&[""], |f| f.text(0).map_err(|r| r.rule));
        assert_eq!(r, Err("missing_required"));
    }
}
