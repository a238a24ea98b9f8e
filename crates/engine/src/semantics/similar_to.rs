//! `SIMILAR TO` with SQL's meaning. DataFusion 55 matches the pattern as a regular
//! expression, unanchored and with `%` and `_` as plain characters, so
//! `'Intro Lab' SIMILAR TO '%Lab'` was false. The rule translates the pattern as
//! PostgreSQL's `similar_to_escape` does (`%` → `.*`, `_` → `.`, the escape character,
//! bracket expressions kept, `.`, `^`, `$` and `\` literal, the whole match anchored)
//! and matches the translation with `~`. A pattern known when the query is planned is
//! translated then; one computed per row goes through `lyceum_similar_to_regex`.

use std::sync::Arc;

use arrow::array::{Array, AsArray, StringBuilder};
use arrow::datatypes::DataType;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::config::ConfigOptions;
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::{
    BinaryExpr, ColumnarValue, Expr, Like, LogicalPlan, Operator, ScalarFunctionArgs, ScalarUDF,
    ScalarUDFImpl, Signature, Volatility,
};
use datafusion::optimizer::AnalyzerRule;
use datafusion::optimizer::analyzer::type_coercion::TypeCoercion;

/// The analyzer rule that matches `SIMILAR TO` as SQL defines it.
#[derive(Debug, Default)]
pub struct SimilarTo;

impl AnalyzerRule for SimilarTo {
    fn name(&self) -> &str {
        "lyceum_similar_to"
    }

    fn analyze(&self, plan: LogicalPlan, config: &ConfigOptions) -> Result<LogicalPlan> {
        let matched = plan.transform_up_with_subqueries(|node| {
            node.map_expressions(|e| {
                e.transform_up(|e| match e {
                    Expr::SimilarTo(like) => regex_match(like).map(Transformed::yes),
                    other => Ok(Transformed::no(other)),
                })
            })
        })?;
        if !matched.transformed {
            return Ok(matched.data);
        }
        // The match compares the text's string type with the pattern's: coerce them.
        TypeCoercion::new().analyze(matched.data, config)
    }
}

fn regex_match(like: Like) -> Result<Expr> {
    let Like {
        negated,
        expr,
        pattern,
        escape_char,
        case_insensitive,
    } = like;
    let escape = escape_char.unwrap_or('\\');
    let literal = match pattern.as_ref() {
        Expr::Cast(cast) => cast.expr.as_ref(),
        other => other,
    };
    let regex = match literal {
        Expr::Literal(
            ScalarValue::Utf8(Some(p))
            | ScalarValue::Utf8View(Some(p))
            | ScalarValue::LargeUtf8(Some(p)),
            _,
        ) => Expr::Literal(ScalarValue::Utf8(Some(translate(p, escape))), None),
        _ => Expr::ScalarFunction(ScalarFunction::new_udf(
            Arc::new(udf()),
            vec![
                *pattern,
                Expr::Literal(ScalarValue::Utf8(Some(escape.to_string())), None),
            ],
        )),
    };
    let op = match (negated, case_insensitive) {
        (false, false) => Operator::RegexMatch,
        (true, false) => Operator::RegexNotMatch,
        (false, true) => Operator::RegexIMatch,
        (true, true) => Operator::RegexNotIMatch,
    };
    Ok(Expr::BinaryExpr(BinaryExpr::new(expr, op, Box::new(regex))))
}

/// The regular expression (Rust `regex` syntax) that matches what `pattern` matches
/// under `SIMILAR TO` with escape character `escape`.
pub fn translate(pattern: &str, escape: char) -> String {
    let mut out = String::from("^(?s:");
    let mut chars = pattern.chars().peekable();
    let mut in_brackets = false;
    while let Some(c) = chars.next() {
        if c == escape {
            match chars.next() {
                Some(next) => out.push_str(&regex_literal(next)),
                None => out.push_str(&regex_literal(c)),
            }
            continue;
        }
        if in_brackets {
            if c == ']' {
                in_brackets = false;
            }
            if c == '\\' {
                out.push_str("\\\\");
            } else {
                out.push(c);
            }
            continue;
        }
        match c {
            '%' => out.push_str(".*"),
            '_' => out.push('.'),
            '[' => {
                in_brackets = true;
                out.push('[');
                // A leading `^` negates and a leading `]` is literal, as in PostgreSQL.
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    out.push_str("\\]");
                    chars.next();
                }
            }
            '|' | '*' | '+' | '?' | '{' | '}' | '(' | ')' => out.push(c),
            other => out.push_str(&regex_literal(other)),
        }
    }
    out.push_str(")$");
    out
}

/// `c` as a regular expression matching just `c`.
fn regex_literal(c: char) -> String {
    if "\\.+*?()|[]{}^$#&-~".contains(c) {
        format!("\\{c}")
    } else {
        c.to_string()
    }
}

/// `lyceum_similar_to_regex(pattern, escape)`: [`translate`] for a pattern computed per
/// row.
#[derive(Debug, PartialEq, Eq, Hash)]
struct SimilarToRegex {
    signature: Signature,
}

fn udf() -> ScalarUDF {
    ScalarUDF::new_from_impl(SimilarToRegex {
        signature: Signature::string(2, Volatility::Immutable),
    })
}

impl ScalarUDFImpl for SimilarToRegex {
    fn name(&self) -> &str {
        "lyceum_similar_to_regex"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let [pattern, escape] = args.args.as_slice() else {
            return exec_err!("lyceum_similar_to_regex takes a pattern and an escape");
        };
        let patterns = arrow::compute::cast(&pattern.to_array(rows)?, &DataType::Utf8)?;
        let escapes = arrow::compute::cast(&escape.to_array(rows)?, &DataType::Utf8)?;
        let (patterns, escapes) = (patterns.as_string::<i32>(), escapes.as_string::<i32>());
        let mut out = StringBuilder::with_capacity(rows, rows * 16);
        for i in 0..patterns.len() {
            if patterns.is_null(i) {
                out.append_null();
                continue;
            }
            let escape = if escapes.is_null(i) {
                '\\'
            } else {
                escapes.value(i).chars().next().unwrap_or('\\')
            };
            out.append_value(translate(patterns.value(i), escape));
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

#[cfg(test)]
mod tests {
    use super::translate;

    fn similar(text: &str, pattern: &str) -> bool {
        regex::Regex::new(&translate(pattern, '\\'))
            .expect("a regex")
            .is_match(text)
    }

    /// Each expectation is PostgreSQL 15's answer.
    #[test]
    fn patterns_match_as_in_postgresql() {
        assert!(similar("Intro Lab", "%Lab"));
        assert!(similar("Intro Lab", "Intro (Lab|Seminar)"));
        assert!(similar("MATH-1110", "[A-Z]+-[0-9]{4}"));
        assert!(!similar("MATH-11100", "[A-Z]+-[0-9]{4}"));
        assert!(!similar("Lab", "_Lab"));
        assert!(similar("xLab", "_Lab"));
        assert!(!similar("a.c", "abc") && !similar("abc", "a.c") && similar("a.c", "a.c"));
        assert!(similar("100%", "100\\%"));
        assert!(!similar("1000", "100\\%"));
        assert!(similar("a$b^", "a$b^"));
        assert!(similar("line\nbreak", "line%"));
        assert!(similar("Advanced Seminar in X", "%(Seminar|Studio)%"));
    }
}
