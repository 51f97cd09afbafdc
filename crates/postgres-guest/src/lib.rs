//! The client side of `wasmcloud:postgres@0.1.1-draft` for our components: the bindings
//! (generated once, shared through wit-bindgen's `with`), reading result rows by column name,
//! and what a failed statement means.

#[allow(clippy::all)]
mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "postgres-client",
        generate_all,
    });
}

pub use bindings::wasmcloud::postgres::{query, types};

use types::{PgValue, QueryError, ResultRow};

/// Why a statement or its result could not be used. Either way the database side is at
/// fault, not the caller's input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DbError {
    #[error("invalid parameters: {0}")]
    InvalidParams(String),
    #[error("query failed: {0}")]
    Query(String),
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("unexpected result: {0}")]
    Result(String),
}

impl From<QueryError> for DbError {
    fn from(err: QueryError) -> Self {
        match err {
            QueryError::InvalidParams(msg) => Self::InvalidParams(msg),
            QueryError::InvalidQuery(msg) => Self::Query(msg),
            QueryError::Unexpected(msg) => Self::Unavailable(msg),
        }
    }
}

/// Runs one parameterised statement.
pub fn execute(sql: &str, params: &[PgValue]) -> Result<Vec<Row>, DbError> {
    Ok(query::query(sql, params)?.into_iter().map(Row).collect())
}

/// One result row, read by column name.
#[derive(Debug, Clone)]
pub struct Row(pub ResultRow);

impl Row {
    fn value(&self, column: &str) -> Result<&PgValue, DbError> {
        self.0
            .iter()
            .find(|entry| entry.column_name == column)
            .map(|entry| &entry.value)
            .ok_or_else(|| DbError::Result(format!("no column {column:?}")))
    }

    /// A text column; every character type of the contract is accepted.
    pub fn text(&self, column: &str) -> Result<String, DbError> {
        match self.value(column)? {
            PgValue::Text(s) | PgValue::Name(s) => Ok(s.clone()),
            PgValue::Varchar((_, bytes)) | PgValue::Char((_, bytes)) => {
                String::from_utf8(bytes.clone())
                    .map_err(|_| DbError::Result(format!("column {column:?} is not UTF-8")))
            }
            other => Err(DbError::Result(format!(
                "column {column:?} is not text: {other:?}"
            ))),
        }
    }

    /// An integer column of any width.
    pub fn int(&self, column: &str) -> Result<i64, DbError> {
        match self.value(column)? {
            PgValue::Int8(i) | PgValue::BigInt(i) | PgValue::BigSerial(i) | PgValue::Serial8(i) => {
                Ok(*i)
            }
            PgValue::Int4(i) | PgValue::Int(i) | PgValue::Integer(i) => Ok(i64::from(*i)),
            PgValue::Serial(i) | PgValue::Serial4(i) => Ok(i64::from(*i)),
            PgValue::Int2(i)
            | PgValue::SmallInt(i)
            | PgValue::SmallSerial(i)
            | PgValue::Serial2(i) => Ok(i64::from(*i)),
            other => Err(DbError::Result(format!(
                "column {column:?} is not an integer: {other:?}"
            ))),
        }
    }
}

/// A text parameter.
pub fn text(value: impl Into<String>) -> PgValue {
    PgValue::Text(value.into())
}
