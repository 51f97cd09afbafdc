//! A wasmCloud capability provider serving `wasmcloud:postgres@0.1.1-draft` (`query`,
//! `query-batch`, `prepared`) to linked components.
//!
//! Each component linked to the provider gets its own connection pool, built from the link's
//! `POSTGRES_*` configuration when the link arrives. A link whose configuration is incomplete
//! or wrong is refused with a message naming the key; the component's calls then fail with
//! that message instead of a vague connection error.
//!
//! Each call is traced as a child of the calling component's invocation, with a span per
//! statement (`db.system`, `db.name`, `db.statement`); the provider serves Prometheus metrics
//! at its `METRICS_ADDRESS`.
//!
//! # Layout
//! - [`serve`]: the provider on the lattice — link lifecycle and the exported interfaces,
//!   each handed to the state.
//! - [`provider`]: [`PostgresProvider`], the state (links, prepared statements) and its
//!   operations.
//! - [`config`]: a link's `POSTGRES_*` configuration, parsed and checked.
//! - [`links`]: the link registry, one pool per linked component.
//! - [`statement`]: running one statement, with its retry, error classification, span and
//!   timing.
//! - [`metrics`]: pool, statement and error metrics for the Prometheus endpoint.
//! - [`convert`]: `pg-value` to Postgres parameters, and result columns back.
//! - [`bindings`]: the WIT bindings.

pub mod bindings;
pub mod config;
pub mod convert;
pub mod links;
pub mod metrics;
pub mod provider;
pub mod serve;
pub mod statement;

pub use provider::PostgresProvider;
pub use statement::StatementError;
