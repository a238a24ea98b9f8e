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

/// Keys and type info through the client: the key commands agree with
/// `information_schema` over the Postgres wire, names included.
#[test]
fn flight_sql_client_reads_keys_and_type_info() {
    use arrow::datatypes::{Int32Type, UInt8Type};
    use arrow_flight::sql::{
        CommandGetCrossReference, CommandGetExportedKeys, CommandGetImportedKeys,
        CommandGetPrimaryKeys, CommandGetXdbcTypeInfo, XdbcDataType,
    };

    /// The rows of `batches` as tuples of the text `columns`.
    fn rows(batches: &[RecordBatch], columns: &[&str]) -> Vec<Vec<String>> {
        let by_column: Vec<Vec<String>> = columns.iter().map(|c| strings(batches, c)).collect();
        let n = by_column.first().map_or(0, Vec::len);
        (0..n)
            .map(|i| by_column.iter().map(|c| c[i].clone()).collect())
            .collect()
    }
    fn ints(batches: &[RecordBatch], column: &str) -> Vec<i32> {
        batches
            .iter()
            .flat_map(|b| {
                let array = b.column_by_name(column).expect("int column");
                array.as_primitive::<Int32Type>().values().to_vec()
            })
            .collect()
    }

    let server = Server::serve(loaded_warehouse());
    crate::common::block_on(async {
        let mut c = client(&server).await;
        c.handshake("admin", ADMIN_PASSWORD)
            .await
            .expect("handshake");
        let pg = server.connect().await;
        let pg_rows = |sql: &'static str| {
            let pg = &pg;
            async move {
                let rows = pg.query(sql, &[]).await.expect("pg query");
                rows.iter()
                    .map(|r| (0..r.len()).map(|i| r.get::<_, String>(i)).collect())
                    .collect::<Vec<Vec<String>>>()
            }
        };

        // Primary key of dim_student: its constraint and columns, in key order.
        let info = c
            .get_primary_keys(CommandGetPrimaryKeys {
                catalog: Some("lyceum".into()),
                db_schema: Some("public".into()),
                table: "dim_student".into(),
            })
            .await
            .expect("primary keys");
        let declared = info.clone().try_decode_schema().expect("schema");
        let keys = fetch(&mut c, info).await;
        assert_eq!(keys[0].schema().as_ref(), &declared);
        let expected = pg_rows(
            "SELECT constraint_name::text, column_name::text \
             FROM information_schema.key_column_usage \
             WHERE table_schema = 'public' AND table_name = 'dim_student' \
             AND position_in_unique_constraint IS NULL ORDER BY ordinal_position",
        )
        .await;
        assert!(!expected.is_empty());
        assert_eq!(rows(&keys, &["key_name", "column_name"]), expected);
        assert_eq!(
            ints(&keys, "key_sequence"),
            (1..=expected.len() as i32).collect::<Vec<_>>()
        );

        // Imported keys of fact_enrollment: its foreign keys, with the referenced tables,
        // columns and key names information_schema gives.
        let info = c
            .get_imported_keys(CommandGetImportedKeys {
                catalog: None,
                db_schema: Some("public".into()),
                table: "fact_enrollment".into(),
            })
            .await
            .expect("imported keys");
        let declared = info.clone().try_decode_schema().expect("schema");
        let imported = fetch(&mut c, info).await;
        assert_eq!(imported[0].schema().as_ref(), &declared);
        let mut flight = rows(
            &imported,
            &[
                "fk_key_name",
                "fk_column_name",
                "pk_table_name",
                "pk_column_name",
                "pk_key_name",
            ],
        );
        flight.sort();
        let expected = pg_rows(
            "SELECT k.constraint_name::text, k.column_name::text, u.table_name::text, \
             u.column_name::text, r.unique_constraint_name::text \
             FROM information_schema.key_column_usage k \
             JOIN information_schema.referential_constraints r \
               ON r.constraint_schema = k.constraint_schema \
              AND r.constraint_name = k.constraint_name \
             JOIN information_schema.constraint_column_usage u \
               ON u.constraint_schema = k.constraint_schema \
              AND u.constraint_name = k.constraint_name \
             WHERE k.table_schema = 'public' AND k.table_name = 'fact_enrollment' \
             ORDER BY 1, 2, 3, 4, 5",
        )
        .await;
        assert!(expected.len() > 1, "{expected:?}");
        assert_eq!(flight, expected);
        let pg_rules = pg_rows(
            "SELECT DISTINCT update_rule::text, delete_rule::text \
             FROM information_schema.referential_constraints \
             WHERE constraint_schema = 'public'",
        )
        .await;
        assert_eq!(pg_rules, [["NO ACTION", "NO ACTION"]]);
        for rule in ["update_rule", "delete_rule"] {
            let no_action = imported.iter().all(|b| {
                let rules = b.column_by_name(rule).expect("rule");
                rules
                    .as_primitive::<UInt8Type>()
                    .values()
                    .iter()
                    .all(|r| *r == 3)
            });
            assert!(no_action, "{rule}");
        }

        // Exported keys of dim_course: fact_enrollment.course_key among them.
        let info = c
            .get_exported_keys(CommandGetExportedKeys {
                catalog: Some("lyceum".into()),
                db_schema: Some("public".into()),
                table: "dim_course".into(),
            })
            .await
            .expect("exported keys");
        let exported = fetch(&mut c, info).await;
        let referring = rows(&exported, &["fk_table_name", "fk_column_name"]);
        assert!(
            referring.contains(&vec!["fact_enrollment".into(), "course_key".into()]),
            "{referring:?}"
        );
        assert!(
            strings(&exported, "pk_table_name")
                .iter()
                .all(|t| t == "dim_course")
        );

        // The cross reference of dim_course and fact_enrollment: exactly course_key.
        let info = c
            .get_cross_reference(CommandGetCrossReference {
                pk_catalog: None,
                pk_db_schema: Some("public".into()),
                pk_table: "dim_course".into(),
                fk_catalog: None,
                fk_db_schema: Some("public".into()),
                fk_table: "fact_enrollment".into(),
            })
            .await
            .expect("cross reference");
        let cross = fetch(&mut c, info).await;
        assert_eq!(
            rows(&cross, &["pk_column_name", "fk_column_name", "fk_key_name"]),
            [[
                "course_key",
                "course_key",
                "fact_enrollment_course_key_fkey"
            ]]
        );

        // Type info: every type, then one data type.
        let info = c
            .get_xdbc_type_info(CommandGetXdbcTypeInfo { data_type: None })
            .await
            .expect("type info");
        let declared = info.clone().try_decode_schema().expect("schema");
        let types = fetch(&mut c, info).await;
        assert_eq!(types[0].schema().as_ref(), &declared);
        let names = strings(&types, "type_name");
        let codes = ints(&types, "data_type");
        let code_of = |name: &str| {
            let i = names.iter().position(|n| n == name);
            i.map(|i| codes[i])
        };
        assert_eq!(code_of("integer"), Some(XdbcDataType::XdbcInteger as i32));
        assert_eq!(code_of("text"), Some(XdbcDataType::XdbcVarchar as i32));
        assert_eq!(strings(&types, "local_type_name"), names);
        let info = c
            .get_xdbc_type_info(CommandGetXdbcTypeInfo {
                data_type: Some(XdbcDataType::XdbcInteger as i32),
            })
            .await
            .expect("type info of integer");
        let integer = fetch(&mut c, info).await;
        assert_eq!(strings(&integer, "type_name"), ["integer"]);
        assert_eq!(ints(&integer, "column_size"), [10]);
    });
}
