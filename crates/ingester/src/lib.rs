//! Reading rating-event files for the ingester.
//!
//! A file is either a JSON array of events (each sent as its compact JSON) or JSON lines
//! (each non-empty line sent verbatim, so that malformed events can be sent on purpose).

#![forbid(unsafe_code)]

/// The message values a file holds, in order.
pub fn events_from_file(contents: &str) -> anyhow::Result<Vec<Vec<u8>>> {
    let trimmed = contents.trim_start();
    if trimmed.starts_with('[') {
        let events: Vec<serde_json::Value> = serde_json::from_str(trimmed).map_err(|err| {
            anyhow::anyhow!("the file starts like a JSON array but is not one: {err}")
        })?;
        events
            .iter()
            .map(|event| serde_json::to_vec(event).map_err(Into::into))
            .collect()
    } else {
        Ok(contents
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(|line| line.as_bytes().to_vec())
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_are_split_into_compact_events() {
        let events = events_from_file("[ {\"a\": 1},\n {\"b\": [2]} ]").expect("array");
        assert_eq!(events, vec![b"{\"a\":1}".to_vec(), b"{\"b\":[2]}".to_vec()]);
    }

    #[test]
    fn lines_are_sent_verbatim_even_when_malformed() {
        let events = events_from_file("{\"a\":1}\n\n{not json\n").expect("lines");
        assert_eq!(events, vec![b"{\"a\":1}".to_vec(), b"{not json".to_vec()]);
    }

    #[test]
    fn a_broken_array_is_an_error() {
        assert!(events_from_file("[{\"a\":1},").is_err());
    }
}
