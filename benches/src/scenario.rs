//! The endpoints every compared server implements, identically.

use serde::{Deserialize, Serialize};

/// `GET /hello` answers this.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Hello {
    /// Always "Hello, World!".
    pub message: &'static str,
}

/// `GET /items/{id}?q=..` answers this.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ItemOut {
    /// The path parameter.
    pub id: u32,
    /// The query parameter.
    pub q: Option<String>,
}

/// `POST /items` takes this JSON body: `name` 1 to 100 characters, `price` at most 1,000,000.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema, garde::Validate)]
pub struct NewItem {
    /// 1 to 100 characters.
    #[garde(length(chars, min = 1, max = 100))]
    pub name: String,
    /// At most 1,000,000.
    #[garde(range(max = 1_000_000))]
    pub price: u64,
}

/// `POST /items` answers 201 with this.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Created {
    /// Always 1.
    pub id: u32,
    /// The name sent.
    pub name: String,
    /// The price sent.
    pub price: u64,
}

/// The request body every `POST /items` sends.
pub const NEW_ITEM: &str = r#"{"name":"widget","price":1999}"#;

/// The answer to `GET /hello`.
pub const HELLO: Hello = Hello {
    message: "Hello, World!",
};

/// `GET /say-after?delay=..&word=..` answers this, after `delay` seconds.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Saying {
    /// The word, said back.
    pub saying: String,
}

/// Reads a numeric flag from the command line.
#[must_use]
pub fn flag(name: &str) -> Option<f64> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
}

/// Reads `--addr HOST:PORT` from the command line (default 127.0.0.1:3000).
#[must_use]
pub fn addr_arg() -> std::net::SocketAddr {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == "--addr")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| ([127, 0, 0, 1], 3000).into())
}
