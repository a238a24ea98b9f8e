//! Rows into a table's columns, as PostgreSQL assigns them: each value cast to its
//! column's type, columns left out get NULL, NOT NULL is checked. A conversion whose
//! result could differ from PostgreSQL's (numeric or float to integer, which PostgreSQL
//! rounds and Arrow truncates; float or timestamp to text, which print differently) is
//! refused before anything is written.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, FieldRef, TimeUnit};
use datafusion::common::{Column, DFSchema};
use datafusion::logical_expr::{
    ColumnarValue, Expr, LogicalPlan, LogicalPlanBuilder, ReturnFieldArgs, ScalarFunctionArgs,
    ScalarUDF, ScalarUDFImpl, Signature, Volatility, cast, lit,
};
use datafusion::scalar::ScalarValue;
use lyceum_catalog::{ColumnType, TableDef};

use super::ColumnSpec;
use crate::error::{EngineError, Result};
use crate::warehouse::arrow_type;

/// A plan giving `target`'s columns, in order, from `source`'s columns assigned to
/// `columns` (all of the table's, in order, when empty).
pub(crate) fn assignment_plan(
    source: LogicalPlan,
    target: &TableDef,
    columns: &[String],
) -> Result<LogicalPlan> {
    let names = target_columns(target, columns)?;
    let width = source.schema().fields().len();
    if width > names.len() {
        return Err(EngineError::Syntax(
            "INSERT has more expressions than target columns".into(),
        ));
    }
    if !columns.is_empty() && width < names.len() {
        return Err(EngineError::Syntax(
            "INSERT has more target columns than expressions".into(),
        ));
    }
    let schema: DFSchema = source.schema().as_ref().clone();
    let mut exprs = Vec::with_capacity(target.columns.len());
    for column in &target.columns {
        let wanted = arrow_type(column.ty);
        let value = match names.iter().position(|n| *n == column.name) {
            Some(i) if i < width => {
                let (qualifier, field) = schema.qualified_field(i);
                check_assignment(field.data_type(), column.ty, &column.name)?;
                let expr = Expr::Column(Column::new(qualifier.cloned(), field.name()));
                if field.data_type() == &wanted {
                    expr
                } else {
                    cast(expr, wanted.clone())
                }
            }
            _ => cast(lit(ScalarValue::Null), wanted.clone()),
        };
        let value = if column.nullable {
            value
        } else {
            not_null(value, &target.name, &column.name)
        };
        exprs.push(value.alias(&column.name));
    }
    Ok(LogicalPlanBuilder::from(source).project(exprs)?.build()?)
}

/// The columns an INSERT or COPY column list names (all of the table's, in order, when
/// empty): 42703 for one the table lacks, 42701 for one named twice.
pub(crate) fn target_columns(target: &TableDef, columns: &[String]) -> Result<Vec<String>> {
    let names: Vec<String> = if columns.is_empty() {
        target.columns.iter().map(|c| c.name.clone()).collect()
    } else {
        columns.to_vec()
    };
    for (i, name) in names.iter().enumerate() {
        if target.column(name).is_none() {
            return Err(EngineError::UndefinedColumn {
                column: name.clone(),
                table: target.name.clone(),
            });
        }
        if names[..i].contains(name) {
            return Err(EngineError::DuplicateColumn {
                column: name.clone(),
            });
        }
    }
    Ok(names)
}

/// Refuses a conversion whose result could differ from PostgreSQL's assignment cast.
fn check_assignment(from: &DataType, to: ColumnType, column: &str) -> Result<()> {
    use DataType as D;
    let integer = matches!(
        to,
        ColumnType::SmallInt | ColumnType::Integer | ColumnType::BigInt
    );
    let refused = match from {
        D::Decimal128(_, s) | D::Decimal256(_, s) if integer && *s > 0 => true,
        D::Float16 | D::Float32 | D::Float64 if integer => true,
        D::Float16
        | D::Float32
        | D::Float64
        | D::Timestamp(_, _)
        | D::Interval(_)
        | D::Time64(_)
        | D::Time32(_)
            if to == ColumnType::Varchar =>
        {
            true
        }
        D::Date32 | D::Date64 if to == ColumnType::Timestamp => true,
        D::Timestamp(_, None) if to == ColumnType::Timestamp => true,
        _ => false,
    };
    if refused {
        return Err(EngineError::Unsupported {
            what: format!(
                "assigning a {from} value to column \"{column}\" of type {} (cast it explicitly; \
                 Lyceum would not convert it exactly as an assignment cast must)",
                to.sql_name().to_lowercase()
            ),
        });
    }
    Ok(())
}

/// The stored type of a query's output column, for `CREATE TABLE AS`.
pub(crate) fn column_of(field: &Field, name: &str) -> Result<ColumnSpec> {
    use DataType as D;
    let ty = match field.data_type() {
        D::Int16 => ColumnType::SmallInt,
        D::Int32 => ColumnType::Integer,
        D::Int64 => ColumnType::BigInt,
        D::Decimal128(p, s) if *s >= 0 => ColumnType::Decimal {
            precision: *p,
            scale: *s,
        },
        D::Float64 => ColumnType::Double,
        D::Boolean => ColumnType::Boolean,
        D::Utf8 | D::LargeUtf8 | D::Utf8View | D::Null => ColumnType::Varchar,
        D::Date32 => ColumnType::Date,
        D::Timestamp(TimeUnit::Microsecond | TimeUnit::Millisecond | TimeUnit::Second, Some(_)) => {
            ColumnType::Timestamp
        }
        other => {
            return Err(EngineError::Unsupported {
                what: format!(
                    "a column of type {other} in CREATE TABLE AS (column \"{name}\"; cast it to a type a sandbox table can hold)"
                ),
            });
        }
    };
    Ok(ColumnSpec {
        name: name.to_string(),
        ty,
        nullable: true,
    })
}

fn not_null(value: Expr, table: &str, column: &str) -> Expr {
    ScalarUDF::new_from_impl(NotNull {
        table: table.to_string(),
        column: column.to_string(),
        signature: Signature::any(1, Volatility::Immutable),
    })
    .call(vec![value])
}

/// Passes a column through, failing with 23502 on a NULL.
#[derive(Debug, PartialEq, Eq, Hash)]
struct NotNull {
    table: String,
    column: String,
    signature: Signature,
}

impl ScalarUDFImpl for NotNull {
    fn name(&self) -> &str {
        "lyceum_not_null"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> datafusion::error::Result<DataType> {
        Ok(arg_types.first().cloned().unwrap_or(DataType::Null))
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> datafusion::error::Result<FieldRef> {
        let ty = args
            .arg_fields
            .first()
            .map(|f| f.data_type().clone())
            .unwrap_or(DataType::Null);
        Ok(Arc::new(Field::new(&self.column, ty, false)))
    }

    fn invoke_with_args(
        &self,
        args: ScalarFunctionArgs,
    ) -> datafusion::error::Result<ColumnarValue> {
        let Some(value) = args.args.into_iter().next() else {
            return Err(datafusion::error::DataFusionError::Internal(
                "lyceum_not_null takes one argument".into(),
            ));
        };
        let has_null = match &value {
            ColumnarValue::Array(a) => a.null_count() > 0,
            ColumnarValue::Scalar(s) => s.is_null(),
        };
        if has_null {
            return Err(datafusion::error::DataFusionError::External(Box::new(
                EngineError::NotNullViolation {
                    column: self.column.clone(),
                    table: self.table.clone(),
                },
            )));
        }
        Ok(value)
    }
}
