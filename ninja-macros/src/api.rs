//! `#[api]` on a trait: an API's operations stated once, for the server and its clients.
//!
//! The trait's methods are operations: a route attribute, doc comments, typed arguments
//! (what travels: path, query, body) and the declared return type. Emitted beside the trait:
//! - a module named after it (`ShopV1` → `shop_v1`) with one route per operation, whose
//!   description is the contract a server's handler links to with `op = shop_v1::name`;
//! - `{Trait}Client` and `{Trait}BlockingClient`, one method per operation (when
//!   `ninja_core` has its `client` feature).

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::ext::IdentExt as _;
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{FnArg, Ident, ItemTrait, LitStr, Pat, ReturnType, Token, TraitItem};

use crate::signature::Errors;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// `#[api(prefix = "/api/v1", crate = "my_ninja")]`.
#[derive(Default)]
struct ApiArgs {
    prefix: Option<LitStr>,
    krate: Option<syn::Path>,
    /// `client_only`: no describing routes (a definition generated from a document, whose
    /// types are the client's own).
    client_only: bool,
}

impl Parse for ApiArgs {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut out = Self::default();
        while !input.is_empty() {
            if input.peek(Token![crate]) {
                input.parse::<Token![crate]>()?;
                input.parse::<Token![=]>()?;
                out.krate = Some(crate::args::crate_path(&input.parse()?)?);
            } else {
                let key: Ident = input.parse()?;
                if key == "client_only" {
                    out.client_only = true;
                    if !input.is_empty() {
                        input.parse::<Token![,]>()?;
                    }
                    continue;
                }
                if key != "prefix" {
                    return Err(syn::Error::new(
                        key.span(),
                        "expected `prefix = \"/api/v1\"` or `crate = \"..\"`",
                    ));
                }
                input.parse::<Token![=]>()?;
                let lit: LitStr = input.parse()?;
                let v = lit.value();
                if !v.is_empty() && (!v.starts_with('/') || v.ends_with('/')) {
                    return Err(syn::Error::new(
                        lit.span(),
                        "a prefix starts with `/` and does not end with one, e.g. `/api/v1`",
                    ));
                }
                out.prefix = Some(lit);
            }
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        Ok(out)
    }
}

/// One operation of the trait.
struct Op {
    ident: Ident,
    is_async: bool,
    method: Ident,
    /// The prefix and the route's path.
    full_path: LitStr,
    /// The route attribute's options after the path, with their leading comma.
    options: TokenStream,
    docs: Vec<syn::Attribute>,
    /// Arguments with their `#[param]` attributes, for the describing route.
    inputs: Vec<syn::PatType>,
    /// Per argument: its name, wire name and type (an `Option` of it when the server has a
    /// default: `None` leaves it out), and whether it fills the path.
    args: Vec<(Ident, String, TokenStream, bool)>,
    ret: TokenStream,
    ret_span: Span,
}

pub(crate) fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut t: ItemTrait = match syn::parse2(item.clone()) {
        Ok(t) => t,
        Err(e) => {
            let ce = syn::Error::new(
                e.span(),
                "`#[api]` goes on a trait whose methods are the API's operations, e.g. `#[api] pub trait Shop { #[get(\"/products/{id}\")] fn get_product(id: i64) -> Json<Product>; }`",
            )
            .to_compile_error();
            return quote!(#ce #item);
        }
    };
    let args = match syn::parse2::<ApiArgs>(attr) {
        Ok(a) => a,
        Err(e) => return e.to_compile_error(),
    };
    let mut errors = Errors::default();
    let ops = operations(&mut t, args.prefix.as_ref(), &mut errors);
    let trait_out = quote!(#t);
    if let Err(e) = errors.finish() {
        let ce = e.to_compile_error();
        return quote!(#ce #trait_out);
    }
    let krate = args
        .krate
        .as_ref()
        .map_or_else(|| quote!(::ninja_core), |p| quote!(#p));
    let vis = &t.vis;
    let module = format_ident!("{}", snake(&t.ident.to_string()), span = t.ident.span());
    let routes: Vec<TokenStream> = if args.client_only {
        Vec::new()
    } else {
        ops.iter().map(|op| describing_route(op, &krate)).collect()
    };
    let async_client = format_ident!("{}Client", t.ident);
    let blocking_client = format_ident!("{}BlockingClient", t.ident);
    let async_methods = ops.iter().map(|op| client_method(op, &krate, true));
    let blocking_methods = ops.iter().map(|op| client_method(op, &krate, false));
    let trait_name = t.ident.to_string();
    let module_doc = format!(
        "The operations of [`{trait_name}`] as routes: what a server's handler links to with `op = ..` (their own bodies are never run)."
    );
    let async_doc = format!(
        "The async client of [`{trait_name}`]: one method per operation. Clones share one connection pool."
    );
    let blocking_doc = format!(
        "The blocking client of [`{trait_name}`]: the methods of [`{async_client}`], for sync code."
    );
    let module_tokens = (!args.client_only).then(|| {
        quote! {
            #[doc = #module_doc]
            #[allow(unused_variables, unused_imports, clippy::unused_async)]
            #vis mod #module {
                use super::*;
                #(#routes)*
            }
        }
    });
    quote! {
        // Nothing implements it (it is read by this attribute and by people), so neither
        // dead code nor the `Send`-ness of its async methods' futures matters.
        #[allow(dead_code, async_fn_in_trait)]
        #trait_out

        #module_tokens

        #krate::__if_client! {
            #[doc = #async_doc]
            #[derive(Debug, Clone)]
            #vis struct #async_client {
                client: #krate::client::Client,
            }

            impl #async_client {
                /// A client of the API at `base_url` (`http://host:port`), with default settings.
                pub fn new(base_url: &str) -> ::std::result::Result<Self, #krate::client::ClientError> {
                    #krate::client::Client::new(base_url).map(Self::from_client)
                }

                /// Over a client built with settings (`Client::builder(..)...build()`).
                #[must_use]
                pub fn from_client(client: #krate::client::Client) -> Self {
                    Self { client }
                }

                /// The client it sends through.
                #[must_use]
                pub fn client(&self) -> &#krate::client::Client {
                    &self.client
                }

                #(#async_methods)*
            }

            #[doc = #blocking_doc]
            #[derive(Debug, Clone)]
            #vis struct #blocking_client {
                client: #krate::client::BlockingClient,
            }

            impl #blocking_client {
                /// A blocking client of the API at `base_url`, with default settings.
                pub fn new(base_url: &str) -> ::std::result::Result<Self, #krate::client::ClientError> {
                    #krate::client::BlockingClient::new(base_url).map(Self::from_client)
                }

                /// Over a client built with settings (`Client::builder(..)...build_blocking()`).
                #[must_use]
                pub fn from_client(client: #krate::client::BlockingClient) -> Self {
                    Self { client }
                }

                /// The client it sends through.
                #[must_use]
                pub fn client(&self) -> &#krate::client::BlockingClient {
                    &self.client
                }

                #(#blocking_methods)*
            }
        }
    }
}

/// Checks each method and takes off the attributes only the expansion reads.
fn operations(t: &mut ItemTrait, prefix: Option<&LitStr>, errors: &mut Errors) -> Vec<Op> {
    let prefix = prefix.map(LitStr::value).unwrap_or_default();
    let mut ops = Vec::new();
    for item in &mut t.items {
        let TraitItem::Fn(f) = item else {
            errors.push(
                item.span(),
                "an API definition holds operations only: methods with a route attribute",
            );
            continue;
        };
        let mut route = None;
        f.attrs.retain(|a| {
            let is_route = a
                .path()
                .segments
                .last()
                .is_some_and(|s| METHODS.iter().any(|m| s.ident == m));
            if is_route {
                route = Some(a.clone());
            }
            !is_route
        });
        let Some(route) = route else {
            errors.push(
                f.sig.ident.span(),
                "each operation needs a route attribute, e.g. `#[get(\"/items/{id}\")]`",
            );
            continue;
        };
        if let Some(body) = &f.default {
            errors.push(
                body.span(),
                "an operation has no body here: the server's handler links to it with `op = ..`",
            );
        }
        if ["new", "from_client", "client"].contains(&f.sig.ident.unraw().to_string().as_str()) {
            errors.push(
                f.sig.ident.span(),
                "the clients have a method of this name already (`new`, `from_client`, `client`): name the operation otherwise, and keep its name in the document with `operation_id = \"..\"` in its route attribute",
            );
        }
        if let Some(r) = f.sig.receiver() {
            errors.push(
                r.span(),
                "an operation takes no `self`: only what travels (path, query, body)",
            );
        }
        let method = route
            .path()
            .segments
            .last()
            .map(|s| format_ident!("{}", s.ident.to_string().to_uppercase()))
            .unwrap_or_else(|| format_ident!("GET"));
        let (path, options) = match route.parse_args_with(split_path) {
            Ok(p) => p,
            Err(e) => {
                errors.push_err(e);
                continue;
            }
        };
        let full_path = LitStr::new(&format!("{prefix}{}", path.value()), path.span());
        let template = path.value();
        let mut inputs = Vec::new();
        let mut args = Vec::new();
        for input in &mut f.sig.inputs {
            let FnArg::Typed(pt) = input else { continue };
            inputs.push(pt.clone());
            let (alias, has_default) = param_options(&pt.attrs);
            let wire = alias.unwrap_or_else(|| match &*pt.pat {
                Pat::Ident(p) => p.ident.unraw().to_string(),
                _ => String::new(),
            });
            pt.attrs.retain(|a| !a.path().is_ident("param"));
            let Pat::Ident(p) = &*pt.pat else {
                errors.push(pt.pat.span(), "an operation's argument is a plain name");
                continue;
            };
            let in_path = template.contains(&format!("{{{wire}}}"))
                || template.contains(&format!("{{*{wire}}}"));
            let ty = &pt.ty;
            let ty = if has_default && !in_path {
                quote!(::std::option::Option<#ty>)
            } else {
                quote!(#ty)
            };
            args.push((p.ident.clone(), wire, ty, in_path));
        }
        let (ret, ret_span) = match &f.sig.output {
            ReturnType::Default => (quote!(()), f.sig.ident.span()),
            ReturnType::Type(_, ty) => (quote!(#ty), ty.span()),
        };
        ops.push(Op {
            ident: f.sig.ident.clone(),
            is_async: f.sig.asyncness.is_some(),
            method,
            full_path,
            options,
            docs: f
                .attrs
                .iter()
                .filter(|a| a.path().is_ident("doc"))
                .cloned()
                .collect(),
            inputs,
            args,
            ret,
            ret_span,
        });
    }
    ops
}

/// `"/path", rest..` → the path and `, rest..`.
fn split_path(input: ParseStream<'_>) -> syn::Result<(LitStr, TokenStream)> {
    let path: LitStr = input.parse()?;
    let rest: TokenStream = input.parse()?;
    Ok((path, rest))
}

/// `#[param(alias = "..")]`, if given, and whether `#[param(default = ..)]` is. (The route
/// attribute checks the rest.)
fn param_options(attrs: &[syn::Attribute]) -> (Option<String>, bool) {
    let mut alias = None;
    let mut has_default = false;
    for a in attrs.iter().filter(|a| a.path().is_ident("param")) {
        let _ = a.parse_nested_meta(|meta| {
            if meta.path.is_ident("alias") {
                alias = Some(meta.value()?.parse::<LitStr>()?.value());
            } else if meta.path.is_ident("default") {
                has_default = true;
                let _: syn::Expr = meta.value()?.parse()?;
            } else if meta.input.peek(Token![=]) {
                let _: syn::Expr = meta.value()?.parse()?;
            } else if meta.input.peek(syn::token::Paren) {
                let _content;
                syn::parenthesized!(_content in meta.input);
            }
            Ok(())
        });
    }
    (alias, has_default)
}

/// The operation as a route of the definition module: described like any route, never run.
fn describing_route(op: &Op, krate: &TokenStream) -> TokenStream {
    let Op {
        ident,
        full_path,
        options,
        docs,
        inputs,
        ret,
        ..
    } = op;
    let attr = format_ident!("{}", op.method.to_string().to_lowercase());
    let asyncness = op.is_async.then(|| quote!(async));
    let krate_str = krate.to_string().replace(' ', "");
    let krate_opt = (krate_str != "::ninja_core").then(|| {
        let lit = LitStr::new(krate_str.trim_start_matches("::"), Span::call_site());
        quote!(, crate = #lit)
    });
    quote! {
        #(#docs)*
        #[#krate::#attr(#full_path #options #krate_opt)]
        pub #asyncness fn #ident(#(#inputs),*) -> #ret {
            ::std::unimplemented!("an API definition's operation is implemented by the server's handler")
        }
    }
}

/// One typed method of a client.
fn client_method(op: &Op, krate: &TokenStream, is_async: bool) -> TokenStream {
    let Op {
        ident,
        method,
        full_path,
        docs,
        ret,
        ..
    } = op;
    // Mixed-site: an argument the user named `__call` cannot capture it.
    let call = Ident::new("__call", Span::mixed_site());
    let params = op.args.iter().map(|(name, _, ty, _)| quote!(#name: #ty));
    let fill = op.args.iter().map(|(name, wire, _, in_path)| {
        if *in_path {
            quote!((&&#krate::client::ArgProbe(&#name)).fill_path(&mut #call, #wire);)
        } else {
            let header = wire.replace('_', "-").to_ascii_lowercase();
            quote!((&&&#krate::client::ArgProbe(&#name)).add_to(&mut #call, #wire, #header);)
        }
    });
    let (asyncness, wait) = if is_async {
        (quote!(async), quote!(.await))
    } else {
        (quote!(), quote!())
    };
    // Spanned on the user's return type: a type the client cannot decode is reported there.
    let output = quote_spanned!(op.ret_span=> <#ret as #krate::client::ClientOutput>::Output);
    quote! {
        #(#docs)*
        pub #asyncness fn #ident(&self, #(#params),*)
            -> ::std::result::Result<#output, #krate::client::ClientError>
        {
            #[allow(unused_imports)]
            use #krate::client::{ViaBodyArg as _, ViaQueryArg as _, ViaScalarArg as _, ViaScalarPath as _, ViaSerdePath as _};
            #[allow(unused_mut)]
            let mut #call = #krate::client::Call::new(#krate::http::Method::#method, #full_path);
            #(#fill)*
            self.client.send::<#ret>(#call)#wait
        }
    }
}

/// `ShopV1` → `shop_v1`, `NotesAPI` → `notes_api`.
fn snake(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let prev_lower =
                i > 0 && (chars[i - 1].is_lowercase() || chars[i - 1].is_ascii_digit());
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if i > 0 && (prev_lower || (next_lower && chars[i - 1].is_uppercase())) {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn snake_case_names() {
        assert_eq!(super::snake("ShopV1"), "shop_v1");
        assert_eq!(super::snake("NotesAPI"), "notes_api");
        assert_eq!(super::snake("HTTPServerApi"), "http_server_api");
        assert_eq!(super::snake("notes"), "notes");
    }
}
