//! Flight SQL's `GetXdbcTypeInfo`: the SQL types Lyceum's tables and results use, as
//! ODBC's `SQLGetTypeInfo` and JDBC's `getTypeInfo` describe types, under their
//! PostgreSQL names (the names `pg_type` and the Postgres wire use).
//!
//! Sizes follow ODBC: exact numerics give their decimal digits (radix 10), `double
//! precision` its 53 bits (radix 2), dates and timestamps the length of their text form.
//! Dates and timestamps are datetime types in `sql_data_type`, with their subcode.
//! `boolean` is `BIT`, the XDBC type for a truth value.

use arrow_flight::error::FlightError;
use arrow_flight::sql::metadata::{XdbcTypeInfo, XdbcTypeInfoData, XdbcTypeInfoDataBuilder};
use arrow_flight::sql::{Nullable, Searchable, XdbcDataType, XdbcDatetimeSubcode};

/// The largest precision of `numeric` (Arrow's `Decimal128`).
const NUMERIC_PRECISION: i32 = 38;

/// A type every column may hold NULL in, with no parameters, not auto-incremented; the
/// fields that differ by kind of type are left to the callers.
fn base(name: &str, data_type: XdbcDataType) -> XdbcTypeInfo {
    XdbcTypeInfo {
        type_name: name.to_string(),
        data_type,
        column_size: None,
        literal_prefix: None,
        literal_suffix: None,
        create_params: None,
        nullable: Nullable::NullabilityNullable,
        case_sensitive: false,
        searchable: Searchable::Basic,
        unsigned_attribute: None,
        fixed_prec_scale: false,
        auto_increment: None,
        local_type_name: Some(name.to_string()),
        minimum_scale: None,
        maximum_scale: None,
        sql_data_type: data_type,
        datetime_subcode: None,
        num_prec_radix: None,
        interval_precision: None,
    }
}

/// A signed numeric type of `column_size` digits in `radix` (10 for exact types, 2 for
/// approximate ones).
fn number(name: &str, data_type: XdbcDataType, column_size: i32, radix: i32) -> XdbcTypeInfo {
    XdbcTypeInfo {
        column_size: Some(column_size),
        unsigned_attribute: Some(false),
        auto_increment: Some(false),
        num_prec_radix: Some(radix),
        ..base(name, data_type)
    }
}

/// An integer type of `digits` decimal digits (scale 0).
fn integer(name: &str, data_type: XdbcDataType, digits: i32) -> XdbcTypeInfo {
    XdbcTypeInfo {
        minimum_scale: Some(0),
        maximum_scale: Some(0),
        ..number(name, data_type, digits, 10)
    }
}

/// `numeric(precision, scale)`.
fn numeric() -> XdbcTypeInfo {
    XdbcTypeInfo {
        create_params: Some(vec!["precision".into(), "scale".into()]),
        minimum_scale: Some(0),
        maximum_scale: Some(NUMERIC_PRECISION),
        ..number("numeric", XdbcDataType::XdbcNumeric, NUMERIC_PRECISION, 10)
    }
}

/// A type whose literals are quoted strings (`'...'`).
fn quoted(name: &str, data_type: XdbcDataType, column_size: i32) -> XdbcTypeInfo {
    XdbcTypeInfo {
        column_size: Some(column_size),
        literal_prefix: Some("'".into()),
        literal_suffix: Some("'".into()),
        ..base(name, data_type)
    }
}

/// `text`: case-sensitive, searchable with `LIKE` too.
fn text() -> XdbcTypeInfo {
    XdbcTypeInfo {
        case_sensitive: true,
        searchable: Searchable::Full,
        ..quoted("text", XdbcDataType::XdbcVarchar, i32::MAX)
    }
}

/// `bytea`, whose literals are hex strings cast to `bytea` (`'\x00ff'::bytea`).
fn bytea() -> XdbcTypeInfo {
    XdbcTypeInfo {
        column_size: Some(i32::MAX),
        literal_prefix: Some("'\\x".into()),
        literal_suffix: Some("'::bytea".into()),
        ..base("bytea", XdbcDataType::XdbcVarbinary)
    }
}

/// A datetime type: its text form is `column_size` characters long, with `scale`
/// fractional digits of seconds when it has a time.
fn datetime(
    name: &str,
    data_type: XdbcDataType,
    subcode: XdbcDatetimeSubcode,
    column_size: i32,
    scale: Option<i32>,
) -> XdbcTypeInfo {
    XdbcTypeInfo {
        sql_data_type: XdbcDataType::XdbcDatetime,
        datetime_subcode: Some(subcode),
        minimum_scale: scale,
        maximum_scale: scale,
        ..quoted(name, data_type, column_size)
    }
}

/// Every type, in no particular order (the builder sorts by data type, then name).
fn types() -> Vec<XdbcTypeInfo> {
    vec![
        integer("smallint", XdbcDataType::XdbcSmallint, 5),
        integer("integer", XdbcDataType::XdbcInteger, 10),
        integer("bigint", XdbcDataType::XdbcBigint, 19),
        numeric(),
        number("double precision", XdbcDataType::XdbcDouble, 53, 2),
        XdbcTypeInfo {
            column_size: Some(1),
            ..base("boolean", XdbcDataType::XdbcBit)
        },
        text(),
        // ODBC's date subcode (1) is the enum's `YEAR`: they share the code.
        datetime(
            "date",
            XdbcDataType::XdbcDate,
            XdbcDatetimeSubcode::XdbcSubcodeYear,
            10, // yyyy-mm-dd
            None,
        ),
        datetime(
            "timestamp with time zone",
            XdbcDataType::XdbcTimestamp,
            XdbcDatetimeSubcode::XdbcSubcodeTimestampWithTimezone,
            32, // yyyy-mm-dd hh:mm:ss.ffffff+hh:mm
            Some(6),
        ),
        bytea(),
    ]
}

/// The answer to `GetXdbcTypeInfo`, built once when the server starts.
pub(crate) fn xdbc_type_info() -> Result<XdbcTypeInfoData, FlightError> {
    let mut builder = XdbcTypeInfoDataBuilder::new();
    for info in types() {
        builder.append(info);
    }
    builder.build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, AsArray, RecordBatch};
    use arrow::datatypes::Int32Type;
    use arrow_flight::sql::CommandGetXdbcTypeInfo;

    fn names(batch: &RecordBatch) -> Vec<String> {
        let array = batch.column(0).as_string::<i32>();
        (0..array.len())
            .map(|i| array.value(i).to_string())
            .collect()
    }

    fn int_column(batch: &RecordBatch, name: &str) -> Vec<Option<i32>> {
        let array = batch
            .column_by_name(name)
            .expect("column")
            .as_primitive::<Int32Type>();
        (0..array.len())
            .map(|i| array.is_valid(i).then(|| array.value(i)))
            .collect()
    }

    #[test]
    fn every_type_is_listed_by_data_type() {
        let data = xdbc_type_info().expect("type info");
        let all = CommandGetXdbcTypeInfo { data_type: None }
            .into_builder(&data)
            .build()
            .expect("batch");
        assert_eq!(
            names(&all),
            [
                "boolean",
                "bigint",
                "bytea",
                "numeric",
                "integer",
                "smallint",
                "double precision",
                "text",
                "date",
                "timestamp with time zone",
            ]
        );
        assert_eq!(
            int_column(&all, "data_type"),
            [-7, -5, -3, 2, 4, 5, 8, 12, 91, 93].map(Some)
        );
        assert_eq!(
            int_column(&all, "sql_data_type"),
            [-7, -5, -3, 2, 4, 5, 8, 12, 9, 9].map(Some)
        );
        assert_eq!(
            int_column(&all, "datetime_subcode"),
            [
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                Some(1),
                Some(5)
            ]
        );
        assert_eq!(
            int_column(&all, "column_size"),
            [1, 19, i32::MAX, 38, 10, 5, 53, i32::MAX, 10, 32].map(Some)
        );
        let local = all.column_by_name("local_type_name").expect("local");
        assert_eq!(local.as_string::<i32>().value(6), "double precision");
    }

    #[test]
    fn a_data_type_filter_keeps_that_type() {
        let data = xdbc_type_info().expect("type info");
        let only = |data_type: i32| {
            CommandGetXdbcTypeInfo {
                data_type: Some(data_type),
            }
            .into_builder(&data)
            .build()
            .expect("batch")
        };
        assert_eq!(names(&only(XdbcDataType::XdbcInteger as i32)), ["integer"]);
        assert_eq!(names(&only(XdbcDataType::XdbcVarchar as i32)), ["text"]);
        assert_eq!(only(XdbcDataType::XdbcTinyint as i32).num_rows(), 0);
        let text = only(XdbcDataType::XdbcVarchar as i32);
        assert!(
            text.column_by_name("case_sensitive")
                .expect("case")
                .as_boolean()
                .value(0)
        );
        assert!(
            text.column_by_name("unsigned_attribute")
                .expect("unsigned")
                .is_null(0)
        );
        let integer = only(XdbcDataType::XdbcInteger as i32);
        let unsigned = integer
            .column_by_name("unsigned_attribute")
            .expect("unsigned");
        assert!(!unsigned.as_boolean().value(0));
        assert_eq!(int_column(&integer, "num_prec_radix"), [Some(10)]);
    }
}
