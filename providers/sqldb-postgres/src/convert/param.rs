//! Parameters: a `pg-value` becomes a [`Param`], which encodes itself for whatever type the
//! statement declares for that parameter (an `int4` value binds to an `int8` column, a `text`
//! value to a `uuid` column, ...).

use std::error::Error as StdError;
use std::net::IpAddr;
use std::str::FromStr;

use bytes::{Bytes, BytesMut};
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone as _, Utc};
use rust_decimal::Decimal;
use tokio_postgres::types::{
    to_sql_checked, Date as PgDate, IsNull, Kind, Timestamp as PgTimestamp, ToSql, Type,
};

use super::float::f64_from_parts;
use super::ParamError;
use crate::bindings::wasmcloud::postgres::types::{
    Date, Offset, PgValue, Time, Timestamp, TimestampTz,
};

/// A parameter in a form that can be encoded for several Postgres types.
#[derive(Debug, Clone, PartialEq)]
enum Native {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Numeric(String),
    Text(String),
    Bytes(Vec<u8>),
    Uuid(String),
    Json(String),
    Inet(String),
    Date(PgDate<NaiveDate>),
    Time(NaiveTime),
    Timestamp(PgTimestamp<NaiveDateTime>),
    TimestampTz(PgTimestamp<DateTime<FixedOffset>>),
    Array(Vec<Native>),
}

/// One bound parameter of a statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Param(Native);

impl Param {
    /// Accepts the value if this provider can bind it at all; whether it fits the statement's
    /// parameter type is checked when it is encoded.
    pub fn new(value: PgValue) -> Result<Self, ParamError> {
        native(value).map(Self)
    }
}

fn ints<T: Into<i64>>(items: Vec<T>) -> Native {
    Native::Array(items.into_iter().map(|i| Native::Int(i.into())).collect())
}

fn strings(items: Vec<String>, wrap: fn(String) -> Native) -> Native {
    Native::Array(items.into_iter().map(wrap).collect())
}

fn text_bytes(bytes: Bytes) -> Result<Native, ParamError> {
    String::from_utf8(bytes.to_vec())
        .map(Native::Text)
        .map_err(|_| ParamError("character value is not valid UTF-8".into()))
}

fn native(value: PgValue) -> Result<Native, ParamError> {
    use PgValue as V;
    Ok(match value {
        V::Null => Native::Null,
        V::Bool(b) | V::Boolean(b) => Native::Bool(b),
        V::BoolArray(items) => Native::Array(items.into_iter().map(Native::Bool).collect()),
        V::BigInt(i) | V::Int8(i) | V::BigSerial(i) | V::Serial8(i) => Native::Int(i),
        V::Int8Array(items) => ints(items),
        V::Integer(i) | V::Int(i) | V::Int4(i) => Native::Int(i.into()),
        V::Int4Array(items) => ints(items),
        V::Serial(i) | V::Serial4(i) => Native::Int(i.into()),
        V::SmallInt(i) | V::Int2(i) | V::SmallSerial(i) | V::Serial2(i) => Native::Int(i.into()),
        V::Int2Array(items) | V::Int2Vector(items) => ints(items),
        V::Double(parts) | V::Float8(parts) | V::Real(parts) | V::Float4(parts) => {
            Native::Float(f64_from_parts(parts))
        }
        V::Float8Array(items) | V::Float4Array(items) => Native::Array(
            items
                .into_iter()
                .map(|parts| Native::Float(f64_from_parts(parts)))
                .collect(),
        ),
        V::Numeric(n) | V::Decimal(n) => Native::Numeric(n),
        V::NumericArray(items) => strings(items, Native::Numeric),
        V::Bytea(bytes) => Native::Bytes(bytes.to_vec()),
        V::ByteaArray(items) => Native::Array(
            items
                .into_iter()
                .map(|bytes| Native::Bytes(bytes.to_vec()))
                .collect(),
        ),
        V::Char((_, bytes)) | V::Varchar((_, bytes)) => text_bytes(bytes)?,
        V::CharArray(items) => Native::Array(
            items
                .into_iter()
                .map(|(_, bytes)| text_bytes(bytes))
                .collect::<Result<_, _>>()?,
        ),
        V::VarcharArray(items) => Native::Array(
            items
                .into_iter()
                .map(|(_, bytes)| text_bytes(bytes))
                .collect::<Result<_, _>>()?,
        ),
        V::Text(s) | V::Name(s) | V::Xml(s) => Native::Text(s),
        V::TextArray(items) | V::NameArray(items) | V::XmlArray(items) => {
            strings(items, Native::Text)
        }
        V::Uuid(s) => Native::Uuid(s),
        V::UuidArray(items) => strings(items, Native::Uuid),
        V::Json(s) | V::Jsonb(s) => Native::Json(s),
        V::JsonArray(items) | V::JsonbArray(items) => strings(items, Native::Json),
        V::Inet(s) | V::Cidr(s) => Native::Inet(s),
        V::InetArray(items) | V::CidrArray(items) => strings(items, Native::Inet),
        V::Date(date) => Native::Date(pg_date(&date)?),
        V::DateArray(items) => Native::Array(
            items
                .iter()
                .map(|date| pg_date(date).map(Native::Date))
                .collect::<Result<_, _>>()?,
        ),
        V::Time(time) => Native::Time(naive_time(&time)?),
        V::TimeArray(items) => Native::Array(
            items
                .iter()
                .map(|time| naive_time(time).map(Native::Time))
                .collect::<Result<_, _>>()?,
        ),
        V::Timestamp(ts) => Native::Timestamp(pg_timestamp(&ts)?),
        V::TimestampArray(items) => Native::Array(
            items
                .iter()
                .map(|ts| pg_timestamp(ts).map(Native::Timestamp))
                .collect::<Result<_, _>>()?,
        ),
        V::TimestampTz(ts) => Native::TimestampTz(pg_timestamp_tz(&ts)?),
        V::TimestampTzArray(items) => Native::Array(
            items
                .iter()
                .map(|ts| pg_timestamp_tz(ts).map(Native::TimestampTz))
                .collect::<Result<_, _>>()?,
        ),
        other => {
            return Err(ParamError(format!(
                "pg-value {} is not supported as a parameter by this provider",
                variant_name(&other)
            )))
        }
    })
}

/// The contract's name of a value's variant, for error messages.
fn variant_name(value: &PgValue) -> String {
    let debug = format!("{value:?}");
    let name = debug.split(['(', ' ', '{']).next().unwrap_or("value");
    // CamelCase -> kebab-case, as in the WIT.
    let mut kebab = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                kebab.push('-');
            }
            kebab.push(c.to_ascii_lowercase());
        } else {
            kebab.push(c);
        }
    }
    kebab
}

fn pg_date(date: &Date) -> Result<PgDate<NaiveDate>, ParamError> {
    Ok(match date {
        Date::PositiveInfinity => PgDate::PosInfinity,
        Date::NegativeInfinity => PgDate::NegInfinity,
        Date::Ymd((year, month, day)) => PgDate::Value(
            NaiveDate::from_ymd_opt(*year, *month, *day)
                .ok_or_else(|| ParamError(format!("{year}-{month}-{day} is not a valid date")))?,
        ),
    })
}

fn naive_time(time: &Time) -> Result<NaiveTime, ParamError> {
    NaiveTime::from_hms_micro_opt(time.hour, time.min, time.sec, time.micro).ok_or_else(|| {
        ParamError(format!(
            "{}:{}:{}.{} is not a valid time",
            time.hour, time.min, time.sec, time.micro
        ))
    })
}

fn pg_timestamp(ts: &Timestamp) -> Result<PgTimestamp<NaiveDateTime>, ParamError> {
    Ok(match pg_date(&ts.date)? {
        PgDate::PosInfinity => PgTimestamp::PosInfinity,
        PgDate::NegInfinity => PgTimestamp::NegInfinity,
        PgDate::Value(date) => PgTimestamp::Value(date.and_time(naive_time(&ts.time)?)),
    })
}

fn pg_timestamp_tz(ts: &TimestampTz) -> Result<PgTimestamp<DateTime<FixedOffset>>, ParamError> {
    let seconds = match ts.offset {
        Offset::EasternHemisphereSecs(secs) => secs,
        Offset::WesternHemisphereSecs(secs) => -secs,
    };
    let offset = FixedOffset::east_opt(seconds)
        .ok_or_else(|| ParamError(format!("{seconds}s is not a valid UTC offset")))?;
    Ok(match pg_timestamp(&ts.timestamp)? {
        PgTimestamp::PosInfinity => PgTimestamp::PosInfinity,
        PgTimestamp::NegInfinity => PgTimestamp::NegInfinity,
        PgTimestamp::Value(local) => PgTimestamp::Value(
            offset
                .from_local_datetime(&local)
                .single()
                .ok_or_else(|| ParamError("ambiguous local timestamp".into()))?,
        ),
    })
}

type BoxError = Box<dyn StdError + Sync + Send>;

fn mismatch(value: &Native, ty: &Type) -> BoxError {
    let kind = match value {
        Native::Null => "null",
        Native::Bool(_) => "a boolean",
        Native::Int(_) => "an integer",
        Native::Float(_) => "a float",
        Native::Numeric(_) => "a numeric",
        Native::Text(_) => "a text",
        Native::Bytes(_) => "bytes",
        Native::Uuid(_) => "a uuid",
        Native::Json(_) => "a json",
        Native::Inet(_) => "an inet",
        Native::Date(_) => "a date",
        Native::Time(_) => "a time",
        Native::Timestamp(_) => "a timestamp",
        Native::TimestampTz(_) => "a timestamptz",
        Native::Array(_) => "an array",
    };
    Box::new(ParamError(format!(
        "cannot bind {kind} value to a parameter of type {ty}"
    )))
}

fn invalid(problem: impl std::fmt::Display) -> BoxError {
    Box::new(ParamError(problem.to_string()))
}

impl ToSql for Native {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        if let Native::Null = self {
            return Ok(IsNull::Yes);
        }
        if let Kind::Array(_) = ty.kind() {
            return match self {
                Native::Array(items) => items.to_sql(ty, out),
                other => Err(mismatch(other, ty)),
            };
        }
        match (self, ty) {
            (Native::Bool(b), &Type::BOOL) => b.to_sql(ty, out),
            (Native::Int(i), &Type::INT2) => i16::try_from(*i)
                .map_err(|_| invalid(format!("{i} does not fit in int2")))?
                .to_sql(ty, out),
            (Native::Int(i), &Type::INT4) => i32::try_from(*i)
                .map_err(|_| invalid(format!("{i} does not fit in int4")))?
                .to_sql(ty, out),
            (Native::Int(i), &Type::INT8) => i.to_sql(ty, out),
            (Native::Int(i), &Type::OID) => u32::try_from(*i)
                .map_err(|_| invalid(format!("{i} is not an oid")))?
                .to_sql(ty, out),
            (Native::Int(i), &Type::FLOAT8) => (*i as f64).to_sql(ty, out),
            (Native::Int(i), &Type::FLOAT4) => (*i as f32).to_sql(ty, out),
            (Native::Float(f), &Type::FLOAT8) => f.to_sql(ty, out),
            (Native::Float(f), &Type::FLOAT4) => (*f as f32).to_sql(ty, out),
            (Native::Int(i), &Type::NUMERIC) => Decimal::from(*i).to_sql(ty, out),
            (Native::Float(f), &Type::NUMERIC) => Decimal::try_from(*f)
                .map_err(|err| invalid(format!("{f} is not a numeric: {err}")))?
                .to_sql(ty, out),
            (Native::Numeric(s) | Native::Text(s), &Type::NUMERIC) => Decimal::from_str(s.trim())
                .or_else(|_| Decimal::from_scientific(s.trim()))
                .map_err(|err| invalid(format!("{s:?} is not a numeric: {err}")))?
                .to_sql(ty, out),
            (
                Native::Text(s)
                | Native::Numeric(s)
                | Native::Uuid(s)
                | Native::Json(s)
                | Native::Inet(s),
                &Type::TEXT | &Type::VARCHAR | &Type::BPCHAR | &Type::NAME | &Type::UNKNOWN,
            ) => s.to_sql(ty, out),
            (Native::Text(s), ty) if ty.name() == "citext" => {
                s.as_bytes().to_sql(&Type::BYTEA, out)
            }
            (Native::Bytes(bytes), &Type::BYTEA) => bytes.to_sql(ty, out),
            (Native::Uuid(s) | Native::Text(s), &Type::UUID) => uuid::Uuid::parse_str(s.trim())
                .map_err(|err| invalid(format!("{s:?} is not a uuid: {err}")))?
                .to_sql(ty, out),
            (Native::Json(s) | Native::Text(s), &Type::JSON | &Type::JSONB) => {
                serde_json::from_str::<serde_json::Value>(s)
                    .map_err(|err| invalid(format!("not valid JSON: {err}")))?
                    .to_sql(ty, out)
            }
            (Native::Inet(s) | Native::Text(s), &Type::INET) => IpAddr::from_str(s.trim())
                .map_err(|err| invalid(format!("{s:?} is not an IP address: {err}")))?
                .to_sql(ty, out),
            (Native::Date(date), &Type::DATE) => date.to_sql(ty, out),
            (Native::Time(time), &Type::TIME) => time.to_sql(ty, out),
            (Native::Timestamp(ts), &Type::TIMESTAMP) => ts.to_sql(ty, out),
            (Native::Timestamp(ts), &Type::TIMESTAMPTZ) => as_utc(ts).to_sql(ty, out),
            (Native::TimestampTz(ts), &Type::TIMESTAMPTZ) => ts.to_sql(ty, out),
            (Native::TimestampTz(ts), &Type::TIMESTAMP) => as_naive_utc(ts).to_sql(ty, out),
            (other, ty) => Err(mismatch(other, ty)),
        }
    }

    fn accepts(_: &Type) -> bool {
        // Whether a value fits a type depends on the value; `to_sql` decides and explains.
        true
    }

    to_sql_checked!();
}

fn as_utc(ts: &PgTimestamp<NaiveDateTime>) -> PgTimestamp<DateTime<Utc>> {
    match ts {
        PgTimestamp::PosInfinity => PgTimestamp::PosInfinity,
        PgTimestamp::NegInfinity => PgTimestamp::NegInfinity,
        PgTimestamp::Value(naive) => PgTimestamp::Value(Utc.from_utc_datetime(naive)),
    }
}

fn as_naive_utc(ts: &PgTimestamp<DateTime<FixedOffset>>) -> PgTimestamp<NaiveDateTime> {
    match ts {
        PgTimestamp::PosInfinity => PgTimestamp::PosInfinity,
        PgTimestamp::NegInfinity => PgTimestamp::NegInfinity,
        PgTimestamp::Value(aware) => PgTimestamp::Value(aware.naive_utc()),
    }
}

impl ToSql for Param {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        self.0.to_sql(ty, out)
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// Whether an error from tokio-postgres was caused by one of our parameters.
pub fn param_error_of(err: &tokio_postgres::Error) -> Option<String> {
    let mut source = StdError::source(err);
    while let Some(cause) = source {
        if let Some(param) = cause.downcast_ref::<ParamError>() {
            return Some(format!("{err}: {param}"));
        }
        source = cause.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_share_one_native_form() {
        assert_eq!(Param::new(PgValue::Int4(7)), Param::new(PgValue::BigInt(7)));
        assert_eq!(
            Param::new(PgValue::Varchar((None, Bytes::from_static(b"x")))),
            Param::new(PgValue::Text("x".into()))
        );
    }

    #[test]
    fn unsupported_values_are_named_not_panicked_on() {
        let err = Param::new(PgValue::PgLsn(1)).expect_err("unsupported");
        assert!(err.0.contains("pg-lsn"), "{err}");
        let err = Param::new(PgValue::Date(Date::Ymd((2024, 2, 30)))).expect_err("bad date");
        assert!(err.0.contains("not a valid date"), "{err}");
        let err =
            Param::new(PgValue::Varchar((None, Bytes::from_static(&[0xff])))).expect_err("utf8");
        assert!(err.0.contains("UTF-8"), "{err}");
    }

    #[test]
    fn values_encode_for_compatible_types_only() {
        let mut out = BytesMut::new();
        let int = Param::new(PgValue::Int4(300)).expect("int");
        assert!(int.to_sql(&Type::INT8, &mut out).is_ok());
        assert!(int.to_sql(&Type::INT2, &mut out).is_ok());
        assert!(int.to_sql(&Type::TEXT, &mut out).is_err());
        let big = Param::new(PgValue::Int8(1 << 40)).expect("int");
        assert!(big.to_sql(&Type::INT4, &mut out).is_err());
        let uuid = Param::new(PgValue::Text("not-a-uuid".into())).expect("text");
        match uuid.to_sql(&Type::UUID, &mut out) {
            Err(err) => assert!(err.to_string().contains("not a uuid"), "{err}"),
            Ok(_) => panic!("a bad uuid was encoded"),
        }
        let null = Param::new(PgValue::Null).expect("null");
        assert!(matches!(
            null.to_sql(&Type::UUID, &mut out),
            Ok(IsNull::Yes)
        ));
    }
}
