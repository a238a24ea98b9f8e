//! The Flight SQL endpoint through arrow-rs's `FlightSqlServiceClient`: each command's
//! answer decoded as the Flight SQL spec encodes it, and compared with the Postgres wire.

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{Int64Type, UInt32Type};
use arrow_flight::FlightInfo;
use arrow_flight::sql::client::FlightSqlServiceClient;
use arrow_flight::sql::{CommandGetDbSchemas, CommandGetTables, SqlInfo};
use futures::TryStreamExt;
use tonic::transport::Channel;

use crate::common::{ADMIN_PASSWORD, Server, loaded_warehouse};

async fn client(server: &Server) -> FlightSqlServiceClient<Channel> {
    let port = server.flight_port.expect("the server serves flight sql");
    let channel = tonic::transport::Endpoint::from_shared(format!("http://127.0.0.1:{port}"))
        .expect("endpoint")
        .connect()
        .await
        .expect("connect to flight sql");
    FlightSqlServiceClient::new(channel)
}

async fn fetch(client: &mut FlightSqlServiceClient<Channel>, info: FlightInfo) -> Vec<RecordBatch> {
    let mut batches = Vec::new();
    for endpoint in info.endpoint {
        let ticket = endpoint.ticket.expect("an endpoint has a ticket");
        let stream = client.do_get(ticket).await.expect("do_get");
        batches.extend(stream.try_collect::<Vec<_>>().await.expect("stream"));
    }
    batches
}

fn strings(batches: &[RecordBatch], column: &str) -> Vec<String> {
    batches
        .iter()
        .flat_map(|b| {
            let array = b
                .column_by_name(column)
                .unwrap_or_else(|| panic!("no column {column} in {:?}", b.schema()));
            let array = array.as_string::<i32>();
            (0..array.len())
                .map(|i| array.value(i).to_string())
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn flight_sql_client_runs_queries_and_catalog_commands() {
    let server = Server::serve(loaded_warehouse());
    crate::common::block_on(async {
        let mut c = client(&server).await;
        // Without credentials: UNAUTHENTICATED.
        // (tonic prints a code as its description.)
        let unauthenticated = "does not have valid authentication credentials";
        let err = c
            .execute("SELECT 1".into(), None)
            .await
            .expect_err("no token");
        assert!(err.to_string().contains(unauthenticated), "{err}");
        let err = c
            .handshake("admin", "wrong")
            .await
            .expect_err("wrong password");
        assert!(err.to_string().contains(unauthenticated), "{err}");
        assert!(
            err.to_string().contains("password authentication failed"),
            "{err}"
        );
        c.handshake("admin", ADMIN_PASSWORD)
            .await
            .expect("handshake");

        // A query, compared with the Postgres wire.
        let sql = "SELECT department_code, count(*) AS courses FROM dim_course c \
                   JOIN dim_department d ON d.department_key = c.department_key \
                   GROUP BY department_code ORDER BY department_code";
        let info = c.execute(sql.into(), None).await.expect("execute");
        let declared = info.clone().try_decode_schema().expect("schema");
        let batches = fetch(&mut c, info).await;
        assert_eq!(batches[0].schema().as_ref(), &declared);
        let codes = strings(&batches, "department_code");
        let counts: Vec<i64> = batches
            .iter()
            .flat_map(|b| b.column(1).as_primitive::<Int64Type>().values().to_vec())
            .collect();
        let pg = server.connect().await;
        let rows = pg.query(sql, &[]).await.expect("pg query");
        let pg_rows: Vec<(String, i64)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
        assert_eq!(codes.into_iter().zip(counts).collect::<Vec<_>>(), pg_rows);

        // Catalogs, schemas (with a pattern), tables (with their Arrow schemas).
        let info = c.get_catalogs().await.expect("catalogs");
        assert_eq!(
            strings(&fetch(&mut c, info).await, "catalog_name"),
            ["lyceum"]
        );
        let info = c
            .get_db_schemas(CommandGetDbSchemas {
                catalog: Some("lyceum".into()),
                db_schema_filter_pattern: Some("p%".into()),
            })
            .await
            .expect("schemas");
        assert_eq!(
            strings(&fetch(&mut c, info).await, "db_schema_name"),
            ["pg_catalog", "public"]
        );
        let info = c
            .get_tables(CommandGetTables {
                catalog: None,
                db_schema_filter_pattern: Some("public".into()),
                table_name_filter_pattern: Some("dim_stud%".into()),
                table_types: vec!["TABLE".into()],
                include_schema: true,
            })
            .await
            .expect("tables");
        let tables = fetch(&mut c, info).await;
        assert_eq!(strings(&tables, "table_name"), ["dim_student"]);
        let schema_bytes = tables[0]
            .column_by_name("table_schema")
            .expect("table_schema")
            .as_binary::<i32>()
            .value(0)
            .to_vec();
        let schema =
            arrow::ipc::convert::try_schema_from_ipc_buffer(&schema_bytes).expect("ipc schema");
        let pg_columns: Vec<String> = pg
            .query(
                "SELECT column_name::text FROM information_schema.columns \
                 WHERE table_schema = 'public' AND table_name = 'dim_student' \
                 ORDER BY ordinal_position",
                &[],
            )
            .await
            .expect("columns")
            .iter()
            .map(|r| r.get(0))
            .collect();
        let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
        assert_eq!(names, pg_columns);

        let info = c.get_table_types().await.expect("table types");
        assert_eq!(
            strings(&fetch(&mut c, info).await, "table_type"),
            ["SYSTEM TABLE", "TABLE", "VIEW"]
        );

        // SqlInfo: a dense union keyed by info name.
        let info = c
            .get_sql_info(vec![
                SqlInfo::FlightSqlServerName,
                SqlInfo::SqlIdentifierQuoteChar,
            ])
            .await
            .expect("sql info");
        let infos = fetch(&mut c, info).await;
        let names = infos[0].column(0).as_primitive::<UInt32Type>();
        assert_eq!(
            names.values().to_vec(),
            [
                SqlInfo::FlightSqlServerName as u32,
                SqlInfo::SqlIdentifierQuoteChar as u32
            ]
        );
        let values = infos[0].column(1).as_union();
        let text = |i: usize| {
            let child = values.child(values.type_id(i));
            child
                .as_string::<i32>()
                .value(values.value_offset(i))
                .to_string()
        };
        assert_eq!((text(0), text(1)), ("Lyceum".to_string(), "\"".to_string()));

        // An update runs in the session the token names; errors carry their SQLSTATE.
        let affected = c
            .execute_update("SET statement_timeout = '5s'".into(), None)
            .await
            .expect("update");
        assert_eq!(affected, -1);
        let info = c
            .execute("SHOW statement_timeout".into(), None)
            .await
            .expect("show");
        assert_eq!(
            strings(&fetch(&mut c, info).await, "statement_timeout"),
            ["5s"]
        );
        let err = c
            .execute("SELECT * FROM no_such_table".into(), None)
            .await
            .expect_err("bad table");
        assert!(err.to_string().contains("42P01"), "{err}");
        assert!(err.to_string().contains("was not found"), "{err}");
    });
}
