//! Data-quality accounting: every source row ends up loaded (perhaps after named cleansing
//! rules changed it) or quarantined with a named rule. Nothing else can happen to a row.

use std::collections::BTreeMap;

use super::FileReport;

/// Why a row was quarantined.
#[derive(Debug, Clone)]
pub struct Reject {
    pub column: Option<String>,
    pub rule: &'static str,
    pub message: String,
    pub raw_value: Option<String>,
}

impl Reject {
    pub fn new(
        column: &str,
        rule: &'static str,
        message: impl Into<String>,
        raw: Option<&str>,
    ) -> Self {
        Reject {
            column: Some(column.to_string()),
            rule,
            message: message.into(),
            raw_value: raw.map(str::to_string),
        }
    }

    pub fn row(rule: &'static str, message: impl Into<String>) -> Self {
        Reject {
            column: None,
            rule,
            message: message.into(),
            raw_value: None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct QuarantineRecord {
    pub file: String,
    pub line: u64,
    pub reject: Reject,
    pub raw_row: Option<String>,
}

#[derive(Debug, Clone)]
pub struct CleansingRecord {
    pub file: String,
    pub line: u64,
    pub column: String,
    pub rule: &'static str,
    pub raw: String,
    pub clean: String,
}

/// A cleansing rule applied to one field of the row being read.
#[derive(Debug, Clone)]
pub struct Cleaned {
    pub column: String,
    pub rule: &'static str,
    pub raw: String,
    pub clean: String,
}

/// The quality ledger of one load.
#[derive(Default)]
pub struct Quality {
    pub files: Vec<FileReport>,
    pub quarantine: Vec<QuarantineRecord>,
    pub cleansing: Vec<CleansingRecord>,
}

impl Quality {
    pub fn start_file(&mut self, file: &str, table: &str) -> usize {
        self.files.push(FileReport {
            file: file.to_string(),
            table: table.to_string(),
            status: "OK".into(),
            ..Default::default()
        });
        self.files.len() - 1
    }

    pub fn set_status(&mut self, file: usize, status: &str) {
        if let Some(f) = self.files.get_mut(file) {
            f.status = status.to_string();
        }
    }

    /// A row that made it in, with the cleansing rules that changed it.
    pub fn loaded(&mut self, file: usize, line: u64, cleaned: Vec<Cleaned>) {
        let Some(report) = self.files.get_mut(file) else {
            return;
        };
        report.rows_read += 1;
        report.rows_loaded += 1;
        if !cleaned.is_empty() {
            report.rows_cleaned += 1;
            let name = report.file.clone();
            self.cleansing
                .extend(cleaned.into_iter().map(|c| CleansingRecord {
                    file: name.clone(),
                    line,
                    column: c.column,
                    rule: c.rule,
                    raw: c.raw,
                    clean: c.clean,
                }));
        }
    }

    pub fn quarantined(&mut self, file: usize, line: u64, reject: Reject, raw_row: Option<String>) {
        let Some(report) = self.files.get_mut(file) else {
            return;
        };
        report.rows_read += 1;
        report.rows_quarantined += 1;
        self.quarantine.push(QuarantineRecord {
            file: report.file.clone(),
            line,
            reject,
            raw_row,
        });
    }

    pub fn quarantined_by_rule(&self) -> BTreeMap<String, u64> {
        let mut m = BTreeMap::new();
        for q in &self.quarantine {
            *m.entry(q.reject.rule.to_string()).or_default() += 1;
        }
        m
    }

    pub fn cleaned_by_rule(&self) -> BTreeMap<String, u64> {
        let mut m = BTreeMap::new();
        for c in &self.cleansing {
            *m.entry(c.rule.to_string()).or_default() += 1;
        }
        m
    }
}
