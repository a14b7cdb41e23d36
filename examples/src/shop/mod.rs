//! A versioned shop API over SQLite: routers, an authenticated router, error enums, state,
//! sync handlers on the blocking pool, and an async handler joining two upstream calls.
//!
//! - `/api/v1` (Shop 1.0): public `products`, `orders` behind a customer's API key
//!   (`X-API-Key`, checked against the database), `admin` behind a bearer token.
//! - `/api/v2` (Shop 2.0): every route needs the API key except the product list
//!   (`auth = none`); lists come in pages; quotes call the partner services concurrently.
//!
//! The operations are defined once in the `shop-api` crate (`shop_api::ShopV1`, `ShopV2`,
//! `Partners`), which its typed clients use too; each handler here links to its operation
//! with `op = ..`, and the API does not build if one drifts from it.

pub mod db;
pub mod partners;

/// What the API carries (from `shop-api`), and the customer an API key stands for.
pub mod model {
    pub use shop_api::model::*;

    /// An authenticated customer: what the API-key check gives handlers as `Auth<Customer>`.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Customer {
        pub id: i64,
        pub name: String,
    }
}

use ninja_core::auth::{ApiKeyIn, AuthScheme, constant_time_eq};
use ninja_core::prelude::*;
use shop_api::{shop_v1, shop_v2};

pub use db::Db;
use model::{Currency, Customer, NewOrder, NewProduct, Order, Product, Quote};
use ninja_core::pagination::{LimitOffset, Page};
pub use partners::Partners;
pub use shop_api::ShopError;

/// Is the server up?
#[get("/health", tags = ["ops"], auth = none, op = shop_v1::health)]
async fn health() -> &'static str {
    "ok"
}

/// List products.
#[get("/", op = shop_v1::list_products)]
fn list_products(
    #[param(range(min = 1, max = 100), default = 20)] limit: u32,
    #[param(default = 0)] offset: u32,
    db: State<Db>,
) -> Result<Json<Vec<Product>>, ShopError> {
    Ok(Json(db::products(&db, limit, offset.into())?.0))
}

/// Get one product.
#[get("/{product_id}", op = shop_v1::get_product)]
fn get_product(product_id: i64, db: State<Db>) -> Result<Json<Product>, ShopError> {
    db::product_by_id(&db, product_id).map(Json)
}

/// Placing orders is throttled per customer key: `SHOP_ORDER_RATE` (default 10 a minute).
fn order_throttle() -> Throttle {
    let rate = std::env::var("SHOP_ORDER_RATE").unwrap_or_else(|_| "10/m".to_owned());
    Throttle::per_key(rate).named("orders")
}

/// Where throttles count: the Redis at `SHOP_REDIS_URL` (shared by every instance), else
/// this process's memory.
fn throttle_store() -> ninja_core::throttle::ThrottleStore {
    match std::env::var("SHOP_REDIS_URL") {
        Ok(url) => ninja_core::throttle::RedisStore::new(&url).into(),
        Err(_) => ninja_core::throttle::ThrottleStore::memory(),
    }
}

/// Place an order.
///
/// Takes the stock and records the order in one transaction. At most `SHOP_ORDER_RATE`
/// (default 10 a minute) per customer key.
#[post("/", throttle = order_throttle(), op = shop_v1::place_order)]
fn place_order(
    customer: Auth<Customer>,
    db: State<Db>,
    Json(order): Json<NewOrder>,
) -> Result<Created<Json<Order>>, ShopError> {
    let placed = db::place_order(&db, &customer, order.product_id, order.quantity)?;
    Ok(Created(Json(placed)))
}

/// List my orders, newest first.
#[get("/", op = shop_v1::my_orders)]
fn my_orders(customer: Auth<Customer>, db: State<Db>) -> Result<Json<Vec<Order>>, ShopError> {
    db::orders_of(&db, &customer).map(Json)
}

/// Get one of my orders.
#[get("/{order_id}", op = shop_v1::get_order)]
fn get_order(
    order_id: i64,
    customer: Auth<Customer>,
    db: State<Db>,
) -> Result<Json<Order>, ShopError> {
    db::order_of(&db, &customer, order_id).map(Json)
}

/// Add a product.
#[post("/products", op = shop_v1::create_product)]
fn create_product(
    db: State<Db>,
    Json(new): Json<NewProduct>,
) -> Result<Created<Json<Product>>, ShopError> {
    db::insert_product(&db, &new).map(|p| Created(Json(p)))
}

/// List products, a page at a time: `{items, count}`.
#[get("/products", tags = ["products"], auth = none, op = shop_v2::list_product_page)]
fn list_product_page(page: LimitOffset, db: State<Db>) -> Result<Json<Page<Product>>, ShopError> {
    let (items, count) = db::products(&db, page.limit, page.offset)?;
    Ok(Json(page.page(items, count)))
}

/// Quote a product, shipped, in a currency.
///
/// Reads the product on the blocking pool, then asks the partner services for the exchange
/// rate and the shipping cost at the same time.
#[get("/products/{product_id}/quote", tags = ["products"], op = shop_v2::get_quote)]
async fn get_quote(
    product_id: i64,
    currency: Currency,
    #[param(range(min = 1, max = 100), default = 1)] quantity: u32,
    db: State<Db>,
    partners: State<Partners>,
    _customer: Auth<Customer>,
) -> Result<Json<Quote>, ShopError> {
    let pool = Db::clone(&db);
    let product = ninja_core::blocking(move || db::product_by_id(&pool, product_id)).await??;
    let weight = product.weight_grams.saturating_mul(quantity);
    let (rate, shipping) = tokio::try_join!(partners.rate(currency), partners.shipping(weight))?;
    #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
    let convert = |cents: i64| (cents as f64 * rate).round() as i64;
    let goods = convert(product.price_cents * i64::from(quantity));
    let shipping = convert(shipping);
    Ok(Json(Quote {
        product_id,
        quantity,
        currency,
        goods,
        shipping,
        total: goods + shipping,
    }))
}

// Version 2's own routes for the same answers: a handler implements one operation.
/// Is the server up?
#[get("/health", tags = ["ops"], auth = none, operation_id = "health", op = shop_v2::health)]
async fn health_v2() -> &'static str {
    health().await
}

/// List my orders, newest first.
#[get("/", operation_id = "my_orders", op = shop_v2::my_orders)]
fn my_orders_v2(customer: Auth<Customer>, db: State<Db>) -> Result<Json<Vec<Order>>, ShopError> {
    my_orders(customer, db)
}

/// The customers' API key (`X-API-Key`), checked against the database. The check is sync,
/// so it runs on the blocking pool, like a sync handler.
fn customer_key(db: Db) -> AuthScheme {
    AuthScheme::api_key(
        ApiKeyIn::Header,
        "X-API-Key",
        move |key: String| match db::customer_by_key(&db, &key) {
            Ok(Some(customer)) => Ok(customer),
            Ok(None) => Err(Problem::new(StatusCode::UNAUTHORIZED).with_detail("unknown API key")),
            Err(e) => {
                tracing::error!(error = %e, "the API key check failed");
                Err(Problem::new(StatusCode::SERVICE_UNAVAILABLE)
                    .with_detail("cannot check API keys right now"))
            }
        },
    )
    .named("customerKey")
    .description("A customer's API key")
}

/// The administrator's bearer token, compared in constant time.
fn admin_token(token: String) -> AuthScheme {
    AuthScheme::bearer(move |given: String| {
        let ok = constant_time_eq(&given, &token);
        async move { ok.then_some(()) }
    })
    .named("adminToken")
}

/// Version 1: public products, orders behind the customer's key, admin behind a token.
pub fn v1(db: Db, admin: String) -> NinjaApi {
    let products = Router::new("/products")
        .tags(["products"])
        .routes(routes![list_products, get_product]);
    let orders = Router::new("/orders")
        .tags(["orders"])
        .auth(customer_key(db.clone()))
        .routes(routes![place_order, my_orders, get_order]);
    let admin = Router::new("/admin")
        .tags(["admin"])
        .auth(admin_token(admin))
        .routes(routes![create_product]);
    NinjaApi::new("Ninja shop", "1.0")
        .description("Products, orders and administration, over SQLite.")
        .prefix("/api/v1")
        .throttle_store(throttle_store())
        .state(db)
        .routes(routes![health])
        .router(products)
        .router(orders)
        .router(admin)
}

/// Version 2: the customer's key everywhere but the product list; quotes.
pub fn v2(db: Db, partners: Partners) -> NinjaApi {
    NinjaApi::new("Ninja shop", "2.0")
        .description("Version 2: paged lists and quotes in any currency.")
        .prefix("/api/v2")
        .auth(customer_key(db.clone()))
        .state(db)
        .state(partners)
        .routes(routes![health_v2, list_product_page, get_quote])
        .router(
            Router::new("/orders")
                .tags(["orders"])
                .routes(routes![my_orders_v2]),
        )
}

/// The origin of the shop's web front end in development (Vite's default port).
pub const DEV_ORIGIN: &str = "http://localhost:5173";

/// What the shop serves with: CORS for the web front end's `origins` (any method the API
/// has, `Authorization`, `X-API-Key`, `Content-Type` and `X-Request-Id` headers, the
/// request id readable), compression (gzip, br), and the access log with request ids.
pub fn with_middleware(api: NinjaApi, origins: &[http::HeaderValue]) -> NinjaApi {
    use http::{HeaderName, Method, header};
    use tower_http::compression::CompressionLayer;
    use tower_http::cors::CorsLayer;

    let request_id = HeaderName::from_static("x-request-id");
    let cors = CorsLayer::new()
        .allow_origin(origins.to_vec())
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            HeaderName::from_static("x-api-key"),
            request_id.clone(),
        ])
        .expose_headers([request_id]);
    crate::access_log(api.layer(CompressionLayer::new()).layer(cors))
}

/// Both versions in one server, each with [`with_middleware`] for `origins`.
pub fn server(db: Db, partners: Partners, admin: String, origins: &[http::HeaderValue]) -> Server {
    Server::new()
        .api(with_middleware(v1(db.clone(), admin), origins))
        .api(with_middleware(v2(db, partners), origins))
}
