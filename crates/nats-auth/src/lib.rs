//! The lattice's NATS identities, in NATS's decentralised ("operator mode") model: one
//! operator signs two accounts (the system account, and the lattice's, where every party
//! connects), and the lattice's account signs one user per party: the hosts (and the providers
//! they start), wadm, the operators (wash, the scripts, the tests), the secrets backend and the
//! policy service. Each user may publish and subscribe only on the subjects its party uses
//! ([`roles`]); NATS refuses a connection without one of them.
//!
//! [`Identities`] keeps the seeds on disk and writes what the others read: each user's creds
//! file ([`creds`]) and the server's configuration of the operator and accounts.

pub mod creds;
mod identities;
pub mod jwt;
pub mod roles;
mod subject;

pub use identities::{Identities, IdentitiesError, Written};
pub use subject::{Subject, SubjectError, Token};
