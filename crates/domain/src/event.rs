//! Rating events from Kafka (the original go-movie `RatingEvent`).

use serde_json::Value;

use crate::object::{json_kind, shown, JsonObject, MalformedJson};

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
    Malformed(#[from] MalformedJson),
    #[error("event is invalid: {0}")]
    Invalid(#[from] ValidationError),
}

impl RatingCommand {
    /// Parses and validates one event (a Kafka message value). Every refusal names the member
    /// at fault, in words.
    pub fn from_event(bytes: &[u8]) -> Result<Self, EventError> {
        let mut event = JsonObject::parse(bytes)?;
        let target = RatingTarget::parse(
            event.required_string("recordType")?,
            event.required_string("recordId")?,
        )?;
        let user = UserId::parse(event.required_string(UserId::FIELD)?)?;
        // Ignored, but when sent it is the string the contract says.
        event.string("providerId")?;
        match event.string("eventType")?.as_deref() {
            Some("put") => {
                let value = match event.take("value") {
                    Some(Value::Number(number)) => number
                        .as_i64()
                        .ok_or_else(|| RatingValue::refused(&number))
                        .and_then(RatingValue::new)?,
                    None | Some(Value::Null) => {
                        return Err(ValidationError::missing("value").into())
                    }
                    Some(other) => return Err(RatingValue::refused(json_kind(&other)).into()),
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
                format!("must be \"put\" or \"delete\" (got {})", shown(other)),
            )
            .into()),
            None => Err(ValidationError::missing("eventType").into()),
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
    fn deep_nesting_is_refused_in_words() {
        let deep = format!(
            r#"{{"userId":"u","recordId":"m","recordType":"movie","value":3,"eventType":"put","x":{}{}}}"#,
            "[".repeat(10_000),
            "]".repeat(10_000)
        );
        let err = RatingCommand::from_event(deep.as_bytes()).expect_err("too deep");
        assert!(
            err.to_string().contains("more than 128 levels deep"),
            "{err}"
        );
        // Nesting within the limit, in a member nobody reads, is fine.
        let nested = format!(
            r#"{{"userId":"u","recordId":"m","recordType":"movie","value":3,"eventType":"put","x":{}{}}}"#,
            "[".repeat(100),
            "]".repeat(100)
        );
        assert!(RatingCommand::from_event(nested.as_bytes()).is_ok());
    }

    #[test]
    fn a_huge_member_gets_a_short_reason() {
        let huge = "u".repeat(1 << 20);
        let event = format!(
            r#"{{"userId":"{huge}","recordId":"m","recordType":"movie","value":3,"eventType":"put"}}"#
        );
        let err = RatingCommand::from_event(event.as_bytes()).expect_err("too long");
        assert!(
            err.to_string()
                .contains("userId must be at most 128 characters"),
            "{err}"
        );
        let event = format!(
            r#"{{"userId":"u","recordId":"m","recordType":"movie","value":3,"eventType":"{huge}"}}"#
        );
        let err = RatingCommand::from_event(event.as_bytes()).expect_err("bad kind");
        assert!(err.to_string().len() < 200, "{err}");
        assert!(err.to_string().contains("(1048576 characters)"), "{err}");
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
            (br#"{"userId":"u","recordId":"m","recordType":"movie","eventType":"put"}"#, "value is required"),
            // Numbers where strings belong, and other wrong types, name the member in words.
            (br#"{"userId":5,"recordId":"m","recordType":"movie","value":3,"eventType":"put"}"#, "userId must be a string (got a number)"),
            (br#"{"userId":"u","recordId":["m"],"recordType":"movie","value":3,"eventType":"put"}"#, "recordId must be a string (got an array)"),
            (br#"{"userId":"u","recordId":"m","recordType":"movie","value":true,"eventType":"put"}"#, "value must be an integer from 1 to 5 (got a boolean)"),
            (br#"{"userId":"u","recordId":"m","recordType":"movie","providerId":7,"value":3,"eventType":"put"}"#, "providerId must be a string"),
            (br#"{"userId":"u","recordId":"m","recordType":"movie","value":3,"eventType":{"put":1}}"#, "eventType must be a string (got an object)"),
            // A repeated member is refused, by name.
            (br#"{"userId":"u","recordId":"m","recordType":"movie","value":3,"value":4,"eventType":"put"}"#, "member \"value\" appears more than once"),
            // Not UTF-8.
            (b"{\"userId\":\"u\xff\"}", "not UTF-8 text (byte 12"),
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
