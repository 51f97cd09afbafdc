//! Movie metadata.

use serde::{Serialize, Serializer};

use crate::{Description, Director, MetadataId, Title, ValidationError};

/// Valid metadata of one movie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metadata {
    pub id: MetadataId,
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
    /// Checks title, description and director, in that order; names the first that is
    /// invalid.
    pub fn parse(
        title: &str,
        description: impl Into<String>,
        director: &str,
    ) -> Result<Self, ValidationError> {
        Ok(Self {
            title: Title::parse(title)?,
            description: Description::parse(description)?,
            director: Director::parse(director)?,
        })
    }

    pub fn with_id(self, id: MetadataId) -> Metadata {
        Metadata {
            id,
            title: self.title,
            description: self.description,
            director: self.director,
        }
    }
}

impl Metadata {
    /// Checks the id, then the fields as [`NewMetadata::parse`] does.
    pub fn parse(
        id: impl Into<String>,
        title: &str,
        description: impl Into<String>,
        director: &str,
    ) -> Result<Self, ValidationError> {
        let id = MetadataId::parse(id)?;
        Ok(NewMetadata::parse(title, description, director)?.with_id(id))
    }
}

/// The contract's JSON shape (`{"id","title","description","director"}`).
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_trims_names_and_names_the_first_bad_field() {
        let metadata = Metadata::parse("m1", " Heat ", "", "Michael Mann").expect("valid");
        assert_eq!(metadata.id.as_str(), "m1");
        assert_eq!(metadata.title.as_str(), "Heat");
        assert_eq!(metadata.description.as_str(), "");
        let err = Metadata::parse("", "  ", "", "").expect_err("bad id first");
        assert_eq!(err.field, "id");
        let err = Metadata::parse("m", "T", "", "  ").expect_err("blank director");
        assert_eq!(err.field, "director");
        let err = NewMetadata::parse("  ", "d".repeat(5000), "").expect_err("title first");
        assert_eq!(err.field, "title");
        let err = NewMetadata::parse("T", "d".repeat(5000), "").expect_err("then description");
        assert_eq!(err.field, "description");
    }

    #[test]
    fn serialises_to_the_contract_shape() {
        let metadata = Metadata::parse("m1", "Ran", "d", "Kurosawa").expect("valid");
        assert_eq!(
            serde_json::to_value(&metadata).expect("serialises"),
            serde_json::json!({"id":"m1","title":"Ran","description":"d","director":"Kurosawa"})
        );
    }
}
