//! The handler's signature: checked rule by rule, each error on the user's own tokens, then
//! turned into a model of its arguments for `expand`.

use crate::diagnostics::Diagnostics;
use syn::ext::IdentExt as _;
use syn::spanned::Spanned;
use syn::{Expr, FnArg, Ident, ItemFn, LitStr, Pat, Type};

use crate::path::PathParam;

/// Body extractors, by the last segment of their type's path. A handler takes at most one.
const BODY_TYPES: [&str; 3] = ["Json", "Form", "Multipart"];

/// Where an argument comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    /// `{name}` in the path.
    Path,
    /// The request body (`Json<T>`...).
    Body,
    /// Anything else: a query parameter or an extractor of the request head.
    Parts,
}

/// One handler argument.
pub(crate) struct Arg {
    /// The name clients use: the argument's name, or its `alias`.
    pub(crate) name: String,
    pub(crate) ty: Type,
    pub(crate) source: Source,
    pub(crate) default: Option<Expr>,
    pub(crate) description: Option<LitStr>,
    pub(crate) rules: Vec<Rule>,
    /// `#[param(example = expr)]`: a value shown in the document.
    pub(crate) example: Option<Expr>,
    /// `#[param(deprecated)]`: documented as deprecated (still read).
    pub(crate) deprecated: bool,
}

/// A constraint on a parameter, in garde's vocabulary.
pub(crate) enum Rule {
    Range(Option<Expr>, Option<Expr>),
    Length(Option<Expr>, Option<Expr>),
    Pattern(LitStr),
    Email,
    Url,
}

/// `min = .., max = ..` inside `range(..)` or `length(..)`.
fn min_max(meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<(Option<Expr>, Option<Expr>)> {
    let empty = meta.error("give `min`, `max` or both, e.g. `range(min = 1, max = 100)`");
    let ahead = meta.input.fork();
    let content;
    syn::parenthesized!(content in ahead);
    if content.is_empty() {
        return Err(empty);
    }
    let (mut min, mut max) = (None, None);
    meta.parse_nested_meta(|m| {
        if m.path.is_ident("min") {
            min = Some(m.value()?.parse()?);
        } else if m.path.is_ident("max") {
            max = Some(m.value()?.parse()?);
        } else {
            return Err(m.error("expected `min` or `max`"));
        }
        Ok(())
    })?;
    Ok((min, max))
}

/// A checked handler.
pub(crate) struct Handler {
    pub(crate) ident: Ident,
    pub(crate) is_async: bool,
    pub(crate) args: Vec<Arg>,
}

/// The name an argument pattern binds: `x`, or the `x` of `Json(x)`.
fn bound_name(pat: &Pat) -> Option<&Ident> {
    match pat {
        Pat::Ident(p) => Some(&p.ident),
        Pat::TupleStruct(ts) if ts.elems.len() == 1 => match &ts.elems[0] {
            Pat::Ident(p) => Some(&p.ident),
            _ => None,
        },
        _ => None,
    }
}

fn is_body_type(ty: &Type) -> bool {
    match ty {
        Type::Path(p) => p
            .path
            .segments
            .last()
            .is_some_and(|s| BODY_TYPES.iter().any(|b| s.ident == b)),
        _ => false,
    }
}

/// `#[param(default = expr, alias = "name", description = "...", <rules>)]` on an argument.
#[derive(Default)]
pub(crate) struct ParamAttr {
    pub(crate) default: Option<Expr>,
    pub(crate) alias: Option<LitStr>,
    description: Option<LitStr>,
    rules: Vec<Rule>,
    example: Option<Expr>,
    deprecated: bool,
}

/// Takes the `#[param]` attributes off an argument (rustc would reject them) and parses them.
pub(crate) fn take_param_attr(
    attrs: &mut Vec<syn::Attribute>,
    errors: &mut Diagnostics,
) -> ParamAttr {
    let mut out = ParamAttr::default();
    attrs.retain(|a| {
        if !a.path().is_ident("param") {
            return true;
        }
        let r = a.parse_nested_meta(|meta| {
            if meta.path.is_ident("default") {
                if out.default.is_some() {
                    return Err(meta.error("`default` is given twice"));
                }
                out.default = Some(meta.value()?.parse()?);
            } else if meta.path.is_ident("alias") {
                if out.alias.is_some() {
                    return Err(meta.error("`alias` is given twice"));
                }
                out.alias = Some(meta.value()?.parse()?);
            } else if meta.path.is_ident("description") {
                if out.description.is_some() {
                    return Err(meta.error("`description` is given twice"));
                }
                out.description = Some(meta.value()?.parse()?);
            } else if meta.path.is_ident("example") {
                if out.example.is_some() {
                    return Err(meta.error("`example` is given twice"));
                }
                out.example = Some(meta.value()?.parse()?);
            } else if meta.path.is_ident("deprecated") {
                out.deprecated = true;
            } else if meta.path.is_ident("range") {
                let (min, max) = min_max(&meta)?;
                out.rules.push(Rule::Range(min, max));
            } else if meta.path.is_ident("length") {
                let (min, max) = min_max(&meta)?;
                out.rules.push(Rule::Length(min, max));
            } else if meta.path.is_ident("pattern") {
                out.rules.push(Rule::Pattern(meta.value()?.parse()?));
            } else if meta.path.is_ident("email") {
                out.rules.push(Rule::Email);
            } else if meta.path.is_ident("url") {
                out.rules.push(Rule::Url);
            } else {
                return Err(meta.error(
                    "unknown `param` option; expected `default`, `alias`, `description`, `example`, `deprecated`, `range`, `length`, `pattern`, `email` or `url`",
                ));
            }
            Ok(())
        });
        if let Err(e) = r {
            errors.push_err(e);
        }
        false
    });
    out
}

/// Checks `f` against the route's path parameters and models its arguments.
/// Strips the `#[param]` attributes from `f` whether or not it succeeds.
pub(crate) fn analyze(f: &mut ItemFn, path: &LitStr, params: &[PathParam]) -> syn::Result<Handler> {
    let mut errors = Diagnostics::default();
    let sig = &mut f.sig;
    let name = sig.ident.clone();
    if let Some(t) = &sig.constness {
        errors.push(
            t.span(),
            format!("route handler `{name}` cannot be `const`"),
        );
    }
    if let Some(t) = &sig.unsafety {
        errors.push(
            t.span(),
            format!("route handler `{name}` cannot be `unsafe`"),
        );
    }
    if let Some(abi) = &sig.abi {
        errors.push(
            abi.span(),
            format!("route handler `{name}` cannot be `extern`"),
        );
    }
    if !sig.generics.params.is_empty() {
        errors.push(
            sig.generics.params.span(),
            format!("route handler `{name}` cannot have generic parameters: the router needs one concrete function"),
        );
    }
    if let Some(w) = &sig.generics.where_clause {
        errors.push(
            w.span(),
            format!("route handler `{name}` cannot have a `where` clause"),
        );
    }
    if let Some(v) = &sig.variadic {
        errors.push(
            v.span(),
            format!("route handler `{name}` cannot be variadic"),
        );
    }

    let mut args = Vec::new();
    let mut body_arg: Option<String> = None;
    for (i, input) in sig.inputs.iter_mut().enumerate() {
        let pat_ty = match input {
            FnArg::Receiver(r) => {
                errors.push(
                    r.span(),
                    format!("route handler `{name}` must be a free function: `self` is not allowed; move it out of the `impl` block"),
                );
                continue;
            }
            FnArg::Typed(pt) => pt,
        };
        let attr = take_param_attr(&mut pat_ty.attrs, &mut errors);
        if let Type::ImplTrait(t) = &*pat_ty.ty {
            errors.push(t.span(), format!("route handler `{name}` cannot take `impl Trait` arguments: name a concrete type"));
            continue;
        }
        if let Type::Reference(r) = &*pat_ty.ty {
            // A borrowed argument would borrow from the request, which the handler outlives
            // (a sync one runs on another thread); serde's error for it says nothing useful.
            let owned = if matches!(&*r.elem, Type::Path(p) if p.path.is_ident("str")) {
                "use `String` (or `Cow<'static, str>`) instead of `&str`".to_owned()
            } else {
                "take the argument by value (an owned type)".to_owned()
            };
            errors.push(
                r.span(),
                format!("route handler `{name}` cannot take a borrowed argument: {owned}"),
            );
            continue;
        }
        let bound = bound_name(&pat_ty.pat).map(|i| i.unraw().to_string());
        let is_path = bound
            .as_deref()
            .is_some_and(|b| params.iter().any(|p| p.name == b));
        let source = if is_path {
            Source::Path
        } else if is_body_type(&pat_ty.ty) {
            Source::Body
        } else {
            Source::Parts
        };
        let arg_name = bound.clone().unwrap_or_else(|| format!("arg{i}"));
        if source == Source::Body {
            if let Some(first) = &body_arg {
                errors.push(
                    pat_ty.ty.span(),
                    format!("route handler `{name}` has two body arguments, `{first}` and `{arg_name}`: a request has one body; combine them into one type"),
                );
            }
            body_arg = Some(arg_name.clone());
        }
        if attr.default.is_some() && source != Source::Parts {
            errors.push(pat_ty.pat.span(), "`default` is only for query parameters");
        }
        if !attr.rules.is_empty() && source == Source::Body {
            errors.push(
                pat_ty.pat.span(),
                "a body is validated by its type: put `#[garde(...)]` on its fields",
            );
        }
        if attr.alias.is_some() && source == Source::Path {
            errors.push(
                pat_ty.pat.span(),
                "a path parameter is named by the path; `alias` does not apply",
            );
        }
        args.push(Arg {
            name: attr.alias.map_or(arg_name, |a| a.value()),
            ty: (*pat_ty.ty).clone(),
            source,
            default: attr.default,
            description: attr.description,
            rules: attr.rules,
            example: attr.example,
            deprecated: attr.deprecated,
        });
    }

    for p in params {
        let used = sig.inputs.iter().any(|i| match i {
            // `r#type` fills `{type}`.
            FnArg::Typed(pt) => bound_name(&pt.pat).is_some_and(|b| b.unraw() == p.name),
            FnArg::Receiver(_) => false,
        });
        if !used {
            errors.push(
                path.span(),
                format!(
                    "path parameter `{{{}}}` has no matching argument: add `{}: T` to `{name}`",
                    p.name, p.name
                ),
            );
        }
    }

    errors.finish()?;
    Ok(Handler {
        ident: name,
        is_async: sig.asyncness.is_some(),
        args,
    })
}
