//! What every endpoint's server shares about its life: how many sessions it admits and
//! how it learns to stop. (Statements are cancelled through the engine's one session
//! registry, `lyceum_engine::session::Registry`, whichever endpoint asks; TLS for both
//! endpoints comes from `crate::tls`.)
//!
//! The Postgres wire and Flight SQL servers each install their own handlers for SIGTERM and
//! SIGINT (tokio delivers a signal to every handler), stop accepting, and give running work
//! the same grace period (`--shutdown-grace`).

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

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
    let (stop_tx, stop) = oneshot::channel();
    let (grace_tx, grace_over) = oneshot::channel();
    on_own_thread("lyceum-stop-watch", move |ready| async move {
        let signal = match shutdown_signal() {
            Ok(signal) => signal,
            Err(e) => {
                let _ = ready.send(Err(e));
                return;
            }
        };
        let _ = ready.send(Ok(()));
        signal.await;
        let _ = stop_tx.send(());
        tokio::time::sleep(grace).await;
        let _ = grace_tx.send(());
    })
    .await?;
    Ok(StopWatch { stop, grace_over })
}

/// Runs `work` on a single-threaded runtime of its own, on a thread named `name`, so busy
/// query workers cannot delay it (accepting connections, watching signals). Returns once
/// `work` reports through its sender that it has started, with what it reported.
pub(crate) async fn on_own_thread<F, W>(name: &str, work: F) -> std::io::Result<()>
where
    F: FnOnce(tokio::sync::oneshot::Sender<std::io::Result<()>>) -> W + Send + 'static,
    W: Future<Output = ()>,
{
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel::<std::io::Result<()>>();
    std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime.block_on(work(ready_tx)),
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                }
            }
        })?;
    ready_rx
        .await
        .map_err(|_| std::io::Error::other(format!("thread {name} stopped during startup")))?
}

/// The sessions both endpoints hold together, under one limit (`--max-connections`): a
/// Postgres connection, a Flight SQL session (one per bearer token).
#[derive(Debug)]
pub struct Admission {
    max: usize,
    held: AtomicUsize,
}

impl Admission {
    pub fn new(max: usize) -> Arc<Admission> {
        Arc::new(Admission {
            max,
            held: AtomicUsize::new(0),
        })
    }

    /// Takes a place, or `None` when all are taken (the caller refuses with 53300).
    pub fn admit(self: &Arc<Self>) -> Option<Slot> {
        self.held
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < self.max).then_some(n + 1)
            })
            .ok()
            .map(|_| Slot(self.clone()))
    }

    /// Places taken now.
    pub fn held(&self) -> usize {
        self.held.load(Ordering::SeqCst)
    }

    pub fn max(&self) -> usize {
        self.max
    }
}

/// One session's place under [`Admission`]; freed on drop.
#[derive(Debug)]
pub struct Slot(Arc<Admission>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.held.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admission_counts_places_until_they_are_dropped() {
        let admission = Admission::new(2);
        let a = admission.admit().expect("first");
        let b = admission.admit().expect("second");
        assert!(admission.admit().is_none());
        drop(a);
        let c = admission.admit().expect("a place came free");
        assert_eq!(admission.held(), 2);
        drop((b, c));
        assert_eq!(admission.held(), 0);
    }
}
