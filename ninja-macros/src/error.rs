//! `#[derive(ApiError)]`: an error type whose variants declare their HTTP status.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Attribute, Data, DeriveInput, Fields, LitInt, LitStr};

use crate::doc;

/// What `#[api(status = 404, title = "...", type = "...")]` says.
#[derive(Default)]
struct ErrorArgs {
    status: Option<(u16, proc_macro2::Span)>,
    title: Option<LitStr>,
    kind: Option<LitStr>,
    /// `#[api(crate = "my_ninja")]` on the type: where `ninja_core` is.
    krate: Option<syn::Path>,
}

fn parse_args(attrs: &[Attribute], errors: &mut Vec<syn::Error>) -> ErrorArgs {
    let mut out = ErrorArgs::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("api")) {
        let res = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("status") {
                let lit: LitInt = meta.value()?.parse()?;
                let n: u16 = lit.base10_parse()?;
                if !(400..=599).contains(&n) {
                    return Err(syn::Error::new(
                        lit.span(),
                        "an error's status is a 4xx or 5xx code, e.g. `status = 404`",
                    ));
                }
                out.status = Some((n, lit.span()));
            } else if meta.path.is_ident("title") {
                out.title = Some(meta.value()?.parse()?);
            } else if meta.path.is_ident("type") {
                out.kind = Some(meta.value()?.parse()?);
            } else if meta.path.is_ident("crate") {
                out.krate = Some(crate::args::crate_path(&meta.value()?.parse()?)?);
            } else {
                return Err(
                    meta.error("expected `status = 404`, `title = \"...\"` or `type = \"...\"`")
                );
            }
            Ok(())
        });
        if let Err(e) = res {
            errors.push(e);
        }
    }
    out
}

pub(crate) fn derive(input: TokenStream) -> TokenStream {
    let input: DeriveInput = match syn::parse2(input) {
        Ok(i) => i,
        Err(e) => return e.to_compile_error(),
    };
    match expand(&input) {
        Ok(t) => t,
        Err(e) => e.to_compile_error(),
    }
}

/// One way the value can be: its match pattern, status, title, type and description.
struct Case {
    pattern: TokenStream,
    status: u16,
    title: Option<LitStr>,
    kind: Option<LitStr>,
    doc: Option<String>,
}

fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let mut errors = Vec::new();
    let ident = &input.ident;
    let outer = parse_args(&input.attrs, &mut errors);
    let mut cases = Vec::new();
    match &input.data {
        Data::Enum(e) => {
            if e.variants.is_empty() {
                errors.push(syn::Error::new(
                    ident.span(),
                    "an error enum needs a variant",
                ));
            }
            for v in &e.variants {
                let args = parse_args(&v.attrs, &mut errors);
                let Some((status, _)) = args.status.or(outer.status) else {
                    errors.push(syn::Error::new(
                        v.ident.span(),
                        format!(
                            "variant `{}` needs its status: `#[api(status = 404)]` (or set one for all on the enum)",
                            v.ident
                        ),
                    ));
                    continue;
                };
                let vi = &v.ident;
                let pattern = match &v.fields {
                    Fields::Unit => quote!(Self::#vi),
                    Fields::Unnamed(_) => quote!(Self::#vi(..)),
                    Fields::Named(_) => quote!(Self::#vi { .. }),
                };
                cases.push(Case {
                    pattern,
                    status,
                    title: args.title.or_else(|| outer.title.clone()),
                    kind: args.kind.or_else(|| outer.kind.clone()),
                    doc: doc::summary_and_description(&v.attrs).0,
                });
            }
        }
        Data::Struct(_) => match outer.status {
            Some((status, _)) => cases.push(Case {
                pattern: quote!(_),
                status,
                title: outer.title.clone(),
                kind: outer.kind.clone(),
                doc: doc::summary_and_description(&input.attrs).0,
            }),
            None => errors.push(syn::Error::new(
                ident.span(),
                "this error needs its status: `#[api(status = 400)]`",
            )),
        },
        Data::Union(u) => errors.push(syn::Error::new(
            u.union_token.span(),
            "`ApiError` is for enums and structs",
        )),
    }
    if let Some(mut first) = errors.pop() {
        for e in errors {
            first.combine(e);
        }
        return Err(first);
    }

    let krate = outer
        .krate
        .as_ref()
        .map_or_else(|| quote!(::ninja_core), |p| quote!(#p));
    let np = quote!(#krate::__private);
    let arms = cases.iter().map(|c| {
        let Case {
            pattern,
            status,
            title,
            kind,
            ..
        } = c;
        let title = opt(title.as_ref());
        let kind = opt(kind.as_ref());
        quote!(#pattern => (#status, #title, #kind),)
    });
    let mut described: Vec<u16> = Vec::new();
    let mut docs = Vec::new();
    for c in &cases {
        if described.contains(&c.status) {
            continue;
        }
        described.push(c.status);
        let status = c.status.to_string();
        let description = c.doc.clone().unwrap_or_default();
        docs.push(quote!(#np::error_doc(__ninja_op, #status, #description);));
    }
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    // The `Display` bound is spanned on the type, so a missing impl is reported there.
    let display = quote_spanned!(ident.span()=> &self as &dyn ::std::fmt::Display);
    Ok(quote! {
        #[automatically_derived]
        impl #impl_generics #krate::IntoResponse for #ident #ty_generics #where_clause {
            fn into_response(self) -> #krate::Response {
                #[allow(unreachable_patterns)]
                let (status, title, kind): (u16, ::std::option::Option<&'static str>, ::std::option::Option<&'static str>) = match &self {
                    #(#arms)*
                };
                #np::error_response(status, title, kind, #display)
            }

            fn describe(__ninja_op: &mut #np::OperationDoc<'_>) {
                #(#docs)*
            }
        }
    })
}

fn opt(s: Option<&LitStr>) -> TokenStream {
    match s {
        Some(s) => quote!(::std::option::Option::Some(#s)),
        None => quote!(::std::option::Option::None),
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    #[test]
    fn crate_option_names_where_ninja_core_is() {
        let out = super::derive(quote! {
            #[api(crate = "my_ninja")]
            enum E {
                #[api(status = 404)]
                Missing,
            }
        })
        .to_string();
        assert!(out.contains("my_ninja :: IntoResponse"), "{out}");
        assert!(!out.contains("ninja_core"), "{out}");
    }
}
