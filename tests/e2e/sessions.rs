//! One session acting on another over the wire: `pg_terminate_backend` closes the
//! connection of the session it names, for its own user or an administrator only.

use std::time::Duration;

use crate::common::{ADMIN_PASSWORD, Server, code_of, copy_dir, loaded_warehouse, scratch_dir};

async fn connect_as(server: &Server, user: &str, password: &str) -> tokio_postgres::Client {
    let conn = server
        .conn_str("lyceum")
        .replace("user=admin", &format!("user={user}"))
        .replace(
            &format!("password={ADMIN_PASSWORD}"),
            &format!("password={password}"),
        );
    let (client, connection) = tokio_postgres::connect(&conn, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("connect as {user}: {e:?}"));
    tokio::spawn(connection);
    client
}

async fn backend_pid(client: &tokio_postgres::Client) -> i32 {
    client
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .expect("pg_backend_pid")
        .get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pg_terminate_backend_closes_only_sessions_one_may_end() {
    let dir = scratch_dir("terminate");
    let wh = dir.join("wh");
    copy_dir(loaded_warehouse(), &wh);
    let server = Server::serve(&wh);
    let admin = server.connect().await;
    admin
        .batch_execute("CREATE USER ann PASSWORD 'ann-pw'; CREATE USER bo PASSWORD 'bo-pw'")
        .await
        .expect("create users");
    let ann = connect_as(&server, "ann", "ann-pw").await;
    let ann_too = connect_as(&server, "ann", "ann-pw").await;
    let bo = connect_as(&server, "bo", "bo-pw").await;
    let (ann_pid, ann_too_pid, bo_pid) = (
        backend_pid(&ann).await,
        backend_pid(&ann_too).await,
        backend_pid(&bo).await,
    );

    // Bo may not end Ann's session; the attempt changes nothing.
    let denied = bo
        .query_one(&format!("SELECT pg_terminate_backend({ann_pid})"), &[])
        .await;
    assert_eq!(code_of(denied), "42501");
    assert_eq!(backend_pid(&ann).await, ann_pid);

    // Ann may end her own other session; an administrator may end anyone's.
    let ended: bool = ann
        .query_one(&format!("SELECT pg_terminate_backend({ann_too_pid})"), &[])
        .await
        .expect("terminate own session")
        .get(0);
    assert!(ended);
    let ended: bool = admin
        .query_one(&format!("SELECT pg_terminate_backend({bo_pid})"), &[])
        .await
        .expect("terminate as administrator")
        .get(0);
    assert!(ended);
    for (who, client) in [("ann's second session", &ann_too), ("bo", &bo)] {
        let mut closed = false;
        for _ in 0..50 {
            if client.is_closed() || client.simple_query("SELECT 1").await.is_err() {
                closed = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(
            closed,
            "{who}'s connection stayed open after pg_terminate_backend"
        );
    }
    // The rest go on, and the ended sessions are gone from pg_stat_activity.
    assert_eq!(backend_pid(&ann).await, ann_pid);
    let listed: i64 = admin
        .query_one(
            &format!(
                "SELECT count(*) FROM pg_stat_activity WHERE pid IN ({ann_too_pid}, {bo_pid})"
            ),
            &[],
        )
        .await
        .expect("pg_stat_activity")
        .get(0);
    assert_eq!(listed, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passwords_stay_out_of_logs_errors_and_activity() {
    let dir = scratch_dir("passwords");
    let wh = dir.join("wh");
    copy_dir(loaded_warehouse(), &wh);
    let server = Server::serve(&wh);
    let admin = server.connect().await;
    admin
        .batch_execute("CREATE USER carol PASSWORD 'Secret-One'")
        .await
        .expect("create user");
    // A statement that fails to parse after its password: the error quotes no password.
    let err = admin
        .batch_execute("ALTER USER carol PASSWORD 'Secret-Two' garbage")
        .await
        .expect_err("a syntax error");
    let message = err
        .as_db_error()
        .map(|e| e.message().to_string())
        .unwrap_or_default();
    assert!(!message.contains("Secret-Two"), "{message}");
    let carol = connect_as(&server, "carol", "Secret-One").await;
    carol
        .batch_execute("ALTER USER carol PASSWORD 'Secret-Three'")
        .await
        .expect("change own password");
    let seen: String = admin
        .query_one(
            "SELECT query FROM pg_stat_activity WHERE usename = 'carol'",
            &[],
        )
        .await
        .expect("activity")
        .get(0);
    assert_eq!(seen, "ALTER USER carol PASSWORD '********'");
    let log = server.stderr();
    assert!(
        log.contains("ALTER USER carol PASSWORD '********'"),
        "statements are logged"
    );
    for secret in ["Secret-One", "Secret-Two", "Secret-Three"] {
        assert!(!log.contains(secret), "the log holds {secret}");
    }
}
