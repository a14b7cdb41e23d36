//! Doc comments → OpenAPI `summary` (first paragraph) and `description` (the rest).

use syn::{Attribute, Expr, ExprLit, Lit, Meta};

/// The text of every `///` line, one leading space removed.
fn lines(attrs: &[Attribute]) -> Vec<String> {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            Meta::NameValue(nv) => match &nv.value {
                Expr::Lit(ExprLit {
                    lit: Lit::Str(s), ..
                }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
        .flat_map(|s| s.split('\n').map(str::to_owned).collect::<Vec<_>>())
        .map(|l| l.strip_prefix(' ').map(str::to_owned).unwrap_or(l))
        .collect()
}

/// `(summary, description)`: the first paragraph joined into one line, then the rest.
pub(crate) fn summary_and_description(attrs: &[Attribute]) -> (Option<String>, Option<String>) {
    let lines = lines(attrs);
    let text = lines.join("\n");
    let text = text.trim();
    if text.is_empty() {
        return (None, None);
    }
    let (first, rest) = text.split_once("\n\n").unwrap_or((text, ""));
    let summary = first.lines().map(str::trim).collect::<Vec<_>>().join(" ");
    let rest = rest.trim();
    (Some(summary), (!rest.is_empty()).then(|| rest.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_first_paragraph() {
        let f: syn::ItemFn = syn::parse_quote! {
            /// Say a word
            /// after a delay.
            ///
            /// Longer text.
            ///
            /// More.
            fn f() {}
        };
        let (s, d) = summary_and_description(&f.attrs);
        assert_eq!(s.as_deref(), Some("Say a word after a delay."));
        assert_eq!(d.as_deref(), Some("Longer text.\n\nMore."));
    }

    #[test]
    fn no_docs() {
        let f: syn::ItemFn = syn::parse_quote! { fn f() {} };
        assert_eq!(summary_and_description(&f.attrs), (None, None));
    }
}
