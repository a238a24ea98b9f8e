//! PostgreSQL's JSON functions and operators over text. A `json` or `jsonb` value is an
//! Arrow string whose field says its type ([`RESULT_TYPE_KEY`] = 114 or 3802): functions
//! read their arguments' fields to tell a JSON argument (embedded as it is) from text
//! (quoted), and declare the type of what they return, which the Postgres endpoint
//! reports. The operators reach these functions through the syntax pass (`->` becomes
//! `lyceum_json_get`, ...).

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Int32Array, StringArray};
use arrow::datatypes::{DataType, Field, FieldRef};
use arrow::error::ArrowError;
use datafusion::common::{DataFusionError, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    TypeSignature, Volatility,
};
use datafusion::prelude::SessionContext;

use super::document::{self, Doc, Value};
use crate::error::EngineError;
use crate::pgcatalog::result_types::RESULT_TYPE_KEY;
use crate::sqlfn::{shape, text_arg};

type Result<T> = datafusion::error::Result<T>;

/// PostgreSQL's two JSON types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Json,
    Jsonb,
}

impl Kind {
    fn oid(self) -> &'static str {
        match self {
            Kind::Json => "114",
            Kind::Jsonb => "3802",
        }
    }

    /// `text` as a value of this type: `jsonb` in its normal form.
    fn finish(self, text: String) -> Result<String> {
        match self {
            Kind::Json => Ok(text),
            Kind::Jsonb => document::normalize(&text).map_err(invalid),
        }
    }
}

/// The JSON type a field declares, if any.
pub fn kind_of(field: &Field) -> Option<Kind> {
    match field.metadata().get(RESULT_TYPE_KEY).map(String::as_str) {
        Some("114") => Some(Kind::Json),
        Some("3802") => Some(Kind::Jsonb),
        _ => None,
    }
}

/// What a function returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Output {
    Text,
    Boolean,
    Int32,
    Json(Kind),
    /// The JSON type of the first argument (`json` when it has none).
    LikeFirst,
}

type Body = dyn Fn(&ScalarFunctionArgs) -> Result<ColumnarValue> + Send + Sync;

struct JsonFunction {
    name: &'static str,
    signature: Signature,
    output: Output,
    body: Box<Body>,
}

impl std::fmt::Debug for JsonFunction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonFunction")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl PartialEq for JsonFunction {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for JsonFunction {}

impl std::hash::Hash for JsonFunction {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl ScalarUDFImpl for JsonFunction {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(match self.output {
            Output::Boolean => DataType::Boolean,
            Output::Int32 => DataType::Int32,
            Output::Text | Output::Json(_) | Output::LikeFirst => DataType::Utf8,
        })
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let data_type = self.return_type(&[])?;
        let kind = match self.output {
            Output::Json(kind) => Some(kind),
            Output::LikeFirst => Some(
                args.arg_fields
                    .first()
                    .and_then(|f| kind_of(f))
                    .unwrap_or(Kind::Json),
            ),
            _ => None,
        };
        let field = Field::new(self.name, data_type, true);
        Ok(Arc::new(match kind {
            Some(kind) => field.with_metadata(HashMap::from([(
                RESULT_TYPE_KEY.to_string(),
                kind.oid().to_string(),
            )])),
            None => field,
        }))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        (self.body)(&args)
    }
}

fn function(
    name: &'static str,
    signature: Signature,
    output: Output,
    body: impl Fn(&ScalarFunctionArgs) -> Result<ColumnarValue> + Send + Sync + 'static,
) -> ScalarUDF {
    ScalarUDF::new_from_impl(JsonFunction {
        name,
        signature,
        output,
        body: Box::new(body),
    })
}

fn invalid(e: document::ParseError) -> DataFusionError {
    DataFusionError::ArrowError(Box::new(ArrowError::ParseError(e.to_string())), None)
}

fn parse(text: &str) -> Result<Doc<'_>> {
    document::parse(text).map_err(invalid)
}

fn parameter_error(name: &'static str, message: &str) -> DataFusionError {
    DataFusionError::External(Box::new(EngineError::InvalidArgument {
        name,
        message: message.to_string(),
    }))
}

fn immutable(n: usize) -> Signature {
    Signature::any(n, Volatility::Immutable)
}

/// One text result per row from the documents of argument 0 and the other arguments.
fn per_row<T, A>(
    args: &ScalarFunctionArgs,
    mut f: impl FnMut(&Doc<'_>, usize) -> Result<Option<T>>,
) -> Result<ColumnarValue>
where
    A: FromIterator<Option<T>> + Array + 'static,
{
    let docs = text_arg(args, 0)?;
    let out: A = docs
        .iter()
        .enumerate()
        .map(|(row, text)| match text {
            Some(text) => f(&parse(text)?, row),
            None => Ok(None),
        })
        .collect::<Result<_>>()?;
    shape(args, Arc::new(out))
}

/// A key or index argument: `->` takes an integer for arrays and text for objects.
enum Step {
    Index(i64),
    Key(String),
}

fn step_arg(args: &ScalarFunctionArgs, i: usize) -> Result<Vec<Option<Step>>> {
    let Some(value) = args.args.get(i) else {
        return exec_err!("missing argument {}", i + 1);
    };
    if value.data_type().is_integer() {
        let array = arrow::compute::cast(&value.to_array(args.number_rows)?, &DataType::Int64)?;
        let ints = array.as_primitive::<arrow::datatypes::Int64Type>();
        Ok(ints.iter().map(|v| v.map(Step::Index)).collect())
    } else {
        Ok(text_arg(args, i)?
            .into_iter()
            .map(|v| v.map(Step::Key))
            .collect())
    }
}

fn step<'d, 'a>(doc: &'d Doc<'a>, step: &Step) -> Option<&'d Doc<'a>> {
    match step {
        Step::Index(i) => doc.value.element(*i),
        Step::Key(k) => doc.value.member(k),
    }
}

/// A `text[]` argument, given as an array or as an array literal (`'{a,2}'`).
fn text_array_arg(args: &ScalarFunctionArgs, i: usize) -> Result<Vec<Option<Vec<Option<String>>>>> {
    let Some(value) = args.args.get(i) else {
        return exec_err!("missing argument {}", i + 1);
    };
    let array = value.to_array(args.number_rows)?;
    if let Some(list) = array.as_list_opt::<i32>() {
        let mut out = Vec::with_capacity(list.len());
        for row in 0..list.len() {
            if list.is_null(row) {
                out.push(None);
                continue;
            }
            let items = arrow::compute::cast(&list.value(row), &DataType::Utf8)?;
            let items = items.as_string::<i32>();
            out.push(Some(items.iter().map(|s| s.map(str::to_string)).collect()));
        }
        return Ok(out);
    }
    text_arg(args, i)?
        .into_iter()
        .map(|t| match t {
            None => Ok(None),
            Some(t) => document::text_array_literal(&t).map(Some).ok_or_else(|| {
                DataFusionError::ArrowError(
                    Box::new(ArrowError::ParseError(format!(
                        "malformed array literal: \"{t}\""
                    ))),
                    None,
                )
            }),
        })
        .collect()
}

/// The value at `path` (`#>`): keys for objects, integers for arrays.
fn at_path<'d, 'a>(doc: &'d Doc<'a>, path: &[Option<String>]) -> Option<&'d Doc<'a>> {
    let mut at = doc;
    for item in path {
        let item = item.as_deref()?;
        at = match &at.value {
            Value::Object(_) => at.value.member(item)?,
            Value::Array(_) => at.value.element(item.trim().parse().ok()?)?,
            _ => return None,
        };
    }
    Some(at)
}

pub fn register(ctx: &SessionContext) {
    for kind in [Kind::Json, Kind::Jsonb] {
        let suffix = if kind == Kind::Json { "json" } else { "jsonb" };
        ctx.register_udf(cast(kind));
        ctx.register_udf(build_object(kind));
        ctx.register_udf(build_array(kind));
        ctx.register_udf(to_json(kind));
        ctx.register_udf(aggregate_array(kind));
        ctx.register_udf(aggregate_object(kind));
        ctx.register_udf(type_of(suffix));
        ctx.register_udf(array_length(suffix));
    }
    ctx.register_udf(extraction("lyceum_json_get", false, false));
    ctx.register_udf(extraction("lyceum_json_get_text", false, true));
    ctx.register_udf(extraction("lyceum_json_path", true, false));
    ctx.register_udf(extraction("lyceum_json_path_text", true, true));
    ctx.register_udf(contains());
    ctx.register_udf(exists());
    ctx.register_udf(exists_many("lyceum_jsonb_exists_any", false));
    ctx.register_udf(exists_many("lyceum_jsonb_exists_all", true));
    ctx.register_udf(concat());
    ctx.register_udf(delete());
    ctx.register_udf(set());
    ctx.register_udf(strip_nulls());
}

/// `text::json` (checked, kept verbatim) and `text::jsonb` (normalised).
fn cast(kind: Kind) -> ScalarUDF {
    let name = match kind {
        Kind::Json => "lyceum_json",
        Kind::Jsonb => "lyceum_jsonb",
    };
    function(name, immutable(1), Output::Json(kind), move |args| {
        per_row::<String, StringArray>(args, |doc, _| {
            Ok(Some(match kind {
                Kind::Json => doc.text.to_string(),
                Kind::Jsonb => document::normal(doc),
            }))
        })
    })
}

/// Where `->` / `#>` look: a key or index, or a path.
enum Target {
    Step(Step),
    Path(Vec<Option<String>>),
}

/// `doc -> key|index` and `doc #> path` (`text`: `->>` and `#>>`): the value found, as
/// JSON (its own text) or as text.
fn extraction(name: &'static str, by_path: bool, text: bool) -> ScalarUDF {
    let output = if text {
        Output::Text
    } else {
        Output::LikeFirst
    };
    function(name, immutable(2), output, move |args| {
        let targets: Vec<Option<Target>> = if by_path {
            text_array_arg(args, 1)?
                .into_iter()
                .map(|p| p.map(Target::Path))
                .collect()
        } else {
            step_arg(args, 1)?
                .into_iter()
                .map(|s| s.map(Target::Step))
                .collect()
        };
        per_row::<String, StringArray>(args, |doc, row| {
            let found = targets[row].as_ref().and_then(|t| match t {
                Target::Step(s) => step(doc, s),
                Target::Path(p) => at_path(doc, p),
            });
            Ok(if text {
                found.and_then(document::as_text)
            } else {
                found.map(|d| d.text.to_string())
            })
        })
    })
}

/// `a @> b` (and `b <@ a`).
fn contains() -> ScalarUDF {
    function(
        "lyceum_jsonb_contains",
        immutable(2),
        Output::Boolean,
        |args| {
            let other = text_arg(args, 1)?;
            per_row::<bool, BooleanArray>(args, |doc, row| {
                other[row]
                    .as_deref()
                    .map(|b| Ok(document::contains(&doc.value, &parse(b)?.value)))
                    .transpose()
            })
        },
    )
}

/// `doc ? key`.
fn exists() -> ScalarUDF {
    function(
        "lyceum_jsonb_exists",
        immutable(2),
        Output::Boolean,
        |args| {
            let keys = text_arg(args, 1)?;
            per_row::<bool, BooleanArray>(args, |doc, row| {
                Ok(keys[row]
                    .as_deref()
                    .map(|k| document::has_key(&doc.value, k)))
            })
        },
    )
}

/// `doc ?| keys` (any) and `doc ?& keys` (all); NULL keys are ignored.
fn exists_many(name: &'static str, all: bool) -> ScalarUDF {
    function(name, immutable(2), Output::Boolean, move |args| {
        let keys = text_array_arg(args, 1)?;
        per_row::<bool, BooleanArray>(args, |doc, row| {
            Ok(keys[row].as_ref().map(|keys| {
                let mut present = keys
                    .iter()
                    .flatten()
                    .map(|k| document::has_key(&doc.value, k));
                if all {
                    present.all(|p| p)
                } else {
                    present.any(|p| p)
                }
            }))
        })
    })
}

/// `json_typeof` / `jsonb_typeof`.
fn type_of(suffix: &'static str) -> ScalarUDF {
    let name = if suffix == "json" {
        "json_typeof"
    } else {
        "jsonb_typeof"
    };
    function(name, immutable(1), Output::Text, |args| {
        per_row::<String, StringArray>(args, |doc, _| Ok(Some(doc.value.type_name().to_string())))
    })
}

/// `json_array_length` / `jsonb_array_length`.
fn array_length(suffix: &'static str) -> ScalarUDF {
    let name = if suffix == "json" {
        "json_array_length"
    } else {
        "jsonb_array_length"
    };
    function(name, immutable(1), Output::Int32, |args| {
        per_row::<i32, Int32Array>(args, |doc, _| match &doc.value {
            Value::Array(items) => Ok(Some(i32::try_from(items.len()).unwrap_or(i32::MAX))),
            Value::Object(_) => Err(parameter_error(
                "json",
                "cannot get array length of a non-array",
            )),
            _ => Err(parameter_error(
                "json",
                "cannot get array length of a scalar",
            )),
        })
    })
}

/// One cell as JSON text, as PostgreSQL's `to_json` writes it: a JSON argument as it is,
/// text quoted, numbers and booleans bare, dates and timestamps as quoted ISO 8601,
/// arrays and records without spaces.
fn cell_json(array: &ArrayRef, row: usize, kind: Option<Kind>, out: &mut String) -> Result<()> {
    if null_at(array, row) {
        out.push_str("null");
        return Ok(());
    }
    let text = || arrow::util::display::array_value_to_string(array, row);
    match array.data_type() {
        DataType::Boolean
        | DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64 => out.push_str(&text()?),
        DataType::UInt8 | DataType::UInt16 | DataType::UInt32 | DataType::UInt64 => {
            out.push_str(&text()?)
        }
        DataType::Decimal128(..) | DataType::Decimal256(..) => out.push_str(&text()?),
        DataType::Float16 | DataType::Float32 | DataType::Float64 => {
            let t = text()?;
            if t.parse::<f64>().is_ok_and(f64::is_finite) {
                out.push_str(&t);
            } else {
                document::quote(&t, out);
            }
        }
        DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8 if kind.is_some() => {
            out.push_str(&text()?)
        }
        DataType::List(_) | DataType::LargeList(_) => {
            let list = arrow::compute::cast(
                array,
                &DataType::List(Arc::new(Field::new_list_field(
                    match array.data_type() {
                        DataType::List(f) | DataType::LargeList(f) => f.data_type().clone(),
                        _ => DataType::Null,
                    },
                    true,
                ))),
            )?;
            let items = list.as_list::<i32>().value(row);
            out.push('[');
            for i in 0..items.len() {
                if i > 0 {
                    out.push(',');
                }
                cell_json(&items, i, None, out)?;
            }
            out.push(']');
        }
        DataType::Struct(fields) => {
            let s = array.as_struct();
            out.push('{');
            for (i, field) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                document::quote(field.name(), out);
                out.push(':');
                cell_json(s.column(i), row, kind_of(field), out)?;
            }
            out.push('}');
        }
        _ => document::quote(&text()?, out),
    }
    Ok(())
}

/// Whether `array` is NULL at `row` (a NULL literal's array has no validity buffer).
fn null_at(array: &ArrayRef, row: usize) -> bool {
    array.data_type() == &DataType::Null || array.is_null(row)
}

fn arrays(args: &ScalarFunctionArgs) -> Result<Vec<ArrayRef>> {
    args.args
        .iter()
        .map(|a| a.to_array(args.number_rows))
        .collect()
}

/// `json_build_object(k, v, ...)`: `{"k" : v, ...}`; `jsonb_build_object` normalised.
fn build_object(kind: Kind) -> ScalarUDF {
    let name = match kind {
        Kind::Json => "json_build_object",
        Kind::Jsonb => "jsonb_build_object",
    };
    function(
        name,
        Signature::variadic_any(Volatility::Stable),
        Output::Json(kind),
        move |args| {
            if args.args.len() % 2 != 0 {
                return Err(parameter_error(
                    "json",
                    "argument list must have even number of elements",
                ));
            }
            let arrays = arrays(args)?;
            let mut out = Vec::with_capacity(args.number_rows);
            for row in 0..args.number_rows {
                let mut text = String::from("{");
                for (pair, fields) in arrays.chunks(2).zip(args.arg_fields.chunks(2)) {
                    if text.len() > 1 {
                        text.push_str(", ");
                    }
                    if null_at(&pair[0], row) {
                        return Err(parameter_error(
                            "json",
                            "null value not allowed for object key",
                        ));
                    }
                    let key = arrow::util::display::array_value_to_string(&pair[0], row)?;
                    document::quote(&key, &mut text);
                    text.push_str(" : ");
                    cell_json(&pair[1], row, kind_of(&fields[1]), &mut text)?;
                }
                text.push('}');
                out.push(Some(kind.finish(text)?));
            }
            shape(args, Arc::new(StringArray::from(out)))
        },
    )
}

/// `json_build_array(v, ...)`: `[v, ...]`; `jsonb_build_array` normalised.
fn build_array(kind: Kind) -> ScalarUDF {
    let name = match kind {
        Kind::Json => "json_build_array",
        Kind::Jsonb => "jsonb_build_array",
    };
    function(
        name,
        Signature::variadic_any(Volatility::Stable),
        Output::Json(kind),
        move |args| {
            let arrays = arrays(args)?;
            let mut out = Vec::with_capacity(args.number_rows);
            for row in 0..args.number_rows {
                let mut text = String::from("[");
                for (i, (array, field)) in arrays.iter().zip(&args.arg_fields).enumerate() {
                    if i > 0 {
                        text.push_str(", ");
                    }
                    cell_json(array, row, kind_of(field), &mut text)?;
                }
                text.push(']');
                out.push(Some(kind.finish(text)?));
            }
            shape(args, Arc::new(StringArray::from(out)))
        },
    )
}

/// `to_json(x)` / `to_jsonb(x)`.
fn to_json(kind: Kind) -> ScalarUDF {
    let name = match kind {
        Kind::Json => "to_json",
        Kind::Jsonb => "to_jsonb",
    };
    function(
        name,
        Signature::any(1, Volatility::Stable),
        Output::Json(kind),
        move |args| {
            let arrays = arrays(args)?;
            let field_kind = args.arg_fields.first().and_then(|f| kind_of(f));
            let mut out = Vec::with_capacity(args.number_rows);
            for row in 0..args.number_rows {
                if null_at(&arrays[0], row) {
                    out.push(None);
                    continue;
                }
                let mut text = String::new();
                cell_json(&arrays[0], row, field_kind, &mut text)?;
                out.push(Some(kind.finish(text)?));
            }
            shape(args, Arc::new(StringArray::from(out)))
        },
    )
}

/// The whether-elements-are-JSON flag the syntax pass passes to the aggregate finishers.
fn flag(args: &ScalarFunctionArgs, i: usize) -> bool {
    matches!(
        args.args.get(i),
        Some(ColumnarValue::Scalar(
            datafusion::scalar::ScalarValue::Boolean(Some(true))
        ))
    )
}

/// `json_agg(x ...)`, planned as `lyceum_json_agg(array_agg(x ...), x is json)`:
/// `[a, b]`, records and arrays each after a line break as PostgreSQL writes them.
fn aggregate_array(kind: Kind) -> ScalarUDF {
    let name = match kind {
        Kind::Json => "lyceum_json_agg",
        Kind::Jsonb => "lyceum_jsonb_agg",
    };
    function(name, immutable(2), Output::Json(kind), move |args| {
        let lists = arrays(args)?;
        let element_kind = flag(args, 1).then_some(Kind::Json);
        let Some(lists) = lists[0].as_list_opt::<i32>() else {
            return exec_err!("{name} expects a list");
        };
        let mut out = Vec::with_capacity(lists.len());
        for row in 0..lists.len() {
            if lists.is_null(row) {
                out.push(None);
                continue;
            }
            let items = lists.value(row);
            let nested = matches!(items.data_type(), DataType::List(_) | DataType::Struct(_));
            let mut text = String::from("[");
            for i in 0..items.len() {
                if i > 0 {
                    text.push_str(", ");
                }
                if nested && !items.is_null(i) && kind == Kind::Json {
                    text.push_str("\n ");
                }
                cell_json(&items, i, element_kind, &mut text)?;
            }
            text.push(']');
            out.push(Some(kind.finish(text)?));
        }
        shape(args, Arc::new(StringArray::from(out)))
    })
}

/// `json_object_agg(k, v ...)`, planned as
/// `lyceum_json_object_agg(array_agg(struct(k, v) ...), v is json)`: `{ "k" : v, ... }`.
fn aggregate_object(kind: Kind) -> ScalarUDF {
    let name = match kind {
        Kind::Json => "lyceum_json_object_agg",
        Kind::Jsonb => "lyceum_jsonb_object_agg",
    };
    function(name, immutable(2), Output::Json(kind), move |args| {
        let lists = arrays(args)?;
        let value_kind = flag(args, 1).then_some(Kind::Json);
        let Some(lists) = lists[0].as_list_opt::<i32>() else {
            return exec_err!("{name} expects a list");
        };
        let mut out = Vec::with_capacity(lists.len());
        for row in 0..lists.len() {
            if lists.is_null(row) {
                out.push(None);
                continue;
            }
            let pairs = lists.value(row);
            let Some(pairs) = pairs.as_struct_opt() else {
                return exec_err!("{name} expects pairs");
            };
            let (keys, values) = (pairs.column(0), pairs.column(1));
            let mut text = String::from("{ ");
            for i in 0..pairs.len() {
                if i > 0 {
                    text.push_str(", ");
                }
                if null_at(keys, i) {
                    return Err(parameter_error("json", "field name must not be null"));
                }
                document::quote(
                    &arrow::util::display::array_value_to_string(keys, i)?,
                    &mut text,
                );
                text.push_str(" : ");
                cell_json(values, i, value_kind, &mut text)?;
            }
            text.push_str(" }");
            out.push(Some(kind.finish(text)?));
        }
        shape(args, Arc::new(StringArray::from(out)))
    })
}

/// A value built from parts of documents, written in `jsonb`'s normal form.
#[derive(Debug, Clone)]
enum Built<'a> {
    Doc(&'a Doc<'a>),
    Owned(Doc<'a>),
    Array(Vec<Built<'a>>),
    Object(Vec<(String, Built<'a>)>),
}

impl Built<'_> {
    fn write(&self, out: &mut String) {
        match self {
            Built::Doc(d) => out.push_str(&document::normal(d)),
            Built::Owned(d) => out.push_str(&document::normal(d)),
            Built::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.write(out);
                }
                out.push(']');
            }
            Built::Object(members) => {
                let mut sorted: Vec<&(String, Built)> = members.iter().collect();
                sorted.sort_by(|a, b| document::key_order(&a.0, &b.0));
                out.push('{');
                for (i, (key, value)) in sorted.into_iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    document::quote(key, out);
                    out.push_str(": ");
                    value.write(out);
                }
                out.push('}');
            }
        }
    }

    fn text(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }
}

/// The parts of a document one level down: its elements or members (last key kept).
fn elements<'a>(doc: &'a Doc<'a>) -> Vec<Built<'a>> {
    match &doc.value {
        Value::Array(items) => items.iter().map(Built::Doc).collect(),
        _ => vec![Built::Doc(doc)],
    }
}

fn members<'a>(doc: &'a Doc<'a>) -> Vec<(String, Built<'a>)> {
    match &doc.value {
        Value::Object(members) => document::jsonb_members(members)
            .into_iter()
            .map(|(k, v)| (k.to_string(), Built::Doc(v)))
            .collect(),
        _ => Vec::new(),
    }
}

/// `a || b` on `jsonb`: objects merge (the right's keys win), otherwise arrays concatenate
/// (a scalar or object counts as a one-element array).
fn concat() -> ScalarUDF {
    function(
        "lyceum_jsonb_concat",
        immutable(2),
        Output::Json(Kind::Jsonb),
        |args| {
            let other = text_arg(args, 1)?;
            per_row::<String, StringArray>(args, |a, row| {
                let Some(b) = other[row].as_deref() else {
                    return Ok(None);
                };
                let b = parse(b)?;
                let built = match (&a.value, &b.value) {
                    (Value::Object(_), Value::Object(_)) => {
                        let mut merged = members(a);
                        for (k, v) in members(&b) {
                            merged.retain(|(have, _)| *have != k);
                            merged.push((k, v));
                        }
                        Built::Object(merged)
                    }
                    _ => Built::Array(elements(a).into_iter().chain(elements(&b)).collect()),
                };
                Ok(Some(built.text()))
            })
        },
    )
}

/// `a - key` (a member, or an array's string elements equal to it), `a - index`.
fn delete() -> ScalarUDF {
    function(
        "lyceum_jsonb_delete",
        immutable(2),
        Output::Json(Kind::Jsonb),
        |args| {
            let steps = step_arg(args, 1)?;
            per_row::<String, StringArray>(args, |a, row| {
                let Some(s) = steps[row].as_ref() else {
                    return Ok(None);
                };
                let built = match (&a.value, s) {
                    (Value::Object(_), Step::Key(k)) => Built::Object(
                        members(a)
                            .into_iter()
                            .filter(|(have, _)| have != k)
                            .collect(),
                    ),
                    (Value::Array(items), Step::Key(k)) => Built::Array(
                        items
                            .iter()
                            .filter(|i| !matches!(&i.value, Value::String(s) if s == k))
                            .map(Built::Doc)
                            .collect(),
                    ),
                    (Value::Array(items), Step::Index(i)) => {
                        let len = items.len() as i64;
                        let drop = if *i < 0 { len + i } else { *i };
                        Built::Array(
                            items
                                .iter()
                                .enumerate()
                                .filter(|(at, _)| *at as i64 != drop)
                                .map(|(_, d)| Built::Doc(d))
                                .collect(),
                        )
                    }
                    (Value::Object(_), Step::Index(_)) => {
                        return Err(parameter_error(
                            "json",
                            "cannot delete from object using integer index",
                        ));
                    }
                    _ => return Err(parameter_error("json", "cannot delete from scalar")),
                };
                Ok(Some(built.text()))
            })
        },
    )
}

/// `jsonb_set(target, path, value [, create_missing])`.
fn set() -> ScalarUDF {
    let signature = Signature::one_of(
        vec![TypeSignature::Any(3), TypeSignature::Any(4)],
        Volatility::Immutable,
    );
    function("jsonb_set", signature, Output::Json(Kind::Jsonb), |args| {
        let paths = text_array_arg(args, 1)?;
        let values = text_arg(args, 2)?;
        let create = match args.args.len() {
            4 => crate::sqlfn::bool_arg(args, 3)?,
            _ => vec![Some(true); args.number_rows],
        };
        per_row::<String, StringArray>(args, |target, row| {
            let (Some(path), Some(value), Some(create)) =
                (paths[row].as_ref(), values[row].as_deref(), create[row])
            else {
                return Ok(None);
            };
            let value = parse(value)?;
            Ok(Some(set_at(target, path, &value, create)?.text()))
        })
    })
}

fn set_at<'a>(
    doc: &'a Doc<'a>,
    path: &[Option<String>],
    value: &'a Doc<'a>,
    create: bool,
) -> Result<Built<'a>> {
    let Some((first, rest)) = path.split_first() else {
        return Ok(Built::Doc(value));
    };
    let Some(first) = first.as_deref() else {
        return Err(parameter_error("path", "path element must not be null"));
    };
    match &doc.value {
        Value::Object(_) => {
            let mut members = members(doc);
            match doc.value.member(first) {
                Some(child) => {
                    let replaced = set_at(child, rest, value, create)?;
                    for m in members.iter_mut() {
                        if m.0 == first {
                            m.1 = replaced.clone();
                        }
                    }
                }
                None if rest.is_empty() && create => {
                    members.push((first.to_string(), Built::Doc(value)));
                }
                None => {}
            }
            Ok(Built::Object(members))
        }
        Value::Array(items) => {
            let Ok(index) = first.trim().parse::<i64>() else {
                return Err(parameter_error(
                    "path",
                    &format!("path element \"{first}\" is not an integer"),
                ));
            };
            let mut built: Vec<Built> = items.iter().map(Built::Doc).collect();
            let len = items.len() as i64;
            let at = if index < 0 { len + index } else { index };
            match usize::try_from(at).ok().filter(|i| *i < items.len()) {
                Some(i) => built[i] = set_at(&items[i], rest, value, create)?,
                None if rest.is_empty() && create => {
                    if at < 0 {
                        built.insert(0, Built::Doc(value));
                    } else {
                        built.push(Built::Doc(value));
                    }
                }
                None => {}
            }
            Ok(Built::Array(built))
        }
        _ => Err(parameter_error("json", "cannot set path in scalar")),
    }
}

/// `jsonb_strip_nulls(doc)`: object members whose value is null removed, at every level.
fn strip_nulls() -> ScalarUDF {
    fn strip<'a>(doc: &'a Doc<'a>) -> Built<'a> {
        match &doc.value {
            Value::Object(members) => Built::Object(
                document::jsonb_members(members)
                    .into_iter()
                    .filter(|(_, v)| !matches!(v.value, Value::Null))
                    .map(|(k, v)| (k.to_string(), strip(v)))
                    .collect(),
            ),
            Value::Array(items) => Built::Array(items.iter().map(strip).collect()),
            _ => Built::Owned(doc.clone()),
        }
    }
    function(
        "jsonb_strip_nulls",
        immutable(1),
        Output::Json(Kind::Jsonb),
        |args| per_row::<String, StringArray>(args, |doc, _| Ok(Some(strip(doc).text()))),
    )
}
