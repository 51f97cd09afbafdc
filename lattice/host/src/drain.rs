//! A graceful stop, announced first: the load balancer's agent check reads `drain` from the
//! moment the host begins to stop, and the host's work stops only after a grace period.
//!
//! The agent speaks HAProxy's agent-check protocol: one line per connection, then close.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::Context as _;
use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// What the agent answers while the host serves: take traffic, at full weight.
pub const SERVING: &[u8] = b"ready up\n";
/// What it answers once the host is stopping: no new requests.
pub const DRAINING: &[u8] = b"drain\n";

/// Whether the host is stopping, shared with the agent.
#[derive(Clone, Default)]
pub struct DrainState(Arc<AtomicBool>);

impl DrainState {
    pub fn begin(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn answer(&self) -> &'static [u8] {
        if self.0.load(Ordering::Relaxed) {
            DRAINING
        } else {
            SERVING
        }
    }
}

/// Serves the agent check on `address` until the task is aborted.
pub async fn serve_agent(address: SocketAddr, state: DrainState) -> anyhow::Result<JoinHandle<()>> {
    let listener = TcpListener::bind(address)
        .await
        .with_context(|| format!("failed to bind the drain agent to {address}"))?;
    tracing::info!(%address, "drain agent listening");
    Ok(tokio::spawn(async move {
        loop {
            match listener.accept().await {
                Ok((mut stream, _)) => {
                    let answer = state.answer();
                    tokio::spawn(async move {
                        let _ = stream.write_all(answer).await;
                        let _ = stream.shutdown().await;
                    });
                }
                Err(err) => {
                    tracing::warn!(error = %err, "drain agent accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt as _;

    async fn read_agent(address: SocketAddr) -> String {
        let mut stream = tokio::net::TcpStream::connect(address)
            .await
            .expect("connect");
        let mut line = String::new();
        stream.read_to_string(&mut line).await.expect("read");
        line
    }

    #[tokio::test]
    async fn the_agent_says_ready_until_the_drain_begins() {
        let probe = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = probe.local_addr().expect("address");
        drop(probe);
        let state = DrainState::default();
        let agent = serve_agent(address, state.clone()).await.expect("agent");
        assert_eq!(read_agent(address).await, "ready up\n");
        state.begin();
        assert_eq!(read_agent(address).await, "drain\n");
        agent.abort();
    }
}
