//! The wire protocols. Each one turns the client's operations into requests and reads the
//! answers; they all produce the same [`Operation`](super::operation::Operation)s and
//! [`Call`](super::operation::Call)s, so the bindings and the runner never know which one runs.
//!
//! - `graphql`: Prefect Server / Cloud 1.x.
//! - `rest`: Prefect 2/3; picked by `options.api`, dispatched in `operations`.

pub mod graphql;
pub mod rest;
