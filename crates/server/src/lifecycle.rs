//! What every endpoint's server shares about its life: how it learns to stop.
//!
//! The Postgres wire and Flight SQL servers each install their own handlers for SIGTERM and
//! SIGINT (tokio delivers a signal to every handler), stop accepting, and give running work
//! the same grace period (`--shutdown-grace`).

use std::future::Future;

use tracing::info;

/// Completes on SIGTERM or SIGINT (Ctrl-C). The handlers are installed when this is
/// called, not when the future is first polled, so a signal right after the server says
/// it is listening is never missed.
pub(crate) fn shutdown_signal() -> std::io::Result<impl Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        Ok(async move {
            tokio::select! {
                _ = term.recv() => info!("received SIGTERM"),
                _ = int.recv() => info!("received SIGINT"),
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            if tokio::signal::ctrl_c().await.is_ok() {
                info!("received Ctrl-C");
            }
        })
    }
}

/// A server's view of the stop signal, watched on a thread of its own: busy query workers
/// cannot delay it.
pub(crate) struct StopWatch {
    /// Completes when SIGTERM/SIGINT arrives: stop accepting.
    pub stop: tokio::sync::oneshot::Receiver<()>,
    /// Completes the grace period after the signal: stop waiting for running work.
    pub grace_over: tokio::sync::oneshot::Receiver<()>,
}

/// Starts watching for SIGTERM/SIGINT; when this returns, the handlers are installed.
pub(crate) async fn watch_stop(grace: std::time::Duration) -> std::io::Result<StopWatch> {
    use tokio::sync::oneshot;
    let (ready_tx, ready_rx) = oneshot::channel::<std::io::Result<()>>();
    let (stop_tx, stop) = oneshot::channel();
    let (grace_tx, grace_over) = oneshot::channel();
    std::thread::Builder::new()
        .name("lyceum-stop-watch".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    return;
                }
            };
            runtime.block_on(async move {
                let signal = match shutdown_signal() {
                    Ok(signal) => signal,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                let _ = ready_tx.send(Ok(()));
                signal.await;
                let _ = stop_tx.send(());
                tokio::time::sleep(grace).await;
                let _ = grace_tx.send(());
            });
        })?;
    ready_rx
        .await
        .map_err(|_| std::io::Error::other("the stop watch thread ended during startup"))??;
    Ok(StopWatch { stop, grace_over })
}
