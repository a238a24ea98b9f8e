//! Casts with a type modifier, which DataFusion 55 plans as the bare type: `varchar(n)`
//! cut to `n` characters (`'Mathematics'::varchar(4)` is `Math`), `char(n)` cut and, on
//! output, padded to `n` (trailing blanks are not part of its value: `length`, `||` and
//! comparisons ignore them, as PostgreSQL's do), both reported as `varchar` / `bpchar`;
//! and `numeric(p, s)`, shown at `s` digits even for a value of fewer (`2::numeric(5,3)`
//! is `2.000`), where a cast DataFusion inserts itself keeps the value's own digits.
//! Before planning each becomes a call of a function that does so.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::sync::Arc;

use arrow::array::StringArray;
use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{ScalarValue, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};
use datafusion::prelude::SessionContext;
use datafusion::sql::parser::Statement as DFStatement;
use datafusion::sql::sqlparser::ast::{
    CharacterLength, DataType as SqlType, ExactNumberInfo, Expr, Query, Value, VisitorMut,
};

use super::ast::{self, call};
use crate::pgcatalog::result_types::RESULT_TYPE_KEY;
use crate::sqlfn::{shape, text_arg};

type Result<T> = datafusion::error::Result<T>;

/// Field metadata: the length a `char(n)` value is padded to when shown.
pub const BPCHAR_LENGTH_KEY: &str = "lyceum.bpchar_length";

/// The marker of an explicit `numeric(p, s)` cast (its value unchanged).
pub const NUMERIC_TYPMOD: &str = "lyceum_numeric_typmod";

pub fn register(ctx: &SessionContext) {
    ctx.register_udf(ScalarUDF::new_from_impl(Characters {
        kind: Kind::Varchar,
        signature: Signature::any(2, Volatility::Immutable),
    }));
    ctx.register_udf(ScalarUDF::new_from_impl(Characters {
        kind: Kind::Bpchar,
        signature: Signature::any(2, Volatility::Immutable),
    }));
    ctx.register_udf(ScalarUDF::new_from_impl(Typmod {
        signature: Signature::any(1, Volatility::Immutable),
    }));
}

pub fn resolve(statement: DFStatement) -> DFStatement {
    ast::visited(statement, &mut Typmods)
}

struct Typmods;

impl VisitorMut for Typmods {
    type Break = ();

    // An unnamed item keeps the name PostgreSQL gives the cast.
    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        ast::name_query_items(query, &|e| {
            rewritten(e).and_then(|_| crate::pgcatalog::rewrite::postgres_name(e))
        });
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        if let Some(r) = rewritten(expr) {
            *expr = r;
        }
        ControlFlow::Continue(())
    }
}

fn length(l: &Option<CharacterLength>) -> Option<u64> {
    match l {
        Some(CharacterLength::IntegerLength { length, .. }) => Some(*length),
        _ => None,
    }
}

fn number(n: Option<u64>) -> Expr {
    match n {
        Some(n) => Expr::Value(Value::Number(n.to_string(), false).into()),
        None => Expr::Value(Value::Null.into()),
    }
}

fn rewritten(e: &Expr) -> Option<Expr> {
    let Expr::Cast {
        expr, data_type, ..
    } = e
    else {
        return None;
    };
    let inner = expr.as_ref().clone();
    match data_type {
        SqlType::Varchar(l) | SqlType::CharacterVarying(l) => {
            Some(call("lyceum_varchar", vec![inner, number(length(l))]))
        }
        // `char` alone is `char(1)`.
        SqlType::Char(l) | SqlType::Character(l) => Some(call(
            "lyceum_bpchar",
            vec![inner, number(Some(length(l).unwrap_or(1)))],
        )),
        SqlType::Numeric(
            ExactNumberInfo::PrecisionAndScale(..) | ExactNumberInfo::Precision(_),
        )
        | SqlType::Decimal(
            ExactNumberInfo::PrecisionAndScale(..) | ExactNumberInfo::Precision(_),
        ) => Some(call(NUMERIC_TYPMOD, vec![e.clone()])),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Varchar,
    Bpchar,
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Characters {
    kind: Kind,
    signature: Signature,
}

fn constant_length(args: &ReturnFieldArgs) -> Option<usize> {
    match args.scalar_arguments.get(1) {
        Some(Some(v)) => match v.cast_to(&DataType::Int64).ok()? {
            ScalarValue::Int64(Some(n)) => usize::try_from(n).ok(),
            _ => None,
        },
        _ => None,
    }
}

impl ScalarUDFImpl for Characters {
    fn name(&self) -> &str {
        match self.kind {
            Kind::Varchar => "lyceum_varchar",
            Kind::Bpchar => "lyceum_bpchar",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let mut metadata = HashMap::new();
        let oid = match self.kind {
            Kind::Varchar => crate::pgcatalog::oids::VARCHAR_TYPE,
            Kind::Bpchar => 1042,
        };
        metadata.insert(RESULT_TYPE_KEY.to_string(), oid.to_string());
        if self.kind == Kind::Bpchar
            && let Some(n) = constant_length(&args)
        {
            metadata.insert(BPCHAR_LENGTH_KEY.to_string(), n.to_string());
        }
        Ok(Arc::new(
            Field::new(self.name(), DataType::Utf8, true).with_metadata(metadata),
        ))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let texts = text_arg(&args, 0)?;
        let lengths = crate::sqlfn::int_arg(&args, 1)?;
        let out: StringArray = texts
            .into_iter()
            .zip(lengths)
            .map(|(t, n)| {
                let mut t = t?;
                if self.kind == Kind::Bpchar {
                    t.truncate(t.trim_end_matches(' ').len());
                }
                if let Some(n) = n.and_then(|n| usize::try_from(n).ok())
                    && let Some((cut, _)) = t.char_indices().nth(n)
                {
                    t.truncate(cut);
                    if self.kind == Kind::Bpchar {
                        t.truncate(t.trim_end_matches(' ').len());
                    }
                }
                Some(t)
            })
            .collect();
        shape(&args, Arc::new(out))
    }
}

/// `numeric(p, s)` cast: the value as cast, marked for the display-scale rules.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Typmod {
    signature: Signature,
}

impl ScalarUDFImpl for Typmod {
    fn name(&self) -> &str {
        NUMERIC_TYPMOD
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        match args {
            [t] => Ok(t.clone()),
            _ => exec_err!("{NUMERIC_TYPMOD} takes one argument"),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        match args.args.into_iter().next() {
            Some(v) => Ok(v),
            None => exec_err!("{NUMERIC_TYPMOD} takes one argument"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::sql::parser::DFParser;

    #[test]
    fn casts_with_modifiers_become_calls_under_their_names() {
        let mut statements = DFParser::parse_sql(
            "SELECT a::varchar(10), CAST(b AS char(3)), c::char, d::numeric(5,3), e::numeric, f::text FROM t",
        )
        .expect("the test's SQL parses");
        let out = resolve(statements.pop_front().expect("one statement")).to_string();
        for want in [
            r#"lyceum_varchar(a, 10) AS "a""#,
            r#"lyceum_bpchar(b, 3) AS "b""#,
            "lyceum_bpchar(c, 1)",
            "lyceum_numeric_typmod(d::NUMERIC(5,3))",
            "e::NUMERIC",
            "f::TEXT",
        ] {
            assert!(out.contains(want), "{want} not in {out}");
        }
    }
}
