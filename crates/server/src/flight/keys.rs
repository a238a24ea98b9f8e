//! Flight SQL's key commands (`GetPrimaryKeys`, `GetImportedKeys`, `GetExportedKeys`,
//! `GetCrossReference`), answered from the engine's [`Listing`] with the result schemas
//! FlightSql.proto defines.
//!
//! Keys are the ones `pg_catalog.pg_constraint` and `information_schema` show, under the
//! same names (`<table>_pkey`, `<table>_<columns>_fkey`): a primary key whose columns all
//! exist, and foreign keys whose columns exist on both sides of a table the listing has.
//! Lyceum does not act on updates or deletes of referenced rows: every rule is NO ACTION.

use std::sync::{Arc, LazyLock};

use arrow::array::{ArrayRef, Int32Builder, RecordBatch, StringBuilder, UInt8Builder};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow_flight::error::FlightError;
use arrow_flight::sql::{
    CommandGetCrossReference, CommandGetExportedKeys, CommandGetImportedKeys,
    CommandGetPrimaryKeys, UpdateDeleteRules,
};
use lyceum_catalog::ForeignKey;
use lyceum_engine::session::{Listing, TableListing};

/// The rows of `GetPrimaryKeys`.
static PRIMARY_KEYS_SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    Arc::new(Schema::new(vec![
        Field::new("catalog_name", DataType::Utf8, true),
        Field::new("db_schema_name", DataType::Utf8, true),
        Field::new("table_name", DataType::Utf8, false),
        Field::new("column_name", DataType::Utf8, false),
        Field::new("key_name", DataType::Utf8, true),
        Field::new("key_sequence", DataType::Int32, false),
    ]))
});

/// The rows of `GetImportedKeys`, `GetExportedKeys` and `GetCrossReference`.
static FOREIGN_KEYS_SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    Arc::new(Schema::new(vec![
        Field::new("pk_catalog_name", DataType::Utf8, true),
        Field::new("pk_db_schema_name", DataType::Utf8, true),
        Field::new("pk_table_name", DataType::Utf8, false),
        Field::new("pk_column_name", DataType::Utf8, false),
        Field::new("fk_catalog_name", DataType::Utf8, true),
        Field::new("fk_db_schema_name", DataType::Utf8, true),
        Field::new("fk_table_name", DataType::Utf8, false),
        Field::new("fk_column_name", DataType::Utf8, false),
        Field::new("key_sequence", DataType::Int32, false),
        Field::new("fk_key_name", DataType::Utf8, true),
        Field::new("pk_key_name", DataType::Utf8, true),
        Field::new("update_rule", DataType::UInt8, false),
        Field::new("delete_rule", DataType::UInt8, false),
    ]))
});

/// The schema of a `GetPrimaryKeys` answer.
pub(crate) fn primary_keys_schema() -> SchemaRef {
    PRIMARY_KEYS_SCHEMA.clone()
}

/// The schema of a `GetImportedKeys`, `GetExportedKeys` or `GetCrossReference` answer.
pub(crate) fn foreign_keys_schema() -> SchemaRef {
    FOREIGN_KEYS_SCHEMA.clone()
}

/// The name of `table`'s primary key constraint, as `pg_constraint` has it.
fn primary_key_name(table: &str) -> String {
    format!("{table}_pkey")
}

/// The name of a foreign key constraint of `table`, as `pg_constraint` has it.
fn foreign_key_name(table: &str, key: &ForeignKey) -> String {
    format!("{table}_{}_fkey", key.columns.join("_"))
}

/// A table a command names: the catalog and schema narrow the search when given (an empty
/// string matches nothing, as Lyceum's tables all have both); the name is exact.
struct TableFilter<'a> {
    catalog: Option<&'a str>,
    schema: Option<&'a str>,
    table: &'a str,
}

impl TableFilter<'_> {
    fn matches(&self, catalog: &str, table: &TableListing) -> bool {
        self.catalog.is_none_or(|c| c == catalog)
            && self.schema.is_none_or(|s| s == table.schema)
            && self.table == table.name
    }
}

/// Whether every one of `columns` is a column of `table`.
fn has_columns(table: &TableListing, columns: &[String]) -> bool {
    columns.iter().all(|c| table.columns.index_of(c).is_ok())
}

/// `table`'s primary key columns, if it has a key whose columns all exist.
fn primary_key(table: &TableListing) -> Option<&[String]> {
    let key = table.primary_key.as_slice();
    (!key.is_empty() && has_columns(table, key)).then_some(key)
}

/// A foreign key with the tables on both of its sides.
struct Reference<'a> {
    /// The table whose columns refer (the foreign key table).
    table: &'a TableListing,
    key: &'a ForeignKey,
    /// The table referred to (the primary key table).
    referenced: &'a TableListing,
}

/// Every foreign key of the listing whose columns exist on both sides of a table the
/// listing has (the ones `pg_constraint` shows).
fn references(listing: &Listing) -> impl Iterator<Item = Reference<'_>> {
    listing.tables.iter().flat_map(move |table| {
        table.foreign_keys.iter().filter_map(move |key| {
            let (schema, name) = key.references.split_once('.')?;
            let referenced = listing.table(schema, name)?;
            let valid = !key.columns.is_empty()
                && key.columns.len() == key.ref_columns.len()
                && has_columns(table, &key.columns)
                && has_columns(referenced, &key.ref_columns);
            valid.then_some(Reference {
                table,
                key,
                referenced,
            })
        })
    })
}

/// One row of a primary key answer.
struct PrimaryKeyRow<'a> {
    schema: &'a str,
    table: &'a str,
    column: &'a str,
    key_name: String,
    sequence: i32,
}

/// One row of a foreign key answer: one column pair of a foreign key.
struct ForeignKeyRow<'a> {
    pk_schema: &'a str,
    pk_table: &'a str,
    pk_column: &'a str,
    fk_schema: &'a str,
    fk_table: &'a str,
    fk_column: &'a str,
    sequence: i32,
    fk_name: String,
    pk_name: Option<String>,
}

/// The 1-based position of a key column.
fn sequence(index: usize) -> i32 {
    i32::try_from(index + 1).unwrap_or(i32::MAX)
}

/// The rows of one foreign key, a row per column in key order.
fn reference_rows(reference: Reference<'_>) -> impl Iterator<Item = ForeignKeyRow<'_>> {
    let Reference {
        table,
        key,
        referenced,
    } = reference;
    let fk_name = foreign_key_name(&table.name, key);
    let pk_name = primary_key(referenced).map(|_| primary_key_name(&referenced.name));
    key.columns
        .iter()
        .zip(&key.ref_columns)
        .enumerate()
        .map(move |(i, (fk_column, pk_column))| ForeignKeyRow {
            pk_schema: &referenced.schema,
            pk_table: &referenced.name,
            pk_column,
            fk_schema: &table.schema,
            fk_table: &table.name,
            fk_column,
            sequence: sequence(i),
            fk_name: fk_name.clone(),
            pk_name: pk_name.clone(),
        })
}

/// The primary key columns of the tables `query` names, ordered by schema, table, key name
/// and sequence.
pub(crate) fn primary_keys(
    query: &CommandGetPrimaryKeys,
    listing: &Listing,
) -> Result<RecordBatch, FlightError> {
    let filter = TableFilter {
        catalog: query.catalog.as_deref(),
        schema: query.db_schema.as_deref(),
        table: &query.table,
    };
    let mut rows: Vec<PrimaryKeyRow<'_>> = listing
        .tables
        .iter()
        .filter(|t| filter.matches(listing.catalog, t))
        .flat_map(|t| {
            let key = primary_key(t).unwrap_or_default();
            key.iter().enumerate().map(|(i, column)| PrimaryKeyRow {
                schema: &t.schema,
                table: &t.name,
                column,
                key_name: primary_key_name(&t.name),
                sequence: sequence(i),
            })
        })
        .collect();
    rows.sort_by(|a, b| {
        (a.schema, a.table, &a.key_name, a.sequence).cmp(&(
            b.schema,
            b.table,
            &b.key_name,
            b.sequence,
        ))
    });
    primary_key_batch(listing.catalog, &rows)
}

/// The foreign keys of the table `query` names (the keys it imports), ordered by the
/// referenced table, its key name and sequence.
pub(crate) fn imported_keys(
    query: &CommandGetImportedKeys,
    listing: &Listing,
) -> Result<RecordBatch, FlightError> {
    let filter = TableFilter {
        catalog: query.catalog.as_deref(),
        schema: query.db_schema.as_deref(),
        table: &query.table,
    };
    let rows = foreign_key_rows(listing, |r| filter.matches(listing.catalog, r.table));
    foreign_key_batch(listing.catalog, sorted_by_primary_key(rows))
}

/// The foreign keys of other tables referring to the table `query` names (the keys it
/// exports), ordered by the referring table, its key name and sequence.
pub(crate) fn exported_keys(
    query: &CommandGetExportedKeys,
    listing: &Listing,
) -> Result<RecordBatch, FlightError> {
    let filter = TableFilter {
        catalog: query.catalog.as_deref(),
        schema: query.db_schema.as_deref(),
        table: &query.table,
    };
    let rows = foreign_key_rows(listing, |r| filter.matches(listing.catalog, r.referenced));
    foreign_key_batch(listing.catalog, sorted_by_foreign_key(rows))
}

/// The foreign keys of `query`'s foreign key table that refer to its primary key table,
/// ordered by the referring table, its key name and sequence.
pub(crate) fn cross_reference(
    query: &CommandGetCrossReference,
    listing: &Listing,
) -> Result<RecordBatch, FlightError> {
    let pk = TableFilter {
        catalog: query.pk_catalog.as_deref(),
        schema: query.pk_db_schema.as_deref(),
        table: &query.pk_table,
    };
    let fk = TableFilter {
        catalog: query.fk_catalog.as_deref(),
        schema: query.fk_db_schema.as_deref(),
        table: &query.fk_table,
    };
    let rows = foreign_key_rows(listing, |r| {
        pk.matches(listing.catalog, r.referenced) && fk.matches(listing.catalog, r.table)
    });
    foreign_key_batch(listing.catalog, sorted_by_foreign_key(rows))
}

/// The rows of the listing's foreign keys that `wanted` keeps.
fn foreign_key_rows<'a>(
    listing: &'a Listing,
    wanted: impl Fn(&Reference<'a>) -> bool,
) -> Vec<ForeignKeyRow<'a>> {
    references(listing)
        .filter(|r| wanted(r))
        .flat_map(reference_rows)
        .collect()
}

/// `rows` in the order of `GetImportedKeys`: by the primary key side.
fn sorted_by_primary_key(mut rows: Vec<ForeignKeyRow<'_>>) -> Vec<ForeignKeyRow<'_>> {
    rows.sort_by(|a, b| {
        (a.pk_schema, a.pk_table, &a.pk_name, a.sequence, &a.fk_name).cmp(&(
            b.pk_schema,
            b.pk_table,
            &b.pk_name,
            b.sequence,
            &b.fk_name,
        ))
    });
    rows
}

/// `rows` in the order of `GetExportedKeys` and `GetCrossReference`: by the foreign key
/// side.
fn sorted_by_foreign_key(mut rows: Vec<ForeignKeyRow<'_>>) -> Vec<ForeignKeyRow<'_>> {
    rows.sort_by(|a, b| {
        (a.fk_schema, a.fk_table, &a.fk_name, a.sequence).cmp(&(
            b.fk_schema,
            b.fk_table,
            &b.fk_name,
            b.sequence,
        ))
    });
    rows
}

/// `rows` as a batch of [`PRIMARY_KEYS_SCHEMA`].
fn primary_key_batch(
    catalog: &str,
    rows: &[PrimaryKeyRow<'_>],
) -> Result<RecordBatch, FlightError> {
    let mut catalogs = StringBuilder::new();
    let mut schemas = StringBuilder::new();
    let mut tables = StringBuilder::new();
    let mut columns = StringBuilder::new();
    let mut names = StringBuilder::new();
    let mut sequences = Int32Builder::new();
    for row in rows {
        catalogs.append_value(catalog);
        schemas.append_value(row.schema);
        tables.append_value(row.table);
        columns.append_value(row.column);
        names.append_value(&row.key_name);
        sequences.append_value(row.sequence);
    }
    let arrays: Vec<ArrayRef> = vec![
        Arc::new(catalogs.finish()),
        Arc::new(schemas.finish()),
        Arc::new(tables.finish()),
        Arc::new(columns.finish()),
        Arc::new(names.finish()),
        Arc::new(sequences.finish()),
    ];
    Ok(RecordBatch::try_new(primary_keys_schema(), arrays)?)
}

/// The columns of a foreign key answer, built row by row.
#[derive(Default)]
struct ForeignKeyColumns {
    pk_catalog: StringBuilder,
    pk_schema: StringBuilder,
    pk_table: StringBuilder,
    pk_column: StringBuilder,
    fk_catalog: StringBuilder,
    fk_schema: StringBuilder,
    fk_table: StringBuilder,
    fk_column: StringBuilder,
    sequence: Int32Builder,
    fk_name: StringBuilder,
    pk_name: StringBuilder,
    update_rule: UInt8Builder,
    delete_rule: UInt8Builder,
}

impl ForeignKeyColumns {
    fn append(&mut self, catalog: &str, row: ForeignKeyRow<'_>) {
        let no_action = UpdateDeleteRules::NoAction as u8;
        self.pk_catalog.append_value(catalog);
        self.pk_schema.append_value(row.pk_schema);
        self.pk_table.append_value(row.pk_table);
        self.pk_column.append_value(row.pk_column);
        self.fk_catalog.append_value(catalog);
        self.fk_schema.append_value(row.fk_schema);
        self.fk_table.append_value(row.fk_table);
        self.fk_column.append_value(row.fk_column);
        self.sequence.append_value(row.sequence);
        self.fk_name.append_value(row.fk_name);
        self.pk_name.append_option(row.pk_name);
        self.update_rule.append_value(no_action);
        self.delete_rule.append_value(no_action);
    }

    /// The columns in the order of [`FOREIGN_KEYS_SCHEMA`].
    fn finish(mut self) -> Vec<ArrayRef> {
        vec![
            Arc::new(self.pk_catalog.finish()),
            Arc::new(self.pk_schema.finish()),
            Arc::new(self.pk_table.finish()),
            Arc::new(self.pk_column.finish()),
            Arc::new(self.fk_catalog.finish()),
            Arc::new(self.fk_schema.finish()),
            Arc::new(self.fk_table.finish()),
            Arc::new(self.fk_column.finish()),
            Arc::new(self.sequence.finish()),
            Arc::new(self.fk_name.finish()),
            Arc::new(self.pk_name.finish()),
            Arc::new(self.update_rule.finish()),
            Arc::new(self.delete_rule.finish()),
        ]
    }
}

/// `rows` as a batch of [`FOREIGN_KEYS_SCHEMA`].
fn foreign_key_batch(
    catalog: &str,
    rows: Vec<ForeignKeyRow<'_>>,
) -> Result<RecordBatch, FlightError> {
    let mut columns = ForeignKeyColumns::default();
    for row in rows {
        columns.append(catalog, row);
    }
    Ok(RecordBatch::try_new(
        foreign_keys_schema(),
        columns.finish(),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::{Int32Type, UInt8Type};
    use lyceum_engine::session::TableKind;

    fn table(name: &str, columns: &[&str], pk: &[&str], fks: Vec<ForeignKey>) -> TableListing {
        TableListing {
            schema: "public".into(),
            name: name.into(),
            kind: TableKind::Table,
            columns: Arc::new(Schema::new(
                columns
                    .iter()
                    .map(|c| Field::new(*c, DataType::Int32, false))
                    .collect::<Vec<_>>(),
            )),
            primary_key: pk.iter().map(|c| c.to_string()).collect(),
            foreign_keys: fks,
        }
    }

    fn fk(columns: &[&str], references: &str, ref_columns: &[&str]) -> ForeignKey {
        ForeignKey {
            columns: columns.iter().map(|c| c.to_string()).collect(),
            references: references.into(),
            ref_columns: ref_columns.iter().map(|c| c.to_string()).collect(),
        }
    }

    /// A small star: two dimensions, a fact referring to both (one key of two columns),
    /// and a key to a table that is not listed.
    fn listing() -> Listing {
        Listing {
            catalog: "lyceum",
            schemas: vec!["public".into()],
            tables: vec![
                table("dim_a", &["a_key", "a_name"], &["a_key"], vec![]),
                table("dim_b", &["b_key", "b_part"], &["b_key", "b_part"], vec![]),
                table(
                    "fact",
                    &["fact_id", "a_key", "b_key", "b_part"],
                    &["fact_id"],
                    vec![
                        fk(&["b_key", "b_part"], "public.dim_b", &["b_key", "b_part"]),
                        fk(&["a_key"], "public.dim_a", &["a_key"]),
                        fk(&["a_key"], "public.gone", &["a_key"]),
                    ],
                ),
            ],
        }
    }

    fn strings(batch: &RecordBatch, column: &str) -> Vec<Option<String>> {
        let array = batch
            .column_by_name(column)
            .expect("column")
            .as_string::<i32>();
        (0..array.len())
            .map(|i| array.is_valid(i).then(|| array.value(i).to_string()))
            .collect()
    }

    fn texts(batch: &RecordBatch, column: &str) -> Vec<String> {
        strings(batch, column)
            .into_iter()
            .map(|s| s.expect("not null"))
            .collect()
    }

    fn sequences(batch: &RecordBatch) -> Vec<i32> {
        batch
            .column_by_name("key_sequence")
            .expect("key_sequence")
            .as_primitive::<Int32Type>()
            .values()
            .to_vec()
    }

    #[test]
    fn primary_keys_follow_the_filters() {
        let listing = listing();
        let query = |catalog: Option<&str>, schema: Option<&str>, table: &str| {
            primary_keys(
                &CommandGetPrimaryKeys {
                    catalog: catalog.map(Into::into),
                    db_schema: schema.map(Into::into),
                    table: table.into(),
                },
                &listing,
            )
            .expect("batch")
        };
        let batch = query(None, None, "dim_b");
        assert_eq!(batch.schema(), primary_keys_schema());
        assert_eq!(texts(&batch, "column_name"), ["b_key", "b_part"]);
        assert_eq!(texts(&batch, "key_name"), ["dim_b_pkey", "dim_b_pkey"]);
        assert_eq!(texts(&batch, "catalog_name"), ["lyceum", "lyceum"]);
        assert_eq!(texts(&batch, "db_schema_name"), ["public", "public"]);
        assert_eq!(sequences(&batch), [1, 2]);
        let batch = query(Some("lyceum"), Some("public"), "dim_a");
        assert_eq!(texts(&batch, "column_name"), ["a_key"]);
        assert_eq!(query(Some(""), None, "dim_a").num_rows(), 0);
        assert_eq!(query(None, Some("sandbox"), "dim_a").num_rows(), 0);
        assert_eq!(query(None, None, "dim_%").num_rows(), 0);
        assert_eq!(query(None, None, "no_such_table").num_rows(), 0);
    }

    #[test]
    fn imported_keys_are_a_tables_foreign_keys() {
        let listing = listing();
        let query = CommandGetImportedKeys {
            catalog: None,
            db_schema: Some("public".into()),
            table: "fact".into(),
        };
        let batch = imported_keys(&query, &listing).expect("batch");
        assert_eq!(batch.schema(), foreign_keys_schema());
        // Ordered by the referenced table; the key to an unlisted table is left out.
        assert_eq!(texts(&batch, "pk_table_name"), ["dim_a", "dim_b", "dim_b"]);
        assert_eq!(
            texts(&batch, "pk_column_name"),
            ["a_key", "b_key", "b_part"]
        );
        assert_eq!(texts(&batch, "fk_table_name"), ["fact", "fact", "fact"]);
        assert_eq!(
            texts(&batch, "fk_column_name"),
            ["a_key", "b_key", "b_part"]
        );
        assert_eq!(sequences(&batch), [1, 1, 2]);
        assert_eq!(
            texts(&batch, "fk_key_name"),
            [
                "fact_a_key_fkey",
                "fact_b_key_b_part_fkey",
                "fact_b_key_b_part_fkey"
            ]
        );
        assert_eq!(
            texts(&batch, "pk_key_name"),
            ["dim_a_pkey", "dim_b_pkey", "dim_b_pkey"]
        );
        assert_eq!(texts(&batch, "pk_catalog_name"), ["lyceum"; 3]);
        for rule in ["update_rule", "delete_rule"] {
            let rules = batch
                .column_by_name(rule)
                .expect("rule")
                .as_primitive::<UInt8Type>();
            assert_eq!(rules.values().to_vec(), [3, 3, 3]);
        }
        let dims = CommandGetImportedKeys {
            table: "dim_a".into(),
            ..query
        };
        assert_eq!(imported_keys(&dims, &listing).expect("batch").num_rows(), 0);
    }

    #[test]
    fn exported_keys_are_other_tables_references() {
        let listing = listing();
        let query = |table: &str| {
            exported_keys(
                &CommandGetExportedKeys {
                    catalog: Some("lyceum".into()),
                    db_schema: None,
                    table: table.into(),
                },
                &listing,
            )
            .expect("batch")
        };
        let batch = query("dim_b");
        assert_eq!(texts(&batch, "fk_table_name"), ["fact", "fact"]);
        assert_eq!(texts(&batch, "fk_column_name"), ["b_key", "b_part"]);
        assert_eq!(texts(&batch, "pk_table_name"), ["dim_b", "dim_b"]);
        assert_eq!(sequences(&batch), [1, 2]);
        assert_eq!(texts(&query("dim_a"), "fk_column_name"), ["a_key"]);
        assert_eq!(query("fact").num_rows(), 0);
    }

    #[test]
    fn cross_reference_pairs_two_tables() {
        let listing = listing();
        let query = |pk: &str, fk: &str| {
            cross_reference(
                &CommandGetCrossReference {
                    pk_catalog: None,
                    pk_db_schema: Some("public".into()),
                    pk_table: pk.into(),
                    fk_catalog: None,
                    fk_db_schema: Some("public".into()),
                    fk_table: fk.into(),
                },
                &listing,
            )
            .expect("batch")
        };
        let batch = query("dim_a", "fact");
        assert_eq!(batch.schema(), foreign_keys_schema());
        assert_eq!(texts(&batch, "fk_column_name"), ["a_key"]);
        assert_eq!(texts(&batch, "pk_column_name"), ["a_key"]);
        assert_eq!(
            strings(&batch, "fk_key_name"),
            [Some("fact_a_key_fkey".into())]
        );
        assert_eq!(query("fact", "dim_a").num_rows(), 0);
        assert_eq!(query("dim_b", "dim_a").num_rows(), 0);
    }

    #[test]
    fn a_referenced_table_without_a_key_has_no_key_name() {
        let mut listing = listing();
        listing.tables[0].primary_key.clear();
        let query = CommandGetExportedKeys {
            catalog: None,
            db_schema: None,
            table: "dim_a".into(),
        };
        let batch = exported_keys(&query, &listing).expect("batch");
        assert_eq!(strings(&batch, "pk_key_name"), [None]);
        assert_eq!(texts(&batch, "fk_key_name"), ["fact_a_key_fkey"]);
    }
}
