//! `api_from_document!(pub trait ShopV1 = "openapi/shop-v1.json");`: an API definition
//! (and so its typed clients) generated at compile time from a published OpenAPI document,
//! for an API whose Rust definitions are not at hand.
//!
//! The document's schemas become Rust types through typify; each operation becomes a
//! method of an `#[api(client_only)]` trait: path, query, header and cookie parameters as
//! arguments (optional ones as `Option`, lists as `Vec`), a JSON, form, multipart or raw
//! body, and the first success's body (JSON, text, events, bytes, a WebSocket) as the
//! return type, in a `Result` of the operation's error type when the document describes one
//! (an enum read back from problems by their `code`). Validation keywords are dropped from
//! the schemas: the server checks them, and the client's types stay plain (`String`, not a
//! constrained newtype). Operations the typed client cannot call are left out, each named
//! in the trait's documentation.

use std::path::PathBuf;

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use serde_json::Value;
use syn::parse::{Parse, ParseStream};
use syn::{Ident, LitStr, Token, Visibility};

/// `pub trait Name = "path/to/openapi.json"`.
struct Input {
    vis: Visibility,
    name: Ident,
    path: LitStr,
}

impl Parse for Input {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let vis = input.parse()?;
        input.parse::<Token![trait]>()?;
        let name = input.parse()?;
        input.parse::<Token![=]>()?;
        let path = input.parse()?;
        Ok(Self { vis, name, path })
    }
}

pub(crate) fn expand(input: TokenStream) -> TokenStream {
    match generate(input) {
        Ok(t) => t,
        Err(e) => e.to_compile_error(),
    }
}

fn generate(input: TokenStream) -> syn::Result<TokenStream> {
    let Input { vis, name, path } = syn::parse2(input).map_err(|e| {
        syn::Error::new(
            e.span(),
            "expected `pub trait ShopV1 = \"openapi/shop-v1.json\"` (the path from the crate's root)",
        )
    })?;
    let err = |msg: String| syn::Error::new(path.span(), msg);
    let root = std::env::var("CARGO_MANIFEST_DIR").map_err(|e| err(e.to_string()))?;
    let file = PathBuf::from(root).join(path.value());
    let text = std::fs::read_to_string(&file)
        .map_err(|e| err(format!("cannot read `{}`: {e}", file.display())))?;
    let doc: Value = serde_json::from_str(&text)
        .map_err(|e| err(format!("`{}` is not JSON: {e}", file.display())))?;

    let mut settings = typify::TypeSpaceSettings::default();
    settings.with_struct_builder(false);
    let mut types = typify::TypeSpace::new(&settings);
    let schemas = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    // An error type's variants (Ninja's `#[derive(ApiError)]`) become an enum of ours;
    // the other schemas typify's types.
    let (error_schemas, schemas): (Vec<_>, Vec<_>) = schemas
        .into_iter()
        .partition(|(_, schema)| error_variants(schema).is_some());
    let defs = schemas
        .into_iter()
        .map(|(name, schema)| Ok((name, to_schema(schema)?)))
        .collect::<Result<Vec<_>, String>>()
        .map_err(err)?;
    types
        .add_ref_types(defs)
        .map_err(|e| err(format!("the document's schemas: {e}")))?;
    let mut errors = Vec::new();
    let mut error_names = Vec::new();
    for (name, schema) in &error_schemas {
        let variants = error_variants(schema).unwrap_or_default();
        // Named as the server's type (`title`), else after the component.
        let title = schema.get("title").and_then(Value::as_str).unwrap_or(name);
        // (A variant typify cannot type: its operations answer plain problems.)
        if let Ok(tokens) = error_enum(title, &variants, &mut types) {
            errors.push(tokens);
            error_names.push((name.clone(), title.to_owned()));
        }
    }

    let mut methods = Vec::new();
    let mut skipped = Vec::new();
    let paths = doc
        .get("paths")
        .and_then(Value::as_object)
        .ok_or_else(|| err("the document has no `paths`".to_owned()))?;
    for (route, ops) in paths {
        let Some(ops) = ops.as_object() else { continue };
        // Parameters declared on the path item apply to each of its operations.
        let shared = ops
            .get("parameters")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for (method, op) in ops {
            if !crate::api::METHODS.contains(&method.as_str()) {
                continue;
            }
            match operation(&doc, route, method, op, &shared, &mut types, &error_names) {
                Ok(m) => methods.push(m),
                Err(why) => skipped.push(format!("`{} {route}`: {why}", method.to_uppercase())),
            }
        }
    }
    let types = types.to_stream();
    let title = doc
        .pointer("/info/title")
        .and_then(Value::as_str)
        .unwrap_or("the API");
    let mut docs = vec![format!(
        " The operations of {title}, from `{}`.",
        path.value()
    )];
    if !skipped.is_empty() {
        docs.push(String::new());
        docs.push(" Left out (the typed client cannot call them):".to_owned());
        docs.extend(skipped.iter().map(|s| format!(" - {s}")));
    }
    let file = file.display().to_string();
    Ok(quote! {
        // Rebuilt when the document changes.
        const _: &str = ::std::include_str!(#file);
        #types
        #(#errors)*
        #(#[doc = #docs])*
        #[::ninja_core::api(client_only)]
        #vis trait #name {
            #(#methods)*
        }
    })
}

/// One operation as a trait method, or why it is left out.
fn operation(
    doc: &Value,
    route: &str,
    method: &str,
    op: &Value,
    shared: &[Value],
    types: &mut typify::TypeSpace,
    error_names: &[(String, String)],
) -> Result<TokenStream, String> {
    let id = op
        .get("operationId")
        .and_then(Value::as_str)
        .ok_or("no operationId")?;
    let mut name = snake(id);
    // The clients' own methods keep their names.
    if crate::api::RESERVED.contains(&name.as_str()) {
        name.push('_');
    }
    let ident = rust_ident(&name);
    let mut args = Vec::new();
    let mut taken: Vec<String> = Vec::new();
    // An operation's parameter replaces the path item's of the same name and place.
    let own: Vec<Value> = op
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|p| resolve(doc, p).cloned())
        .collect::<Result<_, _>>()?;
    let mut params = own.clone();
    for p in shared {
        let p = resolve(doc, p)?;
        let same = |o: &Value| o.get("name") == p.get("name") && o.get("in") == p.get("in");
        if !own.iter().any(same) {
            params.push(p.clone());
        }
    }
    let mut in_path = Vec::new();
    for p in &params {
        let wire = p
            .get("name")
            .and_then(Value::as_str)
            .ok_or("a parameter without a name")?;
        let place = p.get("in").and_then(Value::as_str).unwrap_or("query");
        let required = p.get("required").and_then(Value::as_bool).unwrap_or(false);
        let schema = p.get("schema").cloned().unwrap_or(Value::Bool(true));
        let is_list = schema.get("type").and_then(Value::as_str) == Some("array");
        let ty = type_of(types, schema, &format!("{id}_{wire}"))?;
        let ty = if required || is_list {
            ty
        } else {
            quote!(::std::option::Option<#ty>)
        };
        let ty = match place {
            "path" | "query" => ty,
            "header" => quote!(::ninja_core::Header<#ty>),
            "cookie" => quote!(::ninja_core::Cookie<#ty>),
            other => return Err(format!("a parameter in `{other}`")),
        };
        if place == "path" {
            in_path.push(wire.to_owned());
        }
        let arg = unique(&mut taken, &snake(wire), rust_ident);
        // The server's name for a header is the argument's with `-` for `_`, any case.
        // (The name the argument ends up with: `self` becomes `self_`, `type` `r#type`.)
        let plain = syn::ext::IdentExt::unraw(&arg).to_string();
        let alias = match place {
            "header" if wire.to_ascii_lowercase() == crate::expand::header_name(&plain) => None,
            _ if plain == wire => None,
            _ => Some(quote!(#[param(alias = #wire)])),
        };
        args.push(quote!(#alias #arg: #ty));
    }
    // A `{name}` with no parameter would be sent as it is: leave the operation out.
    for part in route.split('{').skip(1) {
        let name = part
            .split('}')
            .next()
            .unwrap_or_default()
            .trim_start_matches('*');
        if !in_path.iter().any(|p| p == name) {
            return Err(format!("`{{{name}}}` is not a declared path parameter"));
        }
    }
    if let Some(body) = op.get("requestBody") {
        let body = resolve(doc, body)?;
        let content = body
            .get("content")
            .and_then(Value::as_object)
            .ok_or("a body without content")?;
        let (media, schema) = content.iter().next().ok_or("a body without a media type")?;
        let mut typed = || {
            type_of(
                types,
                schema.get("schema").cloned().unwrap_or(Value::Bool(true)),
                &format!("{id}_body"),
            )
        };
        let ty = match media.as_str() {
            "application/json" => {
                let ty = typed()?;
                quote!(::ninja_core::Json<#ty>)
            }
            "application/x-www-form-urlencoded" => {
                let ty = typed()?;
                quote!(::ninja_core::Form<#ty>)
            }
            // The client builds these itself (a `MultipartForm`, a `Body`): their parts'
            // types are not needed.
            "multipart/form-data" => quote!(::ninja_core::Multipart<()>),
            "application/octet-stream" => quote!(::ninja_core::BodyStream),
            other => return Err(format!("a `{other}` body")),
        };
        let arg = unique(&mut taken, "body", rust_ident);
        args.push(quote!(#arg: #ty));
    }
    let responses = op
        .get("responses")
        .and_then(Value::as_object)
        .ok_or("no responses")?;
    let (status, success) = responses
        .iter()
        .find(|(s, _)| s.starts_with('2') || *s == "101")
        .ok_or("no success response")?;
    let success = resolve(doc, success)?;
    let body = match success.get("content").and_then(Value::as_object) {
        None if status == "101" && cfg!(feature = "ws") => {
            quote!(::ninja_core::ws::WebSocketResponse)
        }
        None if status == "101" => {
            return Err("a WebSocket (ninja-core's `ws` feature is off)".to_owned());
        }
        None => quote!(()),
        Some(content) => {
            let (media, schema) = content.iter().next().ok_or("an empty content")?;
            if media.starts_with("application/json") {
                let ty = type_of(
                    types,
                    schema.get("schema").cloned().unwrap_or(Value::Bool(true)),
                    &format!("{id}_response"),
                )?;
                quote!(::ninja_core::Json<#ty>)
            } else if media.starts_with("text/plain") {
                quote!(::std::string::String)
            } else if media.starts_with("text/event-stream") {
                // Ninja's event schema: the payload's schema is `data`'s `contentSchema`.
                let data = schema
                    .pointer("/schema/properties/data/contentSchema")
                    .cloned()
                    .unwrap_or(Value::Bool(true));
                let ty = type_of(types, data, &format!("{id}_event"))?;
                quote!(::ninja_core::sse::Sse<#ty>)
            } else if media.starts_with("application/octet-stream") {
                quote!(::ninja_core::StreamBody)
            } else {
                return Err(format!("a `{media}` answer"));
            }
        }
    };
    let ret = match status.as_str() {
        "101" | "200" | "203" | "204" => body,
        "201" => quote!(::ninja_core::Created<#body>),
        "202" => quote!(::ninja_core::Accepted<#body>),
        other => return Err(format!("a {other} success")),
    };
    // The error type its problems are narrowed by, when there is exactly one.
    let mut declared: Vec<&str> = Vec::new();
    for (_, response) in responses {
        let response = resolve(doc, response)?;
        let Some(schema) = response.pointer("/content/application~1problem+json/schema") else {
            continue;
        };
        let narrowed = schema.pointer("/allOf/1").into_iter();
        let refs = narrowed.flat_map(|n| match n.get("anyOf").and_then(Value::as_array) {
            Some(any) => any.iter().collect(),
            None => vec![n],
        });
        for r in refs {
            let name = r
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/components/schemas/"));
            let title = error_names
                .iter()
                .find(|(component, _)| Some(component.as_str()) == name)
                .map(|(_, title)| title.as_str());
            if let Some(title) = title
                && !declared.contains(&title)
            {
                declared.push(title);
            }
        }
    }
    let ret = match declared.as_slice() {
        [one] => {
            let error = type_ident(one);
            quote!(::std::result::Result<#ret, #error>)
        }
        _ => ret,
    };
    let attr = format_ident!("{method}");
    let docs: Vec<String> = ["summary", "description"]
        .iter()
        .filter_map(|k| op.get(*k).and_then(Value::as_str))
        .flat_map(|s| s.lines().map(|l| format!(" {l}")).collect::<Vec<_>>())
        .collect();
    Ok(quote! {
        #(#[doc = #docs])*
        #[#attr(#route)]
        fn #ident(#(#args),*) -> #ret;
    })
}

/// One variant of an error type: its status, `code`, and members (name, schema, required).
type Variant = (u16, String, Vec<(String, Value, bool)>);

/// The variants of an error type's schema, as Ninja documents a `#[derive(ApiError)]`
/// type: an `allOf` of `if` (`code` is a constant) / `then` (the status and the members).
fn error_variants(schema: &Value) -> Option<Vec<Variant>> {
    let clauses = schema.get("allOf")?.as_array()?;
    if clauses.is_empty() {
        return None;
    }
    clauses
        .iter()
        .map(|c| {
            let code = c.pointer("/if/properties/code/const")?.as_str()?.to_owned();
            let then = c.get("then")?;
            let status = u16::try_from(then.pointer("/properties/status/const")?.as_u64()?).ok()?;
            let required: Vec<&str> = then
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let members = then
                .get("properties")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .filter(|(name, _)| *name != "status")
                .map(|(name, s)| (name.clone(), s.clone(), required.contains(&name.as_str())))
                .collect();
            Some((status, code, members))
        })
        .collect()
}

/// An error type as an enum that reads itself back from problems (`FromProblem`): one
/// variant per code, its members as fields.
fn error_enum(
    name: &str,
    variants: &[Variant],
    types: &mut typify::TypeSpace,
) -> Result<TokenStream, String> {
    let ident = type_ident(name);
    let mut defs = Vec::new();
    let mut reads = Vec::new();
    let mut taken: Vec<String> = Vec::new();
    for (status, code, members) in variants {
        // Codes are any text: `not-found` and `notFound` would both be `NotFound`.
        let variant = unique(&mut taken, code, type_ident);
        let mut fields = Vec::new();
        let mut values = Vec::new();
        let mut field_names: Vec<String> = Vec::new();
        for (member, schema, required) in members {
            let field = unique(&mut field_names, &snake(member), rust_ident);
            let ty = type_of(types, schema.clone(), &format!("{name}_{code}_{member}"))?;
            let read = quote!(p.extensions.get(#member));
            if *required {
                fields.push(quote!(#field: #ty));
                values
                    .push(quote!(#field: <#ty as ::serde::Deserialize>::deserialize(#read?).ok()?));
            } else {
                fields.push(quote!(#field: ::std::option::Option<#ty>));
                values.push(quote!(#field: match #read {
                    ::std::option::Option::Some(v) => ::std::option::Option::Some(<#ty as ::serde::Deserialize>::deserialize(v).ok()?),
                    ::std::option::Option::None => ::std::option::Option::None,
                }));
            }
        }
        let doc = format!(" `{code}` ({status}).");
        if fields.is_empty() {
            defs.push(quote!(#[doc = #doc] #variant));
            reads.push(quote!((#status, #code) => ::std::option::Option::Some(Self::#variant),));
        } else {
            defs.push(quote!(#[doc = #doc] #variant { #(#fields),* }));
            reads.push(quote!((#status, #code) => ::std::option::Option::Some(Self::#variant { #(#values),* }),));
        }
    }
    let doc = format!(" The problems `{name}` answers with, read back by their `code`.");
    Ok(quote! {
        #[doc = #doc]
        #[derive(Debug, Clone)]
        pub enum #ident {
            #(#defs),*
        }

        impl ::ninja_core::client::FromProblem for #ident {
            type Error = Self;

            fn from_problem(p: &::ninja_core::client::ProblemDetails) -> ::std::option::Option<Self> {
                match (p.status, p.code()?) {
                    #(#reads)*
                    _ => ::std::option::Option::None,
                }
            }
        }
    })
}

/// A type or variant name from any text: PascalCase, `V` before a leading digit or in
/// place of nothing, `Self` as `Self_`.
fn type_ident(s: &str) -> Ident {
    let mut name = pascal(s);
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, 'V');
    }
    if name == "Self" {
        name.push('_');
    }
    format_ident!("{name}")
}

/// `v`, or what its local `$ref` (`#/components/..`) points at.
fn resolve<'a>(doc: &'a Value, v: &'a Value) -> Result<&'a Value, String> {
    match v.get("$ref").and_then(Value::as_str) {
        None => Ok(v),
        Some(r) => r
            .strip_prefix('#')
            .and_then(|pointer| doc.pointer(pointer))
            .ok_or_else(|| format!("`$ref` `{r}` points nowhere in the document")),
    }
}

/// The identifier `make` spells `name` as, or `name_2`, `name_3`.. if an earlier name was
/// spelled the same.
fn unique(taken: &mut Vec<String>, name: &str, make: fn(&str) -> Ident) -> Ident {
    let mut candidate = name.to_owned();
    let mut n = 1;
    loop {
        // Checked as finally spelled: `make` may rename (`self` to `self_`, `not-found_2`
        // to `NotFound2`) onto a name another text gives as it is.
        let ident = make(&candidate);
        let spelled = ident.to_string();
        if !taken.contains(&spelled) {
            taken.push(spelled);
            return ident;
        }
        n += 1;
        candidate = format!("{name}_{n}");
    }
}

/// The Rust type of `schema`, added to `types` (named after `hint` if it needs a name).
fn type_of(
    types: &mut typify::TypeSpace,
    schema: Value,
    hint: &str,
) -> Result<TokenStream, String> {
    let schema = to_schema(schema)?;
    let id = types
        .add_type_with_name(&schema, Some(pascal(hint)))
        .map_err(|e| e.to_string())?;
    Ok(types.get_type(&id).map_err(|e| e.to_string())?.ident())
}

/// A JSON Schema 2020-12 value as schemars 0.8's model (what typify reads), without the
/// validation keywords (only where a schema is: a property named `pattern` stays).
fn to_schema(mut v: Value) -> Result<schemars08::schema::Schema, String> {
    plain(&mut v);
    serde_json::from_value(v).map_err(|e| format!("a schema schemars cannot read: {e}"))
}

/// Strips `schema`'s validation keywords, then its subschemas'.
fn plain(schema: &mut Value) {
    let Value::Object(map) = schema else { return };
    for key in [
        "pattern",
        "minLength",
        "maxLength",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minItems",
        "maxItems",
        "uniqueItems",
        "minProperties",
        "maxProperties",
        "examples",
        "example",
        "contentSchema",
        "contentMediaType",
        "discriminator",
    ] {
        map.remove(key);
    }
    // `format: uri`/`email`.. would ask for crates the caller may not have.
    if matches!(
        map.get("format").and_then(Value::as_str),
        Some("uri" | "uri-reference" | "email" | "date-time" | "date" | "uuid" | "ipv4" | "ipv6")
    ) {
        map.remove("format");
    }
    for key in [
        "items",
        "additionalProperties",
        "not",
        "if",
        "then",
        "else",
        "contains",
        "propertyNames",
    ] {
        if let Some(sub) = map.get_mut(key) {
            plain(sub);
        }
    }
    for key in ["anyOf", "oneOf", "allOf", "prefixItems"] {
        if let Some(Value::Array(subs)) = map.get_mut(key) {
            subs.iter_mut().for_each(plain);
        }
    }
    for key in ["properties", "patternProperties", "$defs", "definitions"] {
        if let Some(Value::Object(subs)) = map.get_mut(key) {
            subs.values_mut().for_each(plain);
        }
    }
}

fn snake(s: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in s.chars() {
        if c.is_ascii_uppercase() {
            if prev_lower {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            prev_lower = false;
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        } else {
            if !out.ends_with('_') && !out.is_empty() {
                out.push('_');
            }
            prev_lower = false;
        }
    }
    out.trim_end_matches('_').to_owned()
}

fn pascal(s: &str) -> String {
    snake(s)
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn rust_ident(s: &str) -> Ident {
    let s = if s.is_empty() { "arg" } else { s };
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        return format_ident!("_{s}");
    }
    // Keywords that cannot be raw identifiers get a `_`; `gen` (reserved in edition 2024,
    // unknown to syn) and the other keywords become raw.
    match s {
        "self" | "Self" | "super" | "crate" => format_ident!("{s}_"),
        "gen" => Ident::new_raw(s, Span::call_site()),
        _ => syn::parse_str::<Ident>(s).unwrap_or_else(|_| Ident::new_raw(s, Span::call_site())),
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    /// An operation the client cannot call is left out, named in the trait's docs, and the
    /// rest still generate.
    #[test]
    fn an_operation_with_an_undeclared_path_parameter_is_left_out_and_listed() {
        // Tests run from this crate's root, like the macro.
        let out = super::generate(quote!(
            pub trait Tricky = "../examples/tests/documents/tricky.json"
        ))
        .expect("generates")
        .to_string();
        assert!(out.contains("Left out"), "{out}");
        assert!(out.contains("`GET /orphans/{missing}`"), "{out}");
        assert!(!out.contains("fn orphan"), "{out}");
        assert!(
            out.contains("fn new_") && out.contains("fn r#type"),
            "{out}"
        );
    }

    /// Only Ninja's error-type shape (every clause `if` a `code` / `then` a status) is read
    /// as an error type; an ordinary `allOf` stays a schema for typify.
    #[test]
    fn error_types_are_told_from_other_all_of_schemas() {
        let error = serde_json::json!({"allOf": [
            {"if": {"properties": {"code": {"const": "gone"}}, "required": ["code"]},
             "then": {"properties": {"status": {"const": 410}, "id": {"type": "integer"}}, "required": ["id"]}},
            {"if": {"properties": {"code": {"const": "busy"}}, "required": ["code"]},
             "then": {"properties": {"status": {"const": 503}}}},
        ]});
        let variants = super::error_variants(&error).expect("an error type");
        assert_eq!(variants.len(), 2);
        assert_eq!((variants[0].0, variants[0].1.as_str()), (410, "gone"));
        assert_eq!(variants[0].2[0].0, "id");
        assert!(variants[0].2[0].2, "required");
        assert!(variants[1].2.is_empty());
        let composed = serde_json::json!({"allOf": [{"$ref": "#/components/schemas/Base"}, {"properties": {"x": {}}}]});
        assert!(super::error_variants(&composed).is_none());
        assert!(super::error_variants(&serde_json::json!({"allOf": []})).is_none());
    }

    /// Codes are any text; variant names are always identifiers.
    #[test]
    fn any_code_makes_a_variant_name() {
        let names: Vec<String> = ["not_found", "404", "", "-", "Self", "é"]
            .iter()
            .map(|c| super::type_ident(c).to_string())
            .collect();
        assert_eq!(names, ["NotFound", "V404", "V", "V", "Self_", "V"]);
    }

    /// Names are unique as finally spelled: `notFound` after `not-found` is `NotFound2`,
    /// so a literal `NotFound2` after both takes the next one; `self_` after `self` too.
    #[test]
    fn names_are_unique_as_spelled() {
        let mut taken = Vec::new();
        let variants: Vec<String> = ["not-found", "notFound", "NotFound2"]
            .iter()
            .map(|c| super::unique(&mut taken, c, super::type_ident).to_string())
            .collect();
        assert_eq!(variants, ["NotFound", "NotFound2", "NotFound22"]);
        let mut taken = Vec::new();
        let fields: Vec<String> = ["self", "self_"]
            .iter()
            .map(|m| super::unique(&mut taken, m, super::rust_ident).to_string())
            .collect();
        assert_eq!(fields, ["self_", "self__2"]);
    }
}
