//! The rating service: one rating per (record type, record id, user) in the `movie_rating`
//! database, reached through the `wasmcloud:postgres` link. It exports
//! `movie:catalog/rating` to the gateway and handles `ratings` events from the Kafka
//! provider (`wasmcloud:messaging/handler`).
//!
//! Writes are upserts keyed by the primary key, so a replayed event changes nothing; the
//! aggregate is computed by Postgres from one consistent snapshot.

mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "rating-service",
        with: {
            "wasmcloud:postgres/types@0.1.1-draft": postgres_guest::types,
            "wasmcloud:postgres/query@0.1.1-draft": postgres_guest::query,
        },
        generate_all,
    });
}

use bindings::exports::movie::catalog::rating::Guest as RatingGuest;
use bindings::exports::wasmcloud::messaging::handler::Guest as HandlerGuest;
use bindings::movie::catalog::types::{Aggregate as WitAggregate, ServiceError};
use bindings::wasmcloud::messaging::types::BrokerMessage;
use movie_domain::{
    Aggregate, Key, RatingCommand, RatingTarget, RatingValue, RecordType, ValidationError,
};
use postgres_guest::{run, text, DbError};

struct RatingService;

bindings::export!(RatingService with_types_in bindings);

/// Prefix of handler errors that retrying cannot fix: the provider dead-letters such a
/// message at once instead of retrying it.
const REJECTED: &str = "rejected: ";

fn invalid(err: ValidationError) -> ServiceError {
    ServiceError::Invalid(err.to_string())
}

fn unavailable(err: DbError) -> ServiceError {
    ServiceError::Unavailable(err.to_string())
}

fn target(record_type: String, record_id: String) -> Result<RatingTarget, ServiceError> {
    Ok(RatingTarget {
        record_type: RecordType::parse(record_type).map_err(invalid)?,
        record_id: Key::parse("recordId", record_id).map_err(invalid)?,
    })
}

fn put(target: &RatingTarget, user: &Key, value: RatingValue) -> Result<(), DbError> {
    run(
        "INSERT INTO ratings (record_type, record_id, user_id, value) VALUES ($1, $2, $3, $4)
         ON CONFLICT (record_type, record_id, user_id)
         DO UPDATE SET value = EXCLUDED.value, updated_at = now()
         WHERE ratings.value IS DISTINCT FROM EXCLUDED.value",
        &[
            text(target.record_type.as_str()),
            text(target.record_id.as_str()),
            text(user.as_str()),
            postgres_guest::types::PgValue::Int2(i16::from(value.get())),
        ],
    )
    .map(|_| ())
}

/// Deletes a rating; whether there was one.
fn delete(target: &RatingTarget, user: &Key) -> Result<bool, DbError> {
    let rows = run(
        "DELETE FROM ratings WHERE record_type = $1 AND record_id = $2 AND user_id = $3
         RETURNING user_id",
        &[
            text(target.record_type.as_str()),
            text(target.record_id.as_str()),
            text(user.as_str()),
        ],
    )?;
    Ok(!rows.is_empty())
}

fn aggregate(target: &RatingTarget) -> Result<Option<Aggregate>, DbError> {
    let rows = run(
        "SELECT count(*)::int8 AS count, coalesce(sum(value), 0)::int8 AS sum
         FROM ratings WHERE record_type = $1 AND record_id = $2",
        &[
            text(target.record_type.as_str()),
            text(target.record_id.as_str()),
        ],
    )?;
    let row = rows
        .first()
        .ok_or_else(|| DbError::Result("the aggregate returned no row".into()))?;
    let count =
        u64::try_from(row.int("count")?).map_err(|_| DbError::Result("negative count".into()))?;
    let sum = u64::try_from(row.int("sum")?).map_err(|_| DbError::Result("negative sum".into()))?;
    Ok(Aggregate::from_sum(sum, count))
}

impl RatingGuest for RatingService {
    fn put(
        record_type: String,
        record_id: String,
        user_id: String,
        value: u8,
    ) -> Result<(), ServiceError> {
        let target = target(record_type, record_id)?;
        let user = Key::parse("userId", user_id).map_err(invalid)?;
        let value = RatingValue::new(i64::from(value)).map_err(invalid)?;
        put(&target, &user, value).map_err(unavailable)
    }

    fn delete(record_type: String, record_id: String, user_id: String) -> Result<(), ServiceError> {
        let target = target(record_type, record_id)?;
        let user = Key::parse("userId", user_id).map_err(invalid)?;
        if delete(&target, &user).map_err(unavailable)? {
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
    ) -> Result<Option<WitAggregate>, ServiceError> {
        let target = target(record_type, record_id)?;
        Ok(aggregate(&target)
            .map_err(unavailable)?
            .map(|aggregate| WitAggregate {
                average: aggregate.average,
                count: aggregate.count,
            }))
    }

    fn ping() -> Result<(), ServiceError> {
        run("SELECT 1", &[]).map(|_| ()).map_err(unavailable)
    }
}

impl HandlerGuest for RatingService {
    /// Applies one `ratings` event. An event that cannot be parsed or is invalid is
    /// `rejected` (dead-lettered by the provider); a database failure is an ordinary error,
    /// which the provider retries.
    fn handle_message(msg: BrokerMessage) -> Result<(), String> {
        let command =
            RatingCommand::from_event(&msg.body).map_err(|err| format!("{REJECTED}{err}"))?;
        match command {
            RatingCommand::Put {
                target,
                user,
                value,
            } => put(&target, &user, value),
            // Deleting a missing rating is not an error for an event (replays are harmless).
            RatingCommand::Delete { target, user } => delete(&target, &user).map(|_| ()),
        }
        .map_err(|err| err.to_string())
    }
}
