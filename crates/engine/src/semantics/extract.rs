//! `EXTRACT(field FROM x)` as PostgreSQL 14+ answers it: a `numeric`, exact, at the scale
//! the field has (`second` and a timestamp's `epoch` to the microsecond, 6 digits;
//! `milliseconds` 3; the rest whole numbers), where DataFusion 55 answers `int4` or
//! `float8`. And `date_part(text, x)`, which PostgreSQL keeps as `float8`. Both are
//! rewritten before planning: `EXTRACT` to `lyceum_extract('field', x)`, `date_part` to a
//! cast of DataFusion's. Unnamed select items keep PostgreSQL's names (`extract`,
//! `date_part`).

use std::ops::ControlFlow;
use std::sync::Arc;

use arrow::array::{Array, AsArray, Decimal128Array};
use arrow::datatypes::{
    DataType, Field, FieldRef, IntervalMonthDayNanoType, IntervalUnit, TimeUnit,
    TimestampMicrosecondType,
};
use chrono::{DateTime, Datelike, NaiveDateTime, Timelike};
use datafusion::common::{DataFusionError, ScalarValue, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};
use datafusion::prelude::SessionContext;
use datafusion::sql::parser::Statement as DFStatement;
use datafusion::sql::sqlparser::ast::{
    CastKind, DataType as SqlType, Expr, Function, ObjectNamePart, Query, Value, VisitorMut,
};

use super::ast::{self, call};
use crate::error::EngineError;
use crate::sqlfn::shape;

type Result<T> = datafusion::error::Result<T>;

const FUNCTION: &str = "lyceum_extract";

pub fn register(ctx: &SessionContext) {
    ctx.register_udf(ScalarUDF::new_from_impl(Extract {
        signature: Signature::any(2, Volatility::Immutable),
    }));
}

pub fn resolve(statement: DFStatement) -> DFStatement {
    ast::visited(statement, &mut ExtractSyntax)
}

struct ExtractSyntax;

impl VisitorMut for ExtractSyntax {
    type Break = ();

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        ast::name_query_items(query, &|e| pg_name(e).map(str::to_string));
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        match expr {
            Expr::Extract { field, expr: x, .. } => {
                let field =
                    Expr::Value(Value::SingleQuotedString(field.to_string().to_lowercase()).into());
                *expr = call(FUNCTION, vec![field, x.as_ref().clone()]);
            }
            Expr::Function(f) if is_date_part(f) => {
                *expr = Expr::Cast {
                    kind: CastKind::Cast,
                    expr: Box::new(Expr::Function(f.clone())),
                    data_type: SqlType::DoublePrecision,
                    array: false,
                    format: None,
                };
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }
}

fn pg_name(e: &Expr) -> Option<&'static str> {
    match e {
        Expr::Extract { .. } => Some("extract"),
        Expr::Function(f) if is_date_part(f) => Some("date_part"),
        _ => None,
    }
}

fn is_date_part(f: &Function) -> bool {
    matches!(f.name.0.as_slice(), [ObjectNamePart::Identifier(n)]
        if n.value.eq_ignore_ascii_case("date_part") || n.value.eq_ignore_ascii_case("datepart"))
        && f.over.is_none()
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Extract {
    signature: Signature,
}

/// What kind of value a field is extracted from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Date,
    Timestamp,
    Time,
    Interval,
}

fn source(t: &DataType) -> Option<Source> {
    Some(match t {
        DataType::Date32 | DataType::Date64 => Source::Date,
        DataType::Timestamp(..) => Source::Timestamp,
        DataType::Time32(_) | DataType::Time64(_) => Source::Time,
        DataType::Interval(_) => Source::Interval,
        _ => return None,
    })
}

fn not_supported(field: &str, source: Source) -> DataFusionError {
    let kind = match source {
        Source::Date => "date",
        Source::Timestamp => "timestamp",
        Source::Time => "time",
        Source::Interval => "interval",
    };
    DataFusionError::External(Box::new(EngineError::InvalidArgument {
        name: "extract",
        message: format!("unit \"{field}\" not supported for type {kind}"),
    }))
}

/// The canonical name of a field (PostgreSQL's plural and singular spellings alike).
fn canonical(field: &str) -> &str {
    match field {
        "years" => "year",
        "months" | "mon" | "mons" => "month",
        "days" => "day",
        "hours" => "hour",
        "minutes" | "mins" | "min" => "minute",
        "seconds" | "secs" | "sec" => "second",
        "millisecond" | "msec" | "msecs" => "milliseconds",
        "microsecond" | "usec" | "usecs" => "microseconds",
        "millenium" | "millennia" => "millennium",
        "centuries" => "century",
        "decades" => "decade",
        "dayofweek" => "dow",
        "dayofyear" => "doy",
        "isoweek" => "week",
        other => other,
    }
}

/// The digits after the point of a field's values from this source.
fn scale(field: &str, source: Source) -> Result<i8> {
    Ok(match (canonical(field), source) {
        ("second", Source::Date) | ("milliseconds", Source::Date) => {
            return Err(not_supported(field, source));
        }
        ("second", _) => 6,
        ("milliseconds", _) => 3,
        ("epoch", Source::Date) => 0,
        ("epoch", _) => 6,
        _ => 0,
    })
}

impl ScalarUDFImpl for Extract {
    fn name(&self) -> &str {
        FUNCTION
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Decimal128(38, 0))
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let field = match args.scalar_arguments.first() {
            Some(Some(ScalarValue::Utf8(Some(f)))) => f.clone(),
            _ => return exec_err!("EXTRACT needs a field name"),
        };
        let Some(from) = args.arg_fields.get(1).and_then(|f| source(f.data_type())) else {
            return Err(DataFusionError::Plan(format!(
                "function extract({field} from {}) does not exist",
                args.arg_fields
                    .get(1)
                    .map(|f| f.data_type().to_string())
                    .unwrap_or_default()
            )));
        };
        Ok(Arc::new(Field::new(
            FUNCTION,
            DataType::Decimal128(38, scale(&field, from)?),
            true,
        )))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let Some(ColumnarValue::Scalar(ScalarValue::Utf8(Some(field)))) = args.args.first() else {
            return exec_err!("EXTRACT needs a field name");
        };
        let field = canonical(field).to_string();
        let DataType::Decimal128(_, scale) = args.return_field.data_type() else {
            return exec_err!("EXTRACT returns numeric");
        };
        let values = args.args[1].to_array(args.number_rows)?;
        let Some(from) = source(values.data_type()) else {
            return exec_err!("EXTRACT from {}", values.data_type());
        };
        let out: Vec<Option<i128>> = match from {
            Source::Interval => {
                let values =
                    arrow::compute::cast(&values, &DataType::Interval(IntervalUnit::MonthDayNano))?;
                values
                    .as_primitive::<IntervalMonthDayNanoType>()
                    .iter()
                    .map(|v| {
                        v.map(|v| interval_field(&field, v.months, v.days, v.nanoseconds))
                            .transpose()
                    })
                    .collect::<Result<_>>()?
            }
            Source::Time => {
                let values =
                    arrow::compute::cast(&values, &DataType::Time64(TimeUnit::Microsecond))?;
                values
                    .as_primitive::<arrow::datatypes::Time64MicrosecondType>()
                    .iter()
                    .map(|v| v.map(|us| time_field(&field, us)).transpose())
                    .collect::<Result<_>>()?
            }
            Source::Date | Source::Timestamp => {
                let micros = arrow::compute::cast(
                    &values,
                    &DataType::Timestamp(TimeUnit::Microsecond, None),
                )?;
                micros
                    .as_primitive::<TimestampMicrosecondType>()
                    .iter()
                    .map(|v| {
                        v.map(|us| {
                            let t = DateTime::from_timestamp_micros(us)
                                .map(|t| t.naive_utc())
                                .ok_or_else(|| {
                                    DataFusionError::Execution("timestamp out of range".into())
                                })?;
                            timestamp_field(&field, t, us, from)
                        })
                        .transpose()
                    })
                    .collect::<Result<_>>()?
            }
        };
        let array = Decimal128Array::from(out).with_precision_and_scale(38, *scale)?;
        shape(&args, Arc::new(array))
    }
}

/// A field of a date or timestamp, unscaled at the field's scale.
fn timestamp_field(field: &str, t: NaiveDateTime, micros: i64, from: Source) -> Result<i128> {
    let year = i128::from(t.year());
    let second_micros = i128::from(t.second()) * 1_000_000 + i128::from(t.nanosecond() / 1000);
    let time_field = matches!(
        field,
        "hour" | "minute" | "second" | "milliseconds" | "microseconds"
    );
    if from == Source::Date && time_field {
        return Err(not_supported(field, from));
    }
    Ok(match field {
        "year" => year,
        "month" => i128::from(t.month()),
        "day" => i128::from(t.day()),
        "hour" => i128::from(t.hour()),
        "minute" => i128::from(t.minute()),
        "second" | "milliseconds" | "microseconds" => second_micros,
        "dow" => i128::from(t.weekday().num_days_from_sunday()),
        "isodow" => i128::from(t.weekday().number_from_monday()),
        "doy" => i128::from(t.ordinal()),
        "week" => i128::from(t.iso_week().week()),
        "isoyear" => i128::from(t.iso_week().year()),
        "quarter" => i128::from((t.month() - 1) / 3 + 1),
        "decade" => year.div_euclid(10),
        "century" if year > 0 => (year + 99) / 100,
        "millennium" if year > 0 => (year + 999) / 1000,
        "epoch" if from == Source::Date => i128::from(micros.div_euclid(1_000_000)),
        "epoch" => i128::from(micros),
        _ => return Err(not_supported(field, from)),
    })
}

fn time_field(field: &str, micros: i64) -> Result<i128> {
    let micros = i128::from(micros);
    Ok(match field {
        "hour" => micros / 3_600_000_000,
        "minute" => micros / 60_000_000 % 60,
        "second" | "milliseconds" | "microseconds" => micros % 60_000_000,
        "epoch" => micros,
        _ => return Err(not_supported(field, Source::Time)),
    })
}

/// A field of an interval, as PostgreSQL reads it (an epoch counts a year as 365.25 days
/// and a month as 30).
fn interval_field(field: &str, months: i32, days: i32, nanos: i64) -> Result<i128> {
    let micros = i128::from(nanos / 1000);
    let (months, days) = (i128::from(months), i128::from(days));
    Ok(match field {
        "year" => months / 12,
        "month" => months % 12,
        "day" => days,
        "hour" => micros / 3_600_000_000,
        "minute" => micros / 60_000_000 % 60,
        "second" | "milliseconds" | "microseconds" => micros % 60_000_000,
        "quarter" => (months % 12) / 3 + 1,
        "decade" => months / 120,
        "century" => months / 1200,
        "millennium" => months / 12000,
        "epoch" => {
            let day = 86_400_000_000_i128;
            // 365.25 days a year: in quarter days to stay exact.
            (months / 12) * 36525 * day / 100 + (months % 12) * 30 * day + days * day + micros
        }
        _ => return Err(not_supported(field, Source::Interval)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(y: i32, m: u32, d: u32, h: u32, mi: u32, s: u32, us: u32) -> (NaiveDateTime, i64) {
        let t = NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|d| d.and_hms_micro_opt(h, mi, s, us))
            .expect("a valid time");
        (t, t.and_utc().timestamp_micros())
    }

    #[test]
    fn fields_of_timestamps_and_dates() {
        let (t, us) = at(2020, 8, 24, 10, 11, 12, 500_000);
        let f = |field: &str| timestamp_field(field, t, us, Source::Timestamp).expect("valid");
        assert_eq!(f("year"), 2020);
        assert_eq!(f("quarter"), 3);
        assert_eq!(f("dow"), 1);
        assert_eq!(f("isodow"), 1);
        assert_eq!(f("doy"), 237);
        assert_eq!(f("second"), 12_500_000);
        assert_eq!(f("century"), 21);
        assert_eq!(f("epoch"), 1_598_263_872_500_000);
        let (d, dus) = at(2020, 8, 24, 0, 0, 0, 0);
        assert_eq!(
            timestamp_field("epoch", d, dus, Source::Date).expect("date"),
            1_598_227_200
        );
        assert!(timestamp_field("hour", d, dus, Source::Date).is_err());
        assert_eq!(scale("second", Source::Timestamp).expect("scale"), 6);
        assert_eq!(scale("epoch", Source::Date).expect("scale"), 0);
    }

    #[test]
    fn fields_of_intervals() {
        // 1 year 2 months 3 days 04:05:06
        let nanos = (4 * 3600 + 5 * 60 + 6) * 1_000_000_000_i64;
        assert_eq!(interval_field("month", 14, 3, nanos).expect("month"), 2);
        assert_eq!(interval_field("hour", 14, 3, nanos).expect("hour"), 4);
        // 109 days 09:00:00 in seconds, at scale 6.
        let nanos = 9 * 3600 * 1_000_000_000_i64;
        assert_eq!(
            interval_field("epoch", 0, 109, nanos).expect("epoch"),
            (109 * 86_400 + 9 * 3600) * 1_000_000
        );
    }
}
