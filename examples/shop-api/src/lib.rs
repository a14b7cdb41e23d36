//! The shop's API, stated once: what `examples::shop` serves and what its typed clients
//! call. This crate compiles no handler and no database driver, so a service that calls
//! the shop depends on it alone.
//!
//! - [`ShopV1`] (`/api/v1`): [`ShopV1Client`], [`ShopV1BlockingClient`];
//! - [`ShopV2`] (`/api/v2`): [`ShopV2Client`], [`ShopV2BlockingClient`];
//! - [`Partners`] (the rate and shipping services the shop calls): [`PartnersClient`].

pub mod error;
pub mod model;

use ninja_core::pagination::{LimitOffset, Page};
use ninja_core::prelude::*;

pub use error::ShopError;
use model::{Currency, NewOrder, NewProduct, Order, Product, Quote, Rate, Shipping};

/// Version 1: public products, orders behind a customer's `X-API-Key`, administration
/// behind a bearer token.
#[ninja_core::api(prefix = "/api/v1")]
pub trait ShopV1 {
    /// Is the server up?
    #[get("/health")]
    async fn health() -> &'static str;

    /// List products.
    #[get("/products")]
    fn list_products(
        #[param(range(min = 1, max = 100), default = 20)] limit: u32,
        #[param(default = 0)] offset: u32,
    ) -> Result<Json<Vec<Product>>, ShopError>;

    /// Get one product.
    #[get("/products/{product_id}")]
    fn get_product(product_id: i64) -> Result<Json<Product>, ShopError>;

    /// Place an order.
    #[post("/orders")]
    fn place_order(order: Json<NewOrder>) -> Result<Created<Json<Order>>, ShopError>;

    /// List my orders, newest first.
    #[get("/orders")]
    fn my_orders() -> Result<Json<Vec<Order>>, ShopError>;

    /// Get one of my orders.
    #[get("/orders/{order_id}")]
    fn get_order(order_id: i64) -> Result<Json<Order>, ShopError>;

    /// Add a product.
    #[post("/admin/products")]
    fn create_product(product: Json<NewProduct>) -> Result<Created<Json<Product>>, ShopError>;
}

/// Version 2: the customer's key everywhere but the product list; paged lists; quotes.
#[ninja_core::api(prefix = "/api/v2")]
pub trait ShopV2 {
    /// Is the server up?
    #[get("/health")]
    async fn health() -> &'static str;

    /// List products, a page at a time: `{items, count}`.
    #[get("/products")]
    fn list_product_page(page: LimitOffset) -> Result<Json<Page<Product>>, ShopError>;

    /// Quote a product, shipped, in a currency.
    #[get("/products/{product_id}/quote")]
    async fn get_quote(
        product_id: i64,
        currency: Currency,
        #[param(range(min = 1, max = 100), default = 1)] quantity: u32,
    ) -> Result<Json<Quote>, ShopError>;

    /// List my orders, newest first.
    #[get("/orders")]
    fn my_orders() -> Result<Json<Vec<Order>>, ShopError>;
}

/// The partner services the shop calls: exchange rates and shipping costs.
#[ninja_core::api]
pub trait Partners {
    /// Today's rate for a currency.
    #[get("/rates/{currency}")]
    async fn rate(currency: Currency) -> Result<Json<Rate>, Problem>;

    /// What shipping a parcel costs.
    #[get("/shipping")]
    async fn shipping(
        #[param(range(min = 1))] weight_grams: u32,
    ) -> Result<Json<Shipping>, Problem>;
}
