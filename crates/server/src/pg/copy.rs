//! `COPY ... FROM STDIN`: the rows a client streams after the engine answered `CopyIn`.
//!
//! The engine spools `CopyData` as it arrives and writes the rows on `CopyDone` (one
//! commit, or the transaction block's); `CopyFail` discards everything. pgwire routes the
//! messages here while the connection is in its copy-in state, for both query protocols.

use std::fmt::Debug;

use async_trait::async_trait;
use futures::{Sink, SinkExt};
use lyceum_engine::session::QueryOutput;
use pgwire::api::ClientInfo;
use pgwire::api::copy::CopyHandler;
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::copy::{CopyData, CopyDone, CopyFail};
use tracing::{Instrument, info_span};

use super::extended::transaction_status;
use super::handler::{Connection, send_side_messages};
use crate::error as wire;

#[async_trait]
impl CopyHandler for Connection {
    async fn on_copy_data<C>(&self, _client: &mut C, copy_data: CopyData) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let mut session = self.session.lock().await;
        let session = session
            .as_mut()
            .ok_or_else(|| wire::internal("the connection has no session"))?;
        // Errors (a full disk) are remembered and reported at CopyDone: PostgreSQL, too,
        // answers a COPY only once its data has ended.
        session.copy_data(&copy_data.data);
        Ok(())
    }

    async fn on_copy_done<C>(&self, client: &mut C, _done: CopyDone) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let (id, _guard) = self.begin_query();
        async {
            let mut session = self.session.lock().await;
            let session = session
                .as_mut()
                .ok_or_else(|| wire::internal("the connection has no session"))?;
            let output = session.copy_done().await;
            send_side_messages(client, session).await?;
            client.set_transaction_status(transaction_status(session.transaction_status()));
            match output {
                Ok(QueryOutput::Command(done)) => {
                    client
                        .send(PgWireBackendMessage::CommandComplete(
                            super::handler::command_tag(&done).into(),
                        ))
                        .await?;
                    Ok(())
                }
                Ok(other) => Err(wire::internal(format!(
                    "COPY ended with an unexpected result {other:?}"
                ))),
                Err(e) => Err(wire::to_pg(&e)),
            }
        }
        .instrument(info_span!("copy", id))
        .await
    }

    async fn on_copy_fail<C>(&self, client: &mut C, fail: CopyFail) -> PgWireError
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let mut session = self.session.lock().await;
        match session.as_mut() {
            Some(session) => {
                let error = session.copy_fail(&fail.message);
                client.set_transaction_status(transaction_status(session.transaction_status()));
                wire::to_pg(&error)
            }
            None => wire::internal("the connection has no session"),
        }
    }
}
