//! Route attributes for Ninja: `#[get]`, `#[post]`, `#[put]`, `#[patch]`, `#[delete]`.
//!
//! Use them through `ninja_core` (`use ninja_core::prelude::*;`), whose docs describe them.
//! Each attribute leaves the function untouched and emits beside it a hidden type of the same
//! name whose `Endpoint::route()` knows the method, the path, how to extract each argument,
//! how to call the function (sync → blocking pool, async → awaited) and its documentation.

#![warn(missing_docs)]

mod api;
mod args;
mod diagnostics;
mod doc;
mod error;
mod expand;
#[cfg(feature = "codegen")]
mod from_document;
mod path;
mod response;
mod signature;

use proc_macro::TokenStream;

macro_rules! route_attribute {
    ($($(#[$doc:meta])* $name:ident => $method:ident,)*) => {$(
        $(#[$doc])*
        #[proc_macro_attribute]
        pub fn $name(attr: TokenStream, item: TokenStream) -> TokenStream {
            expand::route(stringify!($method), attr.into(), item.into()).into()
        }
    )*};
}

route_attribute! {
    /// `#[get("/path")]`: a `GET` route (also answers `HEAD`).
    get => GET,
    /// `#[post("/path")]`: a `POST` route.
    post => POST,
    /// `#[put("/path")]`: a `PUT` route.
    put => PUT,
    /// `#[patch("/path")]`: a `PATCH` route.
    patch => PATCH,
    /// `#[delete("/path")]`: a `DELETE` route.
    delete => DELETE,
}

/// `#[dependency]`: an `async fn` whose value handlers take as `Depends<fn_name>`. See
/// `ninja_core::Depends`.
#[proc_macro_attribute]
pub fn dependency(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::dependency(attr.into(), item.into()).into()
}

/// `#[derive(ApiResponse)]`: an enum of the answers a handler gives, each variant with its
/// status (`#[api(status = 202)]`) and no field or one body; every variant is documented.
#[proc_macro_derive(ApiResponse, attributes(api))]
pub fn derive_api_response(input: TokenStream) -> TokenStream {
    response::derive(input.into()).into()
}

/// `#[derive(ApiError)]`: turns an error type into problem-details responses, each variant
/// with its status (`#[api(status = 404)]`), and documents every status. See `ninja_core`.
#[proc_macro_derive(ApiError, attributes(api))]
pub fn derive_api_error(input: TokenStream) -> TokenStream {
    error::derive(input.into()).into()
}

/// `#[api]` on a trait: an API's operations stated once. Emits the routes that describe
/// them (a module named after the trait, for the server's `op = ..`) and the typed clients
/// `{Trait}Client` and `{Trait}BlockingClient`. See `ninja_core::client`.
#[proc_macro_attribute]
pub fn api(attr: TokenStream, item: TokenStream) -> TokenStream {
    api::expand(attr.into(), item.into()).into()
}

/// `api_from_document!(pub trait ShopV1 = "openapi/shop-v1.json");`: an API definition and
/// its typed clients from a published OpenAPI document (path from the crate's root), read
/// at compile time. See `ninja_core::api_from_document`.
#[cfg(feature = "codegen")]
#[proc_macro]
pub fn api_from_document(input: TokenStream) -> TokenStream {
    from_document::expand(input.into()).into()
}
