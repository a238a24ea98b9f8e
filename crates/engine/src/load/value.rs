//! Typed cell values and column builders: the loader's rows become Arrow batches here, and
//! each row's canonical bytes feed the content fingerprints that keep loads idempotent.

use std::sync::Arc;

use arrow::array::{
    ArrayBuilder, ArrayRef, BooleanBuilder, Date32Builder, Decimal128Builder, Float64Builder,
    Int16Builder, Int32Builder, Int64Builder, StringBuilder, TimestampMicrosecondBuilder,
};
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use lyceum_catalog::{ColumnType, TableDef};
use sha2::{Digest, Sha256};

use crate::error::{EngineError, Result};
use crate::warehouse::arrow_schema;

/// One cell. Decimals are unscaled integers at the column's scale.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    I16(i16),
    I32(i32),
    I64(i64),
    Dec(i128),
    F64(f64),
    Bool(bool),
    Str(String),
    /// Days since 1970-01-01.
    Date(i32),
    /// Microseconds since the epoch, UTC.
    Ts(i64),
}

impl Value {
    pub fn opt_str(s: Option<String>) -> Value {
        s.map(Value::Str).unwrap_or(Value::Null)
    }

    /// Feeds the value's canonical bytes to a hasher.
    fn hash_into(&self, h: &mut Sha256) {
        match self {
            Value::Null => h.update([0u8]),
            Value::I16(v) => h.update(i64::from(*v).to_le_bytes()),
            Value::I32(v) => h.update(i64::from(*v).to_le_bytes()),
            Value::I64(v) => h.update(v.to_le_bytes()),
            Value::Dec(v) => h.update(v.to_le_bytes()),
            Value::F64(v) => h.update(v.to_bits().to_le_bytes()),
            Value::Bool(v) => h.update([2u8 + u8::from(*v)]),
            Value::Str(s) => {
                h.update((s.len() as u64).to_le_bytes());
                h.update(s.as_bytes());
            }
            Value::Date(v) => h.update(i64::from(*v).to_le_bytes()),
            Value::Ts(v) => h.update(v.to_le_bytes()),
        }
    }
}

enum Column {
    I16(Int16Builder),
    I32(Int32Builder),
    I64(Int64Builder),
    Dec(Decimal128Builder),
    F64(Float64Builder),
    Bool(BooleanBuilder),
    Str(StringBuilder),
    Date(Date32Builder),
    Ts(TimestampMicrosecondBuilder),
}

impl Column {
    fn new(ty: ColumnType) -> Result<Column> {
        Ok(match ty {
            ColumnType::SmallInt => Column::I16(Int16Builder::new()),
            ColumnType::Integer => Column::I32(Int32Builder::new()),
            ColumnType::BigInt => Column::I64(Int64Builder::new()),
            ColumnType::Decimal { precision, scale } => {
                Column::Dec(Decimal128Builder::new().with_precision_and_scale(precision, scale)?)
            }
            ColumnType::Double => Column::F64(Float64Builder::new()),
            ColumnType::Boolean => Column::Bool(BooleanBuilder::new()),
            ColumnType::Varchar => Column::Str(StringBuilder::new()),
            ColumnType::Date => Column::Date(Date32Builder::new()),
            ColumnType::Timestamp => {
                Column::Ts(TimestampMicrosecondBuilder::new().with_timezone("UTC"))
            }
        })
    }

    fn push(&mut self, v: &Value) -> bool {
        match (self, v) {
            (Column::I16(b), Value::Null) => b.append_null(),
            (Column::I32(b), Value::Null) => b.append_null(),
            (Column::I64(b), Value::Null) => b.append_null(),
            (Column::Dec(b), Value::Null) => b.append_null(),
            (Column::F64(b), Value::Null) => b.append_null(),
            (Column::Bool(b), Value::Null) => b.append_null(),
            (Column::Str(b), Value::Null) => b.append_null(),
            (Column::Date(b), Value::Null) => b.append_null(),
            (Column::Ts(b), Value::Null) => b.append_null(),
            (Column::I16(b), Value::I16(x)) => b.append_value(*x),
            (Column::I32(b), Value::I32(x)) => b.append_value(*x),
            (Column::I64(b), Value::I64(x)) => b.append_value(*x),
            (Column::Dec(b), Value::Dec(x)) => b.append_value(*x),
            (Column::F64(b), Value::F64(x)) => b.append_value(*x),
            (Column::Bool(b), Value::Bool(x)) => b.append_value(*x),
            (Column::Str(b), Value::Str(x)) => b.append_value(x),
            (Column::Date(b), Value::Date(x)) => b.append_value(*x),
            (Column::Ts(b), Value::Ts(x)) => b.append_value(*x),
            _ => return false,
        }
        true
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Column::I16(b) => Arc::new(b.finish()),
            Column::I32(b) => Arc::new(b.finish()),
            Column::I64(b) => Arc::new(b.finish()),
            Column::Dec(b) => Arc::new(b.finish()),
            Column::F64(b) => Arc::new(b.finish()),
            Column::Bool(b) => Arc::new(b.finish()),
            Column::Str(b) => Arc::new(b.finish()),
            Column::Date(b) => Arc::new(b.finish()),
            Column::Ts(b) => Arc::new(b.finish()),
        }
    }

    fn len(&self) -> usize {
        match self {
            Column::I16(b) => b.len(),
            Column::I32(b) => b.len(),
            Column::I64(b) => b.len(),
            Column::Dec(b) => b.len(),
            Column::F64(b) => b.len(),
            Column::Bool(b) => b.len(),
            Column::Str(b) => b.len(),
            Column::Date(b) => b.len(),
            Column::Ts(b) => b.len(),
        }
    }
}

const BATCH_ROWS: usize = 128 * 1024;

/// Rows of one unit (a fact's term, or a whole table), as batches, with their fingerprint.
pub struct UnitData {
    columns: Vec<Column>,
    hasher: Sha256,
    pub batches: Vec<RecordBatch>,
    pub rows: u64,
}

impl UnitData {
    fn new(def: &TableDef) -> Result<UnitData> {
        Ok(UnitData {
            columns: def
                .columns
                .iter()
                .map(|c| Column::new(c.ty))
                .collect::<Result<_>>()?,
            hasher: Sha256::new(),
            batches: Vec::new(),
            rows: 0,
        })
    }

    fn flush(&mut self, schema: &SchemaRef) -> Result<()> {
        if self.columns.first().map(Column::len).unwrap_or(0) == 0 {
            return Ok(());
        }
        let arrays = self.columns.iter_mut().map(Column::finish).collect();
        self.batches
            .push(RecordBatch::try_new(schema.clone(), arrays)?);
        Ok(())
    }

    pub fn fingerprint(&self) -> String {
        hex::encode(self.hasher.clone().finalize())
    }
}

/// A table being built, split into units by its unit column (facts) or one unit (dims).
pub struct TableData {
    pub def: TableDef,
    schema: SchemaRef,
    unit_index: Option<usize>,
    /// Bookkeeping columns left out of the fingerprint (`etl_batch_id`).
    unhashed: Option<usize>,
    pub units: std::collections::BTreeMap<i64, UnitData>,
}

/// The unit key of a table that is not split.
pub const WHOLE: i64 = i64::MIN;

impl TableData {
    pub fn new(def: &TableDef) -> TableData {
        let unit_index = def
            .unit_column
            .as_ref()
            .and_then(|u| def.columns.iter().position(|c| &c.name == u));
        TableData {
            schema: arrow_schema(def),
            unhashed: def.columns.iter().position(|c| c.name == "etl_batch_id"),
            def: def.clone(),
            unit_index,
            units: Default::default(),
        }
    }

    /// Appends one row (values in the table's column order).
    pub fn push(&mut self, row: &[Value]) -> Result<()> {
        if row.len() != self.def.columns.len() {
            return Err(EngineError::Internal(format!(
                "{}: row of {} values for {} columns",
                self.def.name,
                row.len(),
                self.def.columns.len()
            )));
        }
        let unit = match self.unit_index.map(|i| &row[i]) {
            None => WHOLE,
            Some(Value::I32(v)) => i64::from(*v),
            Some(Value::I64(v)) => *v,
            Some(other) => {
                return Err(EngineError::Internal(format!(
                    "{}: unit column value {other:?}",
                    self.def.name
                )));
            }
        };
        let data = match self.units.entry(unit) {
            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::btree_map::Entry::Vacant(e) => e.insert(UnitData::new(&self.def)?),
        };
        for (i, ((col, value), def)) in data
            .columns
            .iter_mut()
            .zip(row)
            .zip(&self.def.columns)
            .enumerate()
        {
            if !col.push(value) {
                return Err(EngineError::Internal(format!(
                    "{}.{}: value {value:?} does not fit {:?}",
                    self.def.name, def.name, def.ty
                )));
            }
            if Some(i) != self.unhashed {
                value.hash_into(&mut data.hasher);
            }
        }
        data.rows += 1;
        if data.columns.first().map(Column::len).unwrap_or(0) >= BATCH_ROWS {
            data.flush(&self.schema)?;
        }
        Ok(())
    }

    /// Closes the open batches.
    pub fn finish(mut self) -> Result<TableData> {
        let schema = self.schema.clone();
        for unit in self.units.values_mut() {
            unit.flush(&schema)?;
        }
        Ok(self)
    }

    pub fn rows(&self) -> u64 {
        self.units.values().map(|u| u.rows).sum()
    }
}
