//! `#[derive(ApiResponse)]`: an enum whose variants are the answers a handler gives, each
//! with its status (poem-openapi's `ApiResponse`): `200` with one body, `202` with another,
//! `304` with none.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Attribute, Data, DeriveInput, Fields, LitInt};

use crate::diagnostics::Diagnostics;
use crate::doc;

/// `#[api(status = 202)]` on a variant, `#[api(crate = "...")]` on the enum.
#[derive(Default)]
struct Args {
    status: Option<u16>,
    krate: Option<syn::Path>,
}

fn parse_args(attrs: &[Attribute], errors: &mut Diagnostics) -> Args {
    let mut out = Args::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("api")) {
        let res = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("status") {
                let lit: LitInt = meta.value()?.parse()?;
                let n: u16 = lit.base10_parse()?;
                if !(100..=599).contains(&n) || n == 101 {
                    return Err(syn::Error::new(
                        lit.span(),
                        "a response's status is an HTTP status, e.g. `status = 202`",
                    ));
                }
                out.status = Some(n);
            } else if meta.path.is_ident("crate") {
                out.krate = Some(crate::args::crate_path(&meta.value()?.parse()?)?);
            } else {
                return Err(meta.error("expected `status = 200`"));
            }
            Ok(())
        });
        if let Err(e) = res {
            errors.push_err(e);
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

fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let mut errors = Diagnostics::default();
    let ident = &input.ident;
    let outer = parse_args(&input.attrs, &mut errors);
    let krate = outer
        .krate
        .as_ref()
        .map_or_else(|| quote!(::ninja_core), |p| quote!(#p));
    let np = quote!(#krate::__private);
    let Data::Enum(e) = &input.data else {
        return Err(syn::Error::new(
            ident.span(),
            "`ApiResponse` is for enums: one variant per answer, e.g. `#[api(status = 202)] Accepted(Json<Job>)`",
        ));
    };
    let mut arms = Vec::new();
    let mut docs = Vec::new();
    let mut seen: Vec<u16> = Vec::new();
    for v in &e.variants {
        let args = parse_args(&v.attrs, &mut errors);
        let vi = &v.ident;
        let Some(status) = args.status else {
            errors.push(
                vi.span(),
                format!("variant `{vi}` needs its status: `#[api(status = 200)]`"),
            );
            continue;
        };
        if seen.contains(&status) {
            errors.push(
                vi.span(),
                format!("two variants answer {status}; a status documents one shape"),
            );
        }
        seen.push(status);
        let code = status.to_string();
        let description = doc::summary_and_description(&v.attrs).0.unwrap_or_default();
        match &v.fields {
            Fields::Unit => {
                arms.push(quote! {
                    Self::#vi => #np::status_only(#status),
                });
                docs.push(quote! {
                    #np::documented_status(__ninja_op, #code, #description, ::std::option::Option::None);
                });
            }
            Fields::Unnamed(f) if f.unnamed.len() == 1 => {
                let ty = &f.unnamed[0].ty;
                arms.push(quote_spanned! {ty.span()=>
                    Self::#vi(inner) => #np::with_status(#status, inner),
                });
                docs.push(quote_spanned! {ty.span()=>
                    #np::documented_status(
                        __ninja_op,
                        #code,
                        #description,
                        ::std::option::Option::Some(<#ty as #np::IntoResponse>::describe),
                    );
                });
            }
            _ => errors.push(
                v.fields.span(),
                "a response variant has no field (no body) or one (its body, e.g. `Json<T>`)",
            ),
        }
    }
    errors.finish()?;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    Ok(quote! {
        #[automatically_derived]
        impl #impl_generics #krate::IntoResponse for #ident #ty_generics #where_clause {
            fn into_response(self) -> #krate::Response {
                match self {
                    #(#arms)*
                }
            }

            fn describe(__ninja_op: &mut #np::OperationDoc<'_>) {
                #(#docs)*
            }
        }
    })
}
