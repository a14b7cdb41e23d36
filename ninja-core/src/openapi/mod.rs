//! The OpenAPI 3.1 document, built once from the same types that run.
//!
//! Each route's generated `describe` function asks every argument type and the return type
//! to describe itself into an [`OperationDoc`]: extractors add parameters and request bodies
//! ([`FromRequestParts::describe`](crate::FromRequestParts::describe),
//! [`FromBody::describe`](crate::FromBody::describe)), response types add responses
//! ([`IntoResponse::describe`](crate::IntoResponse::describe)). Type schemas come from
//! schemars (JSON Schema 2020-12, OpenAPI 3.1's dialect) and land in `components.schemas`.

mod compat;
pub(crate) mod model;
mod operation;
pub(crate) mod problem_schema;

pub use compat::breaking_changes;
pub use model::ParamIn;
#[doc(hidden)]
pub use operation::ErrorVariant;
pub use operation::OperationDoc;
pub(crate) use operation::{ProblemBody, problem_body, reason};

use schemars::generate::{SchemaGenerator, SchemaSettings};
use serde_json::Value;

pub(crate) use model::Metadata;

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
