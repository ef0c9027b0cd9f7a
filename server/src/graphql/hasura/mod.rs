//! The Hasura reads: `tables.rs` describes the tables once, `schema.rs` generates the GraphQL
//! types and resolvers from it, `sql.rs` compiles their arguments to SQL.

mod schema;
mod sql;
mod tables;

pub use schema::{register, RelCache};
