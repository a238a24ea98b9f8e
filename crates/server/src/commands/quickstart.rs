//! `lyceum quickstart`: generate a sample, load it, serve it.

use lyceum_engine::pgcatalog::PostgresProfile;
use lyceum_engine::rollup::defaults::create_defaults;
use lyceum_engine::session::Engine;
use lyceum_engine::warehouse::Warehouse;

use super::{generate, load, serve};
use crate::cli::{DEFAULT_AS_OF, DEFAULT_SEED, GenerateArgs, QuickstartArgs, iso_date};
use crate::error::CliError;

pub async fn run(args: QuickstartArgs) -> Result<(), CliError> {
    std::fs::create_dir_all(&args.dir)
        .map_err(|e| CliError::io(format!("cannot create {}", args.dir.display()), e))?;
    let sample = args.dir.join("sample");
    let warehouse_dir = args.dir.join("warehouse");
    let location = warehouse_dir.to_str().ok_or_else(|| {
        CliError::Usage(format!("{} is not a UTF-8 path", warehouse_dir.display()))
    })?;
    let warehouse = Warehouse::open(location)?;
    // Fail on a busy port before spending time on the sample.
    let listener = serve::bind(&args.listen).await?;
    match warehouse.latest().await? {
        Some(version) => println!(
            "lyceum: {} already holds warehouse version {}: serving it as it is \
             (delete the directory to start over)",
            warehouse_dir.display(),
            version.version
        ),
        None => {
            let gen_args = GenerateArgs {
                scale: args.scale,
                out: sample.clone(),
                seed: DEFAULT_SEED,
                dirty_rate: 0.0,
                as_of: iso_date(DEFAULT_AS_OF).map_err(CliError::Usage)?,
            };
            println!(
                "lyceum: generating a sample university (scale {}) into {}",
                args.scale,
                sample.display()
            );
            let (report, seconds) = generate::generate_extract(&gen_args).await?;
            print!("{}", generate::summary(&report, &sample, seconds));
            println!(
                "\nlyceum: loading {} into {}",
                sample.display(),
                warehouse_dir.display()
            );
            let report = load::load_extract(&warehouse, sample.clone(), 3).await?;
            print!("{}", load::summary(&report, &warehouse));
            println!();
            println!("lyceum: creating the default rollups (queries/rollups/default.sql)");
            let engine = Engine::new(warehouse.clone(), PostgresProfile::new()?)?;
            let created = create_defaults(&engine).await?;
            println!("lyceum: {created} rollups answer the dashboard queries of queries/\n");
        }
    }
    if let Some(addr) = listener.flight_addr() {
        print!("{}", serve::python_snippet(addr, &args.listen.admin_user));
    }
    serve::serve(warehouse, listener, &args.listen).await
}
