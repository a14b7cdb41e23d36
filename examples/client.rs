//! Drives the running `shop` example through its typed client, async and blocking, over
//! HTTP/1.1 and HTTP/2: lists products, places an order with a demo customer's key, reads
//! it back, provokes a 409 and a 401 (printed as typed errors), then fires 1,000 product
//! reads at once. Exits 0 only if every step behaved as expected.
//!
//! ```text
//! cargo run --release --example shop &
//! cargo run --release --example client -- http://127.0.0.1:8000
//! ```
//!
//! The admin token is `SHOP_ADMIN_TOKEN` (default `admin-token`, as the shop's).

use examples::shop_client::{self, Settings};

fn main() -> Result<(), String> {
    let base = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "http://127.0.0.1:8000".to_owned());
    let admin_token =
        std::env::var("SHOP_ADMIN_TOKEN").unwrap_or_else(|_| "admin-token".to_owned());
    let settings = |http2: bool, customer: &str| Settings {
        base: base.clone(),
        http2,
        customer_key: customer.to_owned(),
        admin_token: admin_token.clone(),
        reads: 1_000,
    };
    // The blocking client outside any runtime, as in a plain `fn main`. Each key sends
    // four orders a run (two per mode), inside the shop's default 10 a minute per key.
    for line in shop_client::run_blocking(&settings(false, "ada-key"))? {
        println!("{line}");
    }
    for line in shop_client::run_blocking(&settings(true, "bob-key"))? {
        println!("{line}");
    }
    let rt = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    for (http2, customer) in [(false, "ada-key"), (true, "bob-key")] {
        for line in rt.block_on(shop_client::run_async(&settings(http2, customer)))? {
            println!("{line}");
        }
    }
    println!("every step behaved as expected");
    Ok(())
}
