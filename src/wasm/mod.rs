//! The JS face: conversions only. Every method returns a Promise that settles with a value or
//! a `PrefectError`; the logic lives in `crate::core`.

mod client;
mod error;
mod js;
mod runs;
mod transport;
mod types;

#[allow(unused_imports)]
pub use client::Client;
#[allow(unused_imports)]
pub use error::is_prefect_error;
#[allow(unused_imports)]
pub use runs::{FlowRuns, TaskRuns};
