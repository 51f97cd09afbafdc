//! Results: each column of a row is decoded by its declared type.

use std::net::IpAddr;

use bytes::Bytes;
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use rust_decimal::Decimal;
use tokio_postgres::types::{Date as PgDate, Timestamp as PgTimestamp, Type};
use tokio_postgres::Row;

use super::float::{f32_parts, f64_parts};
use super::DecodeError;
use crate::bindings::wasmcloud::postgres::types::{
    Date, Offset, PgValue, ResultRowEntry, Time, Timestamp, TimestampTz,
};

fn date_value(date: PgDate<NaiveDate>) -> Date {
    use chrono::Datelike as _;
    match date {
        PgDate::PosInfinity => Date::PositiveInfinity,
        PgDate::NegInfinity => Date::NegativeInfinity,
        PgDate::Value(d) => Date::Ymd((d.year(), d.month(), d.day())),
    }
}

fn time_value(time: NaiveTime) -> Time {
    use chrono::Timelike as _;
    Time {
        hour: time.hour(),
        min: time.minute(),
        sec: time.second(),
        micro: time.nanosecond() / 1_000,
    }
}

fn timestamp_value(ts: PgTimestamp<NaiveDateTime>) -> Timestamp {
    match ts {
        PgTimestamp::PosInfinity => Timestamp {
            date: Date::PositiveInfinity,
            time: time_value(NaiveTime::MIN),
        },
        PgTimestamp::NegInfinity => Timestamp {
            date: Date::NegativeInfinity,
            time: time_value(NaiveTime::MIN),
        },
        PgTimestamp::Value(naive) => Timestamp {
            date: date_value(PgDate::Value(naive.date())),
            time: time_value(naive.time()),
        },
    }
}

fn timestamp_tz_value(ts: PgTimestamp<DateTime<Utc>>) -> TimestampTz {
    let naive = match ts {
        PgTimestamp::PosInfinity => PgTimestamp::PosInfinity,
        PgTimestamp::NegInfinity => PgTimestamp::NegInfinity,
        PgTimestamp::Value(utc) => PgTimestamp::Value(utc.naive_utc()),
    };
    TimestampTz {
        timestamp: timestamp_value(naive),
        offset: Offset::EasternHemisphereSecs(0),
    }
}

/// Decodes every column of a row.
pub fn decode_row(row: &Row) -> Result<Vec<ResultRowEntry>, DecodeError> {
    row.columns()
        .iter()
        .enumerate()
        .map(|(index, column)| {
            let value =
                decode_column(row, index, column.type_()).map_err(|problem| DecodeError {
                    column: column.name().to_string(),
                    problem,
                })?;
            Ok(ResultRowEntry {
                column_name: column.name().to_string(),
                value,
            })
        })
        .collect()
}

/// Reads column `index` as `Option<T>` and maps a present value with `wrap`.
fn get<'a, T, F>(row: &'a Row, index: usize, wrap: F) -> Result<PgValue, String>
where
    T: tokio_postgres::types::FromSql<'a>,
    F: FnOnce(T) -> PgValue,
{
    row.try_get::<_, Option<T>>(index)
        .map(|value| value.map_or(PgValue::Null, wrap))
        .map_err(|err| err.to_string())
}

/// Reads an array column; a NULL element is an error (the contract's arrays have none).
fn get_array<'a, T, U, F>(
    row: &'a Row,
    index: usize,
    map: F,
    wrap: fn(Vec<U>) -> PgValue,
) -> Result<PgValue, String>
where
    T: tokio_postgres::types::FromSql<'a>,
    F: Fn(T) -> U,
{
    let items = row
        .try_get::<_, Option<Vec<Option<T>>>>(index)
        .map_err(|err| err.to_string())?;
    let Some(items) = items else {
        return Ok(PgValue::Null);
    };
    items
        .into_iter()
        .map(|item| {
            item.map(&map)
                .ok_or_else(|| "arrays with NULL elements are not supported".to_string())
        })
        .collect::<Result<Vec<U>, String>>()
        .map(wrap)
}

fn decode_column(row: &Row, index: usize, ty: &Type) -> Result<PgValue, String> {
    use PgValue as V;
    match *ty {
        Type::BOOL => get(row, index, V::Bool),
        Type::INT2 => get(row, index, V::Int2),
        Type::INT4 => get(row, index, V::Int4),
        Type::INT8 => get(row, index, V::Int8),
        Type::OID => get(row, index, |oid: u32| V::Int8(i64::from(oid))),
        Type::FLOAT4 => get(row, index, |f: f32| V::Float4(f32_parts(f))),
        Type::FLOAT8 => get(row, index, |f: f64| V::Float8(f64_parts(f))),
        Type::NUMERIC => get(row, index, |d: Decimal| V::Numeric(d.to_string())),
        Type::TEXT => get(row, index, V::Text),
        Type::NAME => get(row, index, V::Name),
        Type::VARCHAR => get(row, index, |s: String| V::Varchar((None, Bytes::from(s)))),
        Type::BPCHAR => get(row, index, |s: String| {
            V::Char((
                u32::try_from(s.chars().count()).unwrap_or(u32::MAX),
                Bytes::from(s),
            ))
        }),
        Type::BYTEA => get(row, index, |b: Vec<u8>| V::Bytea(Bytes::from(b))),
        Type::UUID => get(row, index, |u: uuid::Uuid| V::Uuid(u.to_string())),
        Type::JSON => get(row, index, |j: serde_json::Value| V::Json(j.to_string())),
        Type::JSONB => get(row, index, |j: serde_json::Value| V::Jsonb(j.to_string())),
        Type::INET => get(row, index, |ip: IpAddr| V::Inet(ip.to_string())),
        Type::DATE => get(row, index, |d: PgDate<NaiveDate>| V::Date(date_value(d))),
        Type::TIME => get(row, index, |t: NaiveTime| V::Time(time_value(t))),
        Type::TIMESTAMP => get(row, index, |t: PgTimestamp<NaiveDateTime>| {
            V::Timestamp(timestamp_value(t))
        }),
        Type::TIMESTAMPTZ => get(row, index, |t: PgTimestamp<DateTime<Utc>>| {
            V::TimestampTz(timestamp_tz_value(t))
        }),
        Type::VOID => Ok(V::Null),
        Type::BOOL_ARRAY => get_array(row, index, |b: bool| b, V::BoolArray),
        Type::INT2_ARRAY => get_array(row, index, |i: i16| i, V::Int2Array),
        Type::INT4_ARRAY => get_array(row, index, |i: i32| i, V::Int4Array),
        Type::INT8_ARRAY => get_array(row, index, |i: i64| i, V::Int8Array),
        Type::FLOAT4_ARRAY => get_array(row, index, f32_parts, V::Float4Array),
        Type::FLOAT8_ARRAY => get_array(row, index, f64_parts, V::Float8Array),
        Type::NUMERIC_ARRAY => get_array(row, index, |d: Decimal| d.to_string(), V::NumericArray),
        Type::TEXT_ARRAY => get_array(row, index, |s: String| s, V::TextArray),
        Type::NAME_ARRAY => get_array(row, index, |s: String| s, V::NameArray),
        Type::VARCHAR_ARRAY => get_array(
            row,
            index,
            |s: String| (None, Bytes::from(s)),
            V::VarcharArray,
        ),
        Type::BYTEA_ARRAY => get_array(row, index, |b: Vec<u8>| Bytes::from(b), V::ByteaArray),
        Type::UUID_ARRAY => get_array(row, index, |u: uuid::Uuid| u.to_string(), V::UuidArray),
        Type::JSON_ARRAY => get_array(
            row,
            index,
            |j: serde_json::Value| j.to_string(),
            V::JsonArray,
        ),
        Type::JSONB_ARRAY => get_array(
            row,
            index,
            |j: serde_json::Value| j.to_string(),
            V::JsonbArray,
        ),
        Type::INET_ARRAY => get_array(row, index, |ip: IpAddr| ip.to_string(), V::InetArray),
        Type::DATE_ARRAY => get_array(row, index, date_value, V::DateArray),
        Type::TIME_ARRAY => get_array(row, index, time_value, V::TimeArray),
        Type::TIMESTAMP_ARRAY => get_array(row, index, timestamp_value, V::TimestampArray),
        Type::TIMESTAMPTZ_ARRAY => get_array(row, index, timestamp_tz_value, V::TimestampTzArray),
        ref other => Err(format!("type {other} is not supported by this provider")),
    }
}
