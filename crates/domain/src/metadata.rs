//! Movie metadata.

use serde::{Deserialize, Serialize, Serializer};

use crate::{Description, Director, Key, Title, ValidationError};

/// Valid metadata of one movie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metadata {
    pub id: Key,
    pub title: Title,
    pub description: Description,
    pub director: Director,
}

/// Valid metadata that has no id yet (the service generates one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMetadata {
    pub title: Title,
    pub description: Description,
    pub director: Director,
}

impl NewMetadata {
    pub fn with_id(self, id: Key) -> Metadata {
        Metadata {
            id,
            title: self.title,
            description: self.description,
            director: self.director,
        }
    }
}

impl Serialize for Metadata {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Wire<'a> {
            id: &'a str,
            title: &'a str,
            description: &'a str,
            director: &'a str,
        }
        Wire {
            id: self.id.as_str(),
            title: self.title.as_str(),
            description: self.description.as_str(),
            director: self.director.as_str(),
        }
        .serialize(serializer)
    }
}

/// Metadata as a client sends it (the JSON body of `PUT`/`POST /metadata`), not yet valid.
/// Unknown fields are ignored; a missing `description` means an empty one.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetadataInput {
    pub id: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub director: Option<String>,
}

impl MetadataInput {
    /// Metadata with the id the client chose (`PUT`).
    pub fn into_metadata(self) -> Result<Metadata, ValidationError> {
        let id = self
            .id
            .clone()
            .ok_or_else(|| ValidationError::new("id", "is required"))?;
        let id = Key::parse("id", id)?;
        Ok(self.into_fields()?.with_id(id))
    }

    /// Metadata whose id the service will generate (`POST`): an `id` in the body is refused,
    /// since it would be silently replaced.
    pub fn into_new_metadata(self) -> Result<NewMetadata, ValidationError> {
        if self.id.is_some() {
            return Err(ValidationError::new(
                "id",
                "must not be sent to POST /metadata (it is generated; use PUT to choose one)",
            ));
        }
        self.into_fields()
    }

    fn into_fields(self) -> Result<NewMetadata, ValidationError> {
        let title = self
            .title
            .ok_or_else(|| ValidationError::new("title", "is required"))?;
        let director = self
            .director
            .ok_or_else(|| ValidationError::new("director", "is required"))?;
        Ok(NewMetadata {
            title: Title::parse(&title)?,
            description: Description::parse(self.description.unwrap_or_default())?,
            director: Director::parse(&director)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(json: &str) -> MetadataInput {
        serde_json::from_str(json).expect("valid JSON")
    }

    #[test]
    fn put_needs_an_id_and_trims_names() {
        let metadata = input(r#"{"id":"m1","title":" Heat ","director":"Michael Mann","extra":1}"#)
            .into_metadata()
            .expect("valid");
        assert_eq!(metadata.id.as_str(), "m1");
        assert_eq!(metadata.title.as_str(), "Heat");
        assert_eq!(metadata.description.as_str(), "");
        let err = input(r#"{"title":"Heat","director":"Mann"}"#)
            .into_metadata()
            .expect_err("no id");
        assert_eq!(err.to_string(), "id is required");
    }

    #[test]
    fn post_refuses_an_id() {
        assert!(input(r#"{"title":"Heat","director":"Mann"}"#)
            .into_new_metadata()
            .is_ok());
        let err = input(r#"{"id":"x","title":"Heat","director":"Mann"}"#)
            .into_new_metadata()
            .expect_err("id given");
        assert_eq!(err.field, "id");
    }

    #[test]
    fn missing_or_invalid_fields_are_named() {
        let err = input(r#"{"id":"m","director":"Mann"}"#)
            .into_metadata()
            .expect_err("no title");
        assert_eq!(err.field, "title");
        let err = input(r#"{"id":"m","title":"T","director":"  "}"#)
            .into_metadata()
            .expect_err("blank director");
        assert_eq!(err.field, "director");
    }

    #[test]
    fn serialises_to_the_contract_shape() {
        let metadata =
            input(r#"{"id":"m1","title":"Ran","description":"d","director":"Kurosawa"}"#)
                .into_metadata()
                .expect("valid");
        assert_eq!(
            serde_json::to_value(&metadata).expect("serialises"),
            serde_json::json!({"id":"m1","title":"Ran","description":"d","director":"Kurosawa"})
        );
    }
}
