//! `COPY ... FROM STDIN`: PostgreSQL's text and CSV formats, read exactly as PostgreSQL
//! reads them (an unquoted field equal to the NULL string is NULL, a quoted one never is;
//! `\.` on a line of its own ends the data), into batches of text columns that the
//! session casts to the table's types like an `INSERT`.
//!
//! The data a client sends is spooled to a temporary file while it arrives, and parsed from
//! there when the client says it is done, batch by batch: memory stays bounded however
//! large the copy, and nothing is written to the table before the whole copy arrived.

use std::path::PathBuf;
use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::PartitionStream;
use datafusion::sql::sqlparser::ast::{CopyLegacyCsvOption, CopyLegacyOption, CopyOption};
use tokio::io::AsyncReadExt;

use crate::error::{EngineError, Result};

/// Rows per batch handed to the write.
const BATCH_ROWS: usize = 8192;
/// Bytes read from the spool file at a time.
const READ_CHUNK: usize = 256 * 1024;

/// How COPY data is laid out (`FORMAT text | csv`, `DELIMITER`, `NULL`, `HEADER`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyFormat {
    pub csv: bool,
    pub delimiter: u8,
    pub quote: u8,
    pub escape: u8,
    pub null: String,
    pub header: bool,
}

impl Default for CopyFormat {
    fn default() -> Self {
        CopyFormat::text()
    }
}

impl CopyFormat {
    fn text() -> CopyFormat {
        CopyFormat {
            csv: false,
            delimiter: b'\t',
            quote: b'"',
            escape: b'"',
            null: "\\N".into(),
            header: false,
        }
    }

    fn csv() -> CopyFormat {
        CopyFormat {
            csv: true,
            delimiter: b',',
            null: String::new(),
            ..CopyFormat::text()
        }
    }

    /// The format of `COPY ... WITH (options)` or its pre-9.0 spelling.
    pub(crate) fn from_options(
        options: &[CopyOption],
        legacy: &[CopyLegacyOption],
    ) -> Result<CopyFormat> {
        // FORMAT decides the defaults of the other options, wherever it appears.
        let csv = options
            .iter()
            .any(|o| matches!(o, CopyOption::Format(f) if f.value.eq_ignore_ascii_case("csv")))
            || legacy.iter().any(|o| matches!(o, CopyLegacyOption::Csv(_)));
        let mut format = if csv {
            CopyFormat::csv()
        } else {
            CopyFormat::text()
        };
        let mut quote = None;
        let mut escape = None;
        for option in options {
            match option {
                CopyOption::Format(f) => match f.value.to_ascii_lowercase().as_str() {
                    "csv" | "text" => {}
                    other => return Err(unsupported(&format!("COPY FORMAT {other}"))),
                },
                CopyOption::Delimiter(c) => format.delimiter = one_byte("DELIMITER", *c)?,
                CopyOption::Null(s) => format.null = s.clone(),
                CopyOption::Header(h) => format.header = *h,
                CopyOption::Quote(c) => quote = Some(one_byte("QUOTE", *c)?),
                CopyOption::Escape(c) => escape = Some(one_byte("ESCAPE", *c)?),
                CopyOption::Encoding(e) => {
                    let e = e.to_ascii_uppercase().replace(['-', '_'], "");
                    if e != "UTF8" {
                        return Err(unsupported(&format!("COPY ENCODING {e} (data is UTF8)")));
                    }
                }
                CopyOption::Freeze(_) => {}
                other => return Err(unsupported(&format!("COPY option {other}"))),
            }
        }
        for option in legacy {
            match option {
                CopyLegacyOption::Csv(csv_options) => {
                    for o in csv_options {
                        match o {
                            CopyLegacyCsvOption::Header => format.header = true,
                            CopyLegacyCsvOption::Quote(c) => quote = Some(one_byte("QUOTE", *c)?),
                            CopyLegacyCsvOption::Escape(c) => {
                                escape = Some(one_byte("ESCAPE", *c)?)
                            }
                            other => return Err(unsupported(&format!("COPY option {other}"))),
                        }
                    }
                }
                CopyLegacyOption::Delimiter(c) => format.delimiter = one_byte("DELIMITER", *c)?,
                CopyLegacyOption::Null(s) => format.null = s.clone(),
                CopyLegacyOption::Header => format.header = true,
                other => return Err(unsupported(&format!("COPY option {other}"))),
            }
        }
        if !format.csv && (quote.is_some() || escape.is_some()) {
            return Err(unsupported("COPY QUOTE and ESCAPE outside CSV format"));
        }
        if let Some(q) = quote {
            format.quote = q;
            format.escape = q;
        }
        if let Some(e) = escape {
            format.escape = e;
        }
        if matches!(format.delimiter, b'\n' | b'\r')
            || (format.csv && format.delimiter == format.quote)
        {
            return Err(EngineError::InvalidArgument {
                name: "COPY DELIMITER",
                message: "must not be a newline or the quote character".into(),
            });
        }
        Ok(format)
    }
}

fn one_byte(option: &'static str, c: char) -> Result<u8> {
    u8::try_from(u32::from(c))
        .ok()
        .filter(u8::is_ascii)
        .ok_or_else(|| EngineError::InvalidArgument {
            name: option,
            message: "must be a single one-byte character".into(),
        })
}

fn unsupported(what: &str) -> EngineError {
    EngineError::Unsupported { what: what.into() }
}

/// One row's fields; `None` is NULL.
type Row = Vec<Option<String>>;

/// Splits COPY data into rows, however the data is chunked.
pub(crate) struct RowReader {
    format: CopyFormat,
    buf: Vec<u8>,
    pos: usize,
    /// The line the next row starts on (1-based, as in PostgreSQL's `COPY t, line N`).
    line: u64,
    header_pending: bool,
    ended: bool,
}

impl RowReader {
    pub(crate) fn new(format: CopyFormat) -> RowReader {
        RowReader {
            header_pending: format.header,
            format,
            buf: Vec::new(),
            pos: 0,
            line: 1,
            ended: false,
        }
    }

    pub(crate) fn push(&mut self, data: &[u8]) {
        if self.pos > 0 && self.pos * 2 >= self.buf.len() {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        self.buf.extend_from_slice(data);
    }

    /// The next complete row, `None` if more data is needed (or, `at_end`, there is none).
    pub(crate) fn next_row(&mut self, at_end: bool) -> Result<Option<Row>> {
        loop {
            if self.ended {
                return Ok(None);
            }
            let Some((row, consumed, lines)) = self.scan(at_end)? else {
                return Ok(None);
            };
            self.pos += consumed;
            let line = self.line;
            self.line += lines;
            match row {
                Scanned::EndMarker => self.ended = true,
                Scanned::Row(_) if self.header_pending => self.header_pending = false,
                Scanned::Row(fields) => {
                    return fields
                        .into_iter()
                        .map(|f| f.map(|bytes| utf8(bytes, line)).transpose())
                        .collect::<Result<Row>>()
                        .map(Some);
                }
            }
        }
    }

    /// The line of the row returned last.
    pub(crate) fn line(&self) -> u64 {
        self.line.saturating_sub(1).max(1)
    }

    fn scan(&self, at_end: bool) -> Result<Option<(Scanned, usize, u64)>> {
        let data = &self.buf[self.pos..];
        if data.is_empty() {
            return Ok(None);
        }
        if self.format.csv {
            scan_csv(&self.format, data, at_end, self.line)
        } else {
            scan_text(&self.format, data, at_end, self.line)
        }
    }
}

enum Scanned {
    Row(Vec<Option<Vec<u8>>>),
    EndMarker,
}

fn utf8(bytes: Vec<u8>, line: u64) -> Result<String> {
    String::from_utf8(bytes).map_err(|_| EngineError::BadCopyData {
        line,
        message: "invalid byte sequence for encoding \"UTF8\"".into(),
    })
}

/// Where the line that ends at `data[i]` (`\n`, `\r` or `\r\n`) is over; `None` when a
/// `\r` is the last byte so far and the next chunk may hold its `\n`.
fn after_line_end(data: &[u8], i: usize, at_end: bool) -> Option<usize> {
    if data[i] == b'\r' {
        match data.get(i + 1) {
            None if !at_end => return None,
            Some(b'\n') => return Some(i + 2),
            _ => {}
        }
    }
    Some(i + 1)
}

/// One CSV row from the start of `data`: (row, bytes consumed, newlines consumed).
fn scan_csv(
    f: &CopyFormat,
    data: &[u8],
    at_end: bool,
    line: u64,
) -> Result<Option<(Scanned, usize, u64)>> {
    let mut fields = Vec::new();
    let mut field = Vec::new();
    let mut quoted = false;
    let mut in_quotes = false;
    let mut newlines = 0u64;
    let mut i = 0;
    let finish = |field: &mut Vec<u8>, quoted: bool| {
        let value = std::mem::take(field);
        if !quoted && value == f.null.as_bytes() {
            None
        } else {
            Some(value)
        }
    };
    loop {
        let Some(&b) = data.get(i) else {
            if !at_end {
                return Ok(None);
            }
            if in_quotes {
                return Err(EngineError::BadCopyData {
                    line,
                    message: "unterminated CSV quoted field".into(),
                });
            }
            fields.push(finish(&mut field, quoted));
            break;
        };
        if in_quotes {
            let next = data.get(i + 1).copied();
            if b == f.escape {
                match next {
                    None if !at_end => return Ok(None),
                    Some(n) if n == f.quote || (f.escape != f.quote && n == f.escape) => {
                        field.push(n);
                        i += 2;
                        continue;
                    }
                    _ => {}
                }
            }
            if b == f.quote {
                in_quotes = false;
            } else {
                if b == b'\n' {
                    newlines += 1;
                }
                field.push(b);
            }
            i += 1;
            continue;
        }
        if b == f.quote {
            in_quotes = true;
            quoted = true;
            i += 1;
        } else if b == f.delimiter {
            fields.push(finish(&mut field, quoted));
            quoted = false;
            i += 1;
        } else if b == b'\n' || b == b'\r' {
            let Some(next) = after_line_end(data, i, at_end) else {
                return Ok(None);
            };
            i = next;
            newlines += 1;
            if fields.is_empty() && !quoted && field == b"\\." {
                return Ok(Some((Scanned::EndMarker, i, newlines)));
            }
            fields.push(finish(&mut field, quoted));
            break;
        } else {
            field.push(b);
            i += 1;
        }
    }
    if fields.len() == 1 && !quoted && matches!(&fields[0], Some(v) if v == b"\\.") {
        return Ok(Some((Scanned::EndMarker, i, newlines)));
    }
    Ok(Some((Scanned::Row(fields), i, newlines)))
}

/// One text-format row from the start of `data`.
fn scan_text(
    f: &CopyFormat,
    data: &[u8],
    at_end: bool,
    line: u64,
) -> Result<Option<(Scanned, usize, u64)>> {
    let mut raw_fields: Vec<Vec<u8>> = Vec::new();
    let mut raw = Vec::new();
    let mut i = 0;
    loop {
        let Some(&b) = data.get(i) else {
            if !at_end {
                return Ok(None);
            }
            raw_fields.push(std::mem::take(&mut raw));
            break;
        };
        if b == b'\\' {
            match data.get(i + 1) {
                None if !at_end => return Ok(None),
                None => {
                    return Err(EngineError::BadCopyData {
                        line,
                        message: "end-of-copy marker corrupt".into(),
                    });
                }
                Some(&n) => {
                    raw.push(b);
                    raw.push(n);
                    i += 2;
                }
            }
        } else if b == f.delimiter {
            raw_fields.push(std::mem::take(&mut raw));
            i += 1;
        } else if b == b'\n' || b == b'\r' {
            let Some(next) = after_line_end(data, i, at_end) else {
                return Ok(None);
            };
            i = next;
            raw_fields.push(std::mem::take(&mut raw));
            break;
        } else {
            raw.push(b);
            i += 1;
        }
    }
    if raw_fields.len() == 1 && raw_fields[0] == b"\\." {
        return Ok(Some((Scanned::EndMarker, i, 1)));
    }
    let fields = raw_fields
        .into_iter()
        .map(|raw| {
            if raw == f.null.as_bytes() {
                None
            } else {
                Some(unescape_text(&raw))
            }
        })
        .collect();
    Ok(Some((Scanned::Row(fields), i, 1)))
}

/// PostgreSQL's text-format backslash sequences.
fn unescape_text(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if b != b'\\' || i + 1 >= raw.len() {
            out.push(b);
            i += 1;
            continue;
        }
        let n = raw[i + 1];
        i += 2;
        match n {
            b'b' => out.push(0x08),
            b'f' => out.push(0x0c),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'v' => out.push(0x0b),
            b'0'..=b'7' => {
                let mut value = u32::from(n - b'0');
                let mut digits = 1;
                while digits < 3 && i < raw.len() && (b'0'..=b'7').contains(&raw[i]) {
                    value = value * 8 + u32::from(raw[i] - b'0');
                    i += 1;
                    digits += 1;
                }
                out.push((value & 0xff) as u8);
            }
            b'x' if i < raw.len() && raw[i].is_ascii_hexdigit() => {
                let mut value = 0u32;
                let mut digits = 0;
                while digits < 2 && i < raw.len() && raw[i].is_ascii_hexdigit() {
                    value = value * 16 + (raw[i] as char).to_digit(16).unwrap_or(0);
                    i += 1;
                    digits += 1;
                }
                out.push(value as u8);
            }
            other => out.push(other),
        }
    }
    out
}

/// The spooled data of one COPY as a one-shot stream of text-column batches.
pub(crate) struct SpooledCopy {
    schema: SchemaRef,
    path: PathBuf,
    format: CopyFormat,
    /// The file is removed with the last reference to it.
    _spool: Arc<tempfile::TempPath>,
}

impl std::fmt::Debug for SpooledCopy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SpooledCopy({})", self.path.display())
    }
}

impl SpooledCopy {
    pub(crate) fn new(
        columns: &[String],
        spool: Arc<tempfile::TempPath>,
        format: CopyFormat,
    ) -> SpooledCopy {
        let schema = Arc::new(Schema::new(
            columns
                .iter()
                .map(|c| Field::new(c, DataType::Utf8, true))
                .collect::<Vec<_>>(),
        ));
        SpooledCopy {
            schema,
            path: spool.to_path_buf(),
            format,
            _spool: spool,
        }
    }
}

struct ReadState {
    file: Option<tokio::fs::File>,
    reader: RowReader,
    at_end: bool,
    schema: SchemaRef,
    path: PathBuf,
    _spool: Arc<tempfile::TempPath>,
}

impl PartitionStream for SpooledCopy {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let state = ReadState {
            file: None,
            reader: RowReader::new(self.format.clone()),
            at_end: false,
            schema: self.schema.clone(),
            path: self.path.clone(),
            _spool: self._spool.clone(),
        };
        let batches = futures::stream::try_unfold(state, |mut state| async move {
            let batch = next_batch(&mut state)
                .await
                .map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))?;
            Ok(batch.map(|b| (b, state)))
        });
        Box::pin(RecordBatchStreamAdapter::new(self.schema.clone(), batches))
    }
}

async fn next_batch(state: &mut ReadState) -> Result<Option<RecordBatch>> {
    let width = state.schema.fields().len();
    let mut builders: Vec<StringBuilder> = (0..width).map(|_| StringBuilder::new()).collect();
    let mut rows = 0;
    let mut chunk = vec![0u8; READ_CHUNK];
    while rows < BATCH_ROWS {
        match state.reader.next_row(state.at_end)? {
            Some(row) => {
                check_width(&row, &state.schema, state.reader.line())?;
                for (builder, value) in builders.iter_mut().zip(row) {
                    builder.append_option(value);
                }
                rows += 1;
            }
            None if state.at_end => break,
            None => {
                if state.file.is_none() {
                    state.file = Some(
                        tokio::fs::File::open(&state.path)
                            .await
                            .map_err(|e| EngineError::io("reading COPY data", e))?,
                    );
                }
                let Some(file) = state.file.as_mut() else {
                    break;
                };
                let n = file
                    .read(&mut chunk)
                    .await
                    .map_err(|e| EngineError::io("reading COPY data", e))?;
                if n == 0 {
                    state.at_end = true;
                } else {
                    state.reader.push(&chunk[..n]);
                }
            }
        }
    }
    if rows == 0 {
        return Ok(None);
    }
    let columns: Vec<ArrayRef> = builders
        .iter_mut()
        .map(|b| Arc::new(b.finish()) as ArrayRef)
        .collect();
    Ok(Some(RecordBatch::try_new(state.schema.clone(), columns)?))
}

fn check_width(row: &Row, schema: &SchemaRef, line: u64) -> Result<()> {
    let expected = schema.fields().len();
    if row.len() > expected {
        return Err(EngineError::BadCopyData {
            line,
            message: "extra data after last expected column".into(),
        });
    }
    if row.len() < expected {
        return Err(EngineError::BadCopyData {
            line,
            message: format!(
                "missing data for column \"{}\"",
                schema.field(row.len()).name()
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(format: CopyFormat, chunks: &[&[u8]]) -> Result<Vec<Row>> {
        let mut reader = RowReader::new(format);
        let mut out = Vec::new();
        for chunk in chunks {
            reader.push(chunk);
            while let Some(row) = reader.next_row(false)? {
                out.push(row);
            }
        }
        while let Some(row) = reader.next_row(true)? {
            out.push(row);
        }
        Ok(out)
    }

    fn s(v: &str) -> Option<String> {
        Some(v.to_string())
    }

    #[test]
    fn csv_reads_quotes_nulls_and_newlines_across_chunks() -> Result<()> {
        let format = CopyFormat {
            header: true,
            ..CopyFormat::csv()
        };
        let data = b"id,name,note\r\n1,\"Ada, L\",\n2,\"\",\"two\nlines \"\"q\"\"\"\n3,plain,x\n\\.\nignored\n";
        let expected = vec![
            vec![s("1"), s("Ada, L"), None],
            vec![s("2"), s(""), s("two\nlines \"q\"")],
            vec![s("3"), s("plain"), s("x")],
        ];
        assert_eq!(rows(format.clone(), &[data])?, expected);
        // Every split point gives the same rows.
        for cut in 1..data.len() {
            let (a, b) = data.split_at(cut);
            assert_eq!(rows(format.clone(), &[a, b])?, expected, "cut at {cut}");
        }
        // No final newline; an unterminated quote is an error.
        assert_eq!(
            rows(CopyFormat::csv(), &[b"1,a"])?,
            vec![vec![s("1"), s("a")]]
        );
        assert!(matches!(
            rows(CopyFormat::csv(), &[b"1,\"a"]),
            Err(EngineError::BadCopyData { .. })
        ));
        Ok(())
    }

    #[test]
    fn text_format_unescapes_and_reads_null_markers() -> Result<()> {
        let data = b"1\ta\\tb\t\\N\n2\t\\\\N\t\\x41\\101\n\\.\n";
        assert_eq!(
            rows(CopyFormat::text(), &[data])?,
            vec![
                vec![s("1"), s("a\tb"), None],
                vec![s("2"), s("\\N"), s("AA")],
            ]
        );
        Ok(())
    }

    #[test]
    fn options_follow_postgres_defaults() -> Result<()> {
        use datafusion::sql::sqlparser::ast::Ident;
        let csv = CopyFormat::from_options(
            &[
                CopyOption::Format(Ident::new("csv")),
                CopyOption::Header(true),
            ],
            &[],
        )?;
        assert_eq!(
            (csv.delimiter, csv.null.as_str(), csv.header),
            (b',', "", true)
        );
        let text = CopyFormat::from_options(&[], &[])?;
        assert_eq!((text.delimiter, text.null.as_str()), (b'\t', "\\N"));
        assert!(
            CopyFormat::from_options(&[CopyOption::Format(Ident::new("binary"))], &[]).is_err()
        );
        Ok(())
    }
}
