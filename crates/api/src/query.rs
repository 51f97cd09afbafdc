//! Query-string parameters (`?id=...&type=...`), percent-decoded.

use movie_domain::ValidationError;
use percent_encoding::percent_decode_str;

use crate::ApiError;

/// The decoded parameters of a query string, in order. A value that is not UTF-8 once
/// percent-decoded is kept as that mistake, and refused when it is asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query(Vec<(String, Result<String, NotUtf8>)>);

/// A query value whose percent-decoded bytes are not UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotUtf8;

/// Form decoding of one key or value: `+` is a space, `%XX` a byte.
fn decode(raw: &str) -> Result<String, NotUtf8> {
    let spaced = raw.replace('+', " ");
    percent_decode_str(&spaced)
        .decode_utf8()
        .map(|text| text.into_owned())
        .map_err(|_| NotUtf8)
}

impl Query {
    /// Parses `a=1&b=x%20y` (form encoding: `+` is a space). `None` is an empty query.
    pub fn parse(raw: Option<&str>) -> Self {
        Self(
            raw.unwrap_or_default()
                .split('&')
                .filter(|pair| !pair.is_empty())
                .map(|pair| {
                    let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                    // A key that is not UTF-8 can match no parameter we know.
                    let key = decode(key).unwrap_or_else(|NotUtf8| {
                        String::from_utf8_lossy(key.as_bytes()).into_owned()
                    });
                    (key, decode(value))
                })
                .collect(),
        )
    }

    /// The value of a parameter; a parameter given twice is ambiguous and refused, and so is
    /// one that is not UTF-8 once percent-decoded.
    pub fn get(&self, name: &str) -> Result<Option<&str>, ApiError> {
        let mut values = self.0.iter().filter(|(key, _)| key == name);
        let first = values.next().map(|(_, value)| value);
        if values.next().is_some() {
            return Err(ApiError::BadRequest(format!(
                "query parameter {name} is given more than once"
            )));
        }
        match first {
            None => Ok(None),
            Some(Ok(value)) => Ok(Some(value.as_str())),
            Some(Err(NotUtf8)) => Err(ApiError::BadRequest(format!(
                "query parameter {name} is not UTF-8 text once percent-decoded"
            ))),
        }
    }

    /// A required parameter, parsed by `parse`.
    pub fn required<T>(
        &self,
        name: &str,
        parse: impl FnOnce(String) -> Result<T, ValidationError>,
    ) -> Result<T, ApiError> {
        let value = self
            .get(name)?
            .ok_or_else(|| ApiError::BadRequest(format!("query parameter {name} is required")))?;
        Ok(parse(value.to_string())?)
    }
}

/// Percent-encodes a value for use in a query string.
pub fn encode_component(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use movie_domain::MetadataId;

    #[test]
    fn values_are_decoded() {
        let query = Query::parse(Some("id=a%20b+c&type=movie&x=%E2%9C%93"));
        assert_eq!(query.get("id"), Ok(Some("a b c")));
        assert_eq!(query.get("x"), Ok(Some("✓")));
        assert_eq!(query.get("missing"), Ok(None));
        assert_eq!(Query::parse(None).get("id"), Ok(None));
    }

    #[test]
    fn duplicates_and_missing_required_values_are_bad_requests() {
        let query = Query::parse(Some("id=1&id=2"));
        assert!(matches!(query.get("id"), Err(ApiError::BadRequest(_))));
        let err = Query::parse(Some("type=movie"))
            .required("id", MetadataId::parse)
            .expect_err("missing");
        assert_eq!(
            err,
            ApiError::BadRequest("query parameter id is required".into())
        );
        let err = Query::parse(Some("id="))
            .required("id", MetadataId::parse)
            .expect_err("empty");
        assert_eq!(err, ApiError::BadRequest("id must not be empty".into()));
    }

    #[test]
    fn values_that_are_not_utf8_are_refused_by_name() {
        let query = Query::parse(Some("id=%FF%FE&type=movie"));
        assert_eq!(
            query.get("id"),
            Err(ApiError::BadRequest(
                "query parameter id is not UTF-8 text once percent-decoded".into()
            ))
        );
        assert_eq!(query.get("type"), Ok(Some("movie")));
        // A lone `%` or a bad escape is kept as it is, as form decoding does.
        assert_eq!(
            Query::parse(Some("id=100%&x=%zz")).get("id"),
            Ok(Some("100%"))
        );
        assert_eq!(Query::parse(Some("flag")).get("flag"), Ok(Some("")));
    }

    #[test]
    fn encoding_round_trips() {
        let value = "a b&c=d/é";
        let query = Query::parse(Some(&format!("id={}", encode_component(value))));
        assert_eq!(query.get("id"), Ok(Some(value)));
    }
}
