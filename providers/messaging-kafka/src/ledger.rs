//! What a group member owes its partitions: which deliveries are running and through which
//! offset each partition is settled, shared between the delivery tasks and the consumer's
//! rebalance callback.
//!
//! A partition that is revoked (a member joined or left the group) moves to another member,
//! which starts from the committed offset. So before it goes, the member stops starting its
//! deliveries, waits for the ones in a call to answer, and commits through the last settled
//! offset ([`Ledger::revoke`]); otherwise the new owner would handle again what this member
//! had handled but not yet committed.
//!
//! Each stretch of ownership of a partition is a *generation*: a delivery belongs to the one
//! it started in, and nothing it reports after a revoke touches the next one.

use std::collections::HashMap;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use crate::progress::PartitionProgress;

/// A topic and partition.
pub type Partition = (String, i32);

/// The member's partitions and their deliveries.
pub struct Ledger {
    partitions: Mutex<Partitions>,
    /// Signalled whenever a delivery ends.
    ended: Condvar,
    /// Cancelled when the whole subscription stops; each generation's token is its child.
    stopped: CancellationToken,
}

#[derive(Default)]
struct Partitions {
    owned: HashMap<Partition, Owned>,
    next_generation: u64,
}

/// One generation of ownership of a partition.
struct Owned {
    generation: u64,
    progress: PartitionProgress,
    running: usize,
    revoked: CancellationToken,
}

/// A delivery's place in the ledger, handed out by [`Ledger::dispatch`].
#[derive(Debug, Clone)]
pub struct Ticket {
    pub partition: Partition,
    pub offset: i64,
    pub generation: u64,
    /// Cancelled when the partition is revoked or the subscription stops: a delivery that
    /// has not started its call yet gives up.
    pub cancel: CancellationToken,
}

/// A revoked partition and the offset it is settled through (committed as `through + 1`).
#[derive(Debug, PartialEq, Eq)]
pub struct Settled {
    pub partition: Partition,
    pub through: i64,
}

impl Ledger {
    /// A ledger whose deliveries all give up when `stopped` is cancelled.
    pub fn new(stopped: CancellationToken) -> Self {
        Self {
            partitions: Mutex::new(Partitions::default()),
            ended: Condvar::new(),
            stopped,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Partitions> {
        // The ledger's state stays consistent between statements, so a panicked holder
        // leaves nothing half-done behind.
        self.partitions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// A delivery of `offset` in `partition` starts.
    pub fn dispatch(&self, partition: Partition, offset: i64) -> Ticket {
        let mut partitions = self.lock();
        let generation = partitions.next_generation;
        let owned = match partitions.owned.get_mut(&partition) {
            Some(owned) => owned,
            None => {
                partitions.next_generation += 1;
                partitions.owned.entry(partition.clone()).or_insert(Owned {
                    generation,
                    progress: PartitionProgress::default(),
                    running: 0,
                    revoked: self.stopped.child_token(),
                })
            }
        };
        owned.progress.dispatch(offset);
        owned.running += 1;
        Ticket {
            partition,
            offset,
            generation: owned.generation,
            cancel: owned.revoked.clone(),
        }
    }

    /// The delivery ended: `settled` when it was handled or dead-lettered. Returns the offset
    /// through which its partition is now settled, when that moved forward (to store for the
    /// periodic commit); `None` as well when the partition was revoked in between.
    pub fn end(&self, ticket: &Ticket, settled: bool) -> Option<i64> {
        let mut partitions = self.lock();
        let owned = partitions
            .owned
            .get_mut(&ticket.partition)
            .filter(|owned| owned.generation == ticket.generation)?;
        owned.running -= 1;
        let through = if settled {
            owned.progress.settle(ticket.offset)
        } else {
            None
        };
        drop(partitions);
        self.ended.notify_all();
        through
    }

    /// Whether the ticket's partition is still owned in the ticket's generation.
    pub fn is_current(&self, ticket: &Ticket) -> bool {
        self.lock()
            .owned
            .get(&ticket.partition)
            .is_some_and(|owned| owned.generation == ticket.generation)
    }

    /// The partitions go to another member: deliveries not yet in a call give up, the ones in
    /// a call get until `wait` runs out to answer, and the ledger forgets the partitions.
    /// Returns how far each is settled, to commit before it goes, and how many deliveries were
    /// still running when the wait ran out.
    pub fn revoke(&self, revoked: &[Partition], wait: Duration) -> (Vec<Settled>, usize) {
        let deadline = Instant::now() + wait;
        let mut partitions = self.lock();
        for partition in revoked {
            if let Some(owned) = partitions.owned.get(partition) {
                owned.revoked.cancel();
            }
        }
        let running = |partitions: &Partitions| -> usize {
            revoked
                .iter()
                .filter_map(|partition| partitions.owned.get(partition))
                .map(|owned| owned.running)
                .sum()
        };
        while running(&partitions) > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            partitions = self
                .ended
                .wait_timeout(partitions, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        let still_running = running(&partitions);
        let settled = revoked
            .iter()
            .filter_map(|partition| {
                let owned = partitions.owned.remove(partition)?;
                Some(Settled {
                    partition: partition.clone(),
                    through: owned.progress.done_through()?,
                })
            })
            .collect();
        (settled, still_running)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn partition(number: i32) -> Partition {
        ("ratings".to_string(), number)
    }

    #[test]
    fn settled_offsets_are_reported_as_they_move_forward() {
        let ledger = Ledger::new(CancellationToken::new());
        let first = ledger.dispatch(partition(0), 5);
        let second = ledger.dispatch(partition(0), 6);
        assert_eq!(ledger.end(&second, true), None, "5 is still running");
        assert_eq!(ledger.end(&first, true), Some(6));
    }

    #[test]
    fn a_revoke_waits_for_the_running_delivery_and_reports_what_it_settled() {
        let ledger = Arc::new(Ledger::new(CancellationToken::new()));
        let done = ledger.dispatch(partition(0), 0);
        assert_eq!(ledger.end(&done, true), Some(0));
        let in_call = ledger.dispatch(partition(0), 1);
        let answering = {
            let ledger = Arc::clone(&ledger);
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(200));
                assert!(in_call.cancel.is_cancelled(), "the revoke cancels first");
                ledger.end(&in_call, true)
            })
        };
        let started = Instant::now();
        let (settled, still_running) = ledger.revoke(&[partition(0)], Duration::from_secs(5));
        assert!(started.elapsed() >= Duration::from_millis(200), "it waited");
        assert_eq!(still_running, 0);
        assert_eq!(
            settled,
            vec![Settled {
                partition: partition(0),
                through: 1
            }]
        );
        assert_eq!(answering.join().ok(), Some(Some(1)));
    }

    #[test]
    fn a_delivery_that_gave_up_holds_the_commit_below_it() {
        let ledger = Ledger::new(CancellationToken::new());
        let handled = ledger.dispatch(partition(0), 10);
        let gave_up = ledger.dispatch(partition(0), 11);
        let after = ledger.dispatch(partition(0), 12);
        ledger.end(&handled, true);
        ledger.end(&gave_up, false);
        ledger.end(&after, true);
        let (settled, _) = ledger.revoke(&[partition(0)], Duration::from_secs(1));
        assert_eq!(
            settled,
            vec![Settled {
                partition: partition(0),
                through: 10
            }]
        );
    }

    #[test]
    fn the_wait_is_bounded_and_late_answers_touch_nothing() {
        let ledger = Ledger::new(CancellationToken::new());
        let stuck = ledger.dispatch(partition(1), 3);
        let (settled, still_running) = ledger.revoke(&[partition(1)], Duration::from_millis(50));
        assert_eq!(still_running, 1);
        assert!(settled.is_empty(), "nothing of partition 1 was settled");
        // Owned again, from the committed offset: a new generation.
        let again = ledger.dispatch(partition(1), 3);
        assert_ne!(again.generation, stuck.generation);
        assert!(!ledger.is_current(&stuck));
        assert_eq!(
            ledger.end(&stuck, true),
            None,
            "the old answer is not counted"
        );
        assert_eq!(ledger.end(&again, true), Some(3));
    }

    #[test]
    fn other_partitions_are_neither_cancelled_nor_forgotten() {
        let ledger = Ledger::new(CancellationToken::new());
        let kept = ledger.dispatch(partition(0), 0);
        let revoked = ledger.dispatch(partition(1), 0);
        ledger.end(&revoked, true);
        let (settled, _) = ledger.revoke(&[partition(1)], Duration::from_secs(1));
        assert_eq!(settled.len(), 1);
        assert!(!kept.cancel.is_cancelled());
        assert!(ledger.is_current(&kept));
        assert_eq!(ledger.end(&kept, true), Some(0));
    }

    #[test]
    fn stopping_the_subscription_cancels_every_generation() {
        let stopped = CancellationToken::new();
        let ledger = Ledger::new(stopped.clone());
        let ticket = ledger.dispatch(partition(0), 0);
        stopped.cancel();
        assert!(ticket.cancel.is_cancelled());
    }
}
