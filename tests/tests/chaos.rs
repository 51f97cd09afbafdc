//! Chaos: each fault of the clustered lattice, injected under a mixed load through the front
//! door (reads, `PUT /rating`, Kafka events). Each test asserts that no request took longer
//! than the request bound, that failures came only in a window after the fault and never after
//! recovery, that `/healthz` answers 200 again without anyone acting, and that every accepted
//! write and acknowledged event is in the database exactly once in effect (counts and exact
//! averages). Slow: about a minute each; one at a time, and the lattice is made whole after
//! each. Its own test binary.

use movie_e2e::chaos::{
    exclusive, handled_at_last_stop, handled_by_instance, restore, run_fault, under_load, Fault,
};
use movie_e2e::{require_app, shape};

/// The host whose processes die (any but the first, which wadm's NATS node serves).
const HOST: &str = "host-2";
/// The NATS node that dies (host-2's).
const NODE: usize = 2;

fn chaos(fault: Fault) -> movie_e2e::chaos::FaultRun {
    // The lock first: until the test before has made the lattice whole again, the app may
    // not answer.
    let _one_at_a_time = exclusive();
    assert!(shape::clustered(), "needs the clustered lattice (HOSTS=3)");
    require_app();
    run_fault(fault, HOST, NODE)
}

#[test]
fn clustered_chaos_kill_a_host() {
    chaos(Fault::KillHost);
}

#[test]
fn clustered_chaos_kill_a_nats_node() {
    chaos(Fault::KillNatsNode);
}

#[test]
fn clustered_chaos_kill_the_kafka_provider_while_it_delivers() {
    chaos(Fault::KillKafkaProvider);
}

#[test]
fn clustered_chaos_kill_the_postgres_provider() {
    chaos(Fault::KillPostgresProvider);
}

#[test]
fn clustered_chaos_kill_the_broker_then_restart_it() {
    chaos(Fault::KillBroker);
}

#[test]
fn clustered_chaos_kill_the_database_then_restart_it() {
    chaos(Fault::KillDatabase);
}

/// A planned stop drains the host: not one request fails, and every event is handled once
/// (the stopping Kafka provider commits what it handled before it leaves the group, and the
/// next member starts from there).
#[test]
fn clustered_chaos_a_planned_host_stop_fails_nothing() {
    let _one_at_a_time = exclusive();
    assert!(shape::clustered(), "needs the clustered lattice (HOSTS=3)");
    require_app();
    restore().expect("the lattice is whole before the stop");
    let before = handled_by_instance();
    assert_eq!(
        before.len(),
        shape::hosts(),
        "every Kafka provider answers: {before:?}"
    );

    let run = under_load(Fault::StopHost, HOST, NODE);
    let failures = run.report.failures();
    // Every event is applied by now; its delivery's count follows the call's answer.
    std::thread::sleep(std::time::Duration::from_secs(2));
    let after = handled_by_instance();
    let stopped: Vec<&String> = before
        .keys()
        .filter(|url| !after.contains_key(*url))
        .collect();
    assert_eq!(
        stopped.len(),
        1,
        "one provider stopped with its host: {before:?} -> {after:?}"
    );
    let last = handled_at_last_stop(HOST).expect("the stopped provider logged what it handled");
    let handled: u64 = after
        .iter()
        .map(|(url, count)| count - before[url])
        .sum::<u64>()
        + (last - before[stopped[0]]);
    restore().expect("the lattice is whole again after the stop");

    assert!(
        failures.is_empty(),
        "{} requests or sends failed across a planned stop:\n{}",
        failures.len(),
        run.report.some_failures(10)
    );
    assert_eq!(
        handled,
        run.report.events.len() as u64,
        "every event handled exactly once across the stop (more: some handled twice)"
    );
}
