//! `GET /rating` (the aggregate), `PUT /rating` and `DELETE /rating`, all addressed by
//! `?id=<recordId>&type=<recordType>` (and `userId`, `value` for the writes).

use catalog_types::Aggregate;
use movie_domain::{Rating, RatingTarget, RatingValue, RecordId, RecordType, UserId};
use serde::Serialize;

use crate::query::Query;
use crate::{ApiError, Catalog, Response};

pub fn get(query: &Query, catalog: &impl Catalog) -> Result<Response, ApiError> {
    let target = target(query)?;
    let aggregate = catalog.aggregate(&target)?.ok_or_else(|| {
        ApiError::NotFound(format!(
            "no ratings for {} {:?}",
            target.record_type,
            target.record_id.as_str()
        ))
    })?;
    Ok(Response::json(200, &RatingView::new(&target, aggregate)))
}

pub fn put(query: &Query, catalog: &impl Catalog) -> Result<Response, ApiError> {
    let rating = Rating {
        target: target(query)?,
        user: query.required("userId", UserId::parse)?,
        value: query.required("value", |raw| RatingValue::parse(&raw))?,
    };
    catalog.put_rating(&rating)?;
    Ok(Response::empty(204))
}

pub fn delete(query: &Query, catalog: &impl Catalog) -> Result<Response, ApiError> {
    let target = target(query)?;
    let user = query.required("userId", UserId::parse)?;
    catalog.delete_rating(&target, &user)?;
    Ok(Response::empty(204))
}

/// The rated record, from `id` and `type` (checked in that order).
fn target(query: &Query) -> Result<RatingTarget, ApiError> {
    let record_id = query.required("id", RecordId::parse)?;
    let record_type = query.required("type", RecordType::parse)?;
    Ok(RatingTarget {
        record_type,
        record_id,
    })
}

/// The answer of `GET /rating`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RatingView<'a> {
    record_id: &'a str,
    record_type: &'a str,
    average: f64,
    count: u64,
}

impl<'a> RatingView<'a> {
    fn new(target: &'a RatingTarget, aggregate: Aggregate) -> Self {
        Self {
            record_id: target.record_id.as_str(),
            record_type: target.record_type.as_str(),
            average: aggregate.average,
            count: aggregate.count,
        }
    }
}
