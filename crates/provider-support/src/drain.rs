//! A provider's exports served so that a stop loses no call: once [`Drain::finish`] is called,
//! the provider takes no new invocation (its subscriptions end, so callers reach the other
//! instances) and waits for those in flight before it lets go of what they use.

use std::future::Future;
use std::time::Duration;

use futures::stream::{self, StreamExt as _};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{info, warn};
use wasmcloud_provider_sdk::provider::InvocationStreams;

/// The switch that stops a provider's exports, and the invocations they have in flight.
/// Clones share it: the provider keeps one for its `shutdown`, [`serve_exports`] the other.
#[derive(Clone, Default)]
pub struct Drain {
    accepting: CancellationToken,
    in_flight: TaskTracker,
}

impl Drain {
    /// Stops taking invocations and waits up to `timeout` for those in flight; whether they
    /// all finished.
    pub async fn finish(&self, timeout: Duration) -> bool {
        self.accepting.cancel();
        self.in_flight.close();
        let finished = tokio::time::timeout(timeout, self.in_flight.wait())
            .await
            .is_ok();
        if finished {
            info!("exports drained");
        } else {
            warn!(
                in_flight = self.in_flight.len(),
                ?timeout,
                "invocations still in flight at the drain deadline"
            );
        }
        finished
    }

    /// Invocations being served now.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }
}

/// Serves `invocations` until `drain` is finished or the host's `shutdown` comes, each
/// invocation in a task of its own that `drain` waits for.
pub async fn serve_exports(
    invocations: InvocationStreams,
    drain: Drain,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let mut invocations = stream::select_all(
        invocations
            .into_iter()
            .map(|(instance, name, calls)| calls.map(move |call| (instance, name, call))),
    );
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            () = drain.accepting.cancelled() => break,
            () = &mut shutdown => break,
            next = invocations.next() => match next {
                Some((instance, name, Ok(call))) => {
                    drain.in_flight.spawn(async move {
                        if let Err(err) = call.await {
                            warn!(?err, instance, name, "failed to serve invocation");
                        }
                    });
                }
                Some((instance, name, Err(err))) => {
                    warn!(?err, instance, name, "failed to accept invocation");
                }
                None => break,
            },
        }
    }
    // Dropping the streams ends the subscriptions; what was accepted still finishes.
    drop(invocations);
    drain.in_flight.close();
    drain.in_flight.wait().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    type Call = std::pin::Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send + 'static>>;

    fn slow_calls(count: usize, done: Arc<AtomicUsize>) -> InvocationStreams {
        let calls = (0..count).map(move |_| {
            let done = Arc::clone(&done);
            let call: Call = Box::pin(async move {
                tokio::time::sleep(Duration::from_millis(50)).await;
                done.fetch_add(1, Ordering::SeqCst);
                Ok(())
            });
            Ok(call)
        });
        // After the accepted calls, the stream stays open, as a subscription does.
        let open = stream::iter(calls).chain(stream::pending());
        vec![("test:api/calls", "call", Box::pin(open))]
    }

    #[tokio::test]
    async fn a_finished_drain_waits_for_the_calls_in_flight_and_takes_no_more() {
        let done = Arc::new(AtomicUsize::new(0));
        let drain = Drain::default();
        let serving = tokio::spawn(serve_exports(
            slow_calls(3, Arc::clone(&done)),
            drain.clone(),
            std::future::pending(),
        ));
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert_eq!(drain.in_flight(), 3, "all three calls accepted");
        assert!(drain.finish(Duration::from_secs(5)).await);
        assert_eq!(
            done.load(Ordering::SeqCst),
            3,
            "every accepted call finished"
        );
        tokio::time::timeout(Duration::from_secs(1), serving)
            .await
            .expect("serving ends after the drain")
            .expect("task")
            .expect("serve");
    }

    #[tokio::test]
    async fn a_drain_deadline_is_reported() {
        let drain = Drain::default();
        let stuck: Call = Box::pin(std::future::pending());
        let calls: InvocationStreams = vec![(
            "test:api/calls",
            "call",
            Box::pin(stream::iter([Ok(stuck)]).chain(stream::pending())),
        )];
        let _serving = tokio::spawn(serve_exports(calls, drain.clone(), std::future::pending()));
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(!drain.finish(Duration::from_millis(50)).await);
        assert_eq!(drain.in_flight(), 1);
    }
}
