//! Building blocks for catalog tables: a row-wise builder that produces Arrow batches, and
//! a table whose rows are computed when it is scanned (users, settings).

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanBuilder, Float32Builder, Float64Builder, Int16Builder, Int32Builder,
    Int64Builder, ListBuilder, StringBuilder,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use arrow::record_batch::RecordBatch;
use async_trait::async_trait;
use datafusion::catalog::Session;
use datafusion::datasource::{MemTable, TableProvider, TableType};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::ExecutionPlan;
use futures::future::BoxFuture;

/// One cell of a catalog row.
#[derive(Debug, Clone)]
pub enum V {
    I16(Option<i16>),
    I32(Option<i32>),
    I64(Option<i64>),
    F32(Option<f32>),
    F64(Option<f64>),
    Bool(Option<bool>),
    Text(Option<String>),
    I16List(Option<Vec<i16>>),
    I32List(Option<Vec<i32>>),
    TextList(Option<Vec<String>>),
    /// Microseconds since the epoch, UTC.
    Timestamp(Option<i64>),
}

impl V {
    pub fn text(s: impl Into<String>) -> V {
        V::Text(Some(s.into()))
    }
    pub fn oid(o: i32) -> V {
        V::I32(Some(o))
    }
    pub fn bool(b: bool) -> V {
        V::Bool(Some(b))
    }
    pub fn i16(n: i16) -> V {
        V::I16(Some(n))
    }
    pub fn i32(n: i32) -> V {
        V::I32(Some(n))
    }
}

/// The kind of a catalog column.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// `oid` (int4 on the wire's value range, reported as type `oid`).
    Oid,
    /// PostgreSQL's one-byte `"char"`.
    Char,
    Name,
    Text,
    I16,
    I32,
    I64,
    F32,
    F64,
    Bool,
    /// `int2[]` / `int2vector`.
    I16List,
    /// `oid[]` / `oidvector`.
    OidList,
    TextList,
    /// `timestamptz`.
    TimestampTz,
}

/// A column: name, kind, nullable.
pub type Col = (&'static str, Kind, bool);

fn field(col: &Col) -> Field {
    let (name, kind, nullable) = *col;
    let data_type = match kind {
        Kind::Oid | Kind::I32 => DataType::Int32,
        Kind::Char | Kind::Name | Kind::Text => DataType::Utf8,
        Kind::I16 => DataType::Int16,
        Kind::I64 => DataType::Int64,
        Kind::F32 => DataType::Float32,
        Kind::F64 => DataType::Float64,
        Kind::Bool => DataType::Boolean,
        Kind::I16List => DataType::List(Arc::new(Field::new_list_field(DataType::Int16, true))),
        Kind::OidList => DataType::List(Arc::new(Field::new_list_field(DataType::Int32, true))),
        Kind::TextList => DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true))),
        Kind::TimestampTz => DataType::Timestamp(TimeUnit::Microsecond, Some("+00:00".into())),
    };
    let field = Field::new(name, data_type, nullable);
    match kind {
        Kind::Oid => field.with_metadata(HashMap::from([(
            arrow_pg::datatypes::PG_OID_ALIAS_KEY.to_string(),
            "oid".to_string(),
        )])),
        Kind::Char => field.with_metadata(HashMap::from([(
            arrow_pg::datatypes::PG_CHAR_KEY.to_string(),
            "char".to_string(),
        )])),
        _ => field,
    }
}

/// The Arrow schema of a catalog table.
pub fn schema(cols: &[Col]) -> SchemaRef {
    Arc::new(Schema::new(cols.iter().map(field).collect::<Vec<_>>()))
}

/// Rows of a catalog table, appended one at a time.
pub struct Rows {
    cols: &'static [Col],
    rows: Vec<Vec<V>>,
}

impl Rows {
    pub fn new(cols: &'static [Col]) -> Self {
        Rows {
            cols,
            rows: Vec::new(),
        }
    }

    /// Appends a row; it must have one value per column, in column order.
    pub fn push(&mut self, row: Vec<V>) {
        debug_assert_eq!(row.len(), self.cols.len(), "{:?}", self.cols.first());
        self.rows.push(row);
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn batch(&self) -> Result<RecordBatch> {
        let schema = schema(self.cols);
        let columns = (0..self.cols.len())
            .map(|c| self.column(c))
            .collect::<Result<Vec<_>>>()?;
        Ok(RecordBatch::try_new(schema, columns)?)
    }

    fn column(&self, c: usize) -> Result<ArrayRef> {
        let (name, kind, _) = self.cols[c];
        let mismatch = |v: &V| {
            DataFusionError::Internal(format!("catalog column {name}: unexpected value {v:?}"))
        };
        let values = self.rows.iter().map(|r| &r[c]);
        Ok(match kind {
            Kind::Oid | Kind::I32 => {
                let mut b = Int32Builder::new();
                for v in values {
                    match v {
                        V::I32(x) => b.append_option(*x),
                        other => return Err(mismatch(other)),
                    }
                }
                Arc::new(b.finish())
            }
            Kind::Char | Kind::Name | Kind::Text => {
                let mut b = StringBuilder::new();
                for v in values {
                    match v {
                        V::Text(x) => b.append_option(x.as_deref()),
                        other => return Err(mismatch(other)),
                    }
                }
                Arc::new(b.finish())
            }
            Kind::I16 => {
                let mut b = Int16Builder::new();
                for v in values {
                    match v {
                        V::I16(x) => b.append_option(*x),
                        other => return Err(mismatch(other)),
                    }
                }
                Arc::new(b.finish())
            }
            Kind::I64 => {
                let mut b = Int64Builder::new();
                for v in values {
                    match v {
                        V::I64(x) => b.append_option(*x),
                        other => return Err(mismatch(other)),
                    }
                }
                Arc::new(b.finish())
            }
            Kind::F32 => {
                let mut b = Float32Builder::new();
                for v in values {
                    match v {
                        V::F32(x) => b.append_option(*x),
                        other => return Err(mismatch(other)),
                    }
                }
                Arc::new(b.finish())
            }
            Kind::F64 => {
                let mut b = Float64Builder::new();
                for v in values {
                    match v {
                        V::F64(x) => b.append_option(*x),
                        other => return Err(mismatch(other)),
                    }
                }
                Arc::new(b.finish())
            }
            Kind::Bool => {
                let mut b = BooleanBuilder::new();
                for v in values {
                    match v {
                        V::Bool(x) => b.append_option(*x),
                        other => return Err(mismatch(other)),
                    }
                }
                Arc::new(b.finish())
            }
            Kind::I16List => {
                let mut b = ListBuilder::new(Int16Builder::new());
                for v in values {
                    match v {
                        V::I16List(Some(items)) => {
                            b.values().append_slice(items);
                            b.append(true);
                        }
                        V::I16List(None) => b.append(false),
                        other => return Err(mismatch(other)),
                    }
                }
                Arc::new(b.finish())
            }
            Kind::OidList => {
                let mut b = ListBuilder::new(Int32Builder::new());
                for v in values {
                    match v {
                        V::I32List(Some(items)) => {
                            b.values().append_slice(items);
                            b.append(true);
                        }
                        V::I32List(None) => b.append(false),
                        other => return Err(mismatch(other)),
                    }
                }
                Arc::new(b.finish())
            }
            Kind::TimestampTz => {
                let mut b = arrow::array::TimestampMicrosecondBuilder::new();
                for v in values {
                    match v {
                        V::Timestamp(x) => b.append_option(*x),
                        other => return Err(mismatch(other)),
                    }
                }
                Arc::new(b.finish().with_timezone("+00:00"))
            }
            Kind::TextList => {
                let mut b = ListBuilder::new(StringBuilder::new());
                for v in values {
                    match v {
                        V::TextList(Some(items)) => {
                            for item in items {
                                b.values().append_value(item);
                            }
                            b.append(true);
                        }
                        V::TextList(None) => b.append(false),
                        other => return Err(mismatch(other)),
                    }
                }
                Arc::new(b.finish())
            }
        })
    }

    /// The rows as a table.
    pub fn table(&self) -> Result<Arc<dyn TableProvider>> {
        let batch = self.batch()?;
        Ok(Arc::new(MemTable::try_new(
            batch.schema(),
            vec![vec![batch]],
        )?))
    }
}

type Producer = dyn Fn() -> BoxFuture<'static, Result<RecordBatch>> + Send + Sync;

/// A table whose rows are computed at each scan (users and settings change while a
/// session reads the same snapshot).
pub struct LazyTable {
    schema: SchemaRef,
    produce: Box<Producer>,
}

impl LazyTable {
    pub fn new(
        schema: SchemaRef,
        produce: impl Fn() -> BoxFuture<'static, Result<RecordBatch>> + Send + Sync + 'static,
    ) -> Self {
        LazyTable {
            schema,
            produce: Box::new(produce),
        }
    }
}

impl fmt::Debug for LazyTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LazyTable")
            .field("schema", &self.schema)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl TableProvider for LazyTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::View
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let batch = (self.produce)().await?;
        let table = MemTable::try_new(self.schema.clone(), vec![vec![batch]])?;
        table.scan(state, projection, filters, limit).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLS: &[Col] = &[
        ("oid", Kind::Oid, false),
        ("name", Kind::Name, false),
        ("keys", Kind::I16List, true),
    ];

    #[test]
    fn rows_become_a_batch_with_pg_metadata() {
        let mut rows = Rows::new(COLS);
        rows.push(vec![V::oid(7), V::text("a"), V::I16List(Some(vec![1, 2]))]);
        rows.push(vec![V::oid(8), V::text("b"), V::I16List(None)]);
        let batch = rows.batch().expect("batch");
        assert_eq!(batch.num_rows(), 2);
        assert_eq!(
            batch
                .schema()
                .field(0)
                .metadata()
                .get("pg.oid_alias")
                .map(String::as_str),
            Some("oid")
        );
        let mut bad = Rows::new(COLS);
        bad.push(vec![V::text("x"), V::text("a"), V::I16List(None)]);
        assert!(bad.batch().is_err());
    }
}
