//! The soak's short form: three minutes of the chaos tests' mixed load with a random fault
//! every 70 s (`make soak` runs the long one). Slow; its own test binary, which the test
//! command runs alone, after the other clustered tests.

use std::time::Duration;

use movie_e2e::chaos::exclusive;
use movie_e2e::soak::{soak, SoakOptions};
use movie_e2e::{require_app, shape};

#[test]
fn clustered_soak_short_form_loses_nothing_and_stays_bounded() {
    let _one_at_a_time = exclusive();
    assert!(shape::clustered(), "needs the clustered lattice (HOSTS=3)");
    require_app();
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|t| t.as_secs())
        .unwrap_or(1);
    let report = soak(SoakOptions {
        duration: Duration::from_secs(180),
        fault_every: Duration::from_secs(70),
        seed,
    })
    .expect("the soak runs");
    eprintln!("{}", report.markdown());
    assert!(!report.faults.is_empty(), "the soak injected no fault");
    report.check().expect("the soak's promises hold");
}
