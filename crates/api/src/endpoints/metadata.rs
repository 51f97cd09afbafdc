//! `GET /metadata?id=`, `PUT /metadata` (the client chooses the id), `POST /metadata` (the
//! service generates it), and the JSON body both writes take.

use movie_domain::{Metadata, MetadataId, NewMetadata, ValidationError};
use serde::Deserialize;

use crate::query::{encode_component, Query};
use crate::request::json_body;
use crate::{ApiError, Catalog, Response};

pub fn get(query: &Query, catalog: &impl Catalog) -> Result<Response, ApiError> {
    let id = query.required("id", MetadataId::parse)?;
    let stored = catalog.metadata(&id)?;
    Ok(Response::json(200, &stored))
}

pub fn put(body: Option<Vec<u8>>, catalog: &impl Catalog) -> Result<Response, ApiError> {
    let metadata = Metadata::try_from(json_body::<MetadataBody>(body)?)?;
    let stored = catalog.put_metadata(metadata)?;
    Ok(Response::json(200, &stored))
}

pub fn post(body: Option<Vec<u8>>, catalog: &impl Catalog) -> Result<Response, ApiError> {
    let metadata = NewMetadata::try_from(json_body::<MetadataBody>(body)?)?;
    let stored = catalog.create_metadata(metadata)?;
    let location = format!("/metadata?id={}", encode_component(&stored.id));
    Ok(Response::json(201, &stored).with_header("location", location))
}

/// Metadata as a client sends it, not yet valid. Unknown fields are ignored; a missing
/// `description` means an empty one.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct MetadataBody {
    id: Option<String>,
    title: Option<String>,
    description: Option<String>,
    director: Option<String>,
}

/// `PUT`: the id is the client's, and required.
impl TryFrom<MetadataBody> for Metadata {
    type Error = ValidationError;

    fn try_from(mut body: MetadataBody) -> Result<Self, ValidationError> {
        let id = body
            .id
            .take()
            .ok_or_else(|| ValidationError::missing(MetadataId::FIELD))?;
        let id = MetadataId::parse(id)?;
        Ok(body.into_fields()?.with_id(id))
    }
}

/// `POST`: an `id` in the body is refused, since it would be silently replaced.
impl TryFrom<MetadataBody> for NewMetadata {
    type Error = ValidationError;

    fn try_from(body: MetadataBody) -> Result<Self, ValidationError> {
        if body.id.is_some() {
            return Err(ValidationError::new(
                MetadataId::FIELD,
                "must not be sent to POST /metadata (it is generated; use PUT to choose one)",
            ));
        }
        body.into_fields()
    }
}

impl MetadataBody {
    /// Title and director must be sent; then the domain's rules decide.
    fn into_fields(self) -> Result<NewMetadata, ValidationError> {
        let title = self
            .title
            .ok_or_else(|| ValidationError::missing("title"))?;
        let director = self
            .director
            .ok_or_else(|| ValidationError::missing("director"))?;
        NewMetadata::parse(&title, self.description.unwrap_or_default(), &director)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(json: &str) -> MetadataBody {
        serde_json::from_str(json).expect("valid JSON")
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
    fn missing_or_invalid_fields_are_named() {
        let err =
            Metadata::try_from(body(r#"{"id":"m","director":"Mann"}"#)).expect_err("no title");
        assert_eq!(err.field, "title");
        let err = Metadata::try_from(body(r#"{"id":"m","title":"T","director":"  "}"#))
            .expect_err("blank director");
        assert_eq!(err.field, "director");
    }
}
