//! What to do after one attempt to deliver a message to the subscribed component.
//!
//! * handled: commit;
//! * rejected (the handler's error is a `handler_verdict` rejection): the message can never be
//!   handled, so it is dead-lettered at once;
//! * unavailable (the handler's error is a `handler_verdict` unavailability: its database or
//!   its provider is down): the message is fine, so it is retried until it is handled —
//!   never dead-lettered, never committed before;
//! * failed (any other handler error): retried with backoff, dead-lettered after
//!   `max_attempts`;
//! * unreachable (the call itself failed: component not running, link gone, trap): the
//!   component never handled the message, so it is retried until it can be delivered or the
//!   subscription stops — never dead-lettered, never committed.

use std::time::Duration;

use handler_verdict::Verdict;

use crate::config::RetryPolicy;

/// The outcome of one delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    Handled,
    Rejected(String),
    Unavailable(String),
    Failed(String),
    Unreachable(String),
}

impl Attempt {
    /// Classifies the result of a wRPC call to `handle-message`.
    pub fn from_call(result: anyhow::Result<Result<(), String>>) -> Self {
        match result {
            Ok(Ok(())) => Self::Handled,
            Ok(Err(error)) => match Verdict::of(&error) {
                Verdict::Rejected(reason) => Self::Rejected(reason.to_string()),
                Verdict::Unavailable(reason) => Self::Unavailable(reason.to_string()),
                Verdict::Failed(_) => Self::Failed(error),
            },
            Err(error) => Self::Unreachable(format!("{error:#}")),
        }
    }
}

/// The next step for a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    Commit,
    DeadLetter(String),
    Retry(Duration),
}

/// Decides what follows attempt number `attempt` (1-based) of a message.
pub fn next_step(policy: &RetryPolicy, attempt: u32, outcome: Attempt) -> Next {
    match outcome {
        Attempt::Handled => Next::Commit,
        Attempt::Rejected(reason) => Next::DeadLetter(reason),
        Attempt::Failed(error) if attempt >= policy.max_attempts => Next::DeadLetter(format!(
            "handler failed {attempt} times; last error: {error}"
        )),
        Attempt::Failed(_) | Attempt::Unavailable(_) | Attempt::Unreachable(_) => {
            Next::Retry(policy.backoff(attempt))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: RetryPolicy = RetryPolicy {
        max_attempts: 3,
        base_backoff: Duration::from_millis(10),
    };

    #[test]
    fn handler_results_are_classified() {
        assert_eq!(Attempt::from_call(Ok(Ok(()))), Attempt::Handled);
        assert_eq!(
            Attempt::from_call(Ok(Err(handler_verdict::rejected("bad json")))),
            Attempt::Rejected("bad json".into())
        );
        assert_eq!(
            Attempt::from_call(Ok(Err(handler_verdict::unavailable("database down")))),
            Attempt::Unavailable("database down".into())
        );
        assert_eq!(
            Attempt::from_call(Ok(Err("disk full".into()))),
            Attempt::Failed("disk full".into())
        );
        assert!(matches!(
            Attempt::from_call(Err(anyhow::anyhow!("no responders"))),
            Attempt::Unreachable(msg) if msg.contains("no responders")
        ));
    }

    #[test]
    fn rejected_messages_are_dead_lettered_at_once() {
        assert_eq!(
            next_step(&POLICY, 1, Attempt::Rejected("bad".into())),
            Next::DeadLetter("bad".into())
        );
    }

    #[test]
    fn failures_are_retried_then_dead_lettered() {
        assert_eq!(
            next_step(&POLICY, 1, Attempt::Failed("x".into())),
            Next::Retry(Duration::from_millis(10))
        );
        assert_eq!(
            next_step(&POLICY, 2, Attempt::Failed("x".into())),
            Next::Retry(Duration::from_millis(20))
        );
        assert!(matches!(
            next_step(&POLICY, 3, Attempt::Failed("x".into())),
            Next::DeadLetter(reason) if reason.contains("3 times") && reason.contains('x')
        ));
    }

    #[test]
    fn unreachable_components_and_unavailable_dependencies_are_never_dead_lettered() {
        for attempt in [1, 3, 50] {
            assert!(matches!(
                next_step(&POLICY, attempt, Attempt::Unreachable("down".into())),
                Next::Retry(_)
            ));
            assert!(matches!(
                next_step(&POLICY, attempt, Attempt::Unavailable("db down".into())),
                Next::Retry(_)
            ));
        }
        assert_eq!(next_step(&POLICY, 1, Attempt::Handled), Next::Commit);
    }
}
