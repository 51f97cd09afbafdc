//! The metadata service: stores movie metadata in the `movie_metadata` database through the
//! `wasmcloud:postgres` link, and exports `movie:catalog/metadata` to the gateway.
//!
//! A thin adapter: validation comes from `movie-domain`, SQL is parameterised, rows are read
//! back by column name.

mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "metadata-service",
        with: {
            "wasmcloud:postgres/types@0.1.1-draft": postgres_guest::types,
            "wasmcloud:postgres/query@0.1.1-draft": postgres_guest::query,
        },
        generate_all,
    });
}

use bindings::exports::movie::catalog::metadata::Guest;
use bindings::movie::catalog::types::{Metadata, NewMetadata, ServiceError};
use movie_domain::{Description, Director, Key, Title, ValidationError};
use postgres_guest::types::PgValue;
use postgres_guest::{run, DbError, Row};

const COLUMNS: &str = "id, title, description, director";

struct MetadataService;

bindings::export!(MetadataService with_types_in bindings);

fn invalid(err: ValidationError) -> ServiceError {
    ServiceError::Invalid(err.to_string())
}

/// The database failed; the caller's input was fine.
fn unavailable(err: DbError) -> ServiceError {
    ServiceError::Unavailable(err.to_string())
}

fn to_wit(row: &Row) -> Result<Metadata, DbError> {
    Ok(Metadata {
        id: row.text("id")?,
        title: row.text("title")?,
        description: row.text("description")?,
        director: row.text("director")?,
    })
}

/// Runs a statement that returns at most one metadata row.
fn one(sql: &str, params: &[PgValue]) -> Result<Option<Metadata>, ServiceError> {
    let rows = run(sql, params).map_err(unavailable)?;
    rows.first().map(to_wit).transpose().map_err(unavailable)
}

impl Guest for MetadataService {
    fn get(id: String) -> Result<Metadata, ServiceError> {
        let id = Key::parse("id", id).map_err(invalid)?;
        one(
            &format!("SELECT {COLUMNS} FROM metadata WHERE id = $1"),
            &[PgValue::Text(id.to_string())],
        )?
        .ok_or_else(|| ServiceError::NotFound(format!("no metadata for id {:?}", id.as_str())))
    }

    fn put(metadata: Metadata) -> Result<Metadata, ServiceError> {
        let id = Key::parse("id", metadata.id).map_err(invalid)?;
        let fields = validate(metadata.title, metadata.description, metadata.director)?;
        one(
            &format!(
                "INSERT INTO metadata (id, title, description, director) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title,
                     description = EXCLUDED.description, director = EXCLUDED.director,
                     updated_at = now()
                 RETURNING {COLUMNS}"
            ),
            &[PgValue::Text(id.into_inner()), fields.0, fields.1, fields.2],
        )?
        .ok_or_else(|| ServiceError::Unavailable("the upsert returned no row".into()))
    }

    fn create(metadata: NewMetadata) -> Result<Metadata, ServiceError> {
        let fields = validate(metadata.title, metadata.description, metadata.director)?;
        one(
            &format!(
                "INSERT INTO metadata (id, title, description, director)
                 VALUES (gen_random_uuid()::text, $1, $2, $3)
                 RETURNING {COLUMNS}"
            ),
            &[fields.0, fields.1, fields.2],
        )?
        .ok_or_else(|| ServiceError::Unavailable("the insert returned no row".into()))
    }

    fn ping() -> Result<(), ServiceError> {
        run("SELECT 1", &[]).map_err(unavailable).map(|_| ())
    }
}

/// Validates title, description and director; returns them as statement parameters.
fn validate(
    title: String,
    description: String,
    director: String,
) -> Result<(PgValue, PgValue, PgValue), ServiceError> {
    let title = Title::parse(&title).map_err(invalid)?;
    let description = Description::parse(description).map_err(invalid)?;
    let director = Director::parse(&director).map_err(invalid)?;
    Ok((
        PgValue::Text(title.into_inner()),
        PgValue::Text(description.into_inner()),
        PgValue::Text(director.into_inner()),
    ))
}
