//! Bookkeeping for delivering many messages at once without giving up at-least-once or
//! per-key order.
//!
//! * [`PartitionProgress`]: which offset of a partition may be committed. Messages finish out
//!   of order; the committed position only ever moves up to just below the oldest message
//!   still in flight (or one that could not be delivered), so a restart redelivers everything
//!   not yet handled.
//! * [`ChainKey`]: messages with the same key (in the same partition) are delivered one after
//!   the other, in offset order; messages without a key keep their partition's order.

use std::collections::BTreeSet;

/// Progress of one partition.
#[derive(Debug, Default)]
pub struct PartitionProgress {
    /// Offsets dispatched and not yet settled (handled or dead-lettered).
    in_flight: BTreeSet<i64>,
    /// Lowest and highest offsets dispatched so far.
    lowest_dispatched: Option<i64>,
    highest_dispatched: Option<i64>,
    /// Last offset reported by [`PartitionProgress::settle`] as done through.
    last_reported: Option<i64>,
}

impl PartitionProgress {
    /// A message at `offset` is being delivered.
    pub fn dispatch(&mut self, offset: i64) {
        self.in_flight.insert(offset);
        self.lowest_dispatched = Some(self.lowest_dispatched.map_or(offset, |l| l.min(offset)));
        self.highest_dispatched = Some(self.highest_dispatched.map_or(offset, |h| h.max(offset)));
    }

    /// The message at `offset` was handled or dead-lettered. Returns the offset through which
    /// every dispatched message is now settled, when that moved forward: the offset to store
    /// for commit (librdkafka commits it plus one).
    pub fn settle(&mut self, offset: i64) -> Option<i64> {
        self.in_flight.remove(&offset);
        let done_through = match self.in_flight.first() {
            Some(oldest) => oldest.checked_sub(1)?,
            None => self.highest_dispatched?,
        };
        // Below the first offset we dispatched, nothing is ours to report.
        if self
            .lowest_dispatched
            .is_none_or(|lowest| done_through < lowest)
            || self.last_reported.is_some_and(|last| done_through <= last)
        {
            return None;
        }
        self.last_reported = Some(done_through);
        Some(done_through)
    }

    /// The offset through which every dispatched message is settled, as last reported by
    /// [`PartitionProgress::settle`]; `None` before the first.
    pub fn done_through(&self) -> Option<i64> {
        self.last_reported
    }

    /// How many of this partition's messages are in flight (or stuck undelivered).
    pub fn pending(&self) -> usize {
        self.in_flight.len()
    }
}

/// What orders deliveries: same topic, partition and key (`None`: no key) go one at a time.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ChainKey {
    pub topic: String,
    pub partition: i32,
    pub key: Option<Vec<u8>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_order_completion_reports_each_offset() {
        let mut progress = PartitionProgress::default();
        for offset in 0..3 {
            progress.dispatch(offset);
        }
        assert_eq!(progress.settle(0), Some(0));
        assert_eq!(progress.settle(1), Some(1));
        assert_eq!(progress.settle(2), Some(2));
        assert_eq!(progress.pending(), 0);
    }

    #[test]
    fn out_of_order_completion_waits_for_the_oldest() {
        let mut progress = PartitionProgress::default();
        for offset in 10..15 {
            progress.dispatch(offset);
        }
        assert_eq!(progress.settle(12), None);
        assert_eq!(progress.settle(14), None);
        // 10 settles: 11 is still out, so only 10 is done.
        assert_eq!(progress.settle(10), Some(10));
        // 11 settles: 12 was done, 13 is out.
        assert_eq!(progress.settle(11), Some(12));
        assert_eq!(progress.settle(13), Some(14));
    }

    #[test]
    fn an_undelivered_message_holds_the_position_below_it() {
        let mut progress = PartitionProgress::default();
        for offset in 0..4 {
            progress.dispatch(offset);
        }
        // Offset 1 never settles (the subscription stopped before it was handled).
        assert_eq!(progress.settle(0), Some(0));
        assert_eq!(progress.settle(2), None);
        assert_eq!(progress.settle(3), None);
        assert_eq!(progress.pending(), 1);
    }

    #[test]
    fn nothing_is_reported_below_the_first_dispatched_offset() {
        let mut progress = PartitionProgress::default();
        progress.dispatch(0);
        progress.dispatch(1);
        // Nothing is done through -1 (or through 99 below): no report until the first settles.
        assert_eq!(progress.settle(1), None);
        assert_eq!(progress.settle(0), Some(1));
        let mut progress = PartitionProgress::default();
        progress.dispatch(100);
        progress.dispatch(101);
        assert_eq!(progress.settle(101), None);
        assert_eq!(progress.settle(100), Some(101));
    }
}
