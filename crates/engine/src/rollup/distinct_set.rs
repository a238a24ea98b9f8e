//! Exact distinct counts from rollups: a group's state is the set of distinct non-null
//! values of the argument (by their canonical text), stored as text. Sets merge by union,
//! and `COUNT(DISTINCT x)` over any coarser grouping is the size of the union: the same
//! number the base rows give.
//!
//! State format 2 (`2:`, the set's size, `:` and base64): values that end in a run of up to 9 digits (student
//! ids such as `S0000014`, integer keys) are roaring bitmaps of those numbers, one per
//! (prefix, digit count); other values are listed. A union is then bitmap ORs rather than
//! hashing strings. Format 1 (rollups written before, still read): a sorted JSON array of
//! the members' text.
//!
//! Three aggregates: `lyceum_distinct_set(x)` computes a group's set when a rollup is
//! built; `lyceum_distinct_count(set)` merges stored sets into a count when a query is
//! answered; `lyceum_distinct_union(set)` merges stored sets into a set when new rows'
//! states are folded into a rollup (an incremental refresh). One scalar function,
//! `lyceum_distinct_size(set)`, is the count of one stored set, for a query at the
//! rollup's grain (each of its groups is one stored row: nothing to merge).
//! Floating-point arguments are refused (their text does not identify their value as
//! `COUNT(DISTINCT)` compares it).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use roaring::RoaringBitmap;

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Int64Array, StringArray};
use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, ColumnarValue, EmitTo, Expr, GroupsAccumulator,
    ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::scalar::ScalarValue;

/// The aggregate computing a group's set of `argument`'s distinct values.
pub fn distinct_set(argument: Expr) -> Expr {
    AggregateUDF::from(DistinctSet(Mode::Build)).call(vec![argument])
}

/// The aggregate merging stored sets into `COUNT(DISTINCT ...)`.
pub fn distinct_count(sets: Expr) -> Expr {
    AggregateUDF::from(DistinctSet(Mode::Count)).call(vec![sets])
}

/// The aggregate merging stored sets into their union (a set).
pub fn distinct_union(sets: Expr) -> Expr {
    AggregateUDF::from(DistinctSet(Mode::Union)).call(vec![sets])
}

/// The size of one stored set (NULL for a NULL set), read from its header where its
/// format has one.
pub fn distinct_size(set: Expr) -> Expr {
    ScalarUDF::new_from_impl(SetSize).call(vec![set])
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct SetSize;

impl ScalarUDFImpl for SetSize {
    fn name(&self) -> &str {
        "lyceum_distinct_size"
    }

    fn signature(&self) -> &Signature {
        &SIGNATURE
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let [sets] = arrays.as_slice() else {
            return Err(DataFusionError::Internal(
                "lyceum_distinct_size takes one set".into(),
            ));
        };
        let sets = arrow::compute::cast(sets, &DataType::Utf8)?;
        let sizes = sets
            .as_string::<i32>()
            .iter()
            .map(|set| {
                set.map(Members::size_of)
                    .transpose()?
                    .map(|n| i64::try_from(n).map_err(damaged))
                    .transpose()
            })
            .collect::<Result<Int64Array>>()?;
        Ok(ColumnarValue::Array(Arc::new(sizes)))
    }
}

#[derive(Debug, PartialEq, Eq, Hash, Clone, Copy)]
enum Mode {
    /// Values → their set.
    Build,
    /// Sets → the size of their union.
    Count,
    /// Sets → their union.
    Union,
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct DistinctSet(Mode);

static SIGNATURE: std::sync::LazyLock<Signature> =
    std::sync::LazyLock::new(|| Signature::any(1, Volatility::Immutable));

impl AggregateUDFImpl for DistinctSet {
    fn name(&self) -> &str {
        match self.0 {
            Mode::Build => "lyceum_distinct_set",
            Mode::Count => "lyceum_distinct_count",
            Mode::Union => "lyceum_distinct_union",
        }
    }

    fn signature(&self) -> &Signature {
        &SIGNATURE
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(if self.0 == Mode::Count {
            DataType::Int64
        } else {
            DataType::Utf8
        })
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let input = args
            .expr_fields
            .first()
            .map(|f| f.data_type().clone())
            .unwrap_or(DataType::Null);
        if matches!(
            input,
            DataType::Float16 | DataType::Float32 | DataType::Float64
        ) {
            return Err(DataFusionError::Plan(
                "a rollup keeps no distinct sets of floating-point values".into(),
            ));
        }
        Ok(Box::new(SetAccumulator::new(
            self.0 != Mode::Build,
            self.0 == Mode::Count,
        )))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![Arc::new(Field::new(
            format!("{}[set]", args.name),
            DataType::Utf8,
            true,
        ))])
    }

    /// Counts of stored sets run per group in one accumulator: a query at a rollup's grain
    /// has as many groups as the rollup has rows (49k class sections), where one boxed
    /// accumulator per group cost more than the scan the rollup saves.
    fn groups_accumulator_supported(&self, _: AccumulatorArgs) -> bool {
        self.0 == Mode::Count
    }

    fn create_groups_accumulator(&self, _: AccumulatorArgs) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(GroupCounts { groups: Vec::new() }))
    }
}

/// What a group of [`GroupCounts`] has seen.
#[derive(Debug, Default)]
enum GroupSet {
    #[default]
    Empty,
    /// One stored set, as stored.
    Single(String),
    Merged(Members),
}

impl GroupSet {
    /// Adds a stored set (either format).
    fn add(&mut self, set: &str) -> Result<()> {
        if let GroupSet::Empty = self {
            *self = GroupSet::Single(set.to_string());
            return Ok(());
        }
        self.members()?.union(Members::parse(set)?);
        Ok(())
    }

    /// Everything seen, as one set of members (parsing a single stored set).
    fn members(&mut self) -> Result<&mut Members> {
        let members = match std::mem::take(self) {
            GroupSet::Empty => Members::default(),
            GroupSet::Single(set) => Members::parse(&set)?,
            GroupSet::Merged(members) => members,
        };
        *self = GroupSet::Merged(members);
        match self {
            GroupSet::Merged(members) => Ok(members),
            _ => Err(DataFusionError::Internal(
                "a distinct set was not merged".into(),
            )),
        }
    }

    /// The number of members; a single stored set of format 2 says it without decoding.
    fn len(&self) -> Result<u64> {
        Ok(match self {
            GroupSet::Empty => 0,
            GroupSet::Single(set) => Members::size_of(set)?,
            GroupSet::Merged(members) => members.len(),
        })
    }

    /// The set as stored in format 2 (a single stored set of that format as it is).
    fn to_text(&self) -> Result<String> {
        match self {
            GroupSet::Single(set) if set.starts_with(FORMAT_2) => Ok(set.clone()),
            GroupSet::Single(set) => Members::parse(set)?.to_text(),
            GroupSet::Empty => Members::default().to_text(),
            GroupSet::Merged(members) => members.to_text(),
        }
    }

    fn bytes(&self) -> usize {
        match self {
            GroupSet::Empty => 0,
            GroupSet::Single(set) => set.len(),
            GroupSet::Merged(members) => members.bytes(),
        }
    }
}

/// `lyceum_distinct_count` over many groups: each group's stored sets, counted at the end.
#[derive(Debug)]
struct GroupCounts {
    groups: Vec<GroupSet>,
}

impl GroupCounts {
    fn add(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.groups.resize_with(total_num_groups, GroupSet::default);
        let Some(sets) = values.first() else {
            return Ok(());
        };
        let sets = arrow::compute::cast(sets, &DataType::Utf8)?;
        let sets = sets.as_string::<i32>();
        for (row, group) in group_indices.iter().enumerate() {
            if sets.is_null(row) || opt_filter.is_some_and(|f| !f.is_valid(row) || !f.value(row)) {
                continue;
            }
            self.groups[*group].add(sets.value(row))?;
        }
        Ok(())
    }
}

impl GroupsAccumulator for GroupCounts {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.add(values, group_indices, opt_filter, total_num_groups)
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.add(values, group_indices, None, total_num_groups)
    }

    /// Each row its own group: its stored set is its state (NULL where filtered out).
    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        let Some(sets) = values.first() else {
            return Ok(vec![Arc::new(StringArray::new_null(0))]);
        };
        let sets = arrow::compute::cast(sets, &DataType::Utf8)?;
        let sets = sets.as_string::<i32>();
        let kept: StringArray = (0..sets.len())
            .map(|row| {
                let passes = opt_filter.is_none_or(|f| f.is_valid(row) && f.value(row));
                (passes && sets.is_valid(row)).then(|| sets.value(row))
            })
            .collect();
        Ok(vec![Arc::new(kept)])
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let counts = emit_to
            .take_needed(&mut self.groups)
            .iter()
            .map(|g| g.len().map(|n| i64::try_from(n).unwrap_or(i64::MAX)))
            .collect::<Result<Int64Array>>()?;
        Ok(Arc::new(counts))
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let sets = emit_to
            .take_needed(&mut self.groups)
            .into_iter()
            .map(|g| match g {
                GroupSet::Empty => Ok(None),
                GroupSet::Single(set) => Ok(Some(set)),
                GroupSet::Merged(members) => members.to_text().map(Some),
            })
            .collect::<Result<StringArray>>()?;
        Ok(vec![Arc::new(sets)])
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
            + self.groups.capacity() * std::mem::size_of::<GroupSet>()
            + self.groups.iter().map(GroupSet::bytes).sum::<usize>()
    }
}

/// A set of distinct values (by their canonical text), kept compactly: a value made of
/// a prefix and a run of 1 to 9 trailing digits (`S0000014`, `202410`, `7`) is the number
/// in a bitmap of its (prefix, digit count) class; any other value is kept as text. Each
/// value has exactly one place, so the classes and the others are disjoint and the set's
/// size is the sum of theirs.
#[derive(Debug, Default, Clone, PartialEq)]
struct Members {
    classes: BTreeMap<(String, u8), RoaringBitmap>,
    others: BTreeSet<String>,
}

/// The text of a stored set in format 2 starts with this tag; format 1 is a JSON array.
const FORMAT_2: &str = "2:";

/// `value` as (prefix, digit count, number), if it ends in 1 to 9 ASCII digits.
fn split(value: &str) -> Option<(&str, u8, u32)> {
    let digits = value.bytes().rev().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits > 9 {
        return None;
    }
    let (prefix, tail) = value.split_at(value.len() - digits);
    let number = tail.parse().ok()?;
    Some((prefix, u8::try_from(digits).ok()?, number))
}

impl Members {
    fn insert(&mut self, value: &str) {
        match split(value) {
            Some((prefix, width, number)) => {
                if let Some(bitmap) = self.classes.get_mut(&(prefix.to_string(), width)) {
                    bitmap.insert(number);
                } else {
                    let mut bitmap = RoaringBitmap::new();
                    bitmap.insert(number);
                    self.classes.insert((prefix.to_string(), width), bitmap);
                }
            }
            None => {
                if !self.others.contains(value) {
                    self.others.insert(value.to_string());
                }
            }
        }
    }

    fn union(&mut self, other: Members) {
        for (class, bitmap) in other.classes {
            *self.classes.entry(class).or_default() |= bitmap;
        }
        self.others.extend(other.others);
    }

    fn len(&self) -> u64 {
        self.classes.values().map(RoaringBitmap::len).sum::<u64>() + self.others.len() as u64
    }

    fn bytes(&self) -> usize {
        self.classes
            .iter()
            .map(|((p, _), b)| p.len() + b.serialized_size() + 48)
            .sum::<usize>()
            + self.others.iter().map(|o| o.len() + 32).sum::<usize>()
    }

    /// A stored set, in either format.
    fn parse(text: &str) -> Result<Members> {
        let mut members = Members::default();
        if let Some(tagged) = text.strip_prefix(FORMAT_2) {
            let (_, encoded) = tagged.split_once(':').ok_or_else(|| damaged("no size"))?;
            let bytes = BASE64.decode(encoded).map_err(damaged)?;
            let mut input = bytes.as_slice();
            for _ in 0..read_u32(&mut input)? {
                let prefix = read_text(&mut input)?;
                let width = read_bytes(&mut input, 1)?[0];
                let length = read_u32(&mut input)? as usize;
                let bitmap = RoaringBitmap::deserialize_from(read_bytes(&mut input, length)?)
                    .map_err(damaged)?;
                members.classes.insert((prefix, width), bitmap);
            }
            for _ in 0..read_u32(&mut input)? {
                members.others.insert(read_text(&mut input)?);
            }
            return Ok(members);
        }
        // Format 1: a JSON array of the members' text.
        let listed: Vec<String> = serde_json::from_str(text).map_err(damaged)?;
        listed.iter().for_each(|m| members.insert(m));
        Ok(members)
    }

    /// The set as stored (format 2): the tag, the set's size and `:`, then in base64 the
    /// classes (prefix, digit count, serialized roaring bitmap) and the other values,
    /// lengths as u32 LE. (The size answers a count of one stored set without decoding.)
    fn to_text(&self) -> Result<String> {
        let mut out = Vec::with_capacity(self.bytes());
        let count = |n: usize| {
            u32::try_from(n)
                .map(u32::to_le_bytes)
                .map_err(|_| DataFusionError::Execution("a distinct set is too large".into()))
        };
        out.extend(count(self.classes.len())?);
        for ((prefix, width), bitmap) in &self.classes {
            out.extend(count(prefix.len())?);
            out.extend(prefix.as_bytes());
            out.push(*width);
            out.extend(count(bitmap.serialized_size())?);
            bitmap
                .serialize_into(&mut out)
                .map_err(|e| DataFusionError::Execution(format!("writing a distinct set: {e}")))?;
        }
        out.extend(count(self.others.len())?);
        for other in &self.others {
            out.extend(count(other.len())?);
            out.extend(other.as_bytes());
        }
        Ok(format!("{FORMAT_2}{}:{}", self.len(), BASE64.encode(out)))
    }

    /// The size of a stored set: from its header where its format has one, else by
    /// reading its members.
    fn size_of(text: &str) -> Result<u64> {
        match Members::stored_len(text) {
            Some(size) => Ok(size),
            None => Ok(Members::parse(text)?.len()),
        }
    }

    /// The size of a stored set without reading its members, where its format says it.
    fn stored_len(text: &str) -> Option<u64> {
        let (size, _) = text.strip_prefix(FORMAT_2)?.split_once(':')?;
        size.parse().ok()
    }
}

fn damaged(e: impl std::fmt::Display) -> DataFusionError {
    DataFusionError::Execution(format!("a rollup's distinct set is damaged: {e}"))
}

fn read_bytes<'a>(input: &mut &'a [u8], n: usize) -> Result<&'a [u8]> {
    if input.len() < n {
        return Err(damaged("it ends early"));
    }
    let (head, rest) = input.split_at(n);
    *input = rest;
    Ok(head)
}

fn read_u32(input: &mut &[u8]) -> Result<u32> {
    let bytes = read_bytes(input, 4)?;
    Ok(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
}

fn read_text(input: &mut &[u8]) -> Result<String> {
    let length = read_u32(input)? as usize;
    String::from_utf8(read_bytes(input, length)?.to_vec()).map_err(damaged)
}

#[derive(Debug)]
struct SetAccumulator {
    set: GroupSet,
    /// The input is stored sets (not values).
    merging: bool,
    /// The result is the set's size (not the set).
    count: bool,
}

impl SetAccumulator {
    fn new(merging: bool, count: bool) -> SetAccumulator {
        SetAccumulator {
            set: GroupSet::Empty,
            merging,
            count,
        }
    }

    fn insert_sets(&mut self, sets: &ArrayRef) -> Result<()> {
        let sets = arrow::compute::cast(sets, &DataType::Utf8)?;
        for set in sets.as_string::<i32>().iter().flatten() {
            self.set.add(set)?;
        }
        Ok(())
    }
}

impl Accumulator for SetAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let Some(input) = values.first() else {
            return Ok(());
        };
        if self.merging {
            return self.insert_sets(input);
        }
        let text = arrow::compute::cast(input, &DataType::Utf8)?;
        let members = self.set.members()?;
        for value in text.as_string::<i32>().iter().flatten() {
            members.insert(value);
        }
        Ok(())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        match states.first() {
            Some(sets) => self.insert_sets(sets),
            None => Ok(()),
        }
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![ScalarValue::Utf8(Some(self.set.to_text()?))])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        if self.count {
            let n = i64::try_from(self.set.len()?).unwrap_or(i64::MAX);
            Ok(ScalarValue::Int64(Some(n)))
        } else {
            Ok(ScalarValue::Utf8(Some(self.set.to_text()?)))
        }
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.set.bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int64Array, StringArray};

    fn text(result: ScalarValue) -> String {
        match result {
            ScalarValue::Utf8(Some(t)) => t,
            other => panic!("a set is text, not {other:?}"),
        }
    }

    #[test]
    fn sets_merge_by_union_and_count_their_members() -> Result<()> {
        let mut a = SetAccumulator::new(false, false);
        a.update_batch(&[Arc::new(Int64Array::from(vec![
            Some(3),
            None,
            Some(1),
            Some(3),
        ]))])?;
        let set = text(a.evaluate()?);
        assert!(set.starts_with(FORMAT_2), "{set}");
        let mut single = SetAccumulator::new(true, true);
        single.update_batch(&[Arc::new(StringArray::from(vec![set.as_str()]))])?;
        assert_eq!(single.evaluate()?, ScalarValue::Int64(Some(2)));
        // A format-1 set (as older rollups store them) merges with a format-2 one.
        let mut merged = SetAccumulator::new(true, true);
        merged.update_batch(&[Arc::new(StringArray::from(vec![
            Some(set.as_str()),
            Some(r#"["2","3"]"#),
            None,
        ]))])?;
        assert_eq!(merged.evaluate()?, ScalarValue::Int64(Some(3)));
        let mut union = SetAccumulator::new(true, false);
        union.update_batch(&[Arc::new(StringArray::from(vec![
            Some(r#"["1","3"]"#),
            None,
            Some(r#"["2","3"]"#),
        ]))])?;
        let unioned = Members::parse(&text(union.evaluate()?))?;
        assert_eq!(unioned, Members::parse(r#"["3","2","1"]"#)?);
        assert_eq!(unioned.len(), 3);
        for damaged in ["not a set", "2:1:!!", "2:1:AAAA", "2:AAAA"] {
            let mut bad = SetAccumulator::new(true, true);
            let result = bad
                .update_batch(&[Arc::new(StringArray::from(vec![set.as_str(), damaged]))])
                .and_then(|_| bad.evaluate());
            assert!(result.is_err(), "{damaged}");
        }
        Ok(())
    }

    #[test]
    fn group_counts_count_each_groups_union() -> Result<()> {
        let one = |values: &[&str]| {
            let mut m = Members::default();
            values.iter().for_each(|v| m.insert(v));
            m.to_text()
        };
        let (a, b) = (one(&["S1", "S2"])?, one(&["S2", "S3", "x"])?);
        let mut groups = GroupCounts { groups: Vec::new() };
        let sets: ArrayRef = Arc::new(StringArray::from(vec![
            Some(a.as_str()),
            Some(b.as_str()),
            None,
            Some(b.as_str()),
            Some(r#"["S1"]"#),
        ]));
        groups.update_batch(std::slice::from_ref(&sets), &[0, 0, 1, 1, 2], None, 4)?;
        // Partial states merge into another accumulator as sets do.
        let state = groups.state(EmitTo::All)?;
        let mut merged = GroupCounts { groups: Vec::new() };
        merged.merge_batch(&state, &[0, 1, 2, 3], 4)?;
        let converted = groups.convert_to_state(&[sets], None)?;
        merged.merge_batch(&converted, &[3, 3, 3, 3, 3], 4)?;
        let counts = merged.evaluate(EmitTo::All)?;
        let counts = counts.as_primitive::<arrow::datatypes::Int64Type>();
        // {S1,S2} ∪ {S2,S3,x}; {S2,S3,x}; {S1}; no sets in 3 before the last batch: all.
        assert_eq!(counts.values().to_vec(), vec![4, 3, 1, 4]);
        Ok(())
    }

    #[test]
    fn values_keep_their_identity_in_bitmaps_and_lists() -> Result<()> {
        let mut m = Members::default();
        // Same digits, other prefix or width: other values. Too many digits: listed.
        for v in [
            "S0000014",
            "S14",
            "T0000014",
            "S0000014",
            "0014",
            "14",
            "abc",
            "12345678901",
            "",
        ] {
            m.insert(v);
        }
        assert_eq!(m.len(), 8);
        assert_eq!(m.others.len(), 3);
        let stored = m.to_text()?;
        assert_eq!(Members::stored_len(&stored), Some(8));
        assert_eq!(Members::parse(&stored)?, m);
        assert_eq!(split("S0000014"), Some(("S", 7, 14)));
        assert_eq!(split("x"), None);
        Ok(())
    }
}
