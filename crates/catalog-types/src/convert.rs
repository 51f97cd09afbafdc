//! The records of `movie:catalog/types` to and from the domain: parsing at a service's wRPC
//! export (`TryFrom`), building its answers (`From`).

use movie_domain::ValidationError;

use crate::types;

impl TryFrom<types::Metadata> for movie_domain::Metadata {
    type Error = ValidationError;

    fn try_from(sent: types::Metadata) -> Result<Self, Self::Error> {
        Self::parse(sent.id, &sent.title, sent.description, &sent.director)
    }
}

impl TryFrom<types::NewMetadata> for movie_domain::NewMetadata {
    type Error = ValidationError;

    fn try_from(sent: types::NewMetadata) -> Result<Self, Self::Error> {
        Self::parse(&sent.title, sent.description, &sent.director)
    }
}

impl From<movie_domain::Metadata> for types::Metadata {
    fn from(metadata: movie_domain::Metadata) -> Self {
        Self {
            id: metadata.id.into_inner(),
            title: metadata.title.into_inner(),
            description: metadata.description.into_inner(),
            director: metadata.director.into_inner(),
        }
    }
}

impl From<movie_domain::NewMetadata> for types::NewMetadata {
    fn from(metadata: movie_domain::NewMetadata) -> Self {
        Self {
            title: metadata.title.into_inner(),
            description: metadata.description.into_inner(),
            director: metadata.director.into_inner(),
        }
    }
}

impl From<movie_domain::Aggregate> for types::Aggregate {
    fn from(aggregate: movie_domain::Aggregate) -> Self {
        Self {
            average: aggregate.average,
            count: aggregate.count,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent(title: &str) -> types::Metadata {
        types::Metadata {
            id: "m1".into(),
            title: title.into(),
            description: String::new(),
            director: "Akira Kurosawa".into(),
        }
    }

    #[test]
    fn sent_metadata_is_parsed_by_the_domain_rules() {
        let metadata = movie_domain::Metadata::try_from(sent(" Ran ")).expect("valid");
        assert_eq!(metadata.title.as_str(), "Ran");
        let err = movie_domain::Metadata::try_from(sent("  ")).expect_err("blank title");
        assert_eq!(err.field, "title");
        let too_long = "t".repeat(movie_domain::NAME_MAX_CHARS + 1);
        assert!(movie_domain::Metadata::try_from(sent(&too_long)).is_err());
    }

    #[test]
    fn stored_metadata_round_trips_and_serialises_to_the_contract_shape() {
        let metadata = movie_domain::Metadata::try_from(sent("Ran")).expect("valid");
        let wire = types::Metadata::from(metadata.clone());
        assert_eq!(wire, sent("Ran"));
        assert_eq!(
            serde_json::to_value(&wire).expect("serialises"),
            serde_json::to_value(&metadata).expect("serialises")
        );
    }
}
