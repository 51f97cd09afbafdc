//! Query-string parameters (`?id=...&type=...`), percent-decoded.

use movie_domain::ValidationError;

use crate::ApiError;

/// The decoded parameters of a query string, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query(Vec<(String, String)>);

impl Query {
    /// Parses `a=1&b=x%20y` (form encoding: `+` is a space). `None` is an empty query.
    pub fn parse(raw: Option<&str>) -> Self {
        let raw = raw.unwrap_or_default();
        Self(
            form_urlencoded::parse(raw.as_bytes())
                .map(|(key, value)| (key.into_owned(), value.into_owned()))
                .collect(),
        )
    }

    /// The value of a parameter; a parameter given twice is ambiguous and refused.
    pub fn get(&self, name: &str) -> Result<Option<&str>, ApiError> {
        let mut values = self.0.iter().filter(|(key, _)| key == name);
        let first = values.next().map(|(_, value)| value.as_str());
        if values.next().is_some() {
            return Err(ApiError::BadRequest(format!(
                "query parameter {name} is given more than once"
            )));
        }
        Ok(first)
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
    fn encoding_round_trips() {
        let value = "a b&c=d/é";
        let query = Query::parse(Some(&format!("id={}", encode_component(value))));
        assert_eq!(query.get("id"), Ok(Some(value)));
    }
}
