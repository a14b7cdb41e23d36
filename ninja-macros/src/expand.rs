//! Expansion: the user's function unchanged, plus a hidden endpoint type beside it.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, ItemFn, Lit, ReturnType};

use crate::args::{OrNone, RouteArgs};
use crate::diagnostics::Diagnostics;
use crate::doc;
use crate::path;
use crate::signature::{self, Handler, Rule, Source};

/// Entry point of every route attribute. On any error the function is still emitted (with
/// its `#[param]` attributes removed) so one mistake does not cascade into many.
pub(crate) fn route(method: &str, attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut f: ItemFn = match syn::parse2(item.clone()) {
        Ok(f) => f,
        Err(e) => {
            let err = syn::Error::new(
                e.span(),
                "route attributes go on a free function, e.g. `#[get(\"/\")] fn index() -> &'static str { \"hi\" }`",
            );
            let ce = err.to_compile_error();
            return quote!(#ce #item);
        }
    };
    match expand(method, attr, &mut f) {
        Ok(tokens) => tokens,
        Err(e) => {
            let ce = e.to_compile_error();
            // Inside an `impl` (a `self` handler) a type cannot be declared: no stub there.
            let has_self = f.sig.receiver().is_some();
            let stub = if has_self {
                quote!()
            } else {
                endpoint_stub(&f)
            };
            quote!(#ce #f #stub)
        }
    }
}

fn expand(method: &str, attr: TokenStream, f: &mut ItemFn) -> syn::Result<TokenStream> {
    let mut errors = Diagnostics::default();
    // Parse everything first so every error is reported in one build.
    let args = syn::parse2::<RouteArgs>(attr);
    let params = match &args {
        Ok(a) => match path::parse(&a.path.value()) {
            Ok(p) => p,
            Err(msg) => {
                errors.push(a.path.span(), msg);
                Vec::new()
            }
        },
        Err(_) => Vec::new(),
    };
    let args = args?;
    let handler = signature::analyze(f, &args.path, &params);
    if let (Some(span), Some(_)) = (args.inline, &f.sig.asyncness) {
        errors.push(
            span,
            "`inline` is for sync handlers (it runs them on the reactor); an async handler is already awaited there",
        );
    }
    let handler = match handler {
        Ok(h) => Some(h),
        Err(e) => {
            errors.push_err(e);
            None
        }
    };
    errors.finish()?;
    let handler = handler.expect("no errors means the handler was analyzed");
    Ok(generate(method, &args, f, &handler))
}

fn generate(method: &str, args: &RouteArgs, f: &ItemFn, h: &Handler) -> TokenStream {
    let krate = args
        .krate
        .as_ref()
        .map_or_else(|| quote!(::ninja_core), |p| quote!(#p));
    let np = quote!(#krate::__private);
    let ident = &h.ident;
    let vis = &f.vis;
    let method = format_ident!("{method}");
    let path = &args.path;

    let Extraction {
        mut consts,
        mut describe,
        extract,
        vars,
        unpack,
    } = extraction(h, &np, &quote!(__ninja_errors.into_response()));
    // The return type's table is spanned on `-> T`, so a type that is not a response is one
    // error there; the dispatch is spanned on the name, so a non-`Send` future is reported at
    // the handler. An `impl IntoResponse` cannot be named: it is called directly, undescribed.
    let ret_ty = match &f.sig.output {
        ReturnType::Type(_, ty) if matches!(**ty, syn::Type::ImplTrait(_)) => None,
        ReturnType::Type(_, ty) => Some((quote!(#ty), ty.span())),
        ReturnType::Default => Some((quote!(()), ident.span())),
    };
    let respond = match &ret_ty {
        Some((ty, span)) => {
            let table = quote_spanned!(*span=> #np::responds::<#ty>());
            consts.push(quote!(const __NINJA_RET: #np::ResponseFns<#ty> = #table;));
            describe.push(quote!((__NINJA_RET.describe)(__ninja_op);));
            quote!(__NINJA_RET.respond)
        }
        None => quote!(#np::IntoResponse::into_response),
    };
    // The call, given the extracted values: a future, so that `handle` can chain it after the
    // extraction without keeping the request context alive while the handler runs.
    let call = if h.is_async {
        quote_spanned!(ident.span()=> move |(#(#vars,)*)| #np::run_async(__ninja_exec, #ident(#(#vars),*), #respond))
    } else if args.inline.is_some() {
        quote_spanned!(ident.span()=> move |(#(#vars,)*)| ::std::future::ready(#np::run_inline(move || (#respond)(#ident(#(#vars),*)))))
    } else if vars.is_empty() {
        // The function itself, not a closure calling it (clippy's `redundant_closure` in the
        // user's crate).
        quote_spanned!(ident.span()=> move |()| __ninja_exec.run_blocking(#ident, #respond))
    } else {
        quote_spanned!(ident.span()=> move |(#(#vars,)*)| __ninja_exec.run_blocking(move || #ident(#(#vars),*), #respond))
    };

    let (summary, description) = doc::summary_and_description(&f.attrs);
    let summary = opt_str(summary);
    let description = opt_str(description);
    let operation_id = args
        .operation_id
        .as_ref()
        .map_or_else(|| ident.to_string(), syn::LitStr::value);
    let tags = &args.tags;
    let deprecated = args.deprecated || f.attrs.iter().any(|a| a.path().is_ident("deprecated"));
    let auth = match &args.auth {
        None => quote!(),
        Some(OrNone::None(span)) => {
            quote_spanned!(*span=> .with_auth(#np::IntoAuthSetting::into_setting(#np::NoAuth)))
        }
        Some(OrNone::Expr(e)) => {
            quote_spanned!(e.span()=> .with_auth(<_ as #np::IntoAuthSetting>::into_setting(#e)))
        }
    };
    let throttle = match &args.throttle {
        None => quote!(),
        Some(OrNone::None(span)) => {
            quote_spanned!(*span=> .with_throttle(#np::IntoThrottles::into_setting(#np::NoThrottle)))
        }
        Some(OrNone::Expr(e)) => {
            quote_spanned!(e.span()=> .with_throttle(<_ as #np::IntoThrottles>::into_setting(#e)))
        }
    };
    let errors = args
        .errors
        .as_ref()
        .map(|list| quote!(.with_errors(&[#(#list),*])));
    let openapi_extra = args
        .openapi_extra
        .as_ref()
        .map(|e| quote_spanned!(e.span()=> .with_openapi_extra(|| -> #np::JsonValue { #e })));
    let content_type = args
        .content_type
        .as_ref()
        .map(|lit| quote_spanned!(lit.span()=> .with_content_type(#lit)));
    let definition = args
        .op
        .as_ref()
        .map(|op| quote_spanned!(op.span()=> .with_definition(<#op as #np::Endpoint>::route)));
    let body_limit = args.body_limit.as_ref().map(|e| {
        quote_spanned!(e.span()=> .with_body_limit({ let __ninja_limit: usize = #e; __ninja_limit }))
    });

    quote! {
        // Handlers take one argument per input; that is the point, not a smell.
        #[allow(clippy::too_many_arguments)]
        #f

        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        #vis struct #ident {}

        #[automatically_derived]
        // A deprecated endpoint still has to be served; a `()` handler's value is passed on.
        #[allow(deprecated, clippy::unit_arg)]
        impl #np::Endpoint for #ident {
            fn route() -> #np::Route {
                #(#consts)*
                #[allow(clippy::let_unit_value)]
                fn __ninja_handler<'a>(
                    __ninja_cx: #np::RequestCx<'a>,
                    __ninja_body: #np::RequestBody,
                    __ninja_exec: &'a #np::Exec,
                ) -> #np::BoxFuture<'a> {
                    #[allow(unused_imports)]
                    use #np::{ViaValidatable as _, ViaUnchecked as _};
                    #np::handle(
                        async move {
                            let __ninja_values = async {
                                #[allow(unused_mut, unused_variables)]
                                let mut __ninja_body = ::std::option::Option::Some(__ninja_body);
                                let mut __ninja_errors = #np::InputErrors::default();
                                #(#extract)*
                                #unpack
                                ::std::result::Result::Ok((#(#vars,)*))
                            }
                            .await;
                            (__ninja_values, __ninja_cx.into_cleanups())
                        },
                        #call,
                    )
                }
                fn __ninja_describe(__ninja_op: &mut #np::OperationDoc<'_>) {
                    #(#describe)*
                }
                #np::Route::new(
                    #np::Method::#method,
                    #path,
                    __ninja_handler,
                    __ninja_describe,
                    #np::Operation::new(#operation_id, #summary, #description, &[#(#tags),*], #deprecated),
                )#auth #throttle #body_limit #errors #openapi_extra #content_type #definition
            }
        }
    }
}

/// After an error: the hidden type still exists, so `routes![f]` adds no second error.
fn endpoint_stub(f: &ItemFn) -> TokenStream {
    let ident = &f.sig.ident;
    let vis = &f.vis;
    quote! {
        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        #vis struct #ident {}
        impl ::ninja_core::__private::Endpoint for #ident {
            fn route() -> ::ninja_core::__private::Route {
                ::std::unreachable!("this route failed to compile")
            }
        }
    }
}

fn opt_str(s: Option<String>) -> TokenStream {
    match s {
        Some(s) => quote!(::std::option::Option::Some(#s)),
        None => quote!(::std::option::Option::None),
    }
}

/// The header an argument named `name` (or aliased so) reads: `X-Request-Id` for
/// `request_id`, any case; sent lowercase.
pub(crate) fn header_name(name: &str) -> String {
    name.replace('_', "-").to_ascii_lowercase()
}

/// What extracting a function's arguments takes, for a route or a dependency.
pub(crate) struct Extraction {
    /// Per-argument constants (`Arg`s, parameter tables, patterns).
    pub(crate) consts: Vec<TokenStream>,
    /// Statements describing the arguments to an `OperationDoc` named `__ninja_op`.
    pub(crate) describe: Vec<TokenStream>,
    /// Statements extracting each argument from `__ninja_cx` (the body last) into errors.
    pub(crate) extract: Vec<TokenStream>,
    /// The names the values end up in.
    pub(crate) vars: Vec<syn::Ident>,
    /// Binds `vars`, or returns `Err(__ninja_errors.into_response())`.
    pub(crate) unpack: TokenStream,
}

/// How each argument of `h` is extracted, described and checked.
/// `on_error` is what a failed extraction returns (`Err` of it).
pub(crate) fn extraction(h: &Handler, np: &TokenStream, on_error: &TokenStream) -> Extraction {
    let mut consts = Vec::new();
    let mut describe = Vec::new();
    let mut extract = Vec::new();
    let mut body_extract = None;
    let mut temps = Vec::new();
    let mut vars = Vec::new();
    for (i, a) in h.args.iter().enumerate() {
        let ty = &a.ty;
        let arg = format_ident!("__NINJA_ARG_{i}");
        let fns = format_ident!("__NINJA_FNS_{i}");
        let name = &a.name;
        let header = header_name(name);
        let description = opt_str(a.description.as_ref().map(syn::LitStr::value));
        consts.push(quote!(const #arg: #np::Arg = #np::Arg::new(#name, #header, #description);));
        let temp = format_ident!("__ninja_arg_{i}");
        let var = format_ident!("__ninja_val_{i}");
        let call = match (a.source, &a.default) {
            // Everything but a path parameter or a defaulted query parameter: read as its
            // type's traits say (body or head), so an alias of `Json<T>` is a body too.
            (Source::Body, _) | (Source::Parts, None) => {
                describe.push(quote_spanned! {ty.span()=>
                    <#ty as #np::FromArg<_>>::describe(__ninja_op, &#arg);
                });
                quote_spanned! {ty.span()=>
                    <#ty as #np::FromArg<_>>::extract(&__ninja_cx, &#arg, &mut __ninja_body).await
                }
            }
            (source, default) => {
                // One table per argument: each bound is checked once, on the user's type.
                let (table_ty, table) = match (source, default) {
                    (Source::Path, _) => {
                        (quote!(#ty), quote_spanned!(ty.span()=> #np::path::<#ty>()))
                    }
                    (_, _) => (
                        quote!(::std::option::Option<#ty>),
                        quote_spanned!(ty.span()=> #np::parts::<::std::option::Option<#ty>>()),
                    ),
                };
                consts.push(quote!(const #fns: #np::ParamFns<#table_ty> = #table;));
                describe.push(quote!((#fns.describe)(__ninja_op, &#arg);));
                let get = quote!((#fns.extract)(&__ninja_cx, &#arg));
                match default {
                    None => get,
                    Some(default) => {
                        let default = match default {
                            Expr::Lit(ExprLit {
                                lit: Lit::Str(_), ..
                            }) => {
                                quote!(::std::convert::Into::into(#default))
                            }
                            _ => quote!(#default),
                        };
                        // The same value, in the document: what a client leaving it out gets.
                        describe.push(quote! {{
                            #[allow(unused_imports)]
                            use #np::{ViaSerialize as _, ViaOpaque as _};
                            let __ninja_default: #ty = #default;
                            __ninja_op.param_default(
                                &#arg,
                                (&&#np::DefaultDoc::<#ty>::new()).value(&__ninja_default),
                            );
                        }});
                        quote!(#get.map(|v| v.unwrap_or_else(|| #default)))
                    }
                }
            }
        };
        // `example = ..` and `deprecated`, for the document only.
        if let Some(example) = &a.example {
            describe.push(quote! {
                __ninja_op.param_example(&#arg, #np::json(&(#example)));
            });
        }
        if a.deprecated {
            describe.push(quote!(__ninja_op.param_deprecated(&#arg);));
        }
        // Extractors holding a `T: garde::Validate` (`Json<T>`, `Form<T>`, `Query<T>`...)
        // are validated; asked of the type at the call site, so aliases are too.
        let call = if a.source == Source::Path {
            call
        } else {
            quote_spanned! {ty.span()=>
                #call.and_then((&&#np::Validates::<#ty>::new()).check())
            }
        };
        // `#[param(range(..), ...)]` rules, checked on the final value and documented.
        let source = if a.source == Source::Path {
            "path"
        } else {
            "query"
        };
        let mut checks = Vec::new();
        for (r, rule) in a.rules.iter().enumerate() {
            let opt = |e: &Option<Expr>| match e {
                Some(e) => quote!(::std::option::Option::Some(#e)),
                None => quote!(::std::option::Option::None),
            };
            let opt_json = |e: &Option<Expr>| match e {
                Some(e) => quote!(#np::json(&(#e))),
                None => quote!(::std::option::Option::None),
            };
            let opt_usize = |e: &Option<Expr>| match e {
                Some(e) => quote!(::std::option::Option::Some(#e)),
                None => quote!(::std::option::Option::None),
            };
            let (check, doc) = match rule {
                Rule::Range(min, max) => {
                    let (lo, hi) = (opt(min), opt(max));
                    let (jlo, jhi) = (opt_json(min), opt_json(max));
                    (
                        quote!(#np::garde::rules::range::apply(&v, (#lo, #hi))),
                        quote!(#np::Rule::Range(#jlo, #jhi)),
                    )
                }
                Rule::Length(min, max) => {
                    let lo = min.as_ref().map_or(quote!(0usize), |e| quote!(#e));
                    let hi = max.as_ref().map_or(quote!(usize::MAX), |e| quote!(#e));
                    let (dlo, dhi) = (opt_usize(min), opt_usize(max));
                    (
                        quote!(#np::length(&v, #lo, #hi)),
                        quote!(#np::Rule::Length(#dlo, #dhi)),
                    )
                }
                Rule::Pattern(p) => {
                    let re = format_ident!("__NINJA_RE_{i}_{r}");
                    consts.push(quote! {
                        static #re: ::std::sync::LazyLock<
                            ::std::result::Result<#np::garde::rules::pattern::regex::Regex, ::std::string::String>,
                        > = ::std::sync::LazyLock::new(|| {
                            #np::garde::rules::pattern::regex::Regex::new(#p)
                                .map_err(|e| ::std::string::ToString::to_string(&e))
                        });
                    });
                    // Compiling the pattern while the document is built makes a bad one a
                    // build error, so no request ever reaches the check below with it.
                    describe.push(quote! {
                        if let ::std::result::Result::Err(e) = &*#re {
                            __ninja_op.misconfigured(::std::format!(
                                "invalid `pattern` for parameter `{}`: {}", #name, e
                            ));
                        }
                    });
                    (
                        quote!(#np::garde::rules::pattern::apply(
                            &v,
                            (#re.as_ref().expect("a bad pattern fails the build"),),
                        )),
                        quote!(#np::Rule::Pattern(#p)),
                    )
                }
                Rule::Email => (
                    quote!(#np::garde::rules::email::apply(&v, ())),
                    quote!(#np::Rule::Email),
                ),
                Rule::Url => (
                    quote!(#np::garde::rules::url::apply(&v, ())),
                    quote!(#np::Rule::Url),
                ),
            };
            checks.push(quote!(#np::rule(#source, &#arg, #check)?;));
            describe.push(quote!(__ninja_op.constrain(&#arg, &#doc);));
        }
        let call = if checks.is_empty() {
            call
        } else {
            quote!(#call.and_then(|v| { #(#checks)* ::std::result::Result::Ok(v) }))
        };
        let stmt = quote!(let #temp = __ninja_errors.take(#call););
        if a.source == Source::Body {
            body_extract = Some(stmt);
        } else {
            extract.push(stmt);
        }
        temps.push(temp);
        vars.push(var);
    }
    let unpack = if vars.is_empty() {
        quote!()
    } else {
        quote! {
            let (#(::std::option::Option::Some(#vars),)*) = (#(#temps,)*) else {
                return ::std::result::Result::Err(#on_error);
            };
        }
    };
    if let Some(body) = body_extract {
        extract.push(body);
    }
    Extraction {
        consts,
        describe,
        extract,
        vars,
        unpack,
    }
}

/// `#[dependency]`: the function unchanged, plus a type of the same name implementing
/// `Dependency` (its arguments extracted as a handler's are, then the call).
pub(crate) fn dependency(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut f: ItemFn = match syn::parse2(item.clone()) {
        Ok(f) => f,
        Err(e) => {
            let err = syn::Error::new(
                e.span(),
                "`#[dependency]` goes on an `async fn` returning `Result<T, E>`",
            );
            let ce = err.to_compile_error();
            return quote!(#ce #item);
        }
    };
    match expand_dependency(attr, &mut f) {
        Ok(tokens) => tokens,
        Err(e) => {
            let ce = e.to_compile_error();
            quote!(#ce #f)
        }
    }
}

fn expand_dependency(attr: TokenStream, f: &mut ItemFn) -> syn::Result<TokenStream> {
    let mut errors = Diagnostics::default();
    let krate = if attr.is_empty() {
        quote!(::ninja_core)
    } else {
        match syn::parse2::<DependencyArgs>(attr) {
            Ok(a) => {
                let p = a.krate;
                quote!(#p)
            }
            Err(e) => {
                errors.push_err(e);
                quote!(::ninja_core)
            }
        }
    };
    if f.sig.asyncness.is_none() {
        errors.push(
            f.sig.fn_token.span,
            "a dependency is an `async fn` (it is awaited before the handler; for blocking work call `ninja_core::blocking` in it)",
        );
    }
    let ret = match &f.sig.output {
        ReturnType::Type(_, ty) => Some((**ty).clone()),
        ReturnType::Default => {
            errors.push(
                f.sig.ident.span(),
                "a dependency returns `Result<T, E>`: its value, or the answer when it fails",
            );
            None
        }
    };
    let no_path = syn::LitStr::new("", f.sig.ident.span());
    let analyzed = signature::analyze(f, &no_path, &[]);
    let h = match analyzed {
        Ok(h) => Some(h),
        Err(e) => {
            errors.push_err(e);
            None
        }
    };
    errors.finish()?;
    let (h, ret) = (
        h.expect("no errors means it was analyzed"),
        ret.expect("no errors means a return type"),
    );
    let np = quote!(#krate::__private);
    let ident = &h.ident;
    let name = ident.to_string();
    let vis = &f.vis;
    let Extraction {
        consts,
        describe,
        extract,
        vars,
        unpack,
    } = extraction(&h, &np, &quote!(__ninja_errors.into_problem()));
    let ret_span = ret.span();
    let output = quote_spanned!(ret_span=> <#ret as #np::DependencyResult>);
    // Each argument is read from the head or from dependencies, never the body: checked on
    // the argument's type.
    let head_only = h.args.iter().map(|a| {
        let ty = &a.ty;
        quote_spanned!(ty.span()=> #np::head_only::<#ty, _>();)
    });
    Ok(quote! {
        #f

        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        #vis struct #ident {}

        #[automatically_derived]
        impl #np::Dependency for #ident {
            type Output = #output::Output;
            const NAME: &'static str = #name;

            fn resolve<'a, 'b>(
                __ninja_cx: &'b #np::RequestCx<'a>,
            ) -> #np::DepFuture<'b, Self::Output>
            where
                'a: 'b,
            {
                #(#consts)*
                ::std::boxed::Box::pin(async move {
                    #[allow(unused_imports)]
                    use #np::{ViaValidatable as _, ViaUnchecked as _};
                    // A dependency reads the request head; a body extractor finds none.
                    #[allow(unused_mut, unused_variables)]
                    let mut __ninja_body: ::std::option::Option<#np::RequestBody> = ::std::option::Option::None;
                    let mut __ninja_errors = #np::InputErrors::default();
                    #(#extract)*
                    #unpack
                    #output::into_result(#ident(#(#vars),*).await)
                })
            }

            fn describe(__ninja_op: &mut #np::OperationDoc<'_>) {
                #(#head_only)*
                #(#consts)*
                #(#describe)*
                #output::describe(__ninja_op);
            }
        }
    })
}

/// `#[dependency(crate = "path")]`.
struct DependencyArgs {
    krate: syn::Path,
}

impl syn::parse::Parse for DependencyArgs {
    fn parse(input: syn::parse::ParseStream<'_>) -> syn::Result<Self> {
        input.parse::<syn::Token![crate]>()?;
        input.parse::<syn::Token![=]>()?;
        let krate = crate::args::crate_path(&input.parse()?)?;
        Ok(Self { krate })
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use crate::signature::Source;

    /// The handler of the phase tests: a path parameter, a query parameter, a body.
    fn handler() -> (
        syn::ItemFn,
        crate::args::RouteArgs,
        crate::signature::Handler,
    ) {
        let mut f: syn::ItemFn = syn::parse_quote!(
            async fn update(
                Json(item): Json<Item>,
                item_id: u32,
                #[param(alias = "q")] query: Option<String>,
            ) -> Json<Item> {
                Json(item)
            }
        );
        let args: crate::args::RouteArgs = syn::parse_quote!("/items/{item_id}", tags = ["items"]);
        let params = crate::path::parse(&args.path.value()).expect("a valid path");
        let h = crate::signature::analyze(&mut f, &args.path, &params).expect("analyzed");
        (f, args, h)
    }

    /// Analyze: each argument's source (the path template, a body type, else the query or
    /// the head) and wire name (its alias), in the handler's order.
    #[test]
    fn analyze_finds_each_arguments_source_and_name() {
        let (_, _, h) = handler();
        let got: Vec<(&str, Source)> = h.args.iter().map(|a| (a.name.as_str(), a.source)).collect();
        assert_eq!(
            got,
            [
                ("item", Source::Body),
                ("item_id", Source::Path),
                ("q", Source::Parts)
            ]
        );
        assert!(h.is_async);
    }

    /// Plan: one described, extracted and bound value per argument, the body extracted last.
    #[test]
    fn the_plan_extracts_every_argument_once_the_body_last() {
        let (_, _, h) = handler();
        let np = quote!(::ninja_core::__private);
        let plan = super::extraction(&h, &np, &quote!(__ninja_errors.into_response()));
        assert_eq!(plan.vars.len(), 3);
        assert_eq!(plan.extract.len(), 3);
        // The body is the first argument, and still the last one read.
        let last = plan.extract.last().expect("three").to_string();
        assert!(last.starts_with("let __ninja_arg_0 "), "{last}");
        let consts = plan
            .consts
            .iter()
            .map(ToString::to_string)
            .collect::<String>();
        assert!(
            consts.contains(r#""item_id""#) && consts.contains(r#""q""#),
            "{consts}"
        );
    }

    /// Emit: the route's method, path and tags reach the generated `Endpoint`.
    #[test]
    fn emit_writes_the_routes_method_path_and_tags() {
        let (f, args, h) = handler();
        let out = super::generate("PUT", &args, &f, &h).to_string();
        for needle in [
            r#""/items/{item_id}""#,
            "PUT",
            r#""items""#,
            "Endpoint for update",
        ] {
            assert!(out.contains(needle), "{needle} missing: {out}");
        }
    }

    #[test]
    fn crate_option_names_where_ninja_core_is() {
        let out = super::route(
            "GET",
            quote!("/x", crate = "my_ninja"),
            quote!(
                fn x() -> &'static str {
                    "x"
                }
            ),
        )
        .to_string();
        assert!(out.contains("my_ninja :: __private"), "{out}");
        assert!(!out.contains("ninja_core"), "{out}");
        let default = super::route(
            "GET",
            quote!("/x"),
            quote!(
                fn x() {}
            ),
        )
        .to_string();
        assert!(default.contains(":: ninja_core :: __private"), "{default}");
    }

    #[test]
    fn crate_option_must_be_a_path() {
        let out = super::route(
            "GET",
            quote!("/x", crate = "not a path"),
            quote!(
                fn x() {}
            ),
        )
        .to_string();
        assert!(out.contains("expected a path to `ninja_core`"), "{out}");
    }
}
