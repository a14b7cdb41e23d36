//! What the shop's API sends and receives.

use garde::Validate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A product for sale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Product {
    pub id: i64,
    pub name: String,
    /// Price in euro cents.
    pub price_cents: i64,
    /// Items left.
    pub stock: u32,
    /// Shipping weight.
    pub weight_grams: u32,
}

/// A product to add.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Validate)]
pub struct NewProduct {
    #[garde(length(chars, min = 1, max = 80))]
    pub name: String,
    /// Price in euro cents.
    #[garde(range(min = 0, max = 10_000_000))]
    pub price_cents: i64,
    #[garde(range(max = 100_000))]
    pub stock: u32,
    #[garde(range(min = 1, max = 1_000_000))]
    pub weight_grams: u32,
}

/// An order to place.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Validate)]
pub struct NewOrder {
    #[garde(skip)]
    pub product_id: i64,
    #[garde(range(min = 1, max = 100))]
    pub quantity: u32,
}

/// A placed order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Order {
    pub id: i64,
    pub product_id: i64,
    pub quantity: u32,
    /// What it cost, in euro cents.
    pub total_cents: i64,
}

/// A currency a quote can be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Currency {
    #[serde(rename = "EUR")]
    Eur,
    #[serde(rename = "USD")]
    Usd,
    #[serde(rename = "JPY")]
    Jpy,
}

impl Currency {
    /// Its ISO 4217 code.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::Eur => "EUR",
            Self::Usd => "USD",
            Self::Jpy => "JPY",
        }
    }
}

/// A price quote: the product, shipped, in the asked currency (minor units).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Quote {
    pub product_id: i64,
    pub quantity: u32,
    pub currency: Currency,
    /// Goods, in minor units of `currency`.
    pub goods: i64,
    /// Shipping, in minor units of `currency`.
    pub shipping: i64,
    pub total: i64,
}

/// How many minor units of a currency one euro cent is worth (the partners' rate service).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Rate {
    pub currency: Currency,
    pub per_euro_cent: f64,
}

/// The shipping cost of a parcel, in euro cents (the partners' shipping service).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Shipping {
    pub cents: i64,
}
