//! Prepared-statement parameters as Flight SQL clients send them.
//!
//! ODBC, JDBC and ADBC mark parameters with `?`; the engine (PostgreSQL's dialect) numbers
//! them `$1, $2, ...`. [`number_markers`] rewrites each `?` outside literals, quoted
//! identifiers and comments into the next `$n`. Values arrive as Arrow record batches (one
//! row per execution) and become one list of scalars per row.

use arrow::array::RecordBatch;
use datafusion::scalar::ScalarValue;

/// `sql` with every `?` parameter marker replaced by `$1`, `$2`, ... in order. `?` inside
/// string literals, quoted identifiers, dollar-quoted strings and comments is left alone.
pub(crate) fn number_markers(sql: &str) -> String {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = String::with_capacity(sql.len() + 8);
    let mut next = 1;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\'' | '"' => {
                // A literal or identifier; a doubled quote is an escaped one.
                let quote = c;
                out.push(c);
                i += 1;
                while i < chars.len() {
                    out.push(chars[i]);
                    if chars[i] == quote {
                        if chars.get(i + 1) == Some(&quote) {
                            out.push(quote);
                            i += 2;
                            continue;
                        }
                        i += 1;
                        break;
                    }
                    i += 1;
                }
            }
            '-' if chars.get(i + 1) == Some(&'-') => {
                while i < chars.len() && chars[i] != '\n' {
                    out.push(chars[i]);
                    i += 1;
                }
            }
            '/' if chars.get(i + 1) == Some(&'*') => {
                out.push_str("/*");
                i += 2;
                while i < chars.len() {
                    if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                        out.push_str("*/");
                        i += 2;
                        break;
                    }
                    out.push(chars[i]);
                    i += 1;
                }
            }
            '$' => {
                // `$tag$ ... $tag$` (a dollar-quoted string) or `$n` (already numbered).
                let tag_end = chars[i + 1..]
                    .iter()
                    .position(|c| !(c.is_alphanumeric() || *c == '_'))
                    .map(|p| i + 1 + p);
                match tag_end {
                    Some(end)
                        if chars[end] == '$'
                            && !chars[i + 1..end].first().is_some_and(char::is_ascii_digit) =>
                    {
                        let tag: String = chars[i..=end].iter().collect();
                        out.push_str(&tag);
                        i = end + 1;
                        let rest: String = chars[i..].iter().collect();
                        match rest.find(&tag) {
                            Some(close) => {
                                out.push_str(&rest[..close + tag.len()]);
                                i += rest[..close + tag.len()].chars().count();
                            }
                            None => {
                                out.push_str(&rest);
                                i = chars.len();
                            }
                        }
                    }
                    _ => {
                        out.push(c);
                        i += 1;
                    }
                }
            }
            '?' => {
                out.push('$');
                out.push_str(&next.to_string());
                next += 1;
                i += 1;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// One list of parameter values per row of `batches`.
pub(crate) fn rows(batches: &[RecordBatch]) -> Result<Vec<Vec<ScalarValue>>, String> {
    let mut rows = Vec::new();
    for batch in batches {
        for row in 0..batch.num_rows() {
            let values = batch
                .columns()
                .iter()
                .map(|column| ScalarValue::try_from_array(column, row).map_err(|e| e.to_string()))
                .collect::<Result<Vec<_>, _>>()?;
            rows.push(values);
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_numbered_outside_literals_identifiers_and_comments() {
        assert_eq!(
            number_markers("SELECT * FROM t WHERE a = ? AND b > ?"),
            "SELECT * FROM t WHERE a = $1 AND b > $2"
        );
        assert_eq!(
            number_markers("SELECT '?', \"a?\", 'it''s ?', ? -- why?\n, ? /* ? */"),
            "SELECT '?', \"a?\", 'it''s ?', $1 -- why?\n, $2 /* ? */"
        );
        assert_eq!(
            number_markers("SELECT $q$ ? $q$, ?, $1"),
            "SELECT $q$ ? $q$, $1, $1"
        );
        assert_eq!(number_markers("SELECT 1"), "SELECT 1");
    }
}
