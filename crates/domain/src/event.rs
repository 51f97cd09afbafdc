//! Rating events from Kafka (the original go-movie `RatingEvent`).

use serde::Deserialize;

use crate::{Rating, RatingTarget, RatingValue, UserId, ValidationError};

/// A valid rating event: what it asks the rating service to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RatingCommand {
    /// Create or replace a user's rating.
    Put(Rating),
    /// Remove `user`'s rating of `target` (a missing rating is not an error for an event).
    Delete { target: RatingTarget, user: UserId },
}

/// Why an event was refused (it goes to the dead-letter topic with this message).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("event is not a valid JSON object: {0}")]
    Malformed(String),
    #[error("event is invalid: {0}")]
    Invalid(#[from] ValidationError),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEvent {
    user_id: Option<String>,
    record_id: Option<String>,
    record_type: Option<String>,
    value: Option<serde_json::Value>,
    #[allow(dead_code)]
    provider_id: Option<String>,
    event_type: Option<String>,
}

fn required(field: &'static str, value: Option<String>) -> Result<String, ValidationError> {
    value.ok_or_else(|| ValidationError::missing(field))
}

impl RatingCommand {
    /// Parses and validates one event (a Kafka message value).
    pub fn from_event(bytes: &[u8]) -> Result<Self, EventError> {
        let raw: RawEvent =
            serde_json::from_slice(bytes).map_err(|err| EventError::Malformed(err.to_string()))?;
        let target = RatingTarget::parse(
            required("recordType", raw.record_type)?,
            required("recordId", raw.record_id)?,
        )?;
        let user = UserId::parse(required(UserId::FIELD, raw.user_id)?)?;
        match raw.event_type.as_deref() {
            Some("put") => {
                let value = match raw.value {
                    Some(serde_json::Value::Number(number)) => number
                        .as_i64()
                        .ok_or_else(|| RatingValue::refused(&number))
                        .and_then(RatingValue::new)?,
                    Some(other) => return Err(RatingValue::refused(other).into()),
                    None => return Err(ValidationError::missing("value").into()),
                };
                Ok(Self::Put(Rating {
                    target,
                    user,
                    value,
                }))
            }
            Some("delete") => Ok(Self::Delete { target, user }),
            Some(other) => Err(ValidationError::new(
                "eventType",
                format!("must be \"put\" or \"delete\" (got {other:?})"),
            )
            .into()),
            None => Err(ValidationError::new("eventType", "is required").into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_and_delete_events_parse() {
        let put = RatingCommand::from_event(
            br#"{"userId":"u1","recordId":"m1","recordType":"movie","value":4,"providerId":"p","eventType":"put"}"#,
        )
        .expect("valid put");
        assert!(matches!(put, RatingCommand::Put(rating) if rating.value.get() == 4));
        let delete = RatingCommand::from_event(
            br#"{"userId":"u1","recordId":"m1","recordType":"movie","value":99,"eventType":"delete"}"#,
        )
        .expect("delete ignores value");
        assert!(matches!(delete, RatingCommand::Delete { .. }));
    }

    #[test]
    fn bad_events_say_why() {
        let cases: &[(&[u8], &str)] = &[
            (b"{not json", "not a valid JSON object"),
            (b"[1,2]", "not a valid JSON object"),
            (br#"{"userId":"u","recordId":"m","recordType":"movie","value":3,"eventType":"upsert"}"#, "eventType"),
            (br#"{"userId":"u","recordId":"m","recordType":"movie","value":6,"eventType":"put"}"#, "value"),
            (br#"{"userId":"u","recordId":"m","recordType":"movie","value":2.5,"eventType":"put"}"#, "value"),
            (br#"{"userId":"u","recordId":"m","recordType":"movie","value":"3","eventType":"put"}"#, "value"),
            (br#"{"userId":"u","recordId":"m","recordType":"Movie","value":3,"eventType":"put"}"#, "recordType"),
            (br#"{"recordId":"m","recordType":"movie","value":3,"eventType":"put"}"#, "userId"),
            (br#"{"userId":"u","recordId":"m","recordType":"movie","eventType":"put"}"#, "value"),
        ];
        for (event, expected) in cases {
            let err = RatingCommand::from_event(event).expect_err("invalid");
            assert!(
                err.to_string().contains(expected),
                "{}: {err}",
                String::from_utf8_lossy(event)
            );
        }
    }
}
