//! Reading rating-event files for the ingester.
//!
//! A file is either a JSON array of events (each sent as its compact JSON) or JSON lines
//! (each non-empty line sent verbatim, so that malformed events can be sent on purpose).
//!
//! Each event is keyed by the rating it is about (`recordType/recordId/userId`, in either
//! event shape), so that all
//! events of one rating land on one partition and are applied in the order they were sent.

#![forbid(unsafe_code)]

/// One message to produce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// `recordType/recordId/userId` when the event names them; none for malformed events.
    pub key: Option<String>,
    pub value: Vec<u8>,
}

/// The partition key of an event, in the book's shape or go-movie's: the rating it is about
/// (the gateway keys go-movie's submissions the same way).
pub fn rating_key(value: &[u8]) -> Option<String> {
    let event: serde_json::Value = serde_json::from_slice(value).ok()?;
    let field = |names: [&str; 2]| {
        names
            .iter()
            .find_map(|name| event.get(*name)?.as_str().map(str::to_string))
    };
    Some(format!(
        "{}/{}/{}",
        field(["recordType", "record_type"])?,
        field(["recordId", "record_id"])?,
        field(["userId", "user_id"])?
    ))
}

fn event(value: Vec<u8>) -> Event {
    Event {
        key: rating_key(&value),
        value,
    }
}

/// The events a file holds, in order.
pub fn events_from_file(contents: &str) -> anyhow::Result<Vec<Event>> {
    let trimmed = contents.trim_start();
    if trimmed.starts_with('[') {
        let events: Vec<serde_json::Value> = serde_json::from_str(trimmed).map_err(|err| {
            anyhow::anyhow!("the file starts like a JSON array but is not one: {err}")
        })?;
        events
            .iter()
            .map(|value| Ok(event(serde_json::to_vec(value)?)))
            .collect()
    } else {
        Ok(contents
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(|line| event(line.as_bytes().to_vec()))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(events: &[Event]) -> Vec<&[u8]> {
        events.iter().map(|event| event.value.as_slice()).collect()
    }

    #[test]
    fn arrays_are_split_into_compact_events() {
        let events = events_from_file("[ {\"a\": 1},\n {\"b\": [2]} ]").expect("array");
        assert_eq!(values(&events), [&b"{\"a\":1}"[..], &b"{\"b\":[2]}"[..]]);
    }

    #[test]
    fn lines_are_sent_verbatim_even_when_malformed() {
        let events = events_from_file("{\"a\":1}\n\n{not json\n").expect("lines");
        assert_eq!(values(&events), [&b"{\"a\":1}"[..], &b"{not json"[..]]);
        assert_eq!(events[1].key, None);
    }

    #[test]
    fn events_are_keyed_by_the_rating_they_are_about() {
        let events = events_from_file(
            r#"[{"userId":"u","recordId":"m","recordType":"movie","value":1,"eventType":"put"},
                {"userId":"u","recordType":"movie"}]"#,
        )
        .expect("array");
        assert_eq!(events[0].key.as_deref(), Some("movie/m/u"));
        assert_eq!(events[1].key, None);
        let go_movie = events_from_file(
            r#"[{"user_id":"u","record_id":"m","record_type":"movie","value":1,"EventType":"submit"}]"#,
        )
        .expect("array");
        assert_eq!(go_movie[0].key.as_deref(), Some("movie/m/u"));
    }

    #[test]
    fn a_broken_array_is_an_error() {
        assert!(events_from_file("[{\"a\":1},").is_err());
    }
}
