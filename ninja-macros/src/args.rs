//! The route attribute's own arguments: `("/items/{id}", tags = ["items"], deprecated)`.

use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{LitStr, Token};

mod kw {
    syn::custom_keyword!(tags);
    syn::custom_keyword!(operation_id);
    syn::custom_keyword!(deprecated);
    syn::custom_keyword!(inline);
    syn::custom_keyword!(auth);
    syn::custom_keyword!(none);
    syn::custom_keyword!(body_limit);
    syn::custom_keyword!(errors);
    syn::custom_keyword!(openapi_extra);
    syn::custom_keyword!(content_type);
    syn::custom_keyword!(throttle);
    syn::custom_keyword!(op);
}

/// `auth = none` / `throttle = none`, or an expression giving the setting.
pub(crate) enum OrNone {
    None(proc_macro2::Span),
    Expr(syn::Expr),
}

impl Parse for OrNone {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let lone_none = input.peek(kw::none)
            && (input.peek2(Token![,]) || {
                let fork = input.fork();
                fork.parse::<kw::none>().is_ok() && fork.is_empty()
            });
        if lone_none {
            let n: kw::none = input.parse()?;
            Ok(Self::None(n.span))
        } else {
            Ok(Self::Expr(input.parse()?))
        }
    }
}

/// What `#[get(...)]` says.
pub(crate) struct RouteArgs {
    pub(crate) path: LitStr,
    pub(crate) tags: Vec<LitStr>,
    pub(crate) operation_id: Option<LitStr>,
    pub(crate) deprecated: bool,
    /// `inline`: run a sync handler on the reactor thread instead of the blocking pool.
    pub(crate) inline: Option<proc_macro2::Span>,
    /// `auth = ...`: this route's own authentication.
    pub(crate) auth: Option<OrNone>,
    /// `throttle = ...`: this route's own throttles.
    pub(crate) throttle: Option<OrNone>,
    /// `crate = "path"`: where `ninja_core` is, for a crate that renamed the dependency.
    pub(crate) krate: Option<syn::Path>,
    /// `body_limit = <usize expression>`: the route's own request body limit.
    pub(crate) body_limit: Option<syn::Expr>,
    /// `errors = [404, 409]`: the statuses of its error type this route can answer with.
    pub(crate) errors: Option<Vec<syn::LitInt>>,
    /// `openapi_extra = <expression giving a serde_json::Value object>`.
    pub(crate) openapi_extra: Option<syn::Expr>,
    /// `content_type = "text/csv"`: the media type of its successes.
    pub(crate) content_type: Option<LitStr>,
    /// `op = defs::get_item`: the operation of an API definition this route implements.
    pub(crate) op: Option<syn::Path>,
}

/// The path in a `crate = "my_ninja"` option (of every attribute and derive).
pub(crate) fn crate_path(lit: &LitStr) -> syn::Result<syn::Path> {
    lit.parse().map_err(|_| {
        syn::Error::new(
            lit.span(),
            "expected a path to `ninja_core`, e.g. `crate = \"my_ninja\"`",
        )
    })
}

/// Fails with "`x` is given twice", spanned on the second one.
fn once<T>(slot: &mut Option<T>, value: T, span: proc_macro2::Span, key: &str) -> syn::Result<()> {
    if slot.replace(value).is_some() {
        return Err(syn::Error::new(span, format!("`{key}` is given twice")));
    }
    Ok(())
}

impl Parse for RouteArgs {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.is_empty() {
            return Err(input.error("expected a path, e.g. `#[get(\"/items/{item_id}\")]`"));
        }
        let path: LitStr = input.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected the route's path as a string literal, e.g. `\"/items/{item_id}\"`",
            )
        })?;
        let (mut tags, mut operation_id, mut deprecated, mut inline) = (None, None, None, None);
        let mut auth = None;
        let mut throttle = None;
        let mut krate = None;
        let mut body_limit = None;
        let mut errors = None;
        let mut openapi_extra = None;
        let mut content_type = None;
        let mut op = None;
        while !input.is_empty() {
            input.parse::<Token![,]>()?;
            if input.is_empty() {
                break;
            }
            let look = input.lookahead1();
            if look.peek(kw::tags) {
                let k: kw::tags = input.parse()?;
                input.parse::<Token![=]>()?;
                let content;
                syn::bracketed!(content in input);
                let list = Punctuated::<LitStr, Token![,]>::parse_terminated(&content)?;
                once(&mut tags, list.into_iter().collect(), k.span, "tags")?;
            } else if look.peek(kw::operation_id) {
                let k: kw::operation_id = input.parse()?;
                input.parse::<Token![=]>()?;
                once(&mut operation_id, input.parse()?, k.span, "operation_id")?;
            } else if look.peek(kw::deprecated) {
                let k: kw::deprecated = input.parse()?;
                once(&mut deprecated, true, k.span, "deprecated")?;
            } else if look.peek(kw::auth) {
                let k: kw::auth = input.parse()?;
                input.parse::<Token![=]>()?;
                once(&mut auth, input.parse()?, k.span, "auth")?;
            } else if look.peek(kw::throttle) {
                let k: kw::throttle = input.parse()?;
                input.parse::<Token![=]>()?;
                once(&mut throttle, input.parse()?, k.span, "throttle")?;
            } else if look.peek(Token![crate]) {
                let k: Token![crate] = input.parse()?;
                input.parse::<Token![=]>()?;
                let path = crate_path(&input.parse()?)?;
                once(&mut krate, path, k.span, "crate")?;
            } else if look.peek(kw::openapi_extra) {
                let k: kw::openapi_extra = input.parse()?;
                input.parse::<Token![=]>()?;
                once(&mut openapi_extra, input.parse()?, k.span, "openapi_extra")?;
            } else if look.peek(kw::content_type) {
                let k: kw::content_type = input.parse()?;
                input.parse::<Token![=]>()?;
                let lit: LitStr = input.parse()?;
                if !is_media_type(&lit.value()) {
                    return Err(syn::Error::new(
                        lit.span(),
                        "expected a media type such as \"text/csv\" or \"application/json; charset=utf-8\"",
                    ));
                }
                once(&mut content_type, lit, k.span, "content_type")?;
            } else if look.peek(kw::errors) {
                let k: kw::errors = input.parse()?;
                input.parse::<Token![=]>()?;
                let content;
                syn::bracketed!(content in input);
                let list = Punctuated::<syn::LitInt, Token![,]>::parse_terminated(&content)?;
                for status in &list {
                    if !matches!(status.base10_parse::<u16>(), Ok(400..=599)) {
                        return Err(syn::Error::new(
                            status.span(),
                            "`errors` lists error statuses, 400 to 599",
                        ));
                    }
                }
                once(&mut errors, list.into_iter().collect(), k.span, "errors")?;
            } else if look.peek(kw::body_limit) {
                let k: kw::body_limit = input.parse()?;
                input.parse::<Token![=]>()?;
                once(&mut body_limit, input.parse()?, k.span, "body_limit")?;
            } else if look.peek(kw::op) {
                let k: kw::op = input.parse()?;
                input.parse::<Token![=]>()?;
                once(&mut op, input.parse()?, k.span, "op")?;
            } else if look.peek(kw::inline) {
                let k: kw::inline = input.parse()?;
                once(&mut inline, k.span, k.span, "inline")?;
            } else {
                return Err(look.error());
            }
        }
        Ok(Self {
            path,
            tags: tags.unwrap_or_default(),
            operation_id,
            deprecated: deprecated.unwrap_or(false),
            inline,
            auth,
            throttle,
            krate,
            body_limit,
            errors,
            openapi_extra,
            content_type,
            op,
        })
    }
}

/// `type/subtype` and parameters, in the visible ASCII a header value may hold.
fn is_media_type(s: &str) -> bool {
    let essence = s.split(';').next().unwrap_or_default().trim();
    let mut parts = essence.split('/');
    let token = |t: Option<&str>| {
        t.is_some_and(|t| {
            !t.is_empty()
                && t.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
        })
    };
    token(parts.next())
        && token(parts.next())
        && parts.next().is_none()
        && s.bytes().all(|b| (b' '..=b'~').contains(&b))
}
