//! The metadata service: stores movie metadata in the `movie_metadata` database through the
//! `wasmcloud:postgres` link, and exports `movie:catalog/metadata` to the gateway.
//!
//! A thin adapter. What it is sent is parsed once, here, into the domain's types (any linked
//! component may call it); SQL is parameterised and named below; rows are read back by column
//! name into the record it answers with.

mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "metadata-service",
        with: {
            "movie:catalog/types@0.1.0": catalog_types::types,
            "wasmcloud:postgres/types@0.1.1-draft": postgres_guest::types,
            "wasmcloud:postgres/query@0.1.1-draft": postgres_guest::query,
        },
        generate_all,
    });
}

use bindings::exports::movie::catalog::metadata::Guest;
use catalog_types::{Metadata, NewMetadata, ServiceError};
use movie_domain::MetadataId;
use postgres_guest::types::PgValue;
use postgres_guest::{execute, text, DbError, Row};

const SELECT_BY_ID: &str = "SELECT id, title, description, director FROM metadata WHERE id = $1";
const UPSERT: &str = "INSERT INTO metadata (id, title, description, director)
     VALUES ($1, $2, $3, $4)
     ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title,
         description = EXCLUDED.description, director = EXCLUDED.director,
         updated_at = now()
     RETURNING id, title, description, director";
const INSERT_GENERATED_ID: &str = "INSERT INTO metadata (id, title, description, director)
     VALUES (gen_random_uuid()::text, $1, $2, $3)
     RETURNING id, title, description, director";

struct MetadataService;

bindings::export!(MetadataService with_types_in bindings);

/// A metadata row as the record the service answers with: the table holds only what was
/// validated on the way in, so it is handed back as it is.
fn metadata_from_row(row: &Row) -> Result<Metadata, DbError> {
    Ok(Metadata {
        id: row.text("id")?,
        title: row.text("title")?,
        description: row.text("description")?,
        director: row.text("director")?,
    })
}

/// Runs a statement that returns at most one metadata row.
fn query_metadata(sql: &str, params: &[PgValue]) -> Result<Option<Metadata>, ServiceError> {
    let rows = execute(sql, params)?;
    Ok(rows.first().map(metadata_from_row).transpose()?)
}

/// A write that returns no row: the database misbehaved.
fn no_row(statement: &str) -> ServiceError {
    ServiceError::Unavailable(format!("the {statement} returned no row"))
}

impl Guest for MetadataService {
    fn get(id: String) -> Result<Metadata, ServiceError> {
        let id = MetadataId::parse(id)?;
        query_metadata(SELECT_BY_ID, &[text(id.as_str())])?
            .ok_or_else(|| ServiceError::NotFound(format!("no metadata for id {:?}", id.as_str())))
    }

    fn put(metadata: Metadata) -> Result<Metadata, ServiceError> {
        let metadata = movie_domain::Metadata::try_from(metadata)?;
        let params = [
            text(metadata.id.into_inner()),
            text(metadata.title.into_inner()),
            text(metadata.description.into_inner()),
            text(metadata.director.into_inner()),
        ];
        query_metadata(UPSERT, &params)?.ok_or_else(|| no_row("upsert"))
    }

    fn create(metadata: NewMetadata) -> Result<Metadata, ServiceError> {
        let metadata = movie_domain::NewMetadata::try_from(metadata)?;
        let params = [
            text(metadata.title.into_inner()),
            text(metadata.description.into_inner()),
            text(metadata.director.into_inner()),
        ];
        query_metadata(INSERT_GENERATED_ID, &params)?.ok_or_else(|| no_row("insert"))
    }

    fn ping() -> Result<(), ServiceError> {
        execute("SELECT 1", &[])?;
        Ok(())
    }
}
