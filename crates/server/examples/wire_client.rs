//! A Postgres wire client for `benches/pg_wire.py`: runs one query and reports how many
//! rows and bytes arrived and how long that took, as one JSON line. The same client reads
//! from Lyceum and from PostgreSQL, so the ratio between them is the servers'.
//!
//! ```text
//! wire_client 'host=127.0.0.1 port=5432 user=u password=p dbname=d' text|binary 'SELECT ...'
//! ```
//!
//! `text` uses the simple protocol (rows in text); `binary` prepares the statement and
//! executes it with binary results (the extended protocol, as JDBC and Npgsql do). Rows
//! are counted, not decoded; bytes are everything read from the socket.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Instant;

use futures::{StreamExt, TryStreamExt};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_postgres::{NoTls, SimpleQueryMessage};

/// A socket that counts the bytes read from it.
struct Counting {
    inner: TcpStream,
    read: Arc<AtomicU64>,
}

impl AsyncRead for Counting {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
        let n = (buf.filled().len() - before) as u64;
        self.read.fetch_add(n, Ordering::Relaxed);
        poll
    }
}

impl AsyncWrite for Counting {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

type Failure = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Failure> {
    let args: Vec<String> = std::env::args().collect();
    let [_, conninfo, format, sql] = args.as_slice() else {
        return Err("usage: wire_client CONNINFO text|binary SQL".into());
    };
    let config: tokio_postgres::Config = conninfo.parse()?;
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
        _ => return Err("a TCP host= is needed".into()),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let read = Arc::new(AtomicU64::new(0));
    let socket = Counting {
        inner: TcpStream::connect((host.as_str(), port)).await?,
        read: read.clone(),
    };
    let (client, connection) = config.connect_raw(socket, NoTls).await?;
    let driver = tokio::spawn(connection);

    let before = read.load(Ordering::Relaxed);
    let started = Instant::now();
    let mut rows: u64 = 0;
    match format.as_str() {
        "text" => {
            let stream = client.simple_query_raw(sql).await?;
            let mut stream = std::pin::pin!(stream);
            while let Some(message) = stream.next().await {
                if let SimpleQueryMessage::Row(_) = message? {
                    rows += 1;
                }
            }
        }
        "binary" => {
            let statement = client.prepare(sql).await?;
            let no_params: [&(dyn tokio_postgres::types::ToSql + Sync); 0] = [];
            let stream = client.query_raw(&statement, no_params).await?;
            let mut stream = std::pin::pin!(stream);
            while stream.try_next().await?.is_some() {
                rows += 1;
            }
        }
        other => return Err(format!("unknown format {other}").into()),
    }
    let seconds = started.elapsed().as_secs_f64();
    let bytes = read.load(Ordering::Relaxed) - before;
    println!(
        "{{\"rows\": {rows}, \"bytes\": {bytes}, \"seconds\": {seconds:.6}, \"format\": \"{format}\"}}"
    );
    drop(client);
    let _ = driver.await;
    Ok(())
}
