//! `#[derive(ApiError)]`: an error type whose variants declare their HTTP status.

use proc_macro2::TokenStream;
use quote::format_ident;
use quote::{quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Attribute, Data, DeriveInput, Fields, Ident, LitInt, LitStr};

use crate::api::snake;
use crate::diagnostics::Diagnostics;
use crate::doc;

/// What `#[api(status = 404, title = "...", type = "...", code = "...")]` says.
#[derive(Default)]
struct ErrorArgs {
    status: Option<(u16, proc_macro2::Span)>,
    title: Option<LitStr>,
    kind: Option<LitStr>,
    code: Option<LitStr>,
    /// `#[api(crate = "my_ninja")]` on the type: where `ninja_core` is.
    krate: Option<syn::Path>,
}

fn parse_args(attrs: &[Attribute], errors: &mut Diagnostics) -> ErrorArgs {
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
            } else if meta.path.is_ident("code") {
                out.code = Some(meta.value()?.parse()?);
            } else if meta.path.is_ident("crate") {
                out.krate = Some(crate::args::crate_path(&meta.value()?.parse()?)?);
            } else {
                return Err(meta.error(
                    "expected `status = 404`, `title = \"...\"`, `type = \"...\"` or `code = \"...\"`",
                ));
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

/// One way the value can be: its constructor path, fields, status, title, type, code and
/// description.
struct Case<'a> {
    path: TokenStream,
    fields: &'a Fields,
    status: u16,
    title: Option<LitStr>,
    kind: Option<LitStr>,
    code: String,
    code_span: proc_macro2::Span,
    doc: Option<String>,
}

/// Members a field cannot be sent as: the problem's own (ninja-core's
/// `problem::OWN_MEMBERS`, which the proc-macro crate cannot import), and `code`.
const TAKEN: [&str; 7] = [
    "type", "title", "status", "detail", "instance", "errors", "code",
];

impl Case<'_> {
    /// Each field's binding and the member it travels as (`value`, `value_0`.. unnamed).
    fn members(&self) -> Vec<(Ident, String, &syn::Type)> {
        let unnamed = matches!(self.fields, Fields::Unnamed(_)) && self.fields.len() > 1;
        self.fields
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let member = match &f.ident {
                    Some(id) => id.unraw().to_string(),
                    None if unnamed => format!("value_{i}"),
                    None => "value".to_owned(),
                };
                (format_ident!("__ninja_f{i}"), member, &f.ty)
            })
            .collect()
    }

    /// `Self::V { a: __ninja_f0 }`, `Self::V(__ninja_f0)`, `Self::V`, from `bind` per field.
    fn build(&self, bind: impl Fn(&Ident, &str, &syn::Type) -> TokenStream) -> TokenStream {
        let path = &self.path;
        let members = self.members();
        let values = members.iter().map(|(b, m, ty)| bind(b, m, ty));
        match self.fields {
            Fields::Unit => quote!(#path),
            Fields::Unnamed(_) => quote!(#path(#(#values),*)),
            Fields::Named(n) => {
                let names = n.named.iter().map(|f| &f.ident);
                quote!(#path { #(#names: #values),* })
            }
        }
    }

    /// Whether the client can read this case back: below 500 (a 5xx case sends no fields)
    /// or without fields, and no field sent under a name the problem already uses.
    fn readable(&self) -> bool {
        (self.status < 500 || self.fields.is_empty())
            && self
                .members()
                .iter()
                .all(|(_, m, _)| !TAKEN.contains(&m.as_str()))
    }
}

fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let mut errors = Diagnostics::default();
    let ident = &input.ident;
    let outer = parse_args(&input.attrs, &mut errors);
    let mut cases = Vec::new();
    match &input.data {
        Data::Enum(e) => {
            if e.variants.is_empty() {
                errors.push(ident.span(), "an error enum needs a variant");
            }
            for v in &e.variants {
                let args = parse_args(&v.attrs, &mut errors);
                let Some((status, _)) = args.status.or(outer.status) else {
                    errors.push(
                        v.ident.span(),
                        format!(
                            "variant `{}` needs its status: `#[api(status = 404)]` (or set one for all on the enum)",
                            v.ident
                        ),
                    );
                    continue;
                };
                let vi = &v.ident;
                let (code, code_span) = match &args.code {
                    Some(c) => (c.value(), c.span()),
                    None => (snake(&vi.unraw().to_string()), vi.span()),
                };
                cases.push(Case {
                    path: quote!(Self::#vi),
                    fields: &v.fields,
                    status,
                    title: args.title.or_else(|| outer.title.clone()),
                    kind: args.kind.or_else(|| outer.kind.clone()),
                    code,
                    code_span,
                    doc: doc::summary_and_description(&v.attrs).0,
                });
            }
        }
        Data::Struct(st) => match outer.status {
            Some((status, _)) => {
                let (code, code_span) = match &outer.code {
                    Some(c) => (c.value(), c.span()),
                    None => (snake(&ident.unraw().to_string()), ident.span()),
                };
                cases.push(Case {
                    path: quote!(Self),
                    fields: &st.fields,
                    status,
                    title: outer.title.clone(),
                    kind: outer.kind.clone(),
                    code,
                    code_span,
                    doc: doc::summary_and_description(&input.attrs).0,
                });
            }
            None => errors.push(
                ident.span(),
                "this error needs its status: `#[api(status = 400)]`",
            ),
        },
        Data::Union(u) => errors.push(u.union_token.span(), "`ApiError` is for enums and structs"),
    }
    for (i, c) in cases.iter().enumerate() {
        if cases[..i].iter().any(|o| o.code == c.code) {
            errors.push(
                c.code_span,
                format!(
                    "two variants answer with code `{}`: give one another with `#[api(code = \"...\")]`",
                    c.code
                ),
            );
        }
    }
    errors.finish()?;

    let krate = outer
        .krate
        .as_ref()
        .map_or_else(|| quote!(::ninja_core), |p| quote!(#p));
    let np = quote!(#krate::__private);
    // Spanned on the type, so a missing `Display` impl is reported there.
    let display = quote_spanned!(ident.span()=> &self as &dyn ::std::fmt::Display);
    let arms = cases.iter().map(|c| {
        let Case {
            status,
            title,
            kind,
            code,
            ..
        } = c;
        let title = opt(title.as_ref());
        let kind = opt(kind.as_ref());
        let pattern = c.build(|b, _, _| quote!(#b));
        // A 5xx answer keeps its fields home, as its `Display`; a field named like a member
        // the problem already has (`status`, `code`...) is not sent, so it cannot replace it.
        let sends = if *status < 500 {
            c.members()
        } else {
            Vec::new()
        };
        let sends = sends
            .iter()
            .filter(|(_, m, _)| !TAKEN.contains(&m.as_str()))
            .map(|(b, m, ty)| {
                quote!(__ninja_p.add_member(#m, (&&#np::DefaultDoc::<#ty>::new()).value(#b));)
            });
        quote! {
            #[allow(unused_variables)]
            #pattern => {
                let mut __ninja_p = #np::error_problem(#status, #title, #kind, #code, #display);
                #(#sends)*
                __ninja_p
            }
        }
    });
    let reads = cases.iter().filter(|c| c.readable()).map(|c| {
        let Case { status, code, .. } = c;
        let value = c.build(
            |_, m, ty| quote!((&&#np::ReadField::<#ty>::new()).read(__ninja_p.extensions.get(#m))?),
        );
        quote!((#status, #code) => ::std::option::Option::Some(#value),)
    });
    // Each status, described by its first variant; each variant's status, code, and the
    // members it sends, as `into_response` above sends them.
    let mut statuses: Vec<(String, String)> = Vec::new();
    for c in &cases {
        let status = c.status.to_string();
        if !statuses.iter().any(|(s, _)| *s == status) {
            statuses.push((status, c.doc.clone().unwrap_or_default()));
        }
    }
    let statuses = statuses.iter().map(|(s, d)| quote!((#s, #d)));
    let variants = cases.iter().map(|c| {
        let (status, code) = (c.status, &c.code);
        let sends = if c.status < 500 {
            c.members()
        } else {
            Vec::new()
        };
        let members = sends
            .iter()
            .filter(|(_, m, _)| !TAKEN.contains(&m.as_str()))
            .map(|(_, m, ty)| quote!((#m, (&&#np::DefaultDoc::<#ty>::new()).schema(__ninja_op))));
        quote!((#status, #code, ::std::vec![#(#members),*]))
    });
    let name = ident.unraw().to_string();
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    Ok(quote! {
        #[automatically_derived]
        impl #impl_generics #krate::IntoResponse for #ident #ty_generics #where_clause {
            fn into_response(self) -> #krate::Response {
                #[allow(unused_imports)]
                use #np::{ViaOpaque as _, ViaSerialize as _};
                #[allow(unreachable_patterns)]
                let __ninja_p: #krate::Problem = match &self {
                    #(#arms)*
                };
                #krate::IntoResponse::into_response(__ninja_p)
            }

            fn describe(__ninja_op: &mut #np::OperationDoc<'_>) {
                #[allow(unused_imports)]
                use #np::{ViaNoSchema as _, ViaSchema as _};
                let __ninja_variants = ::std::vec![#(#variants),*];
                #np::error_doc(__ninja_op, #name, &[#(#statuses),*], __ninja_variants);
            }
        }

        #[automatically_derived]
        impl #impl_generics #np::FromProblem for #ident #ty_generics #where_clause {
            type Error = Self;

            fn from_problem(__ninja_p: &#np::ProblemDetails) -> ::std::option::Option<Self> {
                #[allow(unused_imports)]
                use #np::{ReadNothing as _, ReadSerde as _};
                #[allow(unreachable_patterns)]
                match (__ninja_p.status, __ninja_p.code()?) {
                    #(#reads)*
                    _ => ::std::option::Option::None,
                }
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
