//! Conversions between the contract's `pg-value` and Postgres' wire types.
//!
//! Parameters: a `pg-value` becomes a [`Param`], which encodes itself for whatever type the
//! statement declares for that parameter (an `int4` value binds to an `int8` column, a `text`
//! value to a `uuid` column, ...). Results: each column is decoded by its declared type.
//! Anything unsupported is an error that names the value or the column, never a panic.

//!
//! # Layout
//! - `param`: [`Param`], a bound parameter, and what tokio-postgres' errors say of ours;
//! - `column`: [`decode_row`], a result row as the contract's entries;
//! - `float`: floats as the contract's (mantissa, exponent, sign).

mod column;
mod float;
mod param;

pub use column::decode_row;
pub use float::{f32_parts, f64_from_parts, f64_parts};
pub use param::{param_error_of, Param};

/// A parameter value the provider cannot bind; the message names the value and the type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParamError(pub String);

/// A column the provider cannot decode; the message names the column and its type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("column {column:?}: {problem}")]
pub struct DecodeError {
    pub column: String,
    pub problem: String,
}
