//! Scalar SQL functions whose bodies are closures over state (a session's settings, the
//! catalog of the pinned version), and helpers to read their arguments row by row.

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::DataType;
use datafusion::common::{ScalarValue, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
};

type Body = dyn Fn(&ScalarFunctionArgs) -> datafusion::error::Result<ColumnarValue> + Send + Sync;

/// A function whose body is a closure over session state.
struct SessionFunction {
    name: &'static str,
    aliases: Vec<String>,
    signature: Signature,
    returns: DataType,
    body: Box<Body>,
}

impl std::fmt::Debug for SessionFunction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionFunction")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl PartialEq for SessionFunction {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

impl Eq for SessionFunction {}

impl std::hash::Hash for SessionFunction {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl ScalarUDFImpl for SessionFunction {
    fn name(&self) -> &str {
        self.name
    }

    fn aliases(&self) -> &[String] {
        &self.aliases
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> datafusion::error::Result<DataType> {
        Ok(self.returns.clone())
    }

    fn invoke_with_args(
        &self,
        args: ScalarFunctionArgs,
    ) -> datafusion::error::Result<ColumnarValue> {
        (self.body)(&args)
    }
}

pub(crate) fn udf(
    name: &'static str,
    aliases: &[&str],
    signature: Signature,
    returns: DataType,
    body: impl Fn(&ScalarFunctionArgs) -> datafusion::error::Result<ColumnarValue>
    + Send
    + Sync
    + 'static,
) -> ScalarUDF {
    ScalarUDF::new_from_impl(SessionFunction {
        name,
        aliases: aliases.iter().map(|a| a.to_string()).collect(),
        signature,
        returns,
        body: Box::new(body),
    })
}

pub(crate) fn constant_text(
    value: String,
) -> impl Fn(&ScalarFunctionArgs) -> datafusion::error::Result<ColumnarValue> {
    move |_| {
        Ok(ColumnarValue::Scalar(ScalarValue::Utf8(Some(
            value.clone(),
        ))))
    }
}

/// The argument `i` as strings, one per row (a scalar repeats).
pub(crate) fn text_arg(
    args: &ScalarFunctionArgs,
    i: usize,
) -> datafusion::error::Result<Vec<Option<String>>> {
    let array = match args.args.get(i) {
        Some(value) => value.to_array(args.number_rows)?,
        None => return exec_err!("missing argument {}", i + 1),
    };
    let array = arrow::compute::cast(&array, &DataType::Utf8)?;
    let strings = array.as_string::<i32>();
    Ok((0..strings.len())
        .map(|r| strings.is_valid(r).then(|| strings.value(r).to_string()))
        .collect())
}

pub(crate) fn bool_arg(
    args: &ScalarFunctionArgs,
    i: usize,
) -> datafusion::error::Result<Vec<Option<bool>>> {
    let array = match args.args.get(i) {
        Some(value) => value.to_array(args.number_rows)?,
        None => return Ok(vec![Some(false); args.number_rows]),
    };
    let array = arrow::compute::cast(&array, &DataType::Boolean)?;
    let bools = array.as_boolean();
    Ok((0..bools.len())
        .map(|r| bools.is_valid(r).then(|| bools.value(r)))
        .collect())
}

/// One value for a call with all-scalar arguments, an array otherwise.
pub(crate) fn shape(
    args: &ScalarFunctionArgs,
    array: ArrayRef,
) -> datafusion::error::Result<ColumnarValue> {
    if args
        .args
        .iter()
        .all(|a| matches!(a, ColumnarValue::Scalar(_)))
        && array.len() == 1
    {
        Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(
            &array, 0,
        )?))
    } else {
        Ok(ColumnarValue::Array(array))
    }
}

/// The argument `i` as 32-bit integers (OIDs), one per row.
pub(crate) fn int_arg(
    args: &ScalarFunctionArgs,
    i: usize,
) -> datafusion::error::Result<Vec<Option<i32>>> {
    let array = match args.args.get(i) {
        Some(value) => value.to_array(args.number_rows)?,
        None => return Ok(vec![None; args.number_rows]),
    };
    let array = arrow::compute::cast(&array, &DataType::Int32)?;
    let ints = array.as_primitive::<arrow::datatypes::Int32Type>();
    Ok((0..ints.len())
        .map(|r| ints.is_valid(r).then(|| ints.value(r)))
        .collect())
}

/// A result of one value per row: `f` of argument `i` read as OIDs, into an array `A`.
pub(crate) fn map_oids<A, T>(
    args: &ScalarFunctionArgs,
    i: usize,
    f: impl FnMut(Option<i32>) -> Option<T>,
) -> datafusion::error::Result<ColumnarValue>
where
    A: FromIterator<Option<T>> + Array + 'static,
{
    let out: A = int_arg(args, i)?.into_iter().map(f).collect();
    shape(args, std::sync::Arc::new(out))
}

/// A result of one value per row: `f` of argument `i` read as text, into an array `A`.
pub(crate) fn map_texts<A, T>(
    args: &ScalarFunctionArgs,
    i: usize,
    f: impl FnMut(Option<String>) -> Option<T>,
) -> datafusion::error::Result<ColumnarValue>
where
    A: FromIterator<Option<T>> + Array + 'static,
{
    let out: A = text_arg(args, i)?.into_iter().map(f).collect();
    shape(args, std::sync::Arc::new(out))
}
