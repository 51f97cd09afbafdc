//! The rating service: one rating per (record type, record id, user) in the `movie_rating`
//! database, reached through the `wasmcloud:postgres` link. It exports
//! `movie:catalog/rating` to the gateway and handles `ratings` events from the Kafka
//! provider (`wasmcloud:messaging/handler`).
//!
//! A thin adapter: both entry points parse what they are sent once, into the domain's types,
//! and share the three statements below. Writes are upserts keyed by the primary key, so a
//! replayed event changes nothing; the aggregate is computed by Postgres from one consistent
//! snapshot.

mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "rating-service",
        with: {
            "movie:catalog/types@0.1.0": catalog_types::types,
            "wasmcloud:postgres/types@0.1.1-draft": postgres_guest::types,
            "wasmcloud:postgres/query@0.1.1-draft": postgres_guest::query,
        },
        generate_all,
    });
}

use bindings::exports::movie::catalog::rating::Guest as RatingGuest;
use bindings::exports::wasmcloud::messaging::handler::Guest as HandlerGuest;
use bindings::wasmcloud::messaging::types::BrokerMessage;
use catalog_types::{Aggregate, ServiceError};
use movie_domain::{Rating, RatingCommand, RatingTarget, RatingValue, UserId};
use postgres_guest::types::PgValue;
use postgres_guest::{execute, text, DbError};

const UPSERT: &str =
    "INSERT INTO ratings (record_type, record_id, user_id, value) VALUES ($1, $2, $3, $4)
     ON CONFLICT (record_type, record_id, user_id)
     DO UPDATE SET value = EXCLUDED.value, updated_at = now()
     WHERE ratings.value IS DISTINCT FROM EXCLUDED.value";
const DELETE: &str =
    "DELETE FROM ratings WHERE record_type = $1 AND record_id = $2 AND user_id = $3
     RETURNING user_id";
const AGGREGATE: &str = "SELECT count(*)::int8 AS count, coalesce(sum(value), 0)::int8 AS sum
     FROM ratings WHERE record_type = $1 AND record_id = $2";

struct RatingService;

bindings::export!(RatingService with_types_in bindings);

fn put_rating(rating: &Rating) -> Result<(), DbError> {
    let params = [
        text(rating.target.record_type.as_str()),
        text(rating.target.record_id.as_str()),
        text(rating.user.as_str()),
        PgValue::Int2(i16::from(rating.value.get())),
    ];
    execute(UPSERT, &params).map(|_| ())
}

/// Deletes a rating; whether there was one.
fn delete_rating(target: &RatingTarget, user: &UserId) -> Result<bool, DbError> {
    let params = [
        text(target.record_type.as_str()),
        text(target.record_id.as_str()),
        text(user.as_str()),
    ];
    Ok(!execute(DELETE, &params)?.is_empty())
}

fn aggregate(target: &RatingTarget) -> Result<Option<movie_domain::Aggregate>, DbError> {
    let params = [
        text(target.record_type.as_str()),
        text(target.record_id.as_str()),
    ];
    let rows = execute(AGGREGATE, &params)?;
    let row = rows
        .first()
        .ok_or_else(|| DbError::Result("the aggregate returned no row".into()))?;
    let count =
        u64::try_from(row.int("count")?).map_err(|_| DbError::Result("negative count".into()))?;
    let sum = u64::try_from(row.int("sum")?).map_err(|_| DbError::Result("negative sum".into()))?;
    Ok(movie_domain::Aggregate::from_sum(sum, count))
}

impl RatingGuest for RatingService {
    fn put(
        record_type: String,
        record_id: String,
        user_id: String,
        value: u8,
    ) -> Result<(), ServiceError> {
        let rating = Rating {
            target: RatingTarget::parse(record_type, record_id)?,
            user: UserId::parse(user_id)?,
            value: RatingValue::new(i64::from(value))?,
        };
        Ok(put_rating(&rating)?)
    }

    fn delete(record_type: String, record_id: String, user_id: String) -> Result<(), ServiceError> {
        let target = RatingTarget::parse(record_type, record_id)?;
        let user = UserId::parse(user_id)?;
        if delete_rating(&target, &user)? {
            Ok(())
        } else {
            Err(ServiceError::NotFound(format!(
                "no rating of {} {:?} by user {:?}",
                target.record_type,
                target.record_id.as_str(),
                user.as_str()
            )))
        }
    }

    fn get_aggregate(
        record_type: String,
        record_id: String,
    ) -> Result<Option<Aggregate>, ServiceError> {
        let target = RatingTarget::parse(record_type, record_id)?;
        Ok(aggregate(&target)?.map(Aggregate::from))
    }

    fn ping() -> Result<(), ServiceError> {
        execute("SELECT 1", &[])?;
        Ok(())
    }
}

impl HandlerGuest for RatingService {
    /// Applies one `ratings` event. An event that cannot be parsed or is invalid is
    /// rejected (dead-lettered by the provider). A database that cannot be reached makes the
    /// event wait (the provider retries it until it is applied); any other database error is
    /// an ordinary error, retried a few times.
    fn handle_message(msg: BrokerMessage) -> Result<(), String> {
        let command = RatingCommand::from_event(&msg.body).map_err(handler_verdict::rejected)?;
        match command {
            RatingCommand::Put(rating) => put_rating(&rating),
            // Deleting a missing rating is not an error for an event (replays are harmless).
            RatingCommand::Delete { target, user } => delete_rating(&target, &user).map(|_| ()),
        }
        .map_err(|err| match err {
            DbError::Unavailable(_) => handler_verdict::unavailable(err),
            other => other.to_string(),
        })
    }
}
