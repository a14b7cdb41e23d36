//! The shop example against a real SQLite file in a temp dir, with its partner services
//! served on a real socket.

use std::sync::Arc;

use examples::shop::{self, Db, Partners, partners};
use ninja_core::{TestClient, TestRequest};
use serde_json::{Value, json};

const ADMIN: &str = "test-admin-token";

struct Shop {
    client: TestClient,
    db: Db,
    _dir: tempfile::TempDir,
}

impl Shop {
    /// `GET path` as the customer holding API key `key`.
    fn get_as(&self, key: &str, path: &str) -> TestRequest {
        self.client.get(path).header("x-api-key", key)
    }

    /// `POST /api/v1/orders` of `order` as the customer holding API key `key`.
    fn order_as(&self, key: &str, order: &Value) -> TestRequest {
        self.client
            .post("/api/v1/orders")
            .header("x-api-key", key)
            .json(order)
    }
}

/// Serves the partner services on 127.0.0.1:0 on the current runtime; their base URL.
async fn serve_partners(meet: partners::Rendezvous) -> String {
    let app = partners::api(meet).build().expect("partners build");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { app.serve_on(listener, std::future::pending()).await });
    url
}

async fn shop_with(partners_url: &str) -> Shop {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = shop::db::open(&dir.path().join("shop.db")).expect("database opens");
    let client = TestClient::new(shop::server(
        db.clone(),
        Partners::new(partners_url),
        ADMIN.to_owned(),
        &[http::HeaderValue::from_static(shop::DEV_ORIGIN)],
    ));
    Shop {
        client,
        db,
        _dir: dir,
    }
}

async fn shop() -> Shop {
    let url = serve_partners(partners::Rendezvous::default()).await;
    shop_with(&url).await
}

fn stock(db: &Db, id: i64) -> i64 {
    db.get()
        .expect("conn")
        .query_row("SELECT stock FROM products WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .expect("stock")
}

fn order_count(db: &Db) -> i64 {
    db.get()
        .expect("conn")
        .query_row("SELECT count(*) FROM orders", [], |r| r.get(0))
        .expect("count")
}

#[test]
fn migrations_run_once_and_seed_the_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("shop.db");
    let db = shop::db::open(&path).expect("created");
    let version: i64 = db
        .get()
        .expect("conn")
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("version");
    assert_eq!(version, 1);
    assert_eq!(shop::db::products(&db, 100, 0).expect("products").1, 3);
    drop(db);
    // Reopened: nothing re-applied, nothing seeded twice.
    let db = shop::db::open(&path).expect("reopened");
    assert_eq!(shop::db::products(&db, 100, 0).expect("products").1, 3);
    assert!(path.is_file());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_products_and_error_enums() {
    let s = shop().await;
    let res = s
        .client
        .get("/api/v1/products")
        .query("limit", 2)
        .send()
        .await;
    assert_eq!(res.status(), 200);
    let names: Vec<String> = res
        .json::<Vec<Value>>()
        .iter()
        .map(|p| p["name"].as_str().expect("name").to_owned())
        .collect();
    assert_eq!(names, ["Shuriken", "Tabi socks"]);
    let res = s.client.get("/api/v1/products/2").send().await;
    assert_eq!(res.json::<Value>()["price_cents"], 900);
    let res = s.client.get("/api/v1/products/99").send().await;
    assert_eq!(res.status(), 404);
    assert_eq!(res.json::<Value>()["detail"], "product 99 does not exist");
    let res = s
        .client
        .get("/api/v1/products")
        .query("limit", 0)
        .send()
        .await;
    assert_eq!(res.status(), 422);
    assert_eq!(s.client.get("/api/v1/health").send().await.text(), "ok");
}

/// The shop's middleware: CORS for the front end's origin (on a 401 too), a request id on
/// every answer, gzip when asked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_request_ids_and_compression() {
    let s = shop().await;
    let preflight = s
        .client
        .request(http::Method::OPTIONS, "/api/v1/orders")
        .header("origin", shop::DEV_ORIGIN)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "x-api-key,content-type")
        .send()
        .await;
    assert_eq!(preflight.status(), 200);
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some(shop::DEV_ORIGIN)
    );
    let denied = s
        .client
        .get("/api/v1/orders")
        .header("origin", shop::DEV_ORIGIN)
        .send()
        .await;
    assert_eq!(denied.status(), 401);
    assert_eq!(
        denied.header("access-control-allow-origin"),
        Some(shop::DEV_ORIGIN)
    );
    assert_eq!(denied.header("x-request-id").map(str::len), Some(36));
    let gz = s
        .client
        .get("/api/v2/products")
        .header("accept-encoding", "gzip")
        .send()
        .await;
    assert_eq!(gz.status(), 200);
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    assert_eq!(gz.bytes()[..2], [0x1f, 0x8b], "a gzip stream");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_need_a_key_and_take_stock_in_one_transaction() {
    let s = shop().await;
    let order = json!({"product_id": 3, "quantity": 2});
    // No key, a wrong key: 401, nothing written.
    let res = s.client.post("/api/v1/orders").json(&order).send().await;
    assert_eq!(res.status(), 401);
    let res = s.order_as("nope", &order).send().await;
    assert_eq!(res.status(), 401);
    assert_eq!(res.json::<Value>()["detail"], "unknown API key");
    assert_eq!((stock(&s.db, 3), order_count(&s.db)), (3, 0));

    // Placed: the stock went down and the order row exists, together.
    let res = s.order_as("ada-key", &order).send().await;
    assert_eq!(res.status(), 201, "{}", res.text());
    let placed: Value = res.json();
    assert_eq!(placed["total_cents"], 998);
    assert_eq!((stock(&s.db, 3), order_count(&s.db)), (1, 1));

    // More than is left: 409 with the enum's own type and title, and neither row changed.
    let res = s.order_as("ada-key", &order).send().await;
    assert_eq!(res.status(), 409);
    let body: Value = res.json();
    assert_eq!(body["type"], "/problems/out-of-stock");
    assert_eq!(body["detail"], "only 1 of product 3 left");
    assert_eq!((stock(&s.db, 3), order_count(&s.db)), (1, 1));
    // Validation before anything runs.
    let res = s
        .order_as("ada-key", &json!({"product_id": 3, "quantity": 0}))
        .send()
        .await;
    assert_eq!(res.status(), 422);

    // Orders are private: Ada sees hers, Bob does not.
    let id = placed["id"].as_i64().expect("id");
    let res = s
        .get_as("ada-key", &format!("/api/v1/orders/{id}"))
        .send()
        .await;
    assert_eq!(res.json::<Value>(), placed);
    let res = s
        .get_as("bob-key", &format!("/api/v1/orders/{id}"))
        .send()
        .await;
    assert_eq!(res.status(), 404);
    let res = s.get_as("bob-key", "/api/v1/orders").send().await;
    assert_eq!(res.json::<Value>(), json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_orders_never_oversell() {
    let s = shop().await;
    // 3 smoke bombs, 8 customers' requests for one each at once.
    let mut calls = Vec::new();
    for _ in 0..8 {
        let req = s.order_as("bob-key", &json!({"product_id": 3, "quantity": 1}));
        calls.push(tokio::spawn(req.send()));
    }
    let mut statuses = Vec::new();
    for c in calls {
        statuses.push(c.await.expect("joined").status().as_u16());
    }
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 201, 201, 409, 409, 409, 409, 409]);
    assert_eq!((stock(&s.db, 3), order_count(&s.db)), (0, 3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_needs_the_bearer_token() {
    let s = shop().await;
    let new = json!({"name": "Katana", "price_cents": 25000, "stock": 2, "weight_grams": 1100});
    let add_product = || s.client.post("/api/v1/admin/products");
    let res = add_product().json(&new).send().await;
    assert_eq!(res.status(), 401);
    assert_eq!(res.header("www-authenticate"), Some("Bearer"));
    let res = add_product().bearer("guess").json(&new).send().await;
    assert_eq!(res.status(), 401);
    // A customer's key is not an admin token.
    let res = add_product()
        .header("x-api-key", "ada-key")
        .json(&new)
        .send()
        .await;
    assert_eq!(res.status(), 401);
    let res = add_product().bearer(ADMIN).json(&new).send().await;
    assert_eq!(res.status(), 201, "{}", res.text());
    assert_eq!(res.json::<Value>()["id"], 4);
    let res = add_product().bearer(ADMIN).json(&new).send().await;
    assert_eq!(res.status(), 409);
    assert_eq!(
        res.json::<Value>()["detail"],
        "a product named \"Katana\" exists"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v2_pages_public_and_quotes_behind_the_key() {
    // Each partner endpoint waits for the other: the quote only succeeds if the shop calls
    // both at once.
    let meet = partners::Rendezvous(Some(Arc::new(tokio::sync::Barrier::new(2))));
    let url = serve_partners(meet).await;
    let s = shop_with(&url).await;
    let res = s
        .client
        .get("/api/v2/products")
        .query("limit", 1)
        .send()
        .await;
    assert_eq!(res.status(), 200, "{}", res.text());
    let page: Value = res.json();
    // ninja_core::pagination's `{items, count}`.
    assert_eq!(page["count"], 3);
    assert_eq!(page["items"].as_array().expect("items").len(), 1);
    let res = s
        .client
        .get("/api/v2/products")
        .query("limit", 2)
        .query("offset", 2)
        .send()
        .await;
    let page: Value = res.json();
    assert_eq!(page["items"][0]["id"], 3, "{page}");
    assert_eq!(
        s.client
            .get("/api/v2/products")
            .query("limit", 101)
            .send()
            .await
            .status(),
        422
    );
    // v2 needs the key everywhere else; v1's orders route exists in v2 under the API auth.
    assert_eq!(s.client.get("/api/v2/orders").send().await.status(), 401);
    assert_eq!(
        s.get_as("ada-key", "/api/v2/orders").send().await.status(),
        200
    );
    let quote = |cur: &str| {
        s.client
            .get("/api/v2/products/1/quote")
            .query("currency", cur)
            .query("quantity", 2)
            .header("x-api-key", "ada-key")
    };
    let res = s
        .client
        .get("/api/v2/products/1/quote")
        .query("currency", "USD")
        .send()
        .await;
    assert_eq!(res.status(), 401);
    let res = quote("USD").send().await;
    assert_eq!(res.status(), 200, "{}", res.text());
    // 2 × 1250 cents at 1.08, shipping 240 g → 300 + 3 × 50 = 450 cents at 1.08.
    assert_eq!(
        res.json::<Value>(),
        json!({"product_id": 1, "quantity": 2, "currency": "USD", "goods": 2700, "shipping": 486, "total": 3186})
    );
    let res = quote("XXX").send().await;
    assert_eq!(res.status(), 422);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_partner_is_a_502_without_internals() {
    // Nothing listens on this port (bound, then closed).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let s = shop_with(&format!("http://127.0.0.1:{port}")).await;
    let res = s
        .client
        .get("/api/v2/products/1/quote")
        .query("currency", "EUR")
        .header("x-api-key", "ada-key")
        .send()
        .await;
    assert_eq!(res.status(), 502);
    assert_eq!(
        res.json::<Value>()["detail"],
        "the server failed to handle this request"
    );
    let res = s
        .client
        .get("/api/v2/products/9/quote")
        .query("currency", "EUR")
        .header("x-api-key", "ada-key")
        .send()
        .await;
    assert_eq!(res.status(), 404);
}

#[test]
fn the_same_order_flow_with_the_sync_client() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = shop::db::open(&dir.path().join("shop.db")).expect("database opens");
    let client = TestClient::blocking(shop::v1(db.clone(), ADMIN.to_owned()));
    let res = client
        .post("/api/v1/orders")
        .header("x-api-key", "ada-key")
        .json(&json!({"product_id": 2, "quantity": 4}))
        .send();
    assert_eq!(res.status(), 201, "{}", res.text());
    assert_eq!(res.json::<Value>()["total_cents"], 3600);
    assert_eq!(stock(&db, 2), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn placing_orders_is_throttled_per_customer_key() {
    let s = shop().await;
    // Ten attempts a minute, whatever they come to (here: out of stock after three).
    let order = json!({"product_id": 3, "quantity": 1});
    for i in 0..10 {
        let res = s.order_as("ada-key", &order).send().await;
        assert!(
            [201, 409].contains(&res.status().as_u16()),
            "attempt {i}: {}",
            res.text()
        );
        assert!(res.header("ratelimit").is_some());
    }
    let refused = s.order_as("ada-key", &order).send().await;
    assert_eq!(refused.status(), 429, "{}", refused.text());
    assert!(refused.header("retry-after").is_some());
    // Another customer's key has its own budget; other routes are not throttled.
    assert_eq!(s.order_as("bob-key", &order).send().await.status(), 409);
    assert_eq!(
        s.get_as("ada-key", "/api/v1/orders").send().await.status(),
        200
    );
}
