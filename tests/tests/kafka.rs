//! Rating events over Kafka: topic `ratings` -> Kafka provider -> rating component, with
//! malformed events dead-lettered to `ratings.dlq`, and no loss across a provider restart.

use std::time::Duration;

use movie_e2e::kafka::{
    event, go_movie_event, ingest, produce_raw, rating_aggregate as aggregate, read_topic,
    write_events, Record,
};
use movie_e2e::{eventually, require_app, unique};
use serde_json::json;

#[test]
fn ingested_events_show_up_in_the_api() {
    require_app();
    let record = unique("kafka-movie");
    let events = json!([
        event("u1", &record, 5, "put"),
        event("u2", &record, 1, "put"),
        event("u3", &record, 4, "put"),
        event("u2", &record, 3, "put"),
        event("u3", &record, 0, "delete"),
        // Replays change nothing.
        event("u1", &record, 5, "put"),
        event("u3", &record, 0, "delete"),
    ]);
    let file = write_events("events.json", &events.to_string());
    let printed = ingest(&file).expect("ingest");
    assert!(printed.contains("sent 7 of 7"), "{printed}");
    eventually("the events to be applied", Duration::from_secs(60), || {
        Ok(aggregate(&record).is_some_and(|a| a["count"] == 2 && a["average"] == 4.0))
    })
    .expect("u1=5 and u2=3 remain");
}

#[test]
fn bad_events_are_dead_lettered_and_the_rest_applied() {
    require_app();
    let record = unique("dlq-movie");
    let lines = [
        event("good-1", &record, 4, "put").to_string(),
        format!("{{\"userId\": \"x\", \"recordId\": \"{record}\", this is not json"),
        event("bad-kind", &record, 3, "upsert").to_string(),
        event("bad-value", &record, 9, "put").to_string(),
        event("good-2", &record, 2, "put").to_string(),
    ];
    let file = write_events("events.jsonl", &lines.join("\n"));
    assert!(ingest(&file).expect("ingest").contains("sent 5 of 5"));
    eventually(
        "the valid events to be applied",
        Duration::from_secs(60),
        || Ok(aggregate(&record).is_some_and(|a| a["count"] == 2 && a["average"] == 3.0)),
    )
    .expect("good-1 and good-2 applied");

    let dead = dead_letters(&record, 3);
    let by_payload = |needle: &str| {
        dead.iter()
            .find(|record| String::from_utf8_lossy(&record.payload).contains(needle))
            .unwrap_or_else(|| panic!("no dead letter containing {needle}"))
    };
    let malformed = by_payload("this is not json");
    assert_eq!(malformed.payload, lines[1].as_bytes(), "copied unchanged");
    assert!(
        malformed.headers["error"].contains("not a valid JSON"),
        "{:?}",
        malformed.headers
    );
    assert!(by_payload("bad-kind").headers["error"].contains("eventType"));
    assert!(by_payload("bad-value").headers["error"].contains("value"));
    assert!(!dead
        .iter()
        .any(|r| String::from_utf8_lossy(&r.payload).contains("good-")));
}

/// The dead letters of `record`'s events, once there are `count`: exactly that many.
fn dead_letters(record: &str, count: usize) -> Vec<Record> {
    let mut dead = Vec::new();
    eventually(
        &format!("{count} dead letters"),
        Duration::from_secs(30),
        || {
            dead = read_topic("ratings.dlq", record, Duration::from_secs(3))?;
            Ok(dead.len() >= count)
        },
    )
    .expect("dead letters");
    assert_eq!(
        dead.len(),
        count,
        "exactly the {count} bad events: {dead:?}"
    );
    dead
}

/// go-movie's own events (snake_case, `EventType` submit/delete) are applied like the book's,
/// on the same topic, and broken ones are dead-lettered with a reason that names the member as
/// go-movie spells it.
#[test]
fn go_movie_shaped_events_are_applied_and_broken_ones_dead_lettered() {
    require_app();
    let record = unique("go-movie-events");
    let values = [
        go_movie_event("g1", &record, 5, "submit").to_string(),
        event("b1", &record, 4, "put").to_string(),
        // Unkeyed values may land on any partition: a delete of a rating nobody made (no
        // order to depend on) still parses and applies.
        go_movie_event("g2", &record, 0, "delete").to_string(),
        go_movie_event("bad-kind", &record, 3, "put").to_string(),
        format!(
            r#"{{"record_id":"{record}","record_type":"movie","user_id":7,"value":3,"EventType":"submit"}}"#
        ),
        format!(
            r#"{{"record_id":"{record}","record_type":"movie","userId":"mixed","value":3,"EventType":"submit"}}"#
        ),
        go_movie_event("g3", &record, 3, "submit").to_string(),
    ];
    let bytes: Vec<Vec<u8>> = values.iter().map(|v| v.clone().into_bytes()).collect();
    produce_raw("ratings", &bytes).expect("produce");
    eventually(
        "g1=5, b1=4 and g3=3 to be applied",
        Duration::from_secs(60),
        || Ok(aggregate(&record).is_some_and(|a| a["count"] == 3 && a["average"] == 4.0)),
    )
    .expect("the valid events applied");

    let dead = dead_letters(&record, 3);
    let reason = |needle: &str| {
        dead.iter()
            .find(|record| String::from_utf8_lossy(&record.payload).contains(needle))
            .map(|record| record.headers["error"].clone())
            .unwrap_or_else(|| panic!("no dead letter containing {needle}"))
    };
    assert!(reason("bad-kind").contains(r#"EventType must be "submit" or "delete""#));
    assert!(reason(r#""user_id":7"#).contains("user_id must be a string"));
    assert!(reason("mixed").contains("one shape or the other"));
}

/// The provider delivers many events at once, but each user's events must still apply in
/// order: 300 users each put, replace, delete, put again and replace, interleaved in the topic
/// (and every third user deletes at the end). Any reordering within a user shows up in the
/// final count or sum.
#[test]
fn each_users_events_apply_in_order_under_concurrent_delivery() {
    require_app();
    let record = unique("kafka-order");
    const USERS: u64 = 300;
    let value = |user: u64, step: u64| ((user + step) % 5 + 1) as i64;
    let mut events = Vec::new();
    for step in 0..6 {
        for user in 0..USERS {
            let name = format!("user-{user}");
            match step {
                2 => events.push(event(&name, &record, 0, "delete")),
                5 if user % 3 == 0 => events.push(event(&name, &record, 0, "delete")),
                5 => {}
                _ => events.push(event(&name, &record, value(user, step), "put")),
            }
        }
    }
    let file = write_events(
        "ordered.json",
        &serde_json::Value::Array(events).to_string(),
    );
    ingest(&file).expect("ingest");

    let survivors: Vec<u64> = (0..USERS).filter(|user| user % 3 != 0).collect();
    let expected_count = survivors.len() as u64;
    let expected_sum: i64 = survivors.iter().map(|&user| value(user, 4)).sum();
    eventually(
        "the last event of every user to be applied",
        Duration::from_secs(120),
        || {
            Ok(aggregate(&record).is_some_and(|a| {
                a["count"].as_u64() == Some(expected_count)
                    && a["average"].as_f64() == Some(expected_sum as f64 / expected_count as f64)
            }))
        },
    )
    .unwrap_or_else(|err| panic!("{err:#}; last aggregate: {:?}", aggregate(&record)));
    // Settled, not passing through: nothing later changes it.
    std::thread::sleep(Duration::from_secs(2));
    let last = aggregate(&record).expect("aggregate");
    assert_eq!(last["count"].as_u64(), Some(expected_count), "{last}");
}
