//! The `client` example's steps: the running shop driven through its typed clients
//! (`shop_api::ShopV1Client` and `ShopV1BlockingClient`), written once for both. Each
//! step checks what it got; the first surprise ends the run with an error.

use std::time::{Duration, Instant};

use ninja_core::Json;
use ninja_core::client::{Client, ClientBuilder, ClientError};
use ninja_core::http::StatusCode;
use shop_api::model::{NewOrder, NewProduct};
use shop_api::{ShopError, ShopV1BlockingClient, ShopV1Client};

/// How a run connects: base URL, protocol, the customer's key and the admin's token.
#[derive(Debug, Clone)]
pub struct Settings {
    pub base: String,
    pub http2: bool,
    pub customer_key: String,
    pub admin_token: String,
    /// Product reads fired at once at the end.
    pub reads: usize,
}

impl Settings {
    fn builder(&self) -> ClientBuilder {
        let b = Client::builder(&self.base).timeout(Duration::from_secs(30));
        if self.http2 { b.http2() } else { b }
    }

    fn label(&self, kind: &str) -> String {
        format!("{kind} {}", if self.http2 { "HTTP/2" } else { "HTTP/1.1" })
    }
}

/// Fails the run with `what` unless `ok`.
fn expect(ok: bool, what: impl FnOnce() -> String) -> Result<(), String> {
    if ok { Ok(()) } else { Err(what()) }
}

/// `e` must be the server's problem with `status` (not one of the operation's own errors).
fn expect_problem<E>(e: &ClientError<E>, status: StatusCode, what: &str) -> Result<(), String> {
    expect(e.status() == Some(status), || {
        format!("{what}: expected a {status} problem, got: {e}")
    })
}

/// A product name no earlier run used.
fn fresh_name(label: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("client {label} {nanos}")
}

/// The steps, once for both clients: `$aw` is `await` for the async one.
macro_rules! steps {
    ($settings:expr, $client:ident, $build:ident, $out:ident $(, $aw:tt)?) => {{
        let s = $settings;
        let label = s.label(stringify!($client));
        let customer = $client::from_client(
            s.builder().api_key("X-API-Key", &s.customer_key).$build().map_err(|e| e.to_string())?,
        );
        let admin = $client::from_client(
            s.builder().bearer(&s.admin_token).$build().map_err(|e| e.to_string())?,
        );
        let anonymous = $client::from_client(s.builder().$build().map_err(|e| e.to_string())?);

        let health = anonymous.health()$(.$aw)?.map_err(|e| format!("health: {e}"))?;
        expect(health == "ok", || format!("health: {health:?}"))?;
        let products = anonymous
            .list_products(Some(100), None)$(.$aw)?
            .map_err(|e| format!("list products: {e}"))?;
        expect(!products.is_empty(), || "list products: none".to_owned())?;
        $out.push(format!("{label}: {} products, first {:?}", products.len(), products[0].name));

        // A product of our own with two in stock, so the order and the 409 hold on any database.
        let product = admin
            .create_product(Json(NewProduct {
                name: fresh_name(&label),
                price_cents: 1_000,
                stock: 2,
                weight_grams: 100,
            }))$(.$aw)?
            .map_err(|e| format!("create product: {e}"))?;
        let order = customer
            .place_order(Json(NewOrder { product_id: product.id, quantity: 1 }))$(.$aw)?
            .map_err(|e| format!("place order: {e}"))?;
        let read_back = customer.get_order(order.id)$(.$aw)?.map_err(|e| format!("get order: {e}"))?;
        expect(read_back == order, || format!("get order: {read_back:?} is not {order:?}"))?;
        $out.push(format!("{label}: order {} placed and read back ({} cents)", order.id, order.total_cents));

        let conflict = customer
            .place_order(Json(NewOrder { product_id: product.id, quantity: 5 }))$(.$aw)?
            .err()
            .ok_or("an order for more than the stock was accepted")?;
        // The operation's own error, read back as the shop's `ShopError` variant.
        expect(
            matches!(
                conflict,
                ClientError::Api { error: ShopError::OutOfStock { product: p, available: 1 }, .. }
                    if p == product.id
            ),
            || format!("over-order: expected ShopError::OutOfStock with 1 left, got: {conflict:?}"),
        )?;
        $out.push(format!("{label}: typed error: {conflict}"));
        let unauthorized = anonymous
            .my_orders()$(.$aw)?
            .err()
            .ok_or("orders were listed without a key")?;
        expect_problem(&unauthorized, StatusCode::UNAUTHORIZED, "orders without a key")?;
        $out.push(format!("{label}: typed error: {unauthorized}"));
        (anonymous, product.id, label)
    }};
}

/// Every step with the async client, then `reads` concurrent product reads.
///
/// # Errors
/// The first step that did not behave as expected.
pub async fn run_async(s: &Settings) -> Result<Vec<String>, String> {
    use futures_util::StreamExt as _;
    let mut out = Vec::new();
    let (anonymous, id, label) = steps!(s, ShopV1Client, build, out, await);
    let started = Instant::now();
    // All at once: over HTTP/2 they share one connection; over HTTP/1.1 the pool opens
    // what it needs (capped at 256 in flight, so a small server is not flooded).
    let ok = futures_util::stream::iter(0..s.reads)
        .map(|_| anonymous.get_product(id))
        .buffer_unordered(256)
        .filter(|r| std::future::ready(matches!(r, Ok(p) if p.id == id)))
        .count()
        .await;
    expect(ok == s.reads, || {
        format!("concurrent reads: {ok} of {} right", s.reads)
    })?;
    out.push(format!(
        "{label}: {} concurrent product reads in {:?}",
        s.reads,
        started.elapsed()
    ));
    Ok(out)
}

/// Every step with the blocking client, then `reads` product reads from 16 threads.
///
/// # Errors
/// The first step that did not behave as expected.
pub fn run_blocking(s: &Settings) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let (anonymous, id, label) = steps!(s, ShopV1BlockingClient, build_blocking, out);
    let started = Instant::now();
    let threads = 16;
    let ok: usize = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let c = anonymous.clone();
                let n = s.reads / threads + usize::from(t < s.reads % threads);
                scope.spawn(move || {
                    (0..n)
                        .filter(|_| matches!(c.get_product(id), Ok(p) if p.id == id))
                        .count()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0)).sum()
    });
    expect(ok == s.reads, || {
        format!("concurrent reads: {ok} of {} right", s.reads)
    })?;
    out.push(format!(
        "{label}: {} product reads from {threads} threads in {:?}",
        s.reads,
        started.elapsed()
    ));
    Ok(out)
}
