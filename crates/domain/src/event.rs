//! Rating events from Kafka, in either shape the `ratings` topic carries:
//! - the book's `RatingEvent`: `{"userId", "recordId", "recordType", "value", "providerId",
//!   "eventType": "put" | "delete"}`;
//! - go-movie's: `{"user_id", "record_id", "record_type", "value", "EventType": "submit" |
//!   "delete"}` (`submit` puts).
//!
//! An event is go-movie's when it has any of go-movie's member names, the book's otherwise;
//! one that mixes the two is refused. Either way a refusal names the member at fault as the
//! event spells it.

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

/// How a shape of event names its members, and its two kinds of event.
struct Shape {
    name: &'static str,
    user_id: &'static str,
    record_id: &'static str,
    record_type: &'static str,
    event_type: &'static str,
    put: &'static str,
    delete: &'static str,
    /// A member read only to check its type (the book's `providerId`).
    checked: Option<&'static str>,
}

const BOOK: Shape = Shape {
    name: "the book's",
    user_id: UserId::FIELD,
    record_id: "recordId",
    record_type: "recordType",
    event_type: "eventType",
    put: "put",
    delete: "delete",
    checked: Some("providerId"),
};

const GO_MOVIE: Shape = Shape {
    name: "go-movie's",
    user_id: "user_id",
    record_id: "record_id",
    record_type: "record_type",
    event_type: "EventType",
    put: "submit",
    delete: "delete",
    checked: None,
};

impl Shape {
    fn members(&self) -> [&'static str; 4] {
        [
            self.user_id,
            self.record_id,
            self.record_type,
            self.event_type,
        ]
    }

    /// The first of this shape's member names that `event` has.
    fn first_member_in(&self, event: &JsonObject) -> Option<&'static str> {
        self.members().into_iter().find(|name| event.has(name))
    }

    /// The shape `event` is in: go-movie's when it names a member go-movie's way.
    fn of(event: &JsonObject) -> Result<&'static Shape, ValidationError> {
        match (GO_MOVIE.first_member_in(event), BOOK.first_member_in(event)) {
            (Some(go_movie), Some(book)) => Err(ValidationError::new(
                go_movie,
                format!(
                    "is go-movie's name, but the event also has the book's member {}: \
                     an event is in one shape or the other",
                    shown(book)
                ),
            )),
            (Some(_), None) => Ok(&GO_MOVIE),
            (None, _) => Ok(&BOOK),
        }
    }

    /// `err` with its field named as this shape names it.
    fn named(&self, err: ValidationError) -> ValidationError {
        let field = match err.field {
            "userId" => self.user_id,
            "recordId" => self.record_id,
            "recordType" => self.record_type,
            other => other,
        };
        ValidationError { field, ..err }
    }

    /// The rating an event or submission is about, and whose it is.
    fn target_and_user(
        &self,
        event: &mut JsonObject,
    ) -> Result<(RatingTarget, UserId), ValidationError> {
        let record_type = event.required_string(self.record_type)?;
        let record_id = event.required_string(self.record_id)?;
        let target = RatingTarget::parse(record_type, record_id).map_err(|err| self.named(err))?;
        let user =
            UserId::parse(event.required_string(self.user_id)?).map_err(|err| self.named(err))?;
        Ok((target, user))
    }

    fn command(&self, mut event: JsonObject) -> Result<RatingCommand, ValidationError> {
        let (target, user) = self.target_and_user(&mut event)?;
        if let Some(member) = self.checked {
            // Ignored, but when sent it is the string the contract says.
            event.string(member)?;
        }
        match event.string(self.event_type)?.as_deref() {
            Some(kind) if kind == self.put => Ok(RatingCommand::Put(Rating {
                target,
                user,
                value: value_of(&mut event)?,
            })),
            Some(kind) if kind == self.delete => Ok(RatingCommand::Delete { target, user }),
            Some(other) => Err(ValidationError::new(
                self.event_type,
                format!(
                    "must be \"{}\" or \"{}\" in {} events (got {})",
                    self.put,
                    self.delete,
                    self.name,
                    shown(other)
                ),
            )),
            None => Err(ValidationError::missing(self.event_type)),
        }
    }
}

/// The member `value`: an integer from 1 to 5.
fn value_of(event: &mut JsonObject) -> Result<RatingValue, ValidationError> {
    match event.take("value") {
        Some(Value::Number(number)) => number
            .as_i64()
            .ok_or_else(|| RatingValue::refused(&number))
            .and_then(RatingValue::new),
        None | Some(Value::Null) => Err(ValidationError::missing("value")),
        Some(other) => Err(RatingValue::refused(json_kind(&other))),
    }
}

/// go-movie's `POST /v1/submit-rating`: a rating in go-movie's names, published to the
/// `ratings` topic as its `submit` event.
impl Rating {
    /// Reads a submission `{"record_id", "record_type", "user_id", "value"}`: go-movie's
    /// member names only, and no `EventType` (a submission always submits).
    pub fn from_go_movie_submission(mut body: JsonObject) -> Result<Self, ValidationError> {
        if let Some(book) = BOOK.first_member_in(&body) {
            return Err(ValidationError::new(
                book,
                "is the book's name for a member; a go-movie submission names it \
                 go-movie's way (user_id, record_id, record_type)",
            ));
        }
        if body.has(GO_MOVIE.event_type) {
            return Err(ValidationError::new(
                GO_MOVIE.event_type,
                "must not be sent: a submission always submits",
            ));
        }
        let (target, user) = GO_MOVIE.target_and_user(&mut body)?;
        let value = value_of(&mut body)?;
        Ok(Self {
            target,
            user,
            value,
        })
    }

    /// The partition key of the rating's events, `record_type/record_id/user_id` (as the
    /// ingester keys the book's): a rating's events stay in one partition, in order.
    pub fn key(&self) -> String {
        format!(
            "{}/{}/{}",
            self.target.record_type.as_str(),
            self.target.record_id.as_str(),
            self.user.as_str()
        )
    }

    /// The rating as go-movie's `submit` event.
    pub fn go_movie_event(&self) -> Value {
        let members = [
            (
                GO_MOVIE.record_id,
                Value::from(self.target.record_id.as_str()),
            ),
            (
                GO_MOVIE.record_type,
                self.target.record_type.as_str().into(),
            ),
            (GO_MOVIE.user_id, self.user.as_str().into()),
            ("value", self.value.get().into()),
            (GO_MOVIE.event_type, GO_MOVIE.put.into()),
        ];
        Value::Object(
            members
                .into_iter()
                .map(|(name, value)| (name.to_string(), value))
                .collect(),
        )
    }
}

impl RatingCommand {
    /// Parses and validates one event (a Kafka message value), in either shape. Every refusal
    /// names the member at fault, in words.
    pub fn from_event(bytes: &[u8]) -> Result<Self, EventError> {
        let event = JsonObject::parse(bytes)?;
        let shape = Shape::of(&event)?;
        Ok(shape.command(event)?)
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
    fn go_movie_events_parse_with_submit_as_put() {
        let submit = RatingCommand::from_event(
            br#"{"record_id":"m1","record_type":"movie","user_id":"u1","value":5,"EventType":"submit"}"#,
        )
        .expect("valid submit");
        let RatingCommand::Put(rating) = submit else {
            panic!("submit is a put: {submit:?}")
        };
        assert_eq!(rating.value.get(), 5);
        assert_eq!(rating.user.as_str(), "u1");
        assert_eq!(rating.target.record_id.as_str(), "m1");
        let delete = RatingCommand::from_event(
            br#"{"record_id":"m1","record_type":"movie","user_id":"u1","value":0,"EventType":"delete"}"#,
        )
        .expect("delete ignores value");
        assert!(matches!(delete, RatingCommand::Delete { user, .. } if user.as_str() == "u1"));
    }

    #[test]
    fn bad_go_movie_events_name_the_member_as_go_movie_spells_it() {
        let cases: &[(&[u8], &str)] = &[
            (br#"{"record_id":"m","record_type":"movie","user_id":"u","value":3,"EventType":"put"}"#, r#"EventType must be "submit" or "delete" in go-movie's events (got "put")"#),
            (br#"{"record_id":"m","record_type":"movie","user_id":"u","value":3}"#, "EventType is required"),
            (br#"{"record_id":"m","record_type":"Movie","user_id":"u","value":3,"EventType":"submit"}"#, "record_type "),
            (br#"{"record_id":"","record_type":"movie","user_id":"u","value":3,"EventType":"submit"}"#, "record_id must not be empty"),
            (br#"{"record_id":"m","record_type":"movie","user_id":7,"value":3,"EventType":"submit"}"#, "user_id must be a string (got a number)"),
            (br#"{"record_id":"m","record_type":"movie","value":3,"EventType":"submit"}"#, "user_id is required"),
            (br#"{"record_id":"m","record_type":"movie","user_id":"u","value":9,"EventType":"submit"}"#, "value"),
            (br#"{"record_id":"m","record_type":"movie","user_id":"u","value":"3","EventType":"submit"}"#, "value"),
            (br#"{"record_id":"m","record_type":"movie","userId":"u","value":3,"EventType":"submit"}"#, "an event is in one shape or the other"),
            (br#"{"record_id":"m","record_type":"movie","user_id":"u","user_id":"v","value":3,"EventType":"submit"}"#, "member \"user_id\" appears more than once"),
        ];
        for (event, expected) in cases {
            let err = RatingCommand::from_event(event).expect_err("refused");
            assert!(
                err.to_string().contains(expected),
                "{}: {err}",
                String::from_utf8_lossy(event)
            );
        }
    }

    #[test]
    fn a_submission_becomes_the_submit_event_it_publishes() {
        let body = |json: &str| JsonObject::parse(json.as_bytes()).expect("an object");
        let rating = Rating::from_go_movie_submission(body(
            r#"{"record_id":"m1","record_type":"movie","user_id":"u1","value":4}"#,
        ))
        .expect("valid");
        let event = rating.go_movie_event();
        assert_eq!(
            event,
            serde_json::json!({"record_id":"m1","record_type":"movie","user_id":"u1",
                               "value":4,"EventType":"submit"})
        );
        assert_eq!(rating.key(), "movie/m1/u1");
        // What it publishes is what the rating service applies.
        let applied =
            RatingCommand::from_event(event.to_string().as_bytes()).expect("a valid event");
        assert_eq!(applied, RatingCommand::Put(rating));

        for (json, expected) in [
            (
                r#"{"record_id":"m","record_type":"movie","user_id":"u","value":6}"#,
                "value",
            ),
            (
                r#"{"record_id":"m","record_type":"movie","value":3}"#,
                "user_id is required",
            ),
            (
                r#"{"recordId":"m","record_type":"movie","user_id":"u","value":3}"#,
                "recordId is the book's name",
            ),
            (
                r#"{"record_id":"m","record_type":"movie","user_id":"u","value":3,"EventType":"delete"}"#,
                "EventType must not be sent",
            ),
        ] {
            let err = Rating::from_go_movie_submission(body(json)).expect_err(json);
            assert!(err.to_string().contains(expected), "{json}: {err}");
        }
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
