//! Everything that can go wrong in the shop, each with its status.

use ninja_core::prelude::*;

/// The shop's errors: `#[derive(ApiError)]` answers each as problem details with its
/// status and lists every status in the document; `thiserror` writes `Display`, the detail.
#[derive(Debug, thiserror::Error, ApiError)]
pub enum ShopError {
    /// No product has this id.
    #[error("product {0} does not exist")]
    #[api(status = 404)]
    ProductNotFound(i64),
    /// No order of yours has this id.
    #[error("order {0} does not exist")]
    #[api(status = 404)]
    OrderNotFound(i64),
    /// Not enough stock for the order.
    #[error("only {available} of product {product} left")]
    #[api(status = 409, type = "/problems/out-of-stock", title = "Out of stock")]
    OutOfStock { product: i64, available: u32 },
    /// A product of this name exists.
    #[error("a product named {0:?} exists")]
    #[api(status = 409)]
    DuplicateName(String),
    /// A partner service failed or is unreachable.
    #[error("a partner service failed: {0}")]
    #[api(status = 502)]
    Upstream(String),
    /// The server is too busy (its blocking pool or database pool is full).
    #[error("busy: {0}")]
    #[api(status = 503)]
    Busy(String),
    /// The database failed; the cause is logged, never sent.
    // A string: the driver's error type belongs to the server, which this crate does not
    // compile.
    #[error("database: {0}")]
    #[api(status = 500)]
    Db(String),
}

/// `ninja_core::blocking` fails only when the pool is full or shutting down.
impl From<Problem> for ShopError {
    fn from(p: Problem) -> Self {
        Self::Busy(p.to_string())
    }
}
