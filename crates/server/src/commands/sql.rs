//! `lyceum sql`: run SQL against the warehouse and print a result.
//!
//! Every statement runs, in order (a `SET` affects the ones after it). The rows of the
//! LAST statement that returns rows are printed; the rows of earlier statements are
//! computed (so their errors surface) and discarded. When no statement returns rows,
//! `table` prints how the last command ended (e.g. `SET`, `INSERT 3`) and `csv`/`json` print nothing.
//!
//! `csv` and `json` are written batch by batch as the engine produces them; `table` needs
//! every row to size its columns, so it collects the result first.

use std::io::{BufWriter, Read, Write};

use arrow::datatypes::SchemaRef;
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;
use datafusion::execution::SendableRecordBatchStream;
use futures::TryStreamExt;
use lyceum_engine::EngineError;
use lyceum_engine::auth::Identity;
use lyceum_engine::pgcatalog::PostgresProfile;
use lyceum_engine::session::{Engine, QueryOutput};
use lyceum_engine::warehouse::Warehouse;

use crate::cli::{OutputFormat, SqlArgs};
use crate::error::CliError;

pub async fn run(args: SqlArgs) -> Result<(), CliError> {
    let sql = if args.sql == "-" {
        let mut sql = String::new();
        std::io::stdin()
            .read_to_string(&mut sql)
            .map_err(|e| CliError::io("cannot read SQL from stdin", e))?;
        sql
    } else {
        args.sql.clone()
    };
    if sql.trim().trim_matches(';').trim().is_empty() {
        return Err(CliError::Usage("no SQL to run".into()));
    }
    let warehouse = Warehouse::open(&args.warehouse.warehouse)?;
    let engine = Engine::new(warehouse, PostgresProfile::new()?)?;
    // Whoever can read the warehouse's files is not asked for a password again.
    let mut session = engine.session(Identity::local())?;
    if let Some(version) = args.as_of {
        session
            .execute(&format!("SET lyceum.as_of = {version}"))
            .await?;
    }
    let outputs = session.execute(&sql).await?;
    let last_rows = outputs
        .iter()
        .rposition(|o| matches!(o, QueryOutput::Rows { .. }));
    let mut last_tag = None;
    for (i, output) in outputs.into_iter().enumerate() {
        match output {
            QueryOutput::Rows { schema, stream, .. } if Some(i) == last_rows => {
                print_rows(schema, stream, args.format).await?;
            }
            QueryOutput::Rows { stream, .. } => {
                stream
                    .try_for_each(|_| async { Ok(()) })
                    .await
                    .map_err(EngineError::from)?;
            }
            QueryOutput::Command(done)
            | QueryOutput::TransactionStart(done)
            | QueryOutput::TransactionEnd(done) => last_tag = Some(done),
            QueryOutput::CopyIn { .. } => {
                session.copy_fail("lyceum sql does not send COPY data");
                return Err(CliError::Usage(
                    "COPY ... FROM STDIN needs a client that sends the data (psql's \\copy, a driver's copy API)".into(),
                ));
            }
        }
    }
    if let (None, Some(tag), OutputFormat::Table) = (last_rows, last_tag, args.format) {
        println!("{tag}");
    }
    Ok(())
}

async fn print_rows(
    schema: SchemaRef,
    mut stream: SendableRecordBatchStream,
    format: OutputFormat,
) -> Result<(), CliError> {
    let stdout = std::io::stdout();
    let out = BufWriter::new(stdout.lock());
    let result = match format {
        OutputFormat::Table => {
            let batches: Vec<RecordBatch> =
                stream.try_collect().await.map_err(EngineError::from)?;
            write_table(out, schema, &batches)
        }
        OutputFormat::Csv => {
            let mut writer = arrow::csv::WriterBuilder::new()
                .with_header(true)
                .build(out);
            // The header comes with the first write, even of no rows.
            writer.write(&RecordBatch::new_empty(schema.clone()))?;
            while let Some(batch) = stream.try_next().await.map_err(EngineError::from)? {
                writer.write(&RecordBatch::try_new(
                    schema.clone(),
                    batch.columns().to_vec(),
                )?)?;
            }
            flush(writer.into_inner())
        }
        OutputFormat::Json => {
            let mut writer = arrow::json::WriterBuilder::new()
                .with_explicit_nulls(true)
                .build::<_, arrow::json::writer::LineDelimited>(out);
            while let Some(batch) = stream.try_next().await.map_err(EngineError::from)? {
                writer.write(&RecordBatch::try_new(
                    schema.clone(),
                    batch.columns().to_vec(),
                )?)?;
            }
            writer.finish()?;
            flush(writer.into_inner())
        }
    };
    match result {
        // The reader went away (`| head`): not an error.
        Err(CliError::Output(ArrowError::IoError(_, e)))
            if e.kind() == std::io::ErrorKind::BrokenPipe =>
        {
            Ok(())
        }
        Err(CliError::Io { source, .. }) if source.kind() == std::io::ErrorKind::BrokenPipe => {
            Ok(())
        }
        other => other,
    }
}

fn write_table(
    mut out: impl Write,
    schema: SchemaRef,
    batches: &[RecordBatch],
) -> Result<(), CliError> {
    let table = arrow::util::pretty::pretty_format_batches_with_schema(schema, batches)?;
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    let noun = if rows == 1 { "row" } else { "rows" };
    writeln!(out, "{table}\n({rows} {noun})")
        .map_err(|e| CliError::io("cannot write the result", e))?;
    flush(out)
}

fn flush(mut out: impl Write) -> Result<(), CliError> {
    out.flush()
        .map_err(|e| CliError::io("cannot write the result", e))
}
