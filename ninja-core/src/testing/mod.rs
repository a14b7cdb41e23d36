//! Testing an API: the in-process [`TestClient`] and, with feature `contract`, checking a
//! running API against its document.

#[cfg(feature = "contract")]
pub mod contract;
pub mod test_client;

pub use test_client::{TestClient, TestRequest, TestResponse};
