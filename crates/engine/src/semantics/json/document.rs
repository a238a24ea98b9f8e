//! JSON documents as PostgreSQL reads and prints them. A `json` value is its input text,
//! kept verbatim; a `jsonb` value is printed in PostgreSQL's normal form: object keys
//! sorted by length and then bytewise, the last of duplicate keys kept, `": "` and `", "`
//! between items, numbers as `numeric` prints them. The parser keeps each value's span of
//! the input, so `->` on `json` returns the member's own text, and on `jsonb` (already
//! normal) the member's normal form.

use std::borrow::Cow;
use std::cmp::Ordering;

/// Nesting deeper than this is refused rather than risking the stack.
const MAX_DEPTH: usize = 1000;

/// One JSON value and the text it was read from.
#[derive(Debug, Clone)]
pub struct Doc<'a> {
    pub value: Value<'a>,
    pub text: &'a str,
}

#[derive(Debug, Clone)]
pub enum Value<'a> {
    Null,
    Bool(bool),
    /// The number's text as written.
    Number(&'a str),
    /// The string's decoded content.
    String(Cow<'a, str>),
    Array(Vec<Doc<'a>>),
    /// Members in input order, duplicates included.
    Object(Vec<(Cow<'a, str>, Doc<'a>)>),
}

impl<'a> Value<'a> {
    /// `jsonb_typeof`'s name for the value.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    }

    /// The member `key` of an object (the last one of that name, as PostgreSQL reads it).
    pub fn member(&self, key: &str) -> Option<&Doc<'a>> {
        match self {
            Value::Object(members) => members.iter().rev().find(|(k, _)| k == key).map(|m| &m.1),
            _ => None,
        }
    }

    /// Element `index` of an array; a negative index counts from the end.
    pub fn element(&self, index: i64) -> Option<&Doc<'a>> {
        match self {
            Value::Array(items) => {
                let len = i64::try_from(items.len()).ok()?;
                let at = if index < 0 { len + index } else { index };
                usize::try_from(at).ok().and_then(|i| items.get(i))
            }
            _ => None,
        }
    }
}

/// Why a text is not JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(pub String);

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid input syntax for type json: {}", self.0)
    }
}

/// Reads `text` as one JSON value (whitespace around it allowed).
pub fn parse(text: &str) -> Result<Doc<'_>, ParseError> {
    let mut p = Parser { text, at: 0 };
    p.skip_space();
    let doc = p.value(0)?;
    p.skip_space();
    if p.at != text.len() {
        return Err(p.error("unexpected text after the value"));
    }
    Ok(doc)
}

struct Parser<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Parser<'a> {
    fn error(&self, what: &str) -> ParseError {
        let near: String = self.text[self.at..].chars().take(20).collect();
        ParseError(format!("{what} at \"{near}\""))
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn skip_space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn expect_word(&mut self, word: &str) -> Result<(), ParseError> {
        if self.text[self.at..].starts_with(word) {
            self.at += word.len();
            Ok(())
        } else {
            Err(self.error("invalid token"))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Doc<'a>, ParseError> {
        if depth > MAX_DEPTH {
            return Err(self.error("nesting too deep"));
        }
        let start = self.at;
        let value = match self.peek() {
            Some(b'n') => self.expect_word("null").map(|_| Value::Null)?,
            Some(b't') => self.expect_word("true").map(|_| Value::Bool(true))?,
            Some(b'f') => self.expect_word("false").map(|_| Value::Bool(false))?,
            Some(b'"') => Value::String(self.string()?),
            Some(b'-' | b'0'..=b'9') => Value::Number(self.number()?),
            Some(b'[') => {
                self.at += 1;
                let mut items = Vec::new();
                self.skip_space();
                if self.peek() == Some(b']') {
                    self.at += 1;
                } else {
                    loop {
                        self.skip_space();
                        items.push(self.value(depth + 1)?);
                        self.skip_space();
                        match self.peek() {
                            Some(b',') => self.at += 1,
                            Some(b']') => {
                                self.at += 1;
                                break;
                            }
                            _ => return Err(self.error("expected \",\" or \"]\"")),
                        }
                    }
                }
                Value::Array(items)
            }
            Some(b'{') => {
                self.at += 1;
                let mut members = Vec::new();
                self.skip_space();
                if self.peek() == Some(b'}') {
                    self.at += 1;
                } else {
                    loop {
                        self.skip_space();
                        if self.peek() != Some(b'"') {
                            return Err(self.error("expected a string key"));
                        }
                        let key = self.string()?;
                        self.skip_space();
                        if self.peek() != Some(b':') {
                            return Err(self.error("expected \":\""));
                        }
                        self.at += 1;
                        self.skip_space();
                        members.push((key, self.value(depth + 1)?));
                        self.skip_space();
                        match self.peek() {
                            Some(b',') => self.at += 1,
                            Some(b'}') => {
                                self.at += 1;
                                break;
                            }
                            _ => return Err(self.error("expected \",\" or \"}\"")),
                        }
                    }
                }
                Value::Object(members)
            }
            _ => return Err(self.error("invalid token")),
        };
        Ok(Doc {
            value,
            text: &self.text[start..self.at],
        })
    }

    fn number(&mut self) -> Result<&'a str, ParseError> {
        let start = self.at;
        let bytes = self.text.as_bytes();
        let digits = |p: &mut Self| {
            let from = p.at;
            while bytes.get(p.at).is_some_and(u8::is_ascii_digit) {
                p.at += 1;
            }
            p.at - from
        };
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        let whole = digits(self);
        if whole == 0 || (whole > 1 && bytes[self.at - whole] == b'0') {
            return Err(self.error("invalid number"));
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            if digits(self) == 0 {
                return Err(self.error("invalid number"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if digits(self) == 0 {
                return Err(self.error("invalid number"));
            }
        }
        Ok(&self.text[start..self.at])
    }

    fn string(&mut self) -> Result<Cow<'a, str>, ParseError> {
        self.at += 1; // the opening quote
        let start = self.at;
        let bytes = self.text.as_bytes();
        // Fast path: no escapes.
        while let Some(&b) = bytes.get(self.at) {
            match b {
                b'"' => {
                    self.at += 1;
                    return Ok(Cow::Borrowed(&self.text[start..self.at - 1]));
                }
                b'\\' => break,
                0..=0x1f => return Err(self.error("control character in a string")),
                _ => self.at += 1,
            }
        }
        let mut out = String::from(&self.text[start..self.at]);
        loop {
            let Some(c) = self.text[self.at..].chars().next() else {
                return Err(self.error("unterminated string"));
            };
            self.at += c.len_utf8();
            match c {
                '"' => return Ok(Cow::Owned(out)),
                '\\' => {
                    let Some(e) = self.peek() else {
                        return Err(self.error("unterminated string"));
                    };
                    self.at += 1;
                    match e {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => out.push(self.unicode_escape()?),
                        _ => return Err(self.error("invalid escape")),
                    }
                }
                c if (c as u32) < 0x20 => return Err(self.error("control character in a string")),
                c => out.push(c),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, ParseError> {
        let hex = self
            .text
            .get(self.at..self.at + 4)
            .ok_or_else(|| self.error("invalid \\u escape"))?;
        let code = u32::from_str_radix(hex, 16).map_err(|_| self.error("invalid \\u escape"))?;
        self.at += 4;
        Ok(code)
    }

    fn unicode_escape(&mut self) -> Result<char, ParseError> {
        let high = self.hex4()?;
        let code = if (0xd800..0xdc00).contains(&high) {
            if !self.text[self.at..].starts_with("\\u") {
                return Err(self.error("a high surrogate must be followed by a low one"));
            }
            self.at += 2;
            let low = self.hex4()?;
            if !(0xdc00..0xe000).contains(&low) {
                return Err(self.error("invalid surrogate pair"));
            }
            0x10000 + ((high - 0xd800) << 10) + (low - 0xdc00)
        } else {
            high
        };
        if code == 0 {
            return Err(ParseError(
                "unsupported Unicode escape sequence \\u0000".to_string(),
            ));
        }
        char::from_u32(code).ok_or_else(|| self.error("invalid \\u escape"))
    }
}

/// `s` as a JSON string literal, escaped as PostgreSQL escapes it.
pub fn quote(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The text of `doc` in `jsonb`'s normal form.
pub fn normal(doc: &Doc<'_>) -> String {
    let mut out = String::with_capacity(doc.text.len() + 8);
    write_normal(&doc.value, &mut out);
    out
}

/// `text` (JSON) in `jsonb`'s normal form.
pub fn normalize(text: &str) -> Result<String, ParseError> {
    parse(text).map(|d| normal(&d))
}

/// An object's members as `jsonb` keeps them: the last of each key, sorted.
pub fn jsonb_members<'d, 'a>(
    members: &'d [(Cow<'a, str>, Doc<'a>)],
) -> Vec<&'d (Cow<'a, str>, Doc<'a>)> {
    let mut kept: Vec<&(Cow<str>, Doc)> = Vec::with_capacity(members.len());
    for m in members.iter().rev() {
        if !kept.iter().any(|k| k.0 == m.0) {
            kept.push(m);
        }
    }
    kept.sort_by(|a, b| key_order(&a.0, &b.0));
    kept
}

/// `jsonb`'s order of object keys: shorter first, then bytewise.
pub fn key_order(a: &str, b: &str) -> Ordering {
    a.len()
        .cmp(&b.len())
        .then_with(|| a.as_bytes().cmp(b.as_bytes()))
}

fn write_normal(value: &Value<'_>, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&numeric_text(n)),
        Value::String(s) => quote(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_normal(&item.value, out);
            }
            out.push(']');
        }
        Value::Object(members) => {
            out.push('{');
            for (i, (key, doc)) in jsonb_members(members).into_iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                quote(key, out);
                out.push_str(": ");
                write_normal(&doc.value, out);
            }
            out.push('}');
        }
    }
}

/// A JSON number as PostgreSQL's `numeric` prints it: no exponent, the digits after the
/// point the number was written with (less its exponent), no negative zero.
pub fn numeric_text(number: &str) -> String {
    let (negative, rest) = match number.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, number),
    };
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(i) => (&rest[..i], rest[i + 1..].parse::<i64>().unwrap_or(0)),
        None => (rest, 0),
    };
    if exponent == 0 && !(negative && mantissa.bytes().all(|b| b == b'0' || b == b'.')) {
        return number.to_string();
    }
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits: String = format!("{whole}{fraction}");
    let scale = (fraction.len() as i64 - exponent).max(0);
    // The position of the point within `digits`, after the exponent moves it.
    let point = whole.len() as i64 + exponent;
    let digit_at = |i: i64| -> char {
        usize::try_from(i)
            .ok()
            .and_then(|i| digits.as_bytes().get(i))
            .map_or('0', |b| *b as char)
    };
    let mut int_part: String = (0..point.max(0)).map(digit_at).collect();
    let trimmed = int_part.trim_start_matches('0');
    int_part = if trimmed.is_empty() {
        "0".to_string()
    } else {
        trimmed.to_string()
    };
    let frac_part: String = (point..point + scale).map(digit_at).collect();
    let zero = int_part == "0" && frac_part.bytes().all(|b| b == b'0');
    let mut out = String::new();
    if negative && !zero {
        out.push('-');
    }
    out.push_str(&int_part);
    if scale > 0 {
        out.push('.');
        out.push_str(&frac_part);
    }
    out
}

/// Two JSON numbers' order by value (not by text: `1.0` equals `1`).
fn number_cmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (comparable(a), comparable(b));
    match (a.0, b.0) {
        (false, true) => Ordering::Greater,
        (true, false) => Ordering::Less,
        (negative, _) => {
            let order =
                a.1.len()
                    .cmp(&b.1.len())
                    .then_with(|| a.1.cmp(&b.1))
                    .then_with(|| a.2.cmp(&b.2));
            if negative { order.reverse() } else { order }
        }
    }
}

/// (negative, integer digits without leading zeros, fraction without trailing zeros).
fn comparable(n: &str) -> (bool, String, String) {
    let text = numeric_text(n);
    let (negative, rest) = match text.strip_prefix('-') {
        Some(r) => (true, r.to_string()),
        None => (false, text),
    };
    let (whole, fraction) = rest.split_once('.').unwrap_or((&rest, ""));
    let whole = whole.trim_start_matches('0').to_string();
    let fraction = fraction.trim_end_matches('0').to_string();
    (negative, whole, fraction)
}

/// Whether two scalars are equal as `jsonb` compares them.
fn scalar_eq(a: &Value<'_>, b: &Value<'_>) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => number_cmp(x, y) == Ordering::Equal,
        (Value::String(x), Value::String(y)) => x == y,
        _ => false,
    }
}

fn is_scalar(v: &Value<'_>) -> bool {
    !matches!(v, Value::Array(_) | Value::Object(_))
}

/// `a @> b`: whether `a` contains `b`, as `jsonb` defines containment.
pub fn contains(a: &Value<'_>, b: &Value<'_>) -> bool {
    match (a, b) {
        (Value::Object(_), Value::Object(right)) => right.iter().all(|(key, want)| {
            a.member(key)
                .is_some_and(|have| within(&have.value, &want.value))
        }),
        (Value::Array(left), Value::Array(right)) => right
            .iter()
            .all(|want| left.iter().any(|have| within(&have.value, &want.value))),
        // A top-level array contains a scalar it holds.
        (Value::Array(left), b) if is_scalar(b) => {
            left.iter().any(|have| scalar_eq(&have.value, b))
        }
        (a, b) if is_scalar(a) && is_scalar(b) => scalar_eq(a, b),
        _ => false,
    }
}

/// Whether `have`, a member or element, matches `want` at the same place: an equal
/// scalar, or a container of the same kind that contains it.
fn within(have: &Value<'_>, want: &Value<'_>) -> bool {
    if is_scalar(want) {
        scalar_eq(have, want)
    } else {
        std::mem::discriminant(have) == std::mem::discriminant(want) && contains(have, want)
    }
}

/// `a ? key`: an object with the key, an array holding the string, or that string.
pub fn has_key(a: &Value<'_>, key: &str) -> bool {
    match a {
        Value::Object(_) => a.member(key).is_some(),
        Value::Array(items) => items
            .iter()
            .any(|i| matches!(&i.value, Value::String(s) if s == key)),
        Value::String(s) => s == key,
        _ => false,
    }
}

/// The text `->>` returns for a value: a string's content, `NULL` for JSON null, the JSON
/// text of anything else.
pub fn as_text(doc: &Doc<'_>) -> Option<String> {
    match &doc.value {
        Value::Null => None,
        Value::String(s) => Some(s.to_string()),
        _ => Some(doc.text.to_string()),
    }
}

/// A PostgreSQL array literal of text (`{a,2,"b c"}`) as its elements (`NULL` elements
/// as `None`).
pub fn text_array_literal(text: &str) -> Option<Vec<Option<String>>> {
    crate::pgcatalog::array_literals::parse_array_literal(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quoted(s: &str) -> String {
        let mut out = String::new();
        quote(s, &mut out);
        out
    }

    #[test]
    fn jsonb_normal_form_sorts_keys_by_length_and_keeps_the_last_duplicate() {
        let text = r#"{"recommend":false,"q2":"agree","q1":5,"q1":4,"a":[1,{"b":null}]}"#;
        assert_eq!(
            normalize(text).expect("valid"),
            r#"{"a": [1, {"b": null}], "q1": 4, "q2": "agree", "recommend": false}"#
        );
    }

    #[test]
    fn numbers_print_as_numeric_does() {
        for (input, want) in [
            ("1", "1"),
            ("12.50", "12.50"),
            ("1e2", "100"),
            ("1.5e1", "15"),
            ("1.50e1", "15.0"),
            ("1E-3", "0.001"),
            ("-0", "0"),
            ("-0.0", "0.0"),
            ("-2.5e-1", "-0.25"),
            ("0.05e2", "5"),
        ] {
            assert_eq!(numeric_text(input), want, "{input}");
        }
    }

    #[test]
    fn members_keep_their_own_text_and_strings_decode() {
        let doc = parse(r#" {"a":  [1,  2] , "s": "x\"\u00e9\n"} "#).expect("valid");
        assert_eq!(doc.value.member("a").expect("a").text, "[1,  2]");
        let s = doc.value.member("s").expect("s");
        assert_eq!(as_text(s).as_deref(), Some("x\"é\n"));
        assert_eq!(quoted("x\"é\n\u{1}"), r#""x\"é\n\u0001""#);
        assert_eq!(
            doc.value
                .member("a")
                .expect("a")
                .value
                .element(-1)
                .expect("last")
                .text,
            "2"
        );
    }

    #[test]
    fn malformed_text_is_refused() {
        for bad in [
            "",
            "{",
            "[1,]",
            "{\"a\" 1}",
            "01",
            "1.",
            "tru",
            "\"a",
            "[1] x",
            "\"\\u0000\"",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn containment_and_keys_follow_jsonb() {
        let c =
            |a: &str, b: &str| contains(&parse(a).expect("a").value, &parse(b).expect("b").value);
        assert!(c(r#"{"a":1,"b":{"c":[1,2]}}"#, r#"{"b":{"c":[2]}}"#));
        assert!(c("[1,2,3]", "[3,1]"));
        assert!(c("[1,2,3]", "2"));
        assert!(c(r#"{"a":1.0}"#, r#"{"a":1}"#));
        assert!(c(r#"{"a":1}"#, "{}"));
        assert!(!c(r#"{"a":1}"#, r#"{"a":2}"#));
        assert!(!c("[[1,2]]", "[1]"));
        assert!(!c(r#"{"a":[1]}"#, r#"{"a":1}"#));
        let doc = parse(r#"{"a":1,"l":["x"]}"#).expect("valid");
        assert!(has_key(&doc.value, "a"));
        assert!(!has_key(&doc.value, "x"));
        assert!(has_key(&doc.value.member("l").expect("l").value, "x"));
    }

    #[test]
    fn text_array_literals_split_into_path_elements() {
        assert_eq!(
            text_array_literal(r#"{a, 2,"b c",NULL}"#),
            Some(vec![
                Some("a".into()),
                Some("2".into()),
                Some("b c".into()),
                None
            ])
        );
        assert_eq!(text_array_literal("{}"), Some(vec![]));
        assert_eq!(text_array_literal("a,b"), None);
    }
}
