//! The consumer's context as a group member: it reports lag, and before a rebalance takes
//! partitions away it settles them, so their next owner starts after what this member
//! handled.
//!
//! librdkafka runs the rebalance callback inside the consumer's poll, on the subscription's
//! task; the deliveries run in tasks of their own, so the callback can wait for them.

use std::sync::Arc;
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer as _, ConsumerContext, Rebalance};
use rdkafka::statistics::Statistics;
use rdkafka::topic_partition_list::TopicPartitionList;
use rdkafka::ClientContext;
use tracing::{info, warn};

use crate::ledger::{Ledger, Partition};
use crate::metrics::LagContext;
use crate::subscription::HANDLER_TIMEOUT;

/// Longest a revoke waits for the deliveries in a call: one call's bound, and a little for a
/// dead letter on its way to the broker. A delivery still running after it may be handled
/// again by the next owner.
const REVOKE_WAIT: Duration = HANDLER_TIMEOUT.saturating_add(Duration::from_secs(2));

/// The context of a subscription's consumer.
pub struct MemberContext {
    pub lag: LagContext,
    pub ledger: Arc<Ledger>,
}

impl ClientContext for MemberContext {
    fn stats(&self, statistics: Statistics) {
        self.lag.stats(statistics);
    }
}

impl ConsumerContext for MemberContext {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        let Rebalance::Revoke(list) = rebalance else {
            return;
        };
        let component = &self.lag.component;
        let revoked: Vec<Partition> = list
            .elements()
            .iter()
            .map(|element| (element.topic().to_string(), element.partition()))
            .collect();
        let (settled, still_running) =
            wait_outside_the_runtime(|| self.ledger.revoke(&revoked, REVOKE_WAIT));
        if still_running > 0 {
            warn!(%component, still_running, "partitions revoked before every delivery answered; the next owner may handle those again");
        }
        if settled.is_empty() {
            info!(%component, partitions = revoked.len(), "partitions revoked; nothing to commit");
            return;
        }
        // Stored as well as committed: librdkafka may commit the stored offsets on the
        // revoke itself, and they must not be older than this commit.
        let mut offsets = TopicPartitionList::new();
        for entry in &settled {
            let (topic, partition) = &entry.partition;
            let next = rdkafka::Offset::Offset(entry.through + 1);
            if let Err(err) = consumer.store_offset(topic, *partition, entry.through) {
                warn!(%component, %topic, partition, error = %err, "failed to store the offset of a revoked partition");
            }
            if let Err(err) = offsets.add_partition_offset(topic, *partition, next) {
                warn!(%component, %topic, partition, error = %err, "failed to list the offset of a revoked partition");
            }
        }
        match consumer.commit(&offsets, CommitMode::Sync) {
            Ok(()) => {
                info!(%component, partitions = revoked.len(), committed = settled.len(), "partitions revoked; handled offsets committed")
            }
            Err(err) => {
                warn!(%component, error = %err, "commit before the revoke failed; the next owner may handle some messages again")
            }
        }
    }

    fn post_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Assign(list) = rebalance {
            info!(component = %self.lag.component, partitions = list.count(), "partitions assigned");
        }
    }
}

/// Runs `wait`, which blocks the thread, without stalling the runtime's other tasks (the
/// deliveries it waits for among them).
fn wait_outside_the_runtime<T>(wait: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(wait)
        }
        _ => wait(),
    }
}
