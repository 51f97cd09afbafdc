//! A JSON object as a client sends it, read so that every refusal says what is wrong in
//! words: each member present once, nesting bounded, and typed getters that name the member
//! whose type is wrong (serde's own errors give a line and column instead).

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

use crate::ValidationError;

/// Why bytes are not a JSON object we read: the message is meant for the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct MalformedJson(String);

/// The top-level members of a JSON object, each present once (a repeated member is refused:
/// which of two values was meant is not ours to guess). Members nobody asks for are ignored.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JsonObject(BTreeMap<String, Value>);

impl<'de> Deserialize<'de> for JsonObject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor;
        impl<'de> Visitor<'de> for ObjectVisitor {
            type Value = JsonObject;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsonObject, A::Error> {
                let mut members = BTreeMap::new();
                while let Some(name) = map.next_key::<String>()? {
                    let value: Value = map.next_value()?;
                    if members.contains_key(&name) {
                        return Err(de::Error::custom(format!(
                            "member {} appears more than once",
                            shown(&name)
                        )));
                    }
                    members.insert(name, value);
                }
                Ok(JsonObject(members))
            }
        }
        deserializer.deserialize_map(ObjectVisitor)
    }
}

impl JsonObject {
    /// Reads `bytes` as one JSON object: UTF-8, well-formed, at most 128 levels deep.
    pub fn parse(bytes: &[u8]) -> Result<Self, MalformedJson> {
        let text = std::str::from_utf8(bytes).map_err(|err| {
            MalformedJson(format!(
                "it is not UTF-8 text (byte {} is not valid UTF-8)",
                err.valid_up_to()
            ))
        })?;
        serde_json::from_str(text).map_err(|err| {
            // serde_json stops at 128 levels of nesting; say so in words.
            let why = err.to_string();
            MalformedJson(if why.starts_with("recursion limit exceeded") {
                format!(
                    "it nests arrays or objects more than 128 levels deep (at line {} column {})",
                    err.line(),
                    err.column()
                )
            } else {
                why
            })
        })
    }

    /// Whether the member `field` was sent (even as `null`).
    pub fn has(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }

    /// Takes the member `field`, whatever its type.
    pub fn take(&mut self, field: &str) -> Option<Value> {
        self.0.remove(field)
    }

    /// Takes the member `field` as a string: absent and `null` are `None`; any other type is
    /// refused, naming the member.
    pub fn string(&mut self, field: &'static str) -> Result<Option<String>, ValidationError> {
        match self.0.remove(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(other) => Err(ValidationError::new(
                field,
                format!("must be a string (got {})", json_kind(&other)),
            )),
        }
    }

    /// Like [`JsonObject::string`], but absent or `null` is refused as missing.
    pub fn required_string(&mut self, field: &'static str) -> Result<String, ValidationError> {
        self.string(field)?
            .ok_or_else(|| ValidationError::missing(field))
    }
}

/// What kind of JSON value `value` is, in words.
pub fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A client's text quoted for an error message, cut after 40 characters (an error travels in
/// a Kafka header, a response and a log line; a megabyte of it helps nobody).
pub(crate) fn shown(text: &str) -> String {
    const MAX: usize = 40;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!(
            "{:?}... ({} characters)",
            &text[..cut],
            text.chars().count()
        ),
        None => format!("{text:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_read_once_and_typed_in_words() {
        let mut object =
            JsonObject::parse(br#"{"a":"x","n":5,"z":null,"extra":[1]}"#).expect("object");
        assert_eq!(object.string("a"), Ok(Some("x".into())));
        assert_eq!(object.string("z"), Ok(None));
        assert_eq!(object.string("missing"), Ok(None));
        let err = object.required_string("n").expect_err("a number");
        assert_eq!(err.to_string(), "n must be a string (got a number)");
        assert!(object.has("extra"));
    }

    #[test]
    fn what_is_not_one_clean_object_is_refused_in_words() {
        for (bytes, expected) in [
            (&b"[1]"[..], "expected a JSON object"),
            (b"{\"a\":1,\"a\":2}", "member \"a\" appears more than once"),
            (b"{\"a\":\"\xc3\"}", "not UTF-8 text (byte 6"),
            (b"{\"a\": 1", "EOF"),
        ] {
            let err = JsonObject::parse(bytes).expect_err("refused");
            assert!(
                err.to_string().contains(expected),
                "{}: {err}",
                String::from_utf8_lossy(bytes)
            );
        }
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(200), "]".repeat(200));
        let err = JsonObject::parse(deep.as_bytes()).expect_err("deep");
        assert!(
            err.to_string().contains("more than 128 levels deep"),
            "{err}"
        );
    }

    #[test]
    fn long_text_is_cut_in_messages() {
        assert_eq!(shown("put"), "\"put\"");
        let cut = shown(&"é".repeat(1000));
        assert!(cut.ends_with("... (1000 characters)"), "{cut}");
        assert!(cut.chars().count() < 70, "{cut}");
    }
}
