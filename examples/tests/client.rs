//! The shop through its typed clients over real sockets: the `client` example's run in
//! every mode, and every operation of every shop API (v1, v2, the partners) through both
//! clients, errors included.

use examples::shop::{self, Partners, partners};
use examples::shop_client::{self, Settings};
use ninja_core::client::Client;
use ninja_core::http::StatusCode;
use ninja_core::pagination::LimitOffset;
use ninja_core::{Json, LocPart};
use shop_api::model::{Currency, NewOrder, NewProduct};
use shop_api::{
    PartnersBlockingClient, PartnersClient, ShopV1BlockingClient, ShopV1Client,
    ShopV2BlockingClient, ShopV2Client,
};

const ADMIN: &str = "admin-token";

/// The shop and its partners on 127.0.0.1:0, each on a runtime of its own thread; their
/// base URLs. The database lives as long as the returned directory.
fn serve_shop() -> (String, String, tempfile::TempDir) {
    let partners_url =
        examples::serve_in_background(partners::api(partners::Rendezvous::default()))
            .expect("partners serve");
    let dir = tempfile::tempdir().expect("temp dir");
    let db = shop::db::open(&dir.path().join("shop.db")).expect("database opens");
    let server = shop::server(
        db,
        Partners::new(&partners_url),
        ADMIN.to_owned(),
        &[http::HeaderValue::from_static(shop::DEV_ORIGIN)],
    );
    let url = examples::serve_in_background(server).expect("shop serves");
    (url, partners_url, dir)
}

#[test]
fn the_client_example_drives_the_shop_in_every_mode() {
    let (url, _, _db) = serve_shop();
    let settings = |http2: bool, key: &str| Settings {
        base: url.clone(),
        http2,
        customer_key: key.to_owned(),
        admin_token: ADMIN.to_owned(),
        reads: 200,
    };
    let mut lines = shop_client::run_blocking(&settings(false, "ada-key")).expect("blocking h1");
    lines.extend(shop_client::run_blocking(&settings(true, "bob-key")).expect("blocking h2"));
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    lines.extend(
        rt.block_on(shop_client::run_async(&settings(false, "ada-key")))
            .expect("async h1"),
    );
    lines.extend(
        rt.block_on(shop_client::run_async(&settings(true, "bob-key")))
            .expect("async h2"),
    );
    let text = lines.join("\n");
    assert_eq!(
        text.matches("typed error: 409 Out of stock: only 1 of product")
            .count(),
        4,
        "{text}"
    );
    assert_eq!(text.matches("typed error: 401").count(), 4, "{text}");
    assert_eq!(
        text.matches("200 concurrent product reads").count(),
        2,
        "{text}"
    );
    assert_eq!(
        text.matches("200 product reads from 16 threads").count(),
        2,
        "{text}"
    );
    // A wrong admin token is refused, and the run says so instead of passing.
    let err = shop_client::run_blocking(&Settings {
        admin_token: "wrong".to_owned(),
        ..settings(false, "ada-key")
    })
    .expect_err("the admin token is wrong");
    assert!(err.starts_with("create product: 401"), "{err}");
}

/// Every operation once, written for both clients: `$aw` is `await` for the async ones.
macro_rules! every_operation {
    ($v1:ident, $v2:ident, $partners:ident, $build:ident, $url:expr, $partners_url:expr, $tag:literal $(, $aw:tt)?) => {{
        let with_key = |key: &str| Client::builder($url).api_key("X-API-Key", key).$build().expect("client");
        let v1 = $v1::new($url).expect("client");
        let v1_ada = $v1::from_client(with_key("ada-key"));
        let v1_admin = $v1::from_client(Client::builder($url).bearer(ADMIN).$build().expect("client"));
        let v2 = $v2::new($url).expect("client");
        let v2_ada = $v2::from_client(with_key("ada-key"));
        let partners = $partners::new($partners_url).expect("client");

        // v1
        assert_eq!(v1.health()$(.$aw)?.expect("health"), "ok");
        let all = v1.list_products(None, None)$(.$aw)?.expect("products");
        assert!(all.len() >= 3, "{all:?}");
        let page = v1.list_products(Some(1), Some(1))$(.$aw)?.expect("products");
        assert_eq!(page, all[1..2]);
        let bad = v1.list_products(Some(0), None)$(.$aw)?.expect_err("limit 0");
        assert_eq!(bad.status(), Some(StatusCode::UNPROCESSABLE_ENTITY));
        assert_eq!(bad.problem().expect("problem").errors[0].loc, [LocPart::from("query"), LocPart::from("limit")], "{bad}");
        assert_eq!(v1.get_product(all[0].id)$(.$aw)?.expect("product"), all[0]);
        let missing = v1.get_product(9_999)$(.$aw)?.expect_err("404");
        assert_eq!(missing.problem().expect("problem").detail.as_deref(), Some("product 9999 does not exist"));
        let made = v1_admin
            .create_product(Json(NewProduct { name: concat!("kunai ", $tag).to_owned(), price_cents: 700, stock: 5, weight_grams: 50 }))$(.$aw)?
            .expect("created");
        let again = v1_admin
            .create_product(Json(NewProduct { name: concat!("kunai ", $tag).to_owned(), price_cents: 700, stock: 5, weight_grams: 50 }))$(.$aw)?
            .expect_err("duplicate");
        assert_eq!(again.status(), Some(StatusCode::CONFLICT));
        let not_admin = v1
            .create_product(Json(NewProduct { name: "x".to_owned(), price_cents: 1, stock: 1, weight_grams: 1 }))$(.$aw)?
            .expect_err("no token");
        assert_eq!(not_admin.status(), Some(StatusCode::UNAUTHORIZED));
        let order = v1_ada
            .place_order(Json(NewOrder { product_id: made.id, quantity: 2 }))$(.$aw)?
            .expect("ordered");
        assert_eq!(order.total_cents, 1_400);
        assert_eq!(v1_ada.get_order(order.id)$(.$aw)?.expect("order"), order);
        assert!(v1_ada.my_orders()$(.$aw)?.expect("orders").contains(&order));
        let short = v1_ada
            .place_order(Json(NewOrder { product_id: made.id, quantity: 4 }))$(.$aw)?
            .expect_err("out of stock");
        assert_eq!(short.problem().expect("problem").type_uri, "/problems/out-of-stock");
        // Someone else's order is as absent as a missing one.
        let bob = $v1::from_client(with_key("bob-key"));
        assert_eq!(bob.get_order(order.id)$(.$aw)?.expect_err("not bob's").status(), Some(StatusCode::NOT_FOUND));

        // v2
        assert_eq!(v2.health()$(.$aw)?.expect("health"), "ok");
        let page = v2.list_product_page(LimitOffset { limit: 2, offset: 1 })$(.$aw)?.expect("page");
        assert_eq!(page.items, all[1..3]);
        assert!(page.count >= 4);
        let quote = v2_ada.get_quote(made.id, Currency::Usd, Some(3))$(.$aw)?.expect("quote");
        assert_eq!((quote.currency, quote.quantity, quote.goods), (Currency::Usd, 3, 2_268));
        let default_quantity = v2_ada.get_quote(made.id, Currency::Eur, None)$(.$aw)?.expect("quote");
        assert_eq!(default_quantity.quantity, 1);
        assert_eq!(v2_ada.get_quote(9_999, Currency::Eur, None)$(.$aw)?.expect_err("404").status(), Some(StatusCode::NOT_FOUND));
        assert_eq!(v2.get_quote(made.id, Currency::Eur, None)$(.$aw)?.expect_err("401").status(), Some(StatusCode::UNAUTHORIZED));
        assert!(v2_ada.my_orders()$(.$aw)?.expect("orders").contains(&order));

        // The partners
        assert_eq!(partners.rate(Currency::Jpy)$(.$aw)?.expect("rate").per_euro_cent, 1.625);
        assert_eq!(partners.shipping(250)$(.$aw)?.expect("shipping").cents, 450);
        assert_eq!(partners.shipping(0)$(.$aw)?.expect_err("422").status(), Some(StatusCode::UNPROCESSABLE_ENTITY));
    }};
}

#[tokio::test]
async fn every_shop_operation_round_trips_through_the_async_client() {
    let (url, partners_url, _db) = serve_shop();
    every_operation!(
        ShopV1Client,
        ShopV2Client,
        PartnersClient,
        build,
        &url,
        &partners_url,
        "async",
        await
    );
}

#[test]
fn every_shop_operation_round_trips_through_the_blocking_client() {
    let (url, partners_url, _db) = serve_shop();
    every_operation!(
        ShopV1BlockingClient,
        ShopV2BlockingClient,
        PartnersBlockingClient,
        build_blocking,
        &url,
        &partners_url,
        "blocking"
    );
}
