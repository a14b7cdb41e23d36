//! The OpenAPI 3.1 document, built once from the same types that run.
//!
//! Each route's generated `describe` function asks every argument type and the return type
//! to describe itself into an [`OperationDoc`]: extractors add parameters and request bodies
//! ([`FromRequestParts::describe`](crate::FromRequestParts::describe),
//! [`FromBody::describe`](crate::FromBody::describe)), response types add responses
//! ([`IntoResponse::describe`](crate::IntoResponse::describe)). Type schemas come from
//! schemars (JSON Schema 2020-12, OpenAPI 3.1's dialect) and land in `components.schemas`.

mod compat;
mod definition;
mod model;
mod operation;
mod problem_schema;

pub use compat::breaking_changes;
pub use model::ParamIn;
pub use operation::OperationDoc;
pub(crate) use operation::reason;

use bytes::Bytes;
use schemars::generate::{SchemaGenerator, SchemaSettings};
use serde_json::Value;

use crate::auth::AuthScheme;
use crate::routing::Route;
pub(crate) use model::Metadata;
use model::{Components, Document, Info, Ordered};

/// The settings every schema is generated with: 2020-12, refs into `#/components/schemas`,
/// and one contract (deserialize) so a type used both ways is one component, not two.
pub(crate) fn generator() -> SchemaGenerator {
    SchemaSettings::draft2020_12()
        .with(|s| {
            s.definitions_path = "/components/schemas".into();
            s.meta_schema = None;
        })
        .for_deserialize()
        .into_generator()
}

/// What the document says of the API as a whole.
#[derive(Debug, Clone)]
pub(crate) struct ApiInfo<'a> {
    pub(crate) title: &'a str,
    pub(crate) version: &'a str,
    pub(crate) description: Option<&'a str>,
    /// Describes what the API's error handler answers problems with, when it has one.
    pub(crate) problem_body: Option<fn(&mut OperationDoc<'_>)>,
    /// Servers, tags, contact, license...
    pub(crate) meta: &'a model::Metadata,
    /// The types of the API's states (what `State<T>` arguments need), when checking them:
    /// at `build()`, not for a document printed on its own.
    pub(crate) state_types: Option<Vec<std::any::TypeId>>,
    /// Whether the throttle store answers 503 when it is down (documented then).
    pub(crate) throttle_fails_closed: bool,
}

/// Builds the document, pretty-printed: the same bytes are served, printed by `--openapi`
/// and checked in as golden files, so a diff of the API surface reads well in review.
///
/// Fails when a user schema takes a name the framework's own schemas need, when two auth
/// schemes share a name, or when a handler takes an identity its route's auth does not give.
pub(crate) fn document(info: ApiInfo<'_>, routes: &[Route]) -> Result<Bytes, Vec<String>> {
    let mut generator = generator();
    let mut paths: Ordered<Ordered<model::Operation>> = Ordered::default();
    let mut uses_problem = false;
    let mut errors = Vec::new();
    let mut security_schemes: Ordered<(AuthScheme, Value)> = Ordered::default();
    let problem_body = info
        .problem_body
        .map(|describe| operation::problem_body(describe, &mut generator));
    // Which route first brought in each component name, to explain collisions.
    let mut introduced_by: Vec<(String, String)> = Vec::new();
    for route in routes {
        let mut op = operation::describe(
            route,
            &mut generator,
            problem_body.as_ref(),
            &mut uses_problem,
            &mut errors,
            &|id| info.state_types.as_ref().is_none_or(|s| s.contains(&id)),
            info.throttle_fails_closed,
        );
        if let Some(scheme) = route.auth().scheme() {
            for e in scheme.errors() {
                if !errors.contains(&e) {
                    errors.push(e);
                }
            }
        }
        let alternatives = route.auth().scheme().map_or(&[][..], |s| s.alternatives());
        for scheme in alternatives {
            let json = scheme.security_scheme();
            let (first, first_json) =
                security_schemes.entry(scheme.name(), || (scheme.clone(), json.clone()));
            if !first.same(scheme) && *first_json != json {
                errors.push(format!(
                    "two different auth schemes are named `{}`; name one apart with `.named(\"...\")`",
                    scheme.name()
                ));
            }
        }
        if let Some(definition) = route.definition() {
            let theirs = operation::describe(
                &definition,
                &mut generator,
                problem_body.as_ref(),
                &mut false,
                &mut Vec::new(),
                &|_| true,
                false,
            );
            definition::check_definition(route, &op, &definition, &theirs, &mut errors);
            // The definition's prose stands for a handler that has none of its own.
            if op.summary.is_none() && op.description.is_none() {
                op.summary = theirs.summary;
                op.description = theirs.description;
            }
        }
        let method = route.method().as_str().to_ascii_lowercase();
        let here = format!("{} {}", route.method(), route.path());
        for name in generator.definitions().keys() {
            if introduced_by.iter().any(|(n, _)| n == name) {
                continue;
            }
            if let Some((first, first_route)) = collision_base(name, &introduced_by) {
                tracing::warn!(
                    "two types are named `{first}` in the OpenAPI document: the one used by \
                     `{here}` is called `{name}` there (the first, used by `{first_route}`, keeps \
                     `{first}`); name them apart with `#[schemars(rename = \"...\")]`, for a \
                     generic type `#[schemars(rename = \"{first}_for_{{T}}\")]`"
                );
            }
            introduced_by.push((name.clone(), here.clone()));
        }
        paths
            .entry(route.path(), Ordered::default)
            .insert(&method, op);
    }
    let mut schemas = generator.take_definitions(true);
    schemas.values_mut().for_each(normalize);
    if uses_problem {
        for name in [problem_schema::PROBLEM, problem_schema::FIELD_ERROR] {
            if schemas.contains_key(name) {
                errors.push(format!(
                    "a schema named `{name}` clashes with the framework's own `{name}` schema; \
                     rename the type's schema with `#[schemars(rename = \"...\")]`"
                ));
            }
        }
        problem_schema::add(&mut schemas);
    }
    let doc = Document {
        openapi: "3.1.0",
        info: Info {
            title: info.title.to_owned(),
            version: info.version.to_owned(),
            description: info.description.map(str::to_owned),
            terms_of_service: info.meta.terms_of_service.clone(),
            contact: info.meta.contact.clone(),
            license: info.meta.license.clone(),
        },
        servers: info.meta.servers.clone(),
        tags: info.meta.tags.clone(),
        external_docs: info.meta.external_docs.clone(),
        paths,
        components: Components {
            schemas,
            security_schemes: Ordered(
                security_schemes
                    .0
                    .into_iter()
                    .map(|(name, (_, json))| (name, json))
                    .collect(),
            ),
        },
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut out = serde_json::to_vec_pretty(&doc).expect("the document always serializes");
    out.push(b'\n');
    Ok(Bytes::from(out))
}

/// The name and first route of the component `name` collides with, when `name` has the shape
/// schemars gives a second type of an already-used name: that name plus a number from 2.
fn collision_base<'a>(name: &str, known: &'a [(String, String)]) -> Option<(&'a str, &'a str)> {
    let base = name.trim_end_matches(|c: char| c.is_ascii_digit());
    let suffix = &name[base.len()..];
    if base.is_empty() || suffix.is_empty() || suffix.starts_with('0') || suffix == "1" {
        return None;
    }
    known
        .iter()
        .find(|(n, _)| n == base)
        .map(|(n, r)| (n.as_str(), r.as_str()))
}

/// Rewrites every `true` subschema as `{}`: the same schema ("anything"), but docs pages
/// (Swagger UI among them) fail to render a boolean schema where they expect an object.
/// `schema` without its `null` alternative: `type: [T, "null"]` becomes `type: T`, and an
/// `anyOf`/`oneOf` loses its `{"type": "null"}` branch (the one left is merged in).
pub(crate) fn without_null(schema: &mut Value) {
    let Value::Object(obj) = schema else { return };
    if let Some(Value::Array(types)) = obj.get_mut("type") {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            let only = types.remove(0);
            obj.insert("type".to_owned(), only);
        }
    }
    for key in ["anyOf", "oneOf"] {
        let Some(Value::Array(branches)) = obj.get_mut(key) else {
            continue;
        };
        branches.retain(|b| b.get("type").is_none_or(|t| t != "null"));
        if branches.len() == 1 {
            let Some(Value::Object(only)) = branches.pop() else {
                continue;
            };
            obj.remove(key);
            for (k, v) in only {
                obj.entry(k).or_insert(v);
            }
        }
    }
}

pub(crate) fn normalize(schema: &mut Value) {
    match schema {
        Value::Bool(true) => *schema = Value::Object(serde_json::Map::new()),
        Value::Object(obj) => {
            bound_integer(obj);
            add_discriminator(obj);
            for_each_subschema(obj, normalize);
        }
        _ => {}
    }
}

/// Calls `f` on each subschema of the schema object `obj` (JSON Schema 2020-12's
/// applicators): never on a property's name, only on the schemas below it.
pub(crate) fn for_each_subschema(
    obj: &mut serde_json::Map<String, Value>,
    mut f: impl FnMut(&mut Value),
) {
    for (key, value) in obj.iter_mut() {
        match key.as_str() {
            "properties" | "patternProperties" | "$defs" | "dependentSchemas" => {
                if let Value::Object(map) = value {
                    map.values_mut().for_each(&mut f);
                }
            }
            "allOf" | "anyOf" | "oneOf" | "prefixItems" => {
                if let Value::Array(list) = value {
                    list.iter_mut().for_each(&mut f);
                }
            }
            "items"
            | "additionalProperties"
            | "not"
            | "if"
            | "then"
            | "else"
            | "contains"
            | "propertyNames"
            | "unevaluatedItems"
            | "unevaluatedProperties"
            | "contentSchema" => f(value),
            _ => {}
        }
    }
}

/// The range of a Rust integer type, by the `format` schemars gives it.
fn integer_range(format: &str) -> Option<(Value, Value)> {
    Some(match format {
        "int8" => (i8::MIN.into(), i8::MAX.into()),
        "int16" => (i16::MIN.into(), i16::MAX.into()),
        "int32" => (i32::MIN.into(), i32::MAX.into()),
        "int64" | "int" => (i64::MIN.into(), i64::MAX.into()),
        "uint8" => (0.into(), u8::MAX.into()),
        "uint16" => (0.into(), u16::MAX.into()),
        "uint32" => (0.into(), u32::MAX.into()),
        "uint64" | "uint" => (0.into(), u64::MAX.into()),
        _ => return None,
    })
}

/// Gives an integer schema the bounds of its Rust type, as the server enforces them: a
/// `u32` with no `maximum` lets a client send 2^40 and get a 422 the document did not
/// announce. A bound already there (a `NonZeroU32`'s 1, a `range` rule) is kept when tighter.
fn bound_integer(obj: &mut serde_json::Map<String, Value>) {
    let is_integer = match obj.get("type") {
        Some(Value::String(t)) => t == "integer",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "integer"),
        _ => false,
    };
    let Some((lo, hi)) = obj
        .get("format")
        .and_then(Value::as_str)
        .filter(|_| is_integer)
        .and_then(integer_range)
    else {
        return;
    };
    let tighter = |a: &Value, b: &Value, keep_greater: bool| {
        let (Some(x), Some(y)) = (a.as_f64(), b.as_f64()) else {
            return false;
        };
        if keep_greater { x >= y } else { x <= y }
    };
    match obj.get("minimum") {
        Some(m) if tighter(m, &lo, true) => {}
        _ => {
            obj.insert("minimum".into(), lo);
        }
    }
    match obj.get("maximum") {
        Some(m) if tighter(m, &hi, false) => {}
        _ => {
            obj.insert("maximum".into(), hi);
        }
    }
}

/// Marks an internally tagged enum (`#[serde(tag = "kind")]`: a `oneOf` of objects that each
/// require the same property, set to a distinct constant) with its `discriminator`, so
/// generated clients pick the variant by that property instead of trying each.
fn add_discriminator(obj: &mut serde_json::Map<String, Value>) {
    if obj.contains_key("discriminator") {
        return;
    }
    let Some(Value::Array(variants)) = obj.get("oneOf") else {
        return;
    };
    if variants.len() < 2 {
        return;
    }
    let tag_of = |variant: &Value, name: &str| -> Option<String> {
        let required = variant["required"].as_array()?;
        if !required.iter().any(|r| r == name) {
            return None;
        }
        variant["properties"][name]["const"]
            .as_str()
            .map(str::to_owned)
    };
    let Some(first) = variants[0]["properties"].as_object() else {
        return;
    };
    let found = first.keys().find(|name| {
        let tags: Vec<Option<String>> = variants.iter().map(|v| tag_of(v, name)).collect();
        tags.iter().all(Option::is_some) && (1..tags.len()).all(|i| !tags[..i].contains(&tags[i]))
    });
    if let Some(name) = found.cloned() {
        obj.insert(
            "discriminator".to_owned(),
            serde_json::json!({ "propertyName": name }),
        );
    }
}

/// Removes `null` from an optional parameter's schema: absence, not `null`, is how a query
/// parameter is left out.
pub(crate) fn strip_null(schema: &mut Value) {
    let Some(obj) = schema.as_object_mut() else {
        return;
    };
    if let Some(Value::Array(types)) = obj.get_mut("type") {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            let only = types.remove(0);
            obj.insert("type".to_owned(), only);
        }
        return;
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(Value::Array(alts)) = obj.get_mut(key) {
            alts.retain(|a| a.get("type").and_then(Value::as_str) != Some("null"));
            if alts.len() == 1 {
                let only = alts.remove(0);
                obj.remove(key);
                if let Value::Object(inner) = only {
                    for (k, v) in inner {
                        obj.entry(k).or_insert(v);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn collision_names() {
        let known = vec![("Item".to_owned(), "GET /a".to_owned())];
        assert_eq!(collision_base("Item2", &known), Some(("Item", "GET /a")));
        assert_eq!(collision_base("Item12", &known), Some(("Item", "GET /a")));
        assert_eq!(collision_base("Item", &known), None);
        assert_eq!(collision_base("Item1", &known), None);
        assert_eq!(collision_base("Other2", &known), None);
    }

    #[test]
    fn true_subschemas_become_empty_objects() {
        let mut s = json!(true);
        normalize(&mut s);
        assert_eq!(s, json!({}));
        let mut s = json!({"type": "object", "properties": {"any": true, "n": {"type": "integer"}},
                           "additionalProperties": false, "prefixItems": [true],
                           "items": {"anyOf": [true, {"type": "null"}]}});
        normalize(&mut s);
        assert_eq!(
            s,
            json!({"type": "object", "properties": {"any": {}, "n": {"type": "integer"}},
                             "additionalProperties": false, "prefixItems": [{}],
                             "items": {"anyOf": [{}, {"type": "null"}]}})
        );
    }

    #[test]
    fn strip_null_from_type_lists_and_any_of() {
        let mut s = json!({"type": ["integer", "null"], "format": "uint32"});
        strip_null(&mut s);
        assert_eq!(s, json!({"type": "integer", "format": "uint32"}));
        let mut s = json!({"anyOf": [{"$ref": "#/components/schemas/Color"}, {"type": "null"}]});
        strip_null(&mut s);
        assert_eq!(s, json!({"$ref": "#/components/schemas/Color"}));
        let mut s = json!({"type": ["string", "integer", "null"]});
        strip_null(&mut s);
        assert_eq!(s, json!({"type": ["string", "integer"]}));
    }
}
