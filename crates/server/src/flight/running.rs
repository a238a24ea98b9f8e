//! The Flight queries being streamed now, by ticket, so that `CancelFlightInfo` stops a
//! query whichever connection or session of its user pulls it (a notebook cancels from
//! another cell; a driver pulls on a connection of its own).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio_util::sync::CancellationToken;

/// The `DoGet`s of one ticket in progress: (stream id, its stop token).
type Streams = Vec<(u64, CancellationToken)>;

/// Streams in progress: ticket bytes → a stop token per `DoGet` of that ticket.
#[derive(Default)]
pub(crate) struct RunningQueries {
    next: AtomicU64,
    streams: Mutex<HashMap<Vec<u8>, Streams>>,
}

impl RunningQueries {
    /// Records a stream of `ticket`; it stops when the token is cancelled and is forgotten
    /// when the returned guard drops (with the stream).
    pub(crate) fn track(self: &Arc<Self>, ticket: Vec<u8>) -> (CancellationToken, Tracked) {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let token = CancellationToken::new();
        if let Ok(mut streams) = self.streams.lock() {
            streams
                .entry(ticket.clone())
                .or_default()
                .push((id, token.clone()));
        }
        let guard = Tracked {
            queries: self.clone(),
            ticket,
            id,
        };
        (token, guard)
    }

    /// Stops every stream of `ticket`; how many there were.
    pub(crate) fn cancel(&self, ticket: &[u8]) -> usize {
        let Ok(streams) = self.streams.lock() else {
            return 0;
        };
        let Some(running) = streams.get(ticket) else {
            return 0;
        };
        for (_, token) in running {
            token.cancel();
        }
        running.len()
    }

    fn forget(&self, ticket: &[u8], id: u64) {
        if let Ok(mut streams) = self.streams.lock()
            && let Some(running) = streams.get_mut(ticket)
        {
            running.retain(|(i, _)| *i != id);
            if running.is_empty() {
                streams.remove(ticket);
            }
        }
    }
}

/// Keeps a stream listed in [`RunningQueries`] while it lives.
pub(crate) struct Tracked {
    queries: Arc<RunningQueries>,
    ticket: Vec<u8>,
    id: u64,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.queries.forget(&self.ticket, self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancel_reaches_every_stream_of_a_ticket_until_it_ends() {
        let queries = Arc::new(RunningQueries::default());
        let (a, guard_a) = queries.track(b"t1".to_vec());
        let (b, guard_b) = queries.track(b"t1".to_vec());
        let (other, _guard_other) = queries.track(b"t2".to_vec());
        assert_eq!(queries.cancel(b"t1"), 2);
        assert!(a.is_cancelled() && b.is_cancelled());
        assert!(!other.is_cancelled());
        drop(guard_a);
        drop(guard_b);
        assert_eq!(queries.cancel(b"t1"), 0);
        assert_eq!(queries.cancel(b"nope"), 0);
    }
}
