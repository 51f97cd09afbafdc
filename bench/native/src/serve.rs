//! `movie-native serve`: the hand-written native equivalent of the lattice's `GET /movie` path
//! (gateway component → metadata and rating components → sqldb-postgres provider), for
//! `make bench` only.
//!
//! It answers exactly as the gateway does (CONTRACT.md): the same query parsing and messages
//! (`movie-api`'s [`Query`]), the same validation (`movie-domain`), the same SQL, the two
//! lookups run concurrently, each on its own pool. Like the gateway, a failing rating lookup
//! degrades the answer (no `rating`) instead of failing it; a failing metadata lookup is a
//! 503. Only errors are logged.

use std::net::SocketAddr;

use anyhow::Context as _;
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use deadpool_postgres::Pool;
use movie_api::{ApiError, Query};
use movie_domain::{Aggregate, Metadata, MetadataId, RecordType};
use serde::Serialize;
use tracing::{info, warn};

const METADATA_SQL: &str = "SELECT id, title, description, director FROM metadata WHERE id = $1";
const AGGREGATE_SQL: &str = "SELECT count(*)::int8 AS count, coalesce(sum(value), 0)::int8 AS sum
     FROM ratings WHERE record_type = $1 AND record_id = $2";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to serve HTTP on.
    #[arg(long, default_value = "127.0.0.1:8100")]
    listen: SocketAddr,
    /// The metadata database.
    #[arg(
        long,
        env = "MOVIE_NATIVE_METADATA_DB",
        default_value = "postgres://movie@127.0.0.1:5432/movie_metadata"
    )]
    metadata_db: String,
    /// The rating database.
    #[arg(
        long,
        env = "MOVIE_NATIVE_RATING_DB",
        default_value = "postgres://movie@127.0.0.1:5432/movie_rating"
    )]
    rating_db: String,
    #[command(flatten)]
    pg: crate::PgAccess,
    /// Connections in each of the two pools.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..))]
    pool_size: u16,
}

#[derive(Clone)]
struct Pools {
    metadata: Pool,
    rating: Pool,
}

pub async fn serve(args: Args) -> anyhow::Result<()> {
    let size = usize::from(args.pool_size);
    let pools = Pools {
        metadata: crate::pool(&args.metadata_db, size, &args.pg).context("metadata database")?,
        rating: crate::pool(&args.rating_db, size, &args.pg).context("rating database")?,
    };
    let app = Router::new()
        .route("/movie", get(movie))
        .fallback(not_found)
        .with_state(pools);
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("failed to listen on {}", args.listen))?;
    info!(listen = %args.listen, pool_size = size, "serving GET /movie");
    axum::serve(listener, app)
        .with_graceful_shutdown(crate::shutdown_signal())
        .await
        .context("the HTTP server failed")?;
    info!("stopped");
    Ok(())
}

/// The `GET /movie` answer: metadata, and the rating when there is one.
#[derive(Serialize)]
struct MovieView {
    metadata: Metadata,
    #[serde(skip_serializing_if = "Option::is_none")]
    rating: Option<Aggregate>,
}

/// An error as the gateway answers it: `{"error": "..."}` with the error's status.
struct ErrorResponse(ApiError);

impl IntoResponse for ErrorResponse {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::json!({ "error": self.0.to_string() });
        (status, Json(body)).into_response()
    }
}

impl From<ApiError> for ErrorResponse {
    fn from(err: ApiError) -> Self {
        Self(err)
    }
}

async fn not_found(uri: Uri) -> ErrorResponse {
    ErrorResponse(ApiError::NotFound(format!("no such path: {}", uri.path())))
}

async fn movie(
    State(pools): State<Pools>,
    RawQuery(raw): RawQuery,
) -> Result<Json<MovieView>, ErrorResponse> {
    let id = Query::parse(raw.as_deref()).required("id", MetadataId::parse)?;
    let (metadata, rating) = tokio::join!(
        get_metadata(&pools.metadata, &id),
        get_aggregate(&pools.rating, &id)
    );
    let metadata = metadata
        .map_err(|err| {
            warn!(error = %err, "GET /movie failed: metadata lookup");
            ApiError::Unavailable(err)
        })?
        .ok_or_else(|| ApiError::NotFound(format!("no metadata for id {:?}", id.as_str())))?;
    let rating = rating.unwrap_or_else(|err| {
        warn!(error = %err, "GET /movie degraded: rating lookup");
        None
    });
    Ok(Json(MovieView { metadata, rating }))
}

/// The metadata of `id`, if stored. `Err` says why the database could not answer.
async fn get_metadata(pool: &Pool, id: &MetadataId) -> Result<Option<Metadata>, String> {
    let client = pool
        .get()
        .await
        .map_err(|err| format!("no metadata database connection: {err}"))?;
    let statement = client
        .prepare_cached(METADATA_SQL)
        .await
        .map_err(|err| format!("the metadata database failed: {err}"))?;
    let row = client
        .query_opt(&statement, &[&id.as_str()])
        .await
        .map_err(|err| format!("the metadata database failed: {err}"))?;
    row.map(|row| metadata_from_row(&row)).transpose()
}

/// Metadata as stored; it was validated on the way in, so a failure means the table holds
/// something it should not (the gateway treats that as unavailable too).
fn metadata_from_row(row: &tokio_postgres::Row) -> Result<Metadata, String> {
    let text = |column: &str| {
        row.try_get::<_, String>(column)
            .map_err(|err| format!("the metadata database returned an unreadable row: {err}"))
    };
    metadata_from_columns(
        text("id")?,
        &text("title")?,
        text("description")?,
        &text("director")?,
    )
}

fn metadata_from_columns(
    id: String,
    title: &str,
    description: String,
    director: &str,
) -> Result<Metadata, String> {
    let corrupt = |err: movie_domain::ValidationError| {
        format!("the metadata database returned invalid data: {err}")
    };
    Metadata::parse(id, title, description, director).map_err(corrupt)
}

/// The ratings of movie `id`; `None` when it has none.
async fn get_aggregate(pool: &Pool, id: &MetadataId) -> Result<Option<Aggregate>, String> {
    let client = pool
        .get()
        .await
        .map_err(|err| format!("no rating database connection: {err}"))?;
    let statement = client
        .prepare_cached(AGGREGATE_SQL)
        .await
        .map_err(|err| format!("the rating database failed: {err}"))?;
    let row = client
        .query_one(&statement, &[&RecordType::MOVIE, &id.as_str()])
        .await
        .map_err(|err| format!("the rating database failed: {err}"))?;
    let column = |name: &str| {
        row.try_get::<_, i64>(name)
            .map_err(|err| format!("the rating database returned an unreadable row: {err}"))
            .and_then(|value| {
                u64::try_from(value)
                    .map_err(|_| format!("the rating database returned {name} {value}"))
            })
    };
    Ok(Aggregate::from_sum(column("sum")?, column("count")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_metadata_is_validated_like_the_gateway() {
        let metadata = metadata_from_columns("m1".into(), "Ran", String::new(), "Kurosawa")
            .expect("valid row");
        assert_eq!(metadata.id.as_str(), "m1");
        let err = metadata_from_columns("m1".into(), "  ", String::new(), "Kurosawa")
            .expect_err("blank title");
        assert!(err.contains("title"), "{err}");
    }

    #[test]
    fn the_answer_has_the_contract_shape() {
        let metadata =
            metadata_from_columns("m1".into(), "Ran", "d".into(), "Kurosawa").expect("valid row");
        let with = MovieView {
            metadata: metadata.clone(),
            rating: Aggregate::from_sum(7, 2),
        };
        assert_eq!(
            serde_json::to_value(&with).expect("serialises"),
            serde_json::json!({
                "metadata": {"id": "m1", "title": "Ran", "description": "d", "director": "Kurosawa"},
                "rating": {"average": 3.5, "count": 2}
            })
        );
        let without = MovieView {
            metadata,
            rating: None,
        };
        let value = serde_json::to_value(&without).expect("serialises");
        assert!(value.get("rating").is_none(), "{value}");
    }
}
