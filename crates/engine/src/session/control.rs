//! Stopping a statement: a client's cancel request and `statement_timeout`.
//!
//! Both cover the whole statement: planning, execution and the streaming of its rows to
//! the client. A stopped stream ends with [`EngineError::Canceled`] and drops the
//! DataFusion stream, which stops its tasks; the session stays usable.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use datafusion::error::DataFusionError;
use datafusion::execution::{RecordBatchStream, SendableRecordBatchStream};
use futures::{FutureExt, Stream};
use tokio::time::{Instant, Sleep};
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

use crate::error::{EngineError, Result, StopReason};

/// Cancels whatever statement its session runs now. Cheap to clone; usable from any
/// task (the Postgres `CancelRequest` arrives on another connection).
#[derive(Clone, Default)]
pub struct Canceller {
    current: Arc<Mutex<CancellationToken>>,
}

impl Canceller {
    /// Stops the running statement, if any.
    pub fn cancel(&self) {
        if let Ok(token) = self.current.lock() {
            token.cancel();
        }
    }

    /// A fresh token for a statement that starts now (a cancel sent before it is lost,
    /// as in PostgreSQL).
    pub(crate) fn start(&self) -> CancellationToken {
        let token = CancellationToken::new();
        if let Ok(mut current) = self.current.lock() {
            *current = token.clone();
        }
        token
    }
}

/// The limits one statement runs under.
#[derive(Clone)]
pub(crate) struct Limits {
    token: CancellationToken,
    deadline: Option<(Instant, Duration)>,
    /// Set when a wrapped stream ends with an error (the session's transaction fails).
    failed: Arc<AtomicBool>,
    /// The statement's turn to run (see [`crate::memory`]): taken before its work runs
    /// (a query answered from the result cache never takes one), held by its streams
    /// until they end or are dropped. Shared by the statement's clones of its limits.
    turn: Arc<std::sync::Mutex<Option<Turn>>>,
}

/// A session's turn to run statements, one of the server's `running` permits. A
/// session's statements share one (a multi-statement query string keeps earlier results
/// open while later ones run: a session never waits for itself).
pub(crate) type Turn = Arc<tokio::sync::OwnedSemaphorePermit>;

impl Limits {
    pub(crate) fn new(token: CancellationToken, timeout: Option<Duration>) -> Self {
        Limits {
            token,
            deadline: timeout.map(|t| (Instant::now() + t, t)),
            failed: Arc::new(AtomicBool::new(false)),
            turn: Arc::default(),
        }
    }

    /// Waits (within the statement's timeout and cancel) for a turn among `turns`, unless
    /// the session still holds one.
    pub(crate) async fn take_turn(
        &self,
        turns: &Arc<tokio::sync::Semaphore>,
        held: &mut std::sync::Weak<tokio::sync::OwnedSemaphorePermit>,
    ) -> Result<()> {
        if self.holds_turn() {
            return Ok(());
        }
        let turn = match held.upgrade() {
            Some(turn) => turn,
            None => {
                let permit = self
                    .run(async {
                        turns.clone().acquire_owned().await.map_err(|_| {
                            EngineError::Internal("the statement queue is closed".into())
                        })
                    })
                    .await?;
                let turn = Arc::new(permit);
                *held = Arc::downgrade(&turn);
                turn
            }
        };
        if let Ok(mut slot) = self.turn.lock() {
            *slot = Some(turn);
        }
        Ok(())
    }

    /// Whether the statement holds its turn now.
    fn holds_turn(&self) -> bool {
        self.turn.lock().is_ok_and(|slot| slot.is_some())
    }

    /// Gives the statement's turn back (its work is done).
    fn give_back_turn(&self) {
        if let Ok(mut slot) = self.turn.lock() {
            *slot = None;
        }
    }

    /// Whether a stream of this statement ended with an error.
    pub(crate) fn failure_flag(&self) -> Arc<AtomicBool> {
        self.failed.clone()
    }

    /// Runs `work` (planning, collecting a command) unless the statement is stopped first.
    pub(crate) async fn run<T>(&self, work: impl Future<Output = Result<T>>) -> Result<T> {
        let sleep = async {
            match self.deadline {
                Some((at, _)) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            biased;
            () = self.token.cancelled() => Err(EngineError::Canceled(StopReason::UserRequest)),
            () = sleep => Err(self.timeout_error()),
            result = work => result,
        }
    }

    fn timeout_error(&self) -> EngineError {
        EngineError::Canceled(StopReason::Timeout(
            self.deadline.map(|(_, t)| t).unwrap_or_default(),
        ))
    }

    /// `stream`, stopped with an error when the statement is canceled or times out.
    pub(crate) fn wrap(&self, stream: SendableRecordBatchStream) -> SendableRecordBatchStream {
        Box::pin(Limited {
            schema: stream.schema(),
            inner: Some(stream),
            cancelled: Box::pin(self.token.clone().cancelled_owned()),
            sleep: self
                .deadline
                .map(|(at, _)| Box::pin(tokio::time::sleep_until(at))),
            limits: self.clone(),
        })
    }
}

struct Limited {
    schema: SchemaRef,
    /// `None` once stopped: the DataFusion stream is dropped at once.
    inner: Option<SendableRecordBatchStream>,
    cancelled: Pin<Box<WaitForCancellationFutureOwned>>,
    sleep: Option<Pin<Box<Sleep>>>,
    /// Its turn is given back when the stream ends.
    limits: Limits,
}

impl Limited {
    fn stop(&mut self, err: EngineError) -> Poll<Option<datafusion::error::Result<RecordBatch>>> {
        self.inner = None;
        self.limits.give_back_turn();
        self.limits.failed.store(true, Ordering::SeqCst);
        Poll::Ready(Some(Err(DataFusionError::External(Box::new(err)))))
    }
}

impl Stream for Limited {
    type Item = datafusion::error::Result<RecordBatch>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        let Some(inner) = this.inner.as_mut() else {
            return Poll::Ready(None);
        };
        let polled = inner.as_mut().poll_next(cx);
        if this.cancelled.poll_unpin(cx).is_ready() {
            return this.stop(EngineError::Canceled(StopReason::UserRequest));
        }
        if let Some(sleep) = this.sleep.as_mut()
            && sleep.poll_unpin(cx).is_ready()
        {
            let err = this.limits.timeout_error();
            return this.stop(err);
        }
        match &polled {
            Poll::Ready(None) => {
                this.inner = None;
                this.limits.give_back_turn();
            }
            Poll::Ready(Some(Err(_))) => this.limits.failed.store(true, Ordering::SeqCst),
            _ => {}
        }
        polled
    }
}

impl RecordBatchStream for Limited {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
    use futures::StreamExt;

    fn endless() -> SendableRecordBatchStream {
        let schema = Arc::new(arrow::datatypes::Schema::empty());
        Box::pin(RecordBatchStreamAdapter::new(
            schema,
            futures::stream::pending(),
        ))
    }

    #[tokio::test]
    async fn cancel_stops_a_stream() {
        let canceller = Canceller::default();
        let limits = Limits::new(canceller.start(), None);
        let mut stream = limits.wrap(endless());
        let c = canceller.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            c.cancel();
        });
        let err = stream.next().await.expect("an item").expect_err("an error");
        assert!(
            err.to_string()
                .contains("canceling statement due to user request")
        );
        assert!(stream.next().await.is_none());
    }

    #[tokio::test]
    async fn timeout_stops_planning_and_streams() {
        let limits = Limits::new(CancellationToken::new(), Some(Duration::from_millis(20)));
        let err = limits
            .run(std::future::pending::<Result<()>>())
            .await
            .expect_err("times out");
        assert!(matches!(err, EngineError::Canceled(StopReason::Timeout(_))));
        let mut stream = limits.wrap(endless());
        let err = stream.next().await.expect("an item").expect_err("an error");
        assert!(err.to_string().contains("statement timeout"));
    }

    #[tokio::test]
    async fn a_cancel_before_the_statement_is_lost() {
        let canceller = Canceller::default();
        canceller.cancel();
        let limits = Limits::new(canceller.start(), None);
        let value = limits.run(async { Ok(7) }).await.expect("runs");
        assert_eq!(value, 7);
    }
}
