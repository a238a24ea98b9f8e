//! The simple query protocol: a string of statements, run in order until the first error.

use std::fmt::Debug;

use async_trait::async_trait;
use futures::Sink;
use pgwire::api::portal::Format;
use pgwire::api::query::SimpleQueryHandler;
use pgwire::api::results::Response;
use pgwire::api::store::PortalStore;
use pgwire::api::{ClientInfo, ClientPortalStore};
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;
use tracing::{Instrument, debug, info_span};

use super::handler::{Connection, response, send_side_messages};
use crate::error as wire;

#[async_trait]
impl SimpleQueryHandler for Connection {
    async fn do_query<C>(&self, client: &mut C, query: &str) -> PgWireResult<Vec<Response>>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        self.check_running()?;
        let (id, guard) = self.begin_query();
        async {
            debug!(sql = query, "simple query");
            let mut session = self.session.lock().await;
            let session = session
                .as_mut()
                .ok_or_else(|| wire::internal("the connection has no session"))?;
            let outputs = session.execute_batch(query).await;
            send_side_messages(client, session).await?;
            let mut responses = Vec::with_capacity(outputs.len());
            for output in outputs {
                match output {
                    Ok(output) => {
                        let discard = matches!(
                            &output,
                            lyceum_engine::session::QueryOutput::Command { tag } if tag == "DISCARD ALL"
                        );
                        responses.push(response(output, &guard, &Format::UnifiedText)?);
                        if discard {
                            super::extended::forget_statements(client, self);
                        }
                    }
                    Err(e) => {
                        let info = wire::engine_error_info(&e);
                        tracing::info!(sqlstate = %info.code, "{}", info.message);
                        responses.push(Response::Error(Box::new(info)));
                    }
                }
            }
            Ok(responses)
        }
        .instrument(info_span!("query", id))
        .await
    }
}
