//! The partner services the shop calls over HTTP (exchange rates, shipping), and the client
//! it calls them with. The example binary serves the partners itself on another port unless
//! `SHOP_PARTNERS` names a real base URL.

use std::sync::Arc;
use std::time::Duration;

use ninja_core::client::{Client, ClientError};
use ninja_core::prelude::*;
use shop_api::model::{Currency, Rate, Shipping};
use shop_api::{PartnersClient, ShopError};
use tokio::sync::Barrier;

/// When set, each partner endpoint waits until the other one has been called as well: a
/// test's proof that the shop calls them concurrently (sequential calls would time out).
#[derive(Debug, Clone, Default)]
pub struct Rendezvous(pub Option<Arc<Barrier>>);

impl Rendezvous {
    async fn meet(&self) -> Result<(), Problem> {
        let Some(b) = &self.0 else { return Ok(()) };
        tokio::time::timeout(Duration::from_secs(5), b.wait())
            .await
            .map(drop)
            .map_err(|_| {
                Problem::new(StatusCode::GATEWAY_TIMEOUT).with_detail("the other call never came")
            })
    }
}

/// Today's rate for a currency.
#[get("/rates/{currency}", op = shop_api::partners::rate)]
async fn rate(currency: Currency, meet: State<Rendezvous>) -> Result<Json<Rate>, Problem> {
    meet.meet().await?;
    let per_euro_cent = match currency {
        Currency::Eur => 1.0,
        Currency::Usd => 1.08,
        Currency::Jpy => 1.625,
    };
    Ok(Json(Rate {
        currency,
        per_euro_cent,
    }))
}

/// What shipping a parcel costs.
#[get("/shipping", op = shop_api::partners::shipping)]
async fn shipping(
    #[param(range(min = 1))] weight_grams: u32,
    meet: State<Rendezvous>,
) -> Result<Json<Shipping>, Problem> {
    meet.meet().await?;
    Ok(Json(Shipping {
        cents: 300 + i64::from(weight_grams.div_ceil(100)) * 50,
    }))
}

/// The partners' own API.
pub fn api(meet: Rendezvous) -> NinjaApi {
    NinjaApi::new("Ninja shop partners", "1.0")
        .state(meet)
        .routes(routes![rate, shipping])
}

/// The shop's client for the partner services: their typed client (from their definition
/// in `shop-api`), with the shop's 10-second budget per call.
#[derive(Debug, Clone)]
pub struct Partners(Result<PartnersClient, String>);

impl Partners {
    /// A client for the partner services at `base` (e.g. `http://127.0.0.1:9000`).
    #[must_use]
    pub fn new(base: impl AsRef<str>) -> Self {
        let client = Client::builder(base.as_ref())
            .timeout(Duration::from_secs(10))
            .build()
            .map(PartnersClient::from_client)
            .map_err(|e| e.to_string());
        Self(client)
    }

    fn client(&self) -> Result<&PartnersClient, ShopError> {
        self.0
            .as_ref()
            .map_err(|e| ShopError::Upstream(format!("no partner client: {e}")))
    }

    /// Minor units of `currency` per euro cent.
    pub async fn rate(&self, currency: Currency) -> Result<f64, ShopError> {
        let rate = self
            .client()?
            .rate(currency)
            .await
            .map_err(upstream("rates"))?;
        Ok(rate.per_euro_cent)
    }

    /// Shipping for a parcel of `weight_grams`, in euro cents.
    pub async fn shipping(&self, weight_grams: u32) -> Result<i64, ShopError> {
        let shipping = self
            .client()?
            .shipping(weight_grams)
            .await
            .map_err(upstream("shipping"))?;
        Ok(shipping.cents)
    }
}

/// A partner's failure, as the shop reports it (a 502).
fn upstream(service: &'static str) -> impl Fn(ClientError) -> ShopError {
    move |e| ShopError::Upstream(format!("{service}: {e}"))
}
