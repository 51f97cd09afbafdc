//! `GET /metadata?id=`, `PUT /metadata` (the client chooses the id), `POST /metadata` (the
//! service generates it), and the JSON body both writes take.

use movie_domain::{JsonObject, Metadata, MetadataId, NewMetadata, ValidationError};

use crate::query::{encode_component, Query};
use crate::request::json_object;
use crate::{ApiError, Catalog, Response};

pub fn get(query: &Query, catalog: &impl Catalog) -> Result<Response, ApiError> {
    let id = query.required("id", MetadataId::parse)?;
    let stored = catalog.metadata(&id)?;
    Ok(Response::json(200, &stored))
}

pub fn put(body: Option<Vec<u8>>, catalog: &impl Catalog) -> Result<Response, ApiError> {
    let metadata = Metadata::try_from(MetadataBody(json_object(body)?))?;
    let stored = catalog.put_metadata(metadata)?;
    Ok(Response::json(200, &stored))
}

pub fn post(body: Option<Vec<u8>>, catalog: &impl Catalog) -> Result<Response, ApiError> {
    let metadata = NewMetadata::try_from(MetadataBody(json_object(body)?))?;
    let stored = catalog.create_metadata(metadata)?;
    let location = format!("/metadata?id={}", encode_component(&stored.id));
    Ok(Response::json(201, &stored).with_header("location", location))
}

/// Metadata as a client sends it, not yet valid: a JSON object whose members are read with
/// their types checked, each refusal naming its member. Unknown members are ignored; a missing
/// or `null` `description` means an empty one.
struct MetadataBody(JsonObject);

/// `PUT`: the id is the client's, and required.
impl TryFrom<MetadataBody> for Metadata {
    type Error = ValidationError;

    fn try_from(MetadataBody(mut body): MetadataBody) -> Result<Self, ValidationError> {
        let id = MetadataId::parse(body.required_string(MetadataId::FIELD)?)?;
        Ok(fields(body)?.with_id(id))
    }
}

/// `POST`: an `id` in the body (even `null`) is refused, since it would be silently replaced.
impl TryFrom<MetadataBody> for NewMetadata {
    type Error = ValidationError;

    fn try_from(MetadataBody(body): MetadataBody) -> Result<Self, ValidationError> {
        if body.has(MetadataId::FIELD) {
            return Err(ValidationError::new(
                MetadataId::FIELD,
                "must not be sent to POST /metadata (it is generated; use PUT to choose one)",
            ));
        }
        fields(body)
    }
}

/// Title and director must be sent, as strings; then the domain's rules decide.
fn fields(mut body: JsonObject) -> Result<NewMetadata, ValidationError> {
    let title = body.required_string("title")?;
    let description = body.string("description")?.unwrap_or_default();
    let director = body.required_string("director")?;
    NewMetadata::parse(&title, description, &director)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(json: &str) -> MetadataBody {
        MetadataBody(JsonObject::parse(json.as_bytes()).expect("a JSON object"))
    }

    #[test]
    fn put_needs_an_id_and_trims_names() {
        let metadata = Metadata::try_from(body(
            r#"{"id":"m1","title":" Heat ","director":"Michael Mann","extra":1}"#,
        ))
        .expect("valid");
        assert_eq!(metadata.id.as_str(), "m1");
        assert_eq!(metadata.title.as_str(), "Heat");
        assert_eq!(metadata.description.as_str(), "");
        let err =
            Metadata::try_from(body(r#"{"title":"Heat","director":"Mann"}"#)).expect_err("no id");
        assert_eq!(err.to_string(), "id is required");
    }

    #[test]
    fn post_refuses_an_id() {
        assert!(NewMetadata::try_from(body(r#"{"title":"Heat","director":"Mann"}"#)).is_ok());
        let err = NewMetadata::try_from(body(r#"{"id":"x","title":"Heat","director":"Mann"}"#))
            .expect_err("id given");
        assert_eq!(err.field, "id");
    }

    #[test]
    fn wrong_types_are_named_in_words() {
        let err = Metadata::try_from(body(r#"{"id":5,"title":"T","director":"D"}"#))
            .expect_err("numeric id");
        assert_eq!(err.to_string(), "id must be a string (got a number)");
        let err = Metadata::try_from(body(
            r#"{"id":"m","title":"T","director":"D","description":{"x":1}}"#,
        ))
        .expect_err("object description");
        assert_eq!(
            err.to_string(),
            "description must be a string (got an object)"
        );
        let null_description = Metadata::try_from(body(
            r#"{"id":"m","title":"T","director":"D","description":null}"#,
        ))
        .expect("null description");
        assert_eq!(null_description.description.as_str(), "");
        let err = NewMetadata::try_from(body(r#"{"id":null,"title":"T","director":"D"}"#))
            .expect_err("null id is still an id");
        assert_eq!(err.field, "id");
    }

    #[test]
    fn missing_or_invalid_fields_are_named() {
        let err =
            Metadata::try_from(body(r#"{"id":"m","director":"Mann"}"#)).expect_err("no title");
        assert_eq!(err.field, "title");
        let err = Metadata::try_from(body(r#"{"id":"m","title":"T","director":"  "}"#))
            .expect_err("blank director");
        assert_eq!(err.field, "director");
    }
}
