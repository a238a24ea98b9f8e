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
use lyceum_engine::session::{Listing, TableKind, version_string};

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
    b.append(SqlInfo::FlightSqlServerVersion, version_string().as_str());
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
    b.append(SqlInfo::FlightSqlServerBulkIngestion, false);
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
    b.build()
}
