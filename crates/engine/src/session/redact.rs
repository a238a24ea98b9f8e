//! Keeps passwords out of what others can read: `pg_stat_activity`, the server's logs and
//! error messages. `CREATE USER bob PASSWORD 'secret'` is shown and logged as
//! `CREATE USER bob PASSWORD '********'`.

use std::borrow::Cow;

use crate::error::EngineError;

/// What a password literal is shown as.
const MASK: &str = "'********'";

/// `sql` with the string literal after every `PASSWORD` keyword masked.
pub fn redact_passwords(sql: &str) -> Cow<'_, str> {
    let literals = password_literals(sql);
    if literals.is_empty() {
        return Cow::Borrowed(sql);
    }
    let mut out = String::with_capacity(sql.len());
    let mut at = 0;
    for (start, end) in literals {
        out.push_str(&sql[at..start]);
        out.push_str(MASK);
        at = end;
    }
    out.push_str(&sql[at..]);
    Cow::Owned(out)
}

/// `err` with any password of `sql` that its message repeats masked (a parser error can
/// quote the token it stopped at).
pub(crate) fn redact_error(err: EngineError, sql: &str) -> EngineError {
    let secrets: Vec<&str> = password_literals(sql)
        .into_iter()
        .map(|(start, end)| sql[start + 1..end - 1].trim_end_matches('\''))
        .filter(|s| !s.is_empty())
        .collect();
    let message = err.to_string();
    let mut masked = message.clone();
    for secret in secrets {
        masked = mask_words(&masked, secret);
    }
    if masked == message {
        return err;
    }
    EngineError::Redacted {
        kind: err.kind(),
        message: masked,
    }
}

/// `text` with each occurrence of `secret` that is not part of a longer word masked (a
/// one-letter password must not mask every such letter of the message).
fn mask_words(text: &str, secret: &str) -> String {
    let is_word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(secret) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + secret.len()..].chars().next();
        out.push_str(&rest[..at]);
        if is_word(before) || is_word(after) {
            out.push_str(secret);
        } else {
            out.push_str("********");
        }
        rest = &rest[at + secret.len()..];
    }
    out.push_str(rest);
    out
}

/// The byte ranges (quotes included) of the string literals that follow a `PASSWORD`
/// keyword outside quotes and comments.
fn password_literals(sql: &str) -> Vec<(usize, usize)> {
    let bytes = sql.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    // Whether the last word outside quotes was PASSWORD (only spaces since).
    let mut after_password = false;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'\'' => {
                let end = literal_end(bytes, i);
                if after_password {
                    found.push((i, end));
                }
                after_password = false;
                i = end;
            }
            b'E' | b'e' if bytes.get(i + 1) == Some(&b'\'') && !word_before(bytes, i) => {
                let end = literal_end(bytes, i + 1);
                if after_password {
                    found.push((i, end));
                }
                after_password = false;
                i = end;
            }
            b'"' => {
                i = bytes[i + 1..]
                    .iter()
                    .position(|b| *b == b'"')
                    .map_or(bytes.len(), |p| i + p + 2);
                after_password = false;
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                i = bytes[i..]
                    .iter()
                    .position(|b| *b == b'\n')
                    .map_or(bytes.len(), |p| i + p + 1);
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = sql[i + 2..].find("*/").map_or(bytes.len(), |p| i + p + 4);
            }
            c if c.is_ascii_whitespace() => i += 1,
            c if c.is_ascii_alphanumeric() || c == b'_' => {
                let start = i;
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                after_password = sql[start..i].eq_ignore_ascii_case("password");
            }
            _ => {
                after_password = false;
                i += 1;
            }
        }
    }
    found
}

/// The index just past the string literal whose opening quote is at `open` (`''` is a
/// quote inside it; a backslash escapes the next byte in an `E''` string, harmlessly
/// over-read in a standard one).
fn literal_end(bytes: &[u8], open: usize) -> usize {
    let escapes = open > 0 && matches!(bytes[open - 1], b'E' | b'e');
    let mut i = open + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if escapes => i += 2,
            b'\'' if bytes.get(i + 1) == Some(&b'\'') => i += 2,
            b'\'' => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

fn word_before(bytes: &[u8], i: usize) -> bool {
    i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_masked_and_nothing_else() {
        assert_eq!(
            redact_passwords("CREATE USER bob WITH LOGIN PASSWORD 'it''s secret'"),
            "CREATE USER bob WITH LOGIN PASSWORD '********'"
        );
        assert_eq!(
            redact_passwords("alter role \"x\" password E'a\\'b' SUPERUSER; select 'password'"),
            "alter role \"x\" password '********' SUPERUSER; select 'password'"
        );
        assert_eq!(
            redact_passwords("ALTER USER a PASSWORD\n  'SCRAM-SHA-256$4096:abc'"),
            "ALTER USER a PASSWORD\n  '********'"
        );
        let plain = "SELECT 'PASSWORD' AS password, \"password\" FROM t -- password 'x'";
        assert!(matches!(redact_passwords(plain), Cow::Borrowed(_)));
        assert_eq!(
            redact_passwords("CREATE USER x PASSWORD 'unterminated"),
            "CREATE USER x PASSWORD '********'"
        );
    }

    #[test]
    fn errors_that_quote_a_password_are_masked() {
        let sql = "CREATE USER bob PASSWORD 'hunter2'";
        let err = redact_error(EngineError::Syntax("unexpected 'hunter2' here".into()), sql);
        assert_eq!(err.to_string(), "unexpected '********' here");
        assert_eq!(err.kind(), crate::error::ErrorKind::Syntax);
        let other = redact_error(EngineError::Syntax("no secret".into()), sql);
        assert!(matches!(other, EngineError::Syntax(_)));
        // A one-letter password masks that token, not every such letter.
        let short = redact_error(
            EngineError::Syntax("syntax error at or near 'x' x".into()),
            "ALTER USER a PASSWORD 'x' junk",
        );
        assert_eq!(
            short.to_string(),
            "syntax error at or near '********' ********"
        );
    }
}
