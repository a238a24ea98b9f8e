//! Flight SQL's catalog commands, answered from the engine's [`Listing`] (the catalog the
//! session's queries and `pg_catalog` read) with arrow-flight's builders, and the server's
//! `SqlInfo`.

use arrow::array::RecordBatch;
use arrow_flight::error::FlightError;
use arrow_flight::sql::metadata::{SqlInfoData, SqlInfoDataBuilder};
use arrow_flight::sql::{
    CommandGetCatalogs, CommandGetDbSchemas, CommandGetTableTypes, CommandGetTables, SqlInfo,
    SqlNullOrdering, SqlSupportedCaseSensitivity, SqlSupportedTransaction,
    SqlSupportedTransactions,
};
use lyceum_engine::session::{Listing, TableKind};

use super::stream::client_schema;

pub(crate) fn catalogs(
    query: CommandGetCatalogs,
    listing: &Listing,
) -> Result<RecordBatch, FlightError> {
    let mut builder = query.into_builder();
    builder.append(listing.catalog);
    builder.build()
}

pub(crate) fn schemas(
    query: CommandGetDbSchemas,
    listing: &Listing,
) -> Result<RecordBatch, FlightError> {
    let mut builder = query.into_builder();
    for schema in &listing.schemas {
        builder.append(listing.catalog, schema);
    }
    builder.build()
}

pub(crate) fn tables(
    query: CommandGetTables,
    listing: &Listing,
) -> Result<RecordBatch, FlightError> {
    let mut builder = query.into_builder();
    for table in &listing.tables {
        builder.append(
            listing.catalog,
            &table.schema,
            &table.name,
            table.kind.name(),
            // Columns as a query of the table returns them over Flight.
            &client_schema(&table.columns, false),
        )?;
    }
    builder.build()
}

pub(crate) fn table_types(query: CommandGetTableTypes) -> Result<RecordBatch, FlightError> {
    let mut builder = query.into_builder();
    for kind in TableKind::ALL {
        builder.append(kind.name());
    }
    builder.build()
}

/// Words that are reserved in Lyceum's SQL (PostgreSQL's reserved keywords), beyond
/// SQL-92's, as JDBC's `getSQLKeywords` lists them.
const KEYWORDS: &[&str] = &[
    "analyse",
    "analyze",
    "array",
    "asymmetric",
    "concurrently",
    "do",
    "freeze",
    "ilike",
    "isnull",
    "limit",
    "notnull",
    "offset",
    "placing",
    "returning",
    "symmetric",
    "variadic",
    "verbose",
];

const NUMERIC_FUNCTIONS: &[&str] = &[
    "abs", "acos", "asin", "atan", "atan2", "cbrt", "ceil", "ceiling", "cos", "cot", "degrees",
    "div", "exp", "floor", "gcd", "lcm", "ln", "log", "log10", "mod", "pi", "power", "radians",
    "random", "round", "sign", "sin", "sqrt", "tan", "trunc",
];

const STRING_FUNCTIONS: &[&str] = &[
    "ascii",
    "btrim",
    "char_length",
    "character_length",
    "chr",
    "concat",
    "concat_ws",
    "initcap",
    "left",
    "length",
    "lower",
    "lpad",
    "ltrim",
    "md5",
    "octet_length",
    "overlay",
    "position",
    "regexp_replace",
    "repeat",
    "replace",
    "reverse",
    "right",
    "rpad",
    "rtrim",
    "split_part",
    "starts_with",
    "strpos",
    "substr",
    "substring",
    "to_hex",
    "translate",
    "trim",
    "upper",
];

const DATETIME_FUNCTIONS: &[&str] = &[
    "current_date",
    "current_time",
    "current_timestamp",
    "date_bin",
    "date_part",
    "date_trunc",
    "extract",
    "make_date",
    "now",
    "to_char",
    "to_date",
    "to_timestamp",
];

const SYSTEM_FUNCTIONS: &[&str] = &[
    "coalesce",
    "current_database",
    "current_schema",
    "current_user",
    "greatest",
    "least",
    "nullif",
    "session_user",
    "version",
];

/// What Lyceum supports, as `GetSqlInfo` reports it.
pub(crate) fn sql_info() -> Result<SqlInfoData, FlightError> {
    let mut b = SqlInfoDataBuilder::new();
    // Server.
    b.append(SqlInfo::FlightSqlServerName, "Lyceum");
    b.append(SqlInfo::FlightSqlServerVersion, env!("CARGO_PKG_VERSION"));
    b.append(SqlInfo::FlightSqlServerArrowVersion, "59");
    // Sandbox tables are writable; the star schema is written by loads.
    b.append(SqlInfo::FlightSqlServerReadOnly, false);
    b.append(SqlInfo::FlightSqlServerSql, true);
    b.append(SqlInfo::FlightSqlServerSubstrait, false);
    b.append(
        SqlInfo::FlightSqlServerTransaction,
        SqlSupportedTransaction::None as i32,
    );
    b.append(SqlInfo::FlightSqlServerCancel, true);
    b.append(SqlInfo::FlightSqlServerBulkIngestion, true);
    b.append(SqlInfo::FlightSqlServerIngestTransactionsSupported, false);
    b.append(SqlInfo::FlightSqlServerStatementTimeout, 0i32);
    b.append(SqlInfo::FlightSqlServerTransactionTimeout, 0i32);
    // Identifiers and grammar (PostgreSQL's).
    b.append(SqlInfo::SqlDdlCatalog, false);
    b.append(SqlInfo::SqlDdlSchema, false);
    b.append(SqlInfo::SqlDdlTable, true);
    b.append(
        SqlInfo::SqlIdentifierCase,
        SqlSupportedCaseSensitivity::SqlCaseSensitivityLowercase as i32,
    );
    b.append(SqlInfo::SqlIdentifierQuoteChar, "\"");
    b.append(
        SqlInfo::SqlQuotedIdentifierCase,
        SqlSupportedCaseSensitivity::SqlCaseSensitivityCaseInsensitive as i32,
    );
    b.append(SqlInfo::SqlAllTablesAreSelectable, true);
    b.append(
        SqlInfo::SqlNullOrdering,
        SqlNullOrdering::SqlNullsSortedHigh as i32,
    );
    b.append(SqlInfo::SqlKeywords, KEYWORDS);
    b.append(SqlInfo::SqlNumericFunctions, NUMERIC_FUNCTIONS);
    b.append(SqlInfo::SqlStringFunctions, STRING_FUNCTIONS);
    b.append(SqlInfo::SqlSystemFunctions, SYSTEM_FUNCTIONS);
    b.append(SqlInfo::SqlDatetimeFunctions, DATETIME_FUNCTIONS);
    b.append(SqlInfo::SqlSearchStringEscape, "\\");
    b.append(SqlInfo::SqlExtraNameCharacters, "");
    b.append(SqlInfo::SqlSupportsColumnAliasing, true);
    b.append(SqlInfo::SqlNullPlusNullIsNull, true);
    b.append(SqlInfo::SqlSupportsTableCorrelationNames, true);
    b.append(SqlInfo::SqlSupportsDifferentTableCorrelationNames, false);
    b.append(SqlInfo::SqlSupportsExpressionsInOrderBy, true);
    b.append(SqlInfo::SqlSupportsOrderByUnrelated, true);
    b.append(SqlInfo::SqlSupportsLikeEscapeClause, true);
    b.append(SqlInfo::SqlSupportsNonNullableColumns, true);
    b.append(SqlInfo::SqlSupportsIntegrityEnhancementFacility, false);
    b.append(SqlInfo::SqlSchemaTerm, "schema");
    b.append(SqlInfo::SqlProcedureTerm, "function");
    b.append(SqlInfo::SqlCatalogTerm, "database");
    b.append(SqlInfo::SqlCatalogAtStart, true);
    b.append(SqlInfo::SqlSelectForUpdateSupported, false);
    b.append(SqlInfo::SqlStoredProceduresSupported, false);
    b.append(SqlInfo::SqlCorrelatedSubqueriesSupported, true);
    b.append(SqlInfo::SqlTransactionsSupported, true);
    b.append(
        SqlInfo::SqlDefaultTransactionIsolation,
        SqlSupportedTransactions::SqlTransactionUnspecified as i32,
    );
    b.append(SqlInfo::SqlBatchUpdatesSupported, false);
    b.append(SqlInfo::SqlSavepointsSupported, true);
    b.append(SqlInfo::SqlNamedParametersSupported, false);
    b.append(SqlInfo::SqlLocatorsUpdateCopy, false);
    b.append(SqlInfo::SqlStoredFunctionsUsingCallSyntaxSupported, false);
    b.append(SqlInfo::SqlMaxColumnNameLength, 63i64);
    b.append(SqlInfo::SqlMaxTableNameLength, 63i64);
    b.append(SqlInfo::SqlDbSchemaNameLength, 63i64);
    b.append(SqlInfo::SqlMaxCatalogNameLength, 63i64);
    b.append(SqlInfo::SqlMaxStatementLength, 0i64);
    b.append(SqlInfo::SqlMaxStatements, 0i64);
    b.append(SqlInfo::SqlMaxRowSize, 0i64);
    b.append(SqlInfo::SqlMaxConnections, 0i64);
    grammar(&mut b);
    limits(&mut b);
    b.build()
}

/// Bits of a Flight SQL bitmask.
fn bits(positions: &[i32]) -> i32 {
    positions.iter().fold(0, |mask, p| mask | (1 << p))
}

/// The SQL grammar Lyceum accepts (PostgreSQL's, as DataFusion plans it), in the terms of
/// the Flight SQL enums (`SqlSupportedGroupBy`, `SupportedSqlGrammar`, ...).
fn grammar(b: &mut SqlInfoDataBuilder) {
    // GROUP BY a column not selected (0), beyond the select list (1).
    b.append(SqlInfo::SqlSupportedGroupBy, bits(&[0, 1]));
    // Minimum (0) and core (1) ODBC grammar; ANSI-92 entry level (0).
    b.append(SqlInfo::SqlSupportedGrammar, bits(&[0, 1]));
    b.append(SqlInfo::SqlAnsi92SupportedLevel, bits(&[0]));
    // Full outer joins (SQL_FULL_OUTER_JOINS = 2).
    b.append(SqlInfo::SqlOuterJoinsSupportLevel, 2i32);
    // No procedures, indexes or privilege definitions qualified by schema or catalog.
    b.append(SqlInfo::SqlSchemasSupportedActions, 0i32);
    b.append(SqlInfo::SqlCatalogsSupportedActions, 0i32);
    // No positioned DELETE / UPDATE (cursors are read-only).
    b.append(SqlInfo::SqlSupportedPositionedCommands, 0i32);
    // Subqueries in comparisons (0), EXISTS (1), IN (2); UNION (0) and UNION ALL (1).
    b.append(SqlInfo::SqlSupportedSubqueries, bits(&[0, 1, 2]));
    b.append(SqlInfo::SqlSupportedUnions, bits(&[0, 1]));
    // A transaction reads one warehouse version throughout: repeatable read (3).
    b.append(SqlInfo::SqlSupportedTransactionsIsolationLevels, bits(&[3]));
    b.append(SqlInfo::SqlDataDefinitionCausesTransactionCommit, false);
    b.append(SqlInfo::SqlDataDefinitionsInTransactionsIgnored, false);
    // Results are read forward only (1), read-only (1).
    b.append(SqlInfo::SqlSupportedResultSetTypes, bits(&[1]));
    b.append(
        SqlInfo::SqlSupportedConcurrenciesForResultSetUnspecified,
        bits(&[1]),
    );
    b.append(
        SqlInfo::SqlSupportedConcurrenciesForResultSetForwardOnly,
        bits(&[1]),
    );
    b.append(
        SqlInfo::SqlSupportedConcurrenciesForResultSetScrollSensitive,
        0i32,
    );
    b.append(
        SqlInfo::SqlSupportedConcurrenciesForResultSetScrollInsensitive,
        0i32,
    );
    b.append(SqlInfo::SqlSupportsConvert, conversions());
}

/// What `CAST` converts, keyed by `SqlSupportsConvert` (BIGINT = 0, ... VARCHAR = 19).
fn conversions() -> std::collections::BTreeMap<i32, Vec<i32>> {
    const BIGINT: i32 = 0;
    const CHAR: i32 = 3;
    const DATE: i32 = 4;
    const DECIMAL: i32 = 5;
    const FLOAT: i32 = 6;
    const INTEGER: i32 = 7;
    const NUMERIC: i32 = 12;
    const REAL: i32 = 13;
    const SMALLINT: i32 = 14;
    const TIMESTAMP: i32 = 16;
    const TINYINT: i32 = 17;
    const VARCHAR: i32 = 19;
    let numbers = [
        BIGINT, DECIMAL, FLOAT, INTEGER, NUMERIC, REAL, SMALLINT, TINYINT,
    ];
    let texts = [CHAR, VARCHAR];
    let mut map = std::collections::BTreeMap::new();
    for n in numbers {
        map.insert(n, numbers.iter().chain(&texts).copied().collect());
    }
    for t in texts {
        let to: Vec<i32> = numbers
            .iter()
            .chain(&texts)
            .chain(&[DATE, TIMESTAMP])
            .copied()
            .collect();
        map.insert(t, to);
    }
    map.insert(DATE, vec![CHAR, DATE, TIMESTAMP, VARCHAR]);
    map.insert(TIMESTAMP, vec![CHAR, DATE, TIMESTAMP, VARCHAR]);
    map
}

/// Sizes and counts. 0 is "no fixed limit" in Flight SQL; names are PostgreSQL's 63 bytes.
fn limits(b: &mut SqlInfoDataBuilder) {
    b.append(SqlInfo::SqlMaxBinaryLiteralLength, 0i64);
    b.append(SqlInfo::SqlMaxCharLiteralLength, 0i64);
    b.append(SqlInfo::SqlMaxColumnsInGroupBy, 0i64);
    b.append(SqlInfo::SqlMaxColumnsInIndex, 0i64);
    b.append(SqlInfo::SqlMaxColumnsInOrderBy, 0i64);
    b.append(SqlInfo::SqlMaxColumnsInSelect, 0i64);
    b.append(SqlInfo::SqlMaxColumnsInTable, 1600i64);
    b.append(SqlInfo::SqlMaxCursorNameLength, 63i64);
    b.append(SqlInfo::SqlMaxIndexLength, 0i64);
    b.append(SqlInfo::SqlMaxProcedureNameLength, 63i64);
    b.append(SqlInfo::SqlMaxRowSizeIncludesBlobs, true);
    b.append(SqlInfo::SqlMaxTablesInSelect, 0i64);
    b.append(SqlInfo::SqlMaxUsernameLength, 63i64);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Drivers fail on a missing entry: every `SqlInfo` the spec defines is answered, but
    /// for Substrait's version range (Lyceum takes no Substrait plans).
    #[test]
    fn sql_info_answers_every_entry_of_the_spec() {
        let data = sql_info().expect("sql info");
        let expected: Vec<u32> = (0..1000)
            .filter(|&id| SqlInfo::try_from(id).is_ok())
            .filter(|&id| {
                id != SqlInfo::FlightSqlServerSubstraitMinVersion as i32
                    && id != SqlInfo::FlightSqlServerSubstraitMaxVersion as i32
            })
            .map(|id| id as u32)
            .collect();
        assert!(expected.len() > 80, "{}", expected.len());
        for id in expected {
            let batch = data.record_batch([id]).expect("record batch");
            assert_eq!(
                batch.num_rows(),
                1,
                "SqlInfo {:?} is missing",
                SqlInfo::try_from(id as i32)
            );
        }
    }

    #[test]
    fn conversions_are_symmetric_between_numbers_and_text() {
        let map = conversions();
        for (from, to) in &map {
            for t in to {
                assert!(
                    map.contains_key(t),
                    "{from} converts to {t}, which converts to nothing"
                );
            }
        }
    }
}
