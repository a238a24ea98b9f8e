//! What every endpoint's server shares about its life: how many sessions it admits
//! ([`Admission`]), how it learns to stop, and the work both have in flight while they
//! stop ([`Drain`]). (Statements are cancelled through the engine's one session registry,
//! `lyceum_engine::session::Registry`, whichever endpoint asks; TLS for both endpoints
//! comes from `crate::tls`.)
//!
//! The Postgres wire and Flight SQL servers each install their own handlers for SIGTERM and
//! SIGINT (tokio delivers a signal to every handler) and stop accepting; then one
//! [`Drain`] refuses new statements on both and gives the running ones, on either
//! endpoint, the same grace period (`--shutdown-grace`).

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::watch;
use tracing::{info, warn};

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

/// The statements both endpoints are running, and whether the server is stopping: once
/// it is, new statements are refused (on either endpoint) and the running ones get the
/// grace period to finish.
#[derive(Debug)]
pub struct Drain {
    stopping: AtomicBool,
    /// Statements running now (counted until their last row is sent or they are dropped).
    in_flight: watch::Sender<usize>,
}

impl Drain {
    pub fn new() -> Arc<Drain> {
        Arc::new(Drain {
            stopping: AtomicBool::new(false),
            in_flight: watch::Sender::new(0),
        })
    }

    /// Counts a statement as running until the returned guard is dropped.
    pub fn begin(self: &Arc<Self>) -> Work {
        self.in_flight.send_modify(|n| *n += 1);
        Work(self.clone())
    }

    /// Refuses new statements from now on.
    pub fn refuse_new(&self) {
        self.stopping.store(true, Ordering::SeqCst);
    }

    pub fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    pub fn running(&self) -> usize {
        *self.in_flight.borrow()
    }

    /// Refuses new statements from now on and waits up to `grace` for the running ones
    /// (either endpoint's). Returns whether they all finished. Both endpoints call it when
    /// they stop; the second call only waits.
    pub async fn finish(&self, grace: Duration) -> bool {
        let first = !self.stopping.swap(true, Ordering::SeqCst);
        let running = self.running();
        if running == 0 {
            return true;
        }
        if first {
            info!(
                running,
                ?grace,
                "shutting down: letting running statements finish"
            );
        }
        let mut in_flight = self.in_flight.subscribe();
        let finished = tokio::time::timeout(grace, in_flight.wait_for(|n| *n == 0))
            .await
            .is_ok();
        if !finished && first {
            warn!(
                running = self.running(),
                "grace period over: dropping the statements still running"
            );
        }
        finished
    }
}

/// One running statement under [`Drain`]; it stops counting when dropped.
#[derive(Debug)]
pub struct Work(Arc<Drain>);

impl Drop for Work {
    fn drop(&mut self) {
        self.0.in_flight.send_modify(|n| *n = n.saturating_sub(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn drain_waits_for_running_work_and_refuses_new() {
        let drain = Drain::new();
        assert!(drain.finish(Duration::from_millis(1)).await, "nothing runs");
        assert!(drain.is_stopping());

        let drain = Drain::new();
        let work = drain.begin();
        let other = drain.begin();
        assert_eq!(drain.running(), 2);
        drop(other);
        // Still running at the end of the grace period.
        assert!(!drain.finish(Duration::from_millis(20)).await);
        let waiting = tokio::spawn({
            let drain = drain.clone();
            async move { drain.finish(Duration::from_secs(30)).await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        drop(work);
        assert!(
            waiting.await.expect("joins"),
            "finished when the work ended"
        );
        assert_eq!(drain.running(), 0);
    }

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
