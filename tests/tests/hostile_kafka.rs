//! Hostile Kafka values on topic `ratings`, produced as raw bytes: a 1 MiB message, a value that
//! is not UTF-8, JSON nested 10,000 levels deep, numbers where strings belong, a repeated
//! member. Each is set aside on `ratings.dlq`, unchanged, with a reason that names what is wrong
//! in words; the good event among them is applied; consumption goes on.

use std::time::Duration;

use movie_e2e::kafka::{event, produce_raw, rating_aggregate as aggregate, read_topic};
use movie_e2e::{eventually, require_app, unique};

/// A `put` event of `record` whose raw JSON members are `members` (`userId` first).
fn raw_event(record: &str, members: &str) -> Vec<u8> {
    format!(r#"{{{members},"recordId":"{record}","recordType":"movie","providerId":"e2e","eventType":"put"}}"#)
        .into_bytes()
}

#[test]
fn hostile_values_are_dead_lettered_with_reasons_in_words_and_the_rest_applied() {
    require_app();
    let record = unique("hostile-kafka");
    let huge_user = "u".repeat(1 << 20);
    let not_utf8 = [
        &br#"{"userId":"bad-"#[..],
        b"\xff\xfe",
        format!(r#"","recordId":"{record}","recordType":"movie","value":3,"eventType":"put"}}"#)
            .as_bytes(),
    ]
    .concat();
    let deep = format!(
        r#"{{"userId":"deep","value":3,"recordId":"{record}","recordType":"movie","eventType":"put","extra":{}{}}}"#,
        "[".repeat(10_000),
        "]".repeat(10_000)
    )
    .into_bytes();
    // The cases, each with the words its dead letter's reason must contain.
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "a 1 MiB message",
            raw_event(&record, &format!(r#""userId":"{huge_user}","value":3"#)),
            "bytes; this subscription delivers at most 65536",
        ),
        ("not UTF-8", not_utf8, "not UTF-8 text"),
        ("10,000 levels deep", deep, "more than 128 levels deep"),
        (
            "a number for the user id",
            raw_event(&record, r#""userId":12345,"value":3"#),
            "userId must be a string (got a number)",
        ),
        (
            "a string for the value",
            raw_event(&record, r#""userId":"str-value","value":"5""#),
            "value must be an integer from 1 to 5 (got a string)",
        ),
        (
            "a repeated member",
            raw_event(&record, r#""userId":"twice","value":1,"value":5"#),
            "member \"value\" appears more than once",
        ),
    ];
    let good = event("good-user", &record, 4, "put")
        .to_string()
        .into_bytes();
    let mut values: Vec<Vec<u8>> = cases.iter().map(|(_, value, _)| value.clone()).collect();
    values.push(good);
    produce_raw("ratings", &values).expect("the broker takes every value");

    eventually(
        "the good event to be applied",
        Duration::from_secs(60),
        || Ok(aggregate(&record).is_some_and(|a| a["count"] == 1)),
    )
    .expect("applied");
    let mut dead = Vec::new();
    eventually(
        "every hostile value dead-lettered",
        Duration::from_secs(60),
        || {
            dead = read_topic("ratings.dlq", &record, Duration::from_secs(3))?;
            Ok(dead.len() >= cases.len())
        },
    )
    .unwrap_or_else(|err| panic!("{err}: {} dead letters", dead.len()));
    assert_eq!(dead.len(), cases.len(), "exactly the hostile values");
    for (what, value, reason) in &cases {
        let letter = dead
            .iter()
            .find(|letter| &letter.payload == value)
            .unwrap_or_else(|| panic!("{what}: no dead letter carries it unchanged"));
        let error = letter.headers.get("error").cloned().unwrap_or_default();
        assert!(
            error.contains(reason),
            "{what}: reason {error:?} lacks {reason:?}"
        );
        assert!(
            error.len() < 300,
            "{what}: a short reason, not the value: {} bytes",
            error.len()
        );
    }
    // Only the good event counted: nothing hostile was applied, even in part.
    let aggregate = aggregate(&record).expect("aggregate");
    assert_eq!(aggregate["count"], 1, "{aggregate}");
    assert_eq!(aggregate["average"], 4.0, "{aggregate}");
}
