//! The partner services the shop calls over HTTP (exchange rates, shipping), and the client
//! it calls them with. The example binary serves the partners itself on another port unless
//! `SHOP_PARTNERS` names a real base URL.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use ninja_core::prelude::*;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio::sync::Barrier;

use super::error::ShopError;
use super::model::Currency;

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

/// How many minor units of a currency one euro cent is worth.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Rate {
    pub currency: Currency,
    pub per_euro_cent: f64,
}

/// The shipping cost of a parcel, in euro cents.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Shipping {
    pub cents: i64,
}

/// Today's rate for a currency.
#[get("/rates/{currency}")]
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
#[get("/shipping")]
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

/// The shop's client for the partner services.
#[derive(Debug, Clone)]
pub struct Partners {
    base: String,
    client: Client<HttpConnector, Empty<Bytes>>,
}

impl Partners {
    /// A client for the partner services at `base` (e.g. `http://127.0.0.1:9000`).
    #[must_use]
    pub fn new(base: impl Into<String>) -> Self {
        Self {
            base: base.into().trim_end_matches('/').to_owned(),
            client: Client::builder(TokioExecutor::new()).build_http(),
        }
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ShopError> {
        let uri: http::Uri = format!("{}{path}", self.base)
            .parse()
            .map_err(|e| ShopError::Upstream(format!("bad partner URL: {e}")))?;
        let call = async {
            let res = self
                .client
                .get(uri)
                .await
                .map_err(|e| ShopError::Upstream(format!("GET {path}: {e}")))?;
            let status = res.status();
            let body = res
                .into_body()
                .collect()
                .await
                .map_err(|e| ShopError::Upstream(format!("GET {path}: {e}")))?
                .to_bytes();
            if !status.is_success() {
                return Err(ShopError::Upstream(format!("GET {path}: {status}")));
            }
            serde_json::from_slice(&body)
                .map_err(|e| ShopError::Upstream(format!("GET {path}: {e}")))
        };
        tokio::time::timeout(Duration::from_secs(10), call)
            .await
            .map_err(|_| ShopError::Upstream(format!("GET {path}: timed out")))?
    }

    /// Minor units of `currency` per euro cent.
    pub async fn rate(&self, currency: Currency) -> Result<f64, ShopError> {
        let rate: Rate = self.get(&format!("/rates/{}", currency.code())).await?;
        Ok(rate.per_euro_cent)
    }

    /// Shipping for a parcel of `weight_grams`, in euro cents.
    pub async fn shipping(&self, weight_grams: u32) -> Result<i64, ShopError> {
        let s: Shipping = self
            .get(&format!("/shipping?weight_grams={weight_grams}"))
            .await?;
        Ok(s.cents)
    }
}
