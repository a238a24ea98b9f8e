//! SQL functions that BI tools' catalog queries call and DataFusion lacks:
//! `information_schema._pg_expandarray`, `format`,
//! `generate_subscripts` and `LIKE ... ESCAPE` (both reached through rewrite rules).

use std::sync::Arc;

use arrow::array::StringArray;
use arrow::datatypes::DataType;
use datafusion::logical_expr::{ColumnarValue, Signature, Volatility};
use datafusion::prelude::SessionContext;

use super::super::{relations, rewrite};
use crate::sqlfn::{int_arg, shape, text_arg, udf};

pub(super) fn register(ctx: &SessionContext) {
    ctx.register_udf(udf(
        "lyceum_like_escape",
        &[],
        Signature::any(2, Volatility::Immutable),
        DataType::Utf8,
        |args| {
            let out: StringArray = text_arg(args, 0)?
                .into_iter()
                .zip(text_arg(args, 1)?)
                .map(|(pattern, escape)| {
                    let pattern = pattern?;
                    Some(match escape.as_deref().and_then(|e| e.chars().next()) {
                        Some(c) => rewrite::backslash_escaped(&pattern, c),
                        None => pattern,
                    })
                })
                .collect();
            shape(args, Arc::new(out))
        },
    ));
    ctx.register_udf(udf(
        "lyceum_subscripts",
        &[],
        Signature::any(2, Volatility::Immutable),
        DataType::List(Arc::new(arrow::datatypes::Field::new_list_field(
            DataType::Int32,
            true,
        ))),
        // generate_subscripts(array, 1): the subscripts 1..n of a one-dimensional array.
        |args| {
            use arrow::array::{Array, AsArray, Int32Builder, ListBuilder};
            let array = match args.args.first() {
                Some(v) => v.to_array(args.number_rows)?,
                None => return datafusion::common::exec_err!("generate_subscripts needs an array"),
            };
            let dims = int_arg(args, 1)?;
            let Some(list) = array.as_list_opt::<i32>() else {
                return datafusion::common::exec_err!("generate_subscripts needs an array");
            };
            let mut out = ListBuilder::new(Int32Builder::new());
            for (row, dim) in dims.iter().enumerate() {
                if list.is_null(row) || *dim != Some(1) {
                    out.append(false);
                    continue;
                }
                let n = list.value_length(row);
                for i in 1..=n {
                    out.values().append_value(i);
                }
                out.append(true);
            }
            shape(args, Arc::new(out.finish()))
        },
    ));
    ctx.register_udf(expandarray());
    ctx.register_udf(format_function());
}

/// `information_schema._pg_expandarray(array)`: PostgreSQL's set of `(x, n)` rows, one per
/// element with its 1-based position, as a list of structs (the select list unnests it).
fn expandarray() -> datafusion::logical_expr::ScalarUDF {
    use arrow::array::{Array, ArrayRef, AsArray, Int32Array, ListArray, StructArray};
    use arrow::buffer::OffsetBuffer;
    use arrow::datatypes::{Field, Fields};
    use datafusion::common::exec_err;
    #[derive(Debug, PartialEq, Eq, Hash)]
    struct ExpandArray {
        signature: Signature,
    }
    fn struct_fields(element: &DataType) -> Fields {
        Fields::from(vec![
            Field::new("x", element.clone(), true),
            Field::new("n", DataType::Int32, false),
        ])
    }
    impl datafusion::logical_expr::ScalarUDFImpl for ExpandArray {
        fn name(&self) -> &str {
            "lyceum_expandarray"
        }
        fn signature(&self) -> &Signature {
            &self.signature
        }
        fn return_type(&self, args: &[DataType]) -> datafusion::error::Result<DataType> {
            match args.first() {
                Some(DataType::List(f)) => Ok(DataType::List(Arc::new(Field::new_list_field(
                    DataType::Struct(struct_fields(f.data_type())),
                    true,
                )))),
                other => exec_err!("_pg_expandarray needs an array, not {other:?}"),
            }
        }
        fn invoke_with_args(
            &self,
            args: datafusion::logical_expr::ScalarFunctionArgs,
        ) -> datafusion::error::Result<ColumnarValue> {
            let Some(arg) = args.args.first() else {
                return exec_err!("_pg_expandarray needs an array");
            };
            let array = arg.to_array(args.number_rows)?;
            let Some(list) = array.as_list_opt::<i32>() else {
                return exec_err!("_pg_expandarray needs an array");
            };
            let offsets = list.offsets();
            let mut positions = Vec::with_capacity(list.values().len());
            for w in offsets.windows(2) {
                positions.extend(1..=(w[1] - w[0]));
            }
            let element = list.values().data_type().clone();
            let start = offsets.first().copied().unwrap_or(0) as usize;
            let end = offsets.last().copied().unwrap_or(0) as usize;
            let values = list.values().slice(start, end - start);
            let shifted: Vec<i32> = offsets.iter().map(|o| o - offsets[0]).collect();
            let structs = StructArray::try_new(
                struct_fields(&element),
                vec![values, Arc::new(Int32Array::from(positions)) as ArrayRef],
                None,
            )?;
            let out = ListArray::try_new(
                Arc::new(Field::new_list_field(
                    DataType::Struct(struct_fields(&element)),
                    true,
                )),
                OffsetBuffer::new(shifted.into()),
                Arc::new(structs),
                list.nulls().cloned(),
            )?;
            Ok(match arg {
                ColumnarValue::Scalar(_) => {
                    ColumnarValue::Scalar(datafusion::scalar::ScalarValue::try_from_array(&out, 0)?)
                }
                ColumnarValue::Array(_) => ColumnarValue::Array(Arc::new(out)),
            })
        }
    }
    datafusion::logical_expr::ScalarUDF::new_from_impl(ExpandArray {
        signature: Signature::any(1, Volatility::Immutable),
    })
}

/// PostgreSQL's `format(fmt, args...)`: `%s` (text), `%I` (identifier, quoted when it
/// must be), `%L` (literal, quoted; NULL unquoted), `%%`.
fn format_function() -> datafusion::logical_expr::ScalarUDF {
    udf(
        "format",
        &[],
        Signature::variadic_any(Volatility::Stable),
        DataType::Utf8,
        |args| {
            let formats = text_arg(args, 0)?;
            let values: Vec<Vec<Option<String>>> = (1..args.args.len())
                .map(|i| text_arg(args, i))
                .collect::<datafusion::error::Result<_>>()?;
            let mut out = Vec::with_capacity(formats.len());
            for (row, fmt) in formats.iter().enumerate() {
                let Some(fmt) = fmt else {
                    out.push(None);
                    continue;
                };
                let mut text = String::new();
                let mut next = 0;
                let mut chars = fmt.chars();
                while let Some(c) = chars.next() {
                    if c != '%' {
                        text.push(c);
                        continue;
                    }
                    let spec = chars.next();
                    if spec == Some('%') {
                        text.push('%');
                        continue;
                    }
                    let value = values.get(next).and_then(|v| v[row].clone());
                    next += 1;
                    match spec {
                        Some('s') => text.push_str(value.as_deref().unwrap_or("")),
                        Some('I') => match value {
                            Some(v) => text.push_str(&relations::quote_ident(&v)),
                            None => {
                                return datafusion::common::exec_err!(
                                    "null values cannot be formatted as an SQL identifier"
                                );
                            }
                        },
                        Some('L') => match value {
                            Some(v) => text.push_str(&format!("'{}'", v.replace('\'', "''"))),
                            None => text.push_str("NULL"),
                        },
                        other => {
                            return datafusion::common::exec_err!(
                                "unrecognized format() type specifier {other:?}"
                            );
                        }
                    }
                }
                out.push(Some(text));
            }
            shape(args, Arc::new(StringArray::from(out)))
        },
    )
}
