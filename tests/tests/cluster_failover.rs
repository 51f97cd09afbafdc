//! The front door keeps the API at one address when a host of the clustered lattice dies:
//! host-3 and its providers are killed (`kill -9`, as if its machine were gone), and requests
//! to 127.0.0.1:8000 go on being answered by the other hosts; the host then comes back
//! without a new deploy. Its own test binary: it kills a host. (Faults under load, with their
//! bounds, are the chaos tests' subject.)

use std::time::{Duration, Instant};

use movie_e2e::chaos::backend_status;
use movie_e2e::lattice::placements;
use movie_e2e::{
    bash, encode, eventually, require_app, script, shape, unique, wait_until_serving, TestApp,
};
use serde_json::json;

const HOST: &str = "host-3";

#[test]
fn clustered_the_api_stays_at_one_address_when_a_host_is_killed() {
    assert!(shape::clustered(), "needs the clustered lattice (HOSTS=3)");
    require_app();
    let app = TestApp::deployed();
    let id = unique("failover");
    let metadata =
        json!({"id": id, "title": "Solaris", "description": "", "director": "Tarkovsky"});
    app.put_metadata(&metadata).assert_status(200);
    app.rate(&id, "u", 5).assert_status(204);
    let whole = json!({"metadata": metadata, "rating": {"average": 5.0, "count": 1}});
    let path = format!("/movie?id={}", encode(&id));
    assert_eq!(backend_status(HOST).as_deref(), Some("UP"));

    let killed = Instant::now();
    let status = bash()
        .arg("-c")
        .arg(format!(
            "source scripts/env.sh && kill -KILL $(cat \"$PID_DIR/{HOST}.pid\") $(provider_pids {HOST})"
        ))
        .status()
        .expect("kill the host");
    assert!(status.success(), "kill -9 {HOST}");

    // Requests go on, one every 50 ms for 12 s: after a few seconds every one is answered.
    // A request that was inside host-3 when it died is lost with it, and one whose call went
    // to a component there waits for that call (bounding that wait is the faults issue's
    // work): the client gives each request 3 s.
    let client = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(3))
        .build();
    let url = format!("{}{path}", movie_e2e::API);
    let settle = Duration::from_secs(5);
    let mut failed_early = 0;
    let mut answered_late = 0;
    while killed.elapsed() < Duration::from_secs(12) {
        let asked = killed.elapsed();
        let answer = client
            .get(&url)
            .call()
            .map_err(|err| err.to_string())
            .and_then(|r| {
                r.into_json::<serde_json::Value>()
                    .map_err(|err| err.to_string())
            });
        let ok = answer.as_ref() == Ok(&whole);
        if asked < settle {
            if !ok {
                eprintln!(
                    "{asked:?} after the kill: {answer:?} in {:?}",
                    killed.elapsed() - asked
                );
            }
            failed_early += usize::from(!ok);
        } else {
            assert!(ok, "GET /movie failed {asked:?} after the kill");
            answered_late += 1;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    eprintln!("{failed_early} requests failed in the first {settle:?}; {answered_late} after, all answered");
    assert!(answered_late > 50);
    assert_eq!(
        backend_status(HOST).as_deref(),
        Some("DOWN"),
        "the front door took {HOST} out"
    );

    // The host comes back (same identity), and wadm gives it its share again.
    script("lattice").expect("the lattice starts the missing host");
    eventually(
        "wadm to place the gateway on the restarted host",
        Duration::from_secs(120),
        || {
            Ok(placements()?
                .get(HOST)
                .is_some_and(|ids| ids.iter().any(|id| id == "http-ingress-3")))
        },
    )
    .expect("the host runs its ingress again");
    eventually(
        "the front door to take the host back",
        Duration::from_secs(30),
        || Ok(backend_status(HOST).as_deref() == Some("UP")),
    )
    .expect("backend up");
    wait_until_serving().expect("the app serves");
}
