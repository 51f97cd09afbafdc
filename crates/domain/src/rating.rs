//! Ratings and their aggregate.

use serde::Serialize;

use crate::{RecordId, RecordType, UserId, ValidationError};

/// A rating value: an integer from 1 to 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RatingValue(u8);

impl RatingValue {
    pub const MIN: u8 = 1;
    pub const MAX: u8 = 5;

    pub fn new(value: i64) -> Result<Self, ValidationError> {
        match u8::try_from(value) {
            Ok(value) if (Self::MIN..=Self::MAX).contains(&value) => Ok(Self(value)),
            _ => Err(Self::refused(value)),
        }
    }

    /// Parses the decimal text of a query parameter.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let value: i64 = raw
            .trim()
            .parse()
            .map_err(|_| Self::refused(format!("{raw:?}")))?;
        Self::new(value)
    }

    /// Why `got` (as the client sent it) is not a rating value.
    pub fn refused(got: impl std::fmt::Display) -> ValidationError {
        ValidationError::new(
            "value",
            format!(
                "must be an integer from {} to {} (got {got})",
                Self::MIN,
                Self::MAX
            ),
        )
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

/// The record a rating is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RatingTarget {
    pub record_type: RecordType,
    pub record_id: RecordId,
}

impl RatingTarget {
    /// Checks the record type, then the record id.
    pub fn parse(
        record_type: impl Into<String>,
        record_id: impl Into<String>,
    ) -> Result<Self, ValidationError> {
        Ok(Self {
            record_type: RecordType::parse(record_type)?,
            record_id: RecordId::parse(record_id)?,
        })
    }

    /// A movie, as `GET /movie` rates it.
    pub fn movie(id: &crate::MetadataId) -> Self {
        Self {
            record_type: RecordType::movie(),
            record_id: RecordId::from(id),
        }
    }
}

/// One user's rating of one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rating {
    pub target: RatingTarget,
    pub user: UserId,
    pub value: RatingValue,
}

/// The ratings of one record: their exact mean and how many users rated.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Aggregate {
    pub average: f64,
    pub count: u64,
}

impl Aggregate {
    /// From the sum and number of ratings; `None` when there are none.
    pub fn from_sum(sum: u64, count: u64) -> Option<Self> {
        (count > 0).then(|| Self {
            // Exact for any realistic count: sums of ratings stay far below 2^53.
            average: sum as f64 / count as f64,
            count,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_one_to_five() {
        for ok in 1..=5 {
            assert_eq!(RatingValue::new(ok).map(RatingValue::get), Ok(ok as u8));
        }
        for bad in [0, 6, -1, 256, i64::MAX] {
            assert!(RatingValue::new(bad).is_err(), "{bad}");
        }
        assert_eq!(RatingValue::parse("4").map(RatingValue::get), Ok(4));
        assert!(RatingValue::parse("4.5").is_err());
        assert!(RatingValue::parse("five").is_err());
        assert!(RatingValue::parse("").is_err());
    }

    #[test]
    fn the_aggregate_is_the_exact_mean() {
        assert_eq!(Aggregate::from_sum(0, 0), None);
        let aggregate = Aggregate::from_sum(6, 2).expect("two ratings");
        assert_eq!(aggregate.average, 3.0);
        assert_eq!(aggregate.count, 2);
        let aggregate = Aggregate::from_sum(10, 3).expect("three ratings");
        assert_eq!(aggregate.average, 10.0 / 3.0);
    }
}
