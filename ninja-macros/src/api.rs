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

use crate::diagnostics::Diagnostics;
use crate::expand::header_name;
use crate::signature::take_param_attr;

/// The route attributes an operation may carry (and the methods a document's may have).
pub(crate) const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// The clients' own methods: no operation may take their names.
pub(crate) const RESERVED: [&str; 3] = ["new", "from_client", "client"];

/// `#[api(prefix = "/api/v1", crate = "my_ninja")]`.
#[derive(Default)]
struct ApiArgs {
    prefix: Option<LitStr>,
    /// `crate = ".."`: the path, and the literal the describing routes are given again.
    krate: Option<(syn::Path, LitStr)>,
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
                let lit: LitStr = input.parse()?;
                out.krate = Some((crate::args::crate_path(&lit)?, lit));
            } else {
                let key: Ident = input.parse()?;
                if key == "client_only" {
                    out.client_only = true;
                } else if key != "prefix" {
                    return Err(syn::Error::new(
                        key.span(),
                        "expected `prefix = \"/api/v1\"` or `crate = \"..\"`",
                    ));
                } else {
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
            }
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        Ok(out)
    }
}

/// An operation's argument as a client method takes it.
struct ClientArg {
    name: Ident,
    /// Its name on the wire.
    wire: String,
    /// Its type (an `Option` of it when the server has a default: `None` leaves it out).
    ty: TokenStream,
    kind: ArgKind,
}

/// Where a client sends an argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ArgKind {
    /// Into the path.
    Path,
    /// Where its type says (query, header, cookie, a JSON or form body).
    Typed,
    /// A `BodyStream`: the client takes a `client::RequestBody`.
    Stream,
    /// A `Multipart<T>`: the client takes a `client::MultipartForm`.
    Multipart,
    /// A `WebSocketUpgrade`: nothing to send (the return type asks for the upgrade).
    Upgrade,
}

impl ArgKind {
    /// The server-side extractors a client sends otherwise, known by their type's name (as
    /// the route macro knows `State` and `Json`): an alias of them is an ordinary type.
    fn of(ty: &syn::Type, in_path: bool) -> Self {
        let last = match ty {
            syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
            _ => None,
        };
        match last.as_deref() {
            _ if in_path => Self::Path,
            Some("BodyStream") => Self::Stream,
            Some("Multipart") => Self::Multipart,
            Some("WebSocketUpgrade") => Self::Upgrade,
            _ => Self::Typed,
        }
    }
}

/// One operation of the trait.
struct Op {
    ident: Ident,
    is_async: bool,
    /// `get`, `post`..: the route attribute's name.
    method: &'static str,
    /// The prefix and the route's path.
    full_path: LitStr,
    /// The route attribute's options after the path, with their leading comma.
    options: TokenStream,
    docs: Vec<syn::Attribute>,
    /// Arguments with their `#[param]` attributes, for the describing route.
    inputs: Vec<syn::PatType>,
    /// What each argument is on the client's side.
    args: Vec<ClientArg>,
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
    let mut errors = Diagnostics::default();
    let ops = operations(&mut t, args.prefix.as_ref(), &mut errors);
    let trait_out = quote!(#t);
    if let Err(e) = errors.finish() {
        let ce = e.to_compile_error();
        return quote!(#ce #trait_out);
    }
    let krate = args
        .krate
        .as_ref()
        .map_or_else(|| quote!(::ninja_core), |(p, _)| quote!(#p));
    let krate_opt = args.krate.as_ref().map(|(_, lit)| quote!(, crate = #lit));
    let vis = &t.vis;
    let module = format_ident!("{}", snake(&t.ident.to_string()), span = t.ident.span());
    let routes: Vec<TokenStream> = if args.client_only {
        Vec::new()
    } else {
        ops.iter()
            .map(|op| describing_route(op, &krate, krate_opt.as_ref()))
            .collect()
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
    let async_type = client_type(
        vis,
        &async_client,
        &async_doc,
        &krate,
        "Client",
        "build",
        async_methods,
    );
    let blocking_type = client_type(
        vis,
        &blocking_client,
        &blocking_doc,
        &krate,
        "BlockingClient",
        "build_blocking",
        blocking_methods,
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
            #async_type
            #blocking_type
        }
    }
}

/// One of the two client types: `name`, over `inner` (`Client` or `BlockingClient`), with
/// `methods`; `build` is what makes an `inner` with settings (for the docs).
fn client_type(
    vis: &syn::Visibility,
    name: &Ident,
    doc: &str,
    krate: &TokenStream,
    inner: &str,
    build: &str,
    methods: impl Iterator<Item = TokenStream>,
) -> TokenStream {
    let inner_ty = format_ident!("{inner}");
    let from_doc =
        format!(" Over a client built with settings (`Client::builder(..)...{build}()`).");
    quote! {
        #[doc = #doc]
        #[derive(Debug, Clone)]
        #vis struct #name {
            client: #krate::client::#inner_ty,
        }

        impl #name {
            /// A client of the API at `base_url` (`http://host:port`), with default settings.
            pub fn new(base_url: &str) -> ::std::result::Result<Self, #krate::client::ClientError> {
                #krate::client::#inner_ty::new(base_url).map(Self::from_client)
            }

            #[doc = #from_doc]
            #[must_use]
            pub fn from_client(client: #krate::client::#inner_ty) -> Self {
                Self { client }
            }

            /// The client it sends through.
            #[must_use]
            pub fn client(&self) -> &#krate::client::#inner_ty {
                &self.client
            }

            #(#methods)*
        }
    }
}

/// Checks each method and takes off the attributes only the expansion reads.
fn operations(t: &mut ItemTrait, prefix: Option<&LitStr>, errors: &mut Diagnostics) -> Vec<Op> {
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
            let method = a
                .path()
                .segments
                .last()
                .and_then(|s| METHODS.iter().find(|m| s.ident == m));
            if let Some(method) = method {
                route = Some((*method, a.clone()));
            }
            method.is_none()
        });
        let Some((method, route)) = route else {
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
        if RESERVED.contains(&f.sig.ident.unraw().to_string().as_str()) {
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
            // Read (and taken off) as the route attribute reads it; the describing route,
            // which keeps them, reports their errors.
            let param = take_param_attr(&mut pt.attrs, &mut Diagnostics::default());
            let Pat::Ident(p) = &*pt.pat else {
                errors.push(pt.pat.span(), "an operation's argument is a plain name");
                continue;
            };
            let has_default = param.default.is_some();
            let wire = param
                .alias
                .map_or_else(|| p.ident.unraw().to_string(), |a| a.value());
            let in_path = template.contains(&format!("{{{wire}}}"))
                || template.contains(&format!("{{*{wire}}}"));
            let ty = &pt.ty;
            let kind = ArgKind::of(ty, in_path);
            let ty = if has_default && !in_path {
                quote!(::std::option::Option<#ty>)
            } else {
                quote!(#ty)
            };
            args.push(ClientArg {
                name: p.ident.clone(),
                wire,
                ty,
                kind,
            });
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

/// The operation as a route of the definition module: described like any route, never run.
fn describing_route(op: &Op, krate: &TokenStream, krate_opt: Option<&TokenStream>) -> TokenStream {
    let Op {
        ident,
        full_path,
        options,
        docs,
        inputs,
        ret,
        ..
    } = op;
    let attr = format_ident!("{}", op.method);
    let asyncness = op.is_async.then(|| quote!(async));
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
    let method = format_ident!("{}", method.to_uppercase());
    let params = op
        .args
        .iter()
        .filter_map(|ClientArg { name, ty, kind, .. }| match kind {
            ArgKind::Path | ArgKind::Typed => Some(quote!(#name: #ty)),
            ArgKind::Stream => {
                Some(quote!(#name: impl ::std::convert::Into<#krate::client::RequestBody>))
            }
            ArgKind::Multipart => Some(quote!(#name: #krate::client::MultipartForm)),
            ArgKind::Upgrade => None,
        });
    let fill = op.args.iter().map(
        |ClientArg {
             name, wire, kind, ..
         }| match kind {
            ArgKind::Path => {
                quote!((&&#krate::client::ArgProbe(&#name)).fill_path(&mut #call, #wire);)
            }
            ArgKind::Typed => {
                let header = header_name(wire);
                quote!((&&&#krate::client::ArgProbe(&#name)).add_to(&mut #call, #wire, #header);)
            }
            ArgKind::Stream => quote!(#call.stream_body(#name.into());),
            ArgKind::Multipart => quote!(#call.multipart_body(#name);),
            ArgKind::Upgrade => quote!(),
        },
    );
    let (asyncness, wait) = if is_async {
        (quote!(async), quote!(.await))
    } else {
        (quote!(), quote!())
    };
    // Spanned on the user's return type: a type the client cannot decode is reported there.
    let assoc = if is_async {
        quote!(Output)
    } else {
        quote!(Blocking)
    };
    let output = quote_spanned!(op.ret_span=> <#ret as #krate::client::ClientOutput>::#assoc);
    let error = quote_spanned!(op.ret_span=> <#ret as #krate::client::ClientOutput>::Error);
    quote! {
        #(#docs)*
        pub #asyncness fn #ident(&self, #(#params),*)
            -> ::std::result::Result<#output, #krate::client::ClientError<#error>>
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
pub(crate) fn snake(name: &str) -> String {
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
