//! A versioned shop over SQLite: `/api/v1/docs` and `/api/v2/docs`.
//!
//! Run with `cargo run --release --example shop`. The database is `SHOP_DB` (default
//! `ninja-shop.db` in the temp directory), created and migrated at start-up; the admin
//! token is `SHOP_ADMIN_TOKEN` (default `admin-token`); the partner services are served on
//! another port of this process unless `SHOP_PARTNERS` gives their base URL. Customers
//! `ada-key` and `bob-key` are seeded. Browsers may call it from the origins in
//! `SHOP_CORS_ORIGINS` (comma-separated; default `http://localhost:5173`, a Vite dev server).
//! Placing orders is throttled per customer key to `SHOP_ORDER_RATE` (default `10/m`),
//! counted in memory, or in the Redis at `SHOP_REDIS_URL` so that several instances share it.
//! Every request is logged (`RUST_LOG`, default `info`). `--openapi` prints both documents.

use std::path::PathBuf;

use examples::shop::{self, Partners, partners};

fn main() -> std::io::Result<()> {
    examples::init_logging();
    let db_path = std::env::var_os("SHOP_DB")
        .map_or_else(|| std::env::temp_dir().join("ninja-shop.db"), PathBuf::from);
    let db = shop::db::open(&db_path).map_err(std::io::Error::other)?;
    let admin = std::env::var("SHOP_ADMIN_TOKEN").unwrap_or_else(|_| "admin-token".to_owned());
    let partners_url = match std::env::var("SHOP_PARTNERS") {
        Ok(url) => url,
        Err(_) => examples::serve_in_background(partners::api(partners::Rendezvous::default()))?,
    };
    println!(
        "database: {}; partner services: {partners_url}",
        db_path.display()
    );
    let origins = std::env::var("SHOP_CORS_ORIGINS").unwrap_or_else(|_| shop::DEV_ORIGIN.into());
    let origins = origins
        .split(',')
        .map(|o| http::HeaderValue::from_str(o.trim()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| std::io::Error::other("SHOP_CORS_ORIGINS: not a list of origins"))?;
    examples::run_server(
        "shop",
        shop::server(db, Partners::new(partners_url), admin, &origins),
        &["/api/v1", "/api/v2"],
    )
}
