//! Values from JSON Schemas: one proptest strategy per schema of the document, so that every
//! generated value is one the document allows (and shrinks towards a simpler one).

use proptest::prelude::*;
use proptest::strategy::{BoxedStrategy, Just, Union};
use serde_json::{Map, Number, Value};

/// Where a string goes: headers carry visible ASCII only, whatever the schema allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Text {
    Any,
    Header,
}

/// Strategies for the schemas of one document; `$ref`s resolve against `root`.
pub(super) struct Schemas<'a> {
    pub(super) root: &'a Value,
}

/// Deeper than this, a recursive schema is cut (its optional parts are left out).
const MAX_DEPTH: u32 = 8;
/// Longest generated string and array when the schema sets no maximum.
const DEFAULT_SPAN: u64 = 12;

type Gen = Result<BoxedStrategy<Value>, String>;

impl Schemas<'_> {
    /// A `$ref` to this document, resolved.
    pub(super) fn resolve<'s>(&'s self, schema: &'s Value) -> Result<&'s Value, String> {
        let mut schema = schema;
        for _ in 0..MAX_DEPTH {
            let Some(target) = schema.get("$ref").and_then(Value::as_str) else {
                return Ok(schema);
            };
            schema = target
                .strip_prefix('#')
                .and_then(|pointer| self.root.pointer(pointer))
                .ok_or_else(|| format!("unresolvable $ref {target}"))?;
        }
        Err("a $ref chain too long".to_owned())
    }

    /// A strategy for values valid against `schema`.
    pub(super) fn value(&self, schema: &Value, text: Text, depth: u32) -> Gen {
        if depth > MAX_DEPTH {
            return Err("schema nested too deep".to_owned());
        }
        let schema = self.resolve(schema)?;
        let obj = match schema {
            Value::Bool(true) => return Ok(any_simple()),
            Value::Bool(false) => return Err("the schema `false` allows nothing".to_owned()),
            Value::Object(obj) => obj,
            _ => return Err(format!("not a schema: {schema}")),
        };
        // Only a `$ref` with siblings gets here (OpenAPI 3.1 allows them): merge.
        if let Some(c) = obj.get("const") {
            return Ok(Just(c.clone()).boxed());
        }
        if let Some(Value::Array(values)) = obj.get("enum") {
            if values.is_empty() {
                return Err("an empty enum".to_owned());
            }
            return Ok(proptest::sample::select(values.clone()).boxed());
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(Value::Array(branches)) = obj.get(key) {
                return self.union(obj, branches, text, depth);
            }
        }
        if let Some(Value::Array(parts)) = obj.get("allOf") {
            let merged = self.merge(obj, parts)?;
            return self.value(&merged, text, depth + 1);
        }
        match obj.get("type") {
            Some(Value::String(t)) => self.typed(t, obj, text, depth),
            Some(Value::Array(types)) => {
                let branches = types
                    .iter()
                    .filter_map(Value::as_str)
                    .map(|t| self.typed(t, obj, text, depth))
                    .collect::<Result<Vec<_>, _>>()?;
                if branches.is_empty() {
                    return Err("an empty type list".to_owned());
                }
                Ok(Union::new(branches).boxed())
            }
            _ => match inferred_type(obj) {
                Some(t) => self.typed(t, obj, text, depth),
                None => Ok(any_simple()),
            },
        }
    }

    /// `anyOf`/`oneOf`: any branch that can be generated. The other keywords beside it
    /// (a description, a default) constrain nothing that matters here.
    fn union(&self, obj: &Map<String, Value>, branches: &[Value], text: Text, depth: u32) -> Gen {
        let mut ok = Vec::new();
        let mut last_error = None;
        for branch in branches {
            let branch = match obj.get("type") {
                // `{"type": "string", "oneOf": [{"const": ..}]}`: the type applies to each.
                Some(t) if branch.get("type").is_none() && branch.get("$ref").is_none() => {
                    let mut b = branch.clone();
                    b.as_object_mut()
                        .map(|m| m.insert("type".to_owned(), t.clone()));
                    b
                }
                _ => branch.clone(),
            };
            match self.value(&branch, text, depth + 1) {
                Ok(s) => ok.push(s),
                Err(e) => last_error = Some(e),
            }
        }
        if ok.is_empty() {
            return Err(last_error.unwrap_or_else(|| "an empty anyOf/oneOf".to_owned()));
        }
        Ok(Union::new(ok).boxed())
    }

    /// `allOf`: the parts' properties and required lists merged into one object schema.
    fn merge(&self, obj: &Map<String, Value>, parts: &[Value]) -> Result<Value, String> {
        let mut merged = obj.clone();
        merged.remove("allOf");
        for part in parts {
            let Value::Object(part) = self.resolve(part)? else {
                continue;
            };
            for (key, value) in part {
                match (key.as_str(), merged.get_mut(key)) {
                    ("properties", Some(Value::Object(props))) => {
                        if let Value::Object(more) = value {
                            props.extend(more.clone());
                        }
                    }
                    ("required", Some(Value::Array(required))) => {
                        if let Value::Array(more) = value {
                            required.extend(more.iter().cloned());
                        }
                    }
                    (_, Some(_)) => {}
                    (_, None) => {
                        merged.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        Ok(Value::Object(merged))
    }

    fn typed(&self, t: &str, obj: &Map<String, Value>, text: Text, depth: u32) -> Gen {
        match t {
            "null" => Ok(Just(Value::Null).boxed()),
            "boolean" => Ok(any::<bool>().prop_map(Value::Bool).boxed()),
            "integer" => integer(obj),
            "number" => number(obj),
            "string" => string(obj, text),
            "array" => self.array(obj, text, depth),
            "object" => self.object(obj, text, depth),
            other => Err(format!("unknown type {other}")),
        }
    }

    fn array(&self, obj: &Map<String, Value>, text: Text, depth: u32) -> Gen {
        let items = match obj.get("items") {
            Some(items) => self.value(items, text, depth + 1)?,
            None => any_simple(),
        };
        let (min, max) = span(obj, "minItems", "maxItems");
        let vec = proptest::collection::vec(items, min..=max);
        if obj.get("uniqueItems") == Some(&Value::Bool(true)) {
            return Ok(vec
                .prop_map(|mut items| {
                    let mut seen = Vec::with_capacity(items.len());
                    items.retain(|v| {
                        let fresh = !seen.contains(v);
                        if fresh {
                            seen.push(v.clone());
                        }
                        fresh
                    });
                    items
                })
                .prop_filter("fewer unique items than minItems", move |v| v.len() >= min)
                .prop_map(Value::Array)
                .boxed());
        }
        Ok(vec.prop_map(Value::Array).boxed())
    }

    fn object(&self, obj: &Map<String, Value>, text: Text, depth: u32) -> Gen {
        let required: Vec<&str> = obj
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut fields = Vec::new();
        if let Some(Value::Object(props)) = obj.get("properties") {
            for (name, schema) in props {
                let name = name.clone();
                if required.contains(&name.as_str()) {
                    let s = self.value(schema, text, depth + 1)?;
                    fields.push(s.prop_map(move |v| Some((name.clone(), v))).boxed());
                } else if let Ok(s) = self.value(schema, text, depth + 1) {
                    // An optional field that cannot be generated is left out.
                    let s = proptest::option::weighted(0.6, s);
                    fields.push(s.prop_map(move |v| v.map(|v| (name.clone(), v))).boxed());
                }
            }
        } else if let Some(extra @ Value::Object(_)) = obj.get("additionalProperties") {
            let value = self.value(extra, text, depth + 1)?;
            let entries = proptest::collection::btree_map("[a-z]{1,8}", value, 0..3);
            return Ok(entries
                .prop_map(|m| Value::Object(m.into_iter().collect()))
                .boxed());
        }
        Ok(fields
            .prop_map(|fields| Value::Object(fields.into_iter().flatten().collect()))
            .boxed())
    }
}

/// A small value of any JSON type, for the schema `{}`.
fn any_simple() -> BoxedStrategy<Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-1000i64..1000).prop_map(Value::from),
        "[a-z]{0,8}".prop_map(Value::String),
    ]
    .boxed()
}

/// The type a schema without `type` constrains.
fn inferred_type(obj: &Map<String, Value>) -> Option<&'static str> {
    let has = |k: &str| obj.contains_key(k);
    if has("properties") || has("additionalProperties") || has("required") {
        Some("object")
    } else if has("items") || has("minItems") || has("maxItems") {
        Some("array")
    } else if has("minLength") || has("maxLength") || has("pattern") || has("format") {
        Some("string")
    } else if has("minimum") || has("maximum") {
        Some("number")
    } else {
        None
    }
}

/// `min..=max` from a pair of size keywords; without a maximum, a few more than the minimum.
fn span(obj: &Map<String, Value>, min_key: &str, max_key: &str) -> (usize, usize) {
    let min = obj.get(min_key).and_then(Value::as_u64).unwrap_or(0);
    let max = obj
        .get(max_key)
        .and_then(Value::as_u64)
        .unwrap_or(min + DEFAULT_SPAN)
        .min(min + 4 * DEFAULT_SPAN)
        .max(min);
    let min = usize::try_from(min).unwrap_or(usize::MAX);
    (min, usize::try_from(max).unwrap_or(min))
}

fn bound(obj: &Map<String, Value>, key: &str) -> Option<f64> {
    obj.get(key).and_then(Value::as_f64)
}

/// Integers in the schema's bounds, the bounds themselves more often than chance would.
fn integer(obj: &Map<String, Value>) -> Gen {
    let int = |key| {
        obj.get(key)
            .and_then(|v| v.as_i64().map(i128::from).or(v.as_u64().map(i128::from)))
    };
    let mut lo = int("minimum").unwrap_or(i128::from(i64::MIN));
    let mut hi = int("maximum").unwrap_or(i128::from(u64::MAX));
    if let Some(x) = int("exclusiveMinimum") {
        lo = lo.max(x + 1);
    }
    if let Some(x) = int("exclusiveMaximum") {
        hi = hi.min(x - 1);
    }
    if lo > hi {
        return Err(format!("integer range {lo}..={hi} is empty"));
    }
    let to_value = |n: i128| -> Value {
        i64::try_from(n)
            .map(Number::from)
            .or_else(|_| u64::try_from(n).map(Number::from))
            .map_or(Value::Null, Value::Number)
    };
    let near_zero = 0.clamp(lo, hi);
    Ok(prop_oneof![
        1 => Just(lo),
        1 => Just(hi),
        1 => Just(near_zero),
        6 => lo..=hi,
    ]
    .prop_map(to_value)
    .boxed())
}

fn number(obj: &Map<String, Value>) -> Gen {
    let mut lo = bound(obj, "minimum").unwrap_or(-1e12);
    let mut hi = bound(obj, "maximum").unwrap_or(1e12);
    if let Some(x) = bound(obj, "exclusiveMinimum") {
        lo = lo.max(x).next_up();
    }
    if let Some(x) = bound(obj, "exclusiveMaximum") {
        hi = hi.min(x).next_down();
    }
    if lo.partial_cmp(&hi) == Some(std::cmp::Ordering::Greater) {
        return Err(format!("number range {lo}..={hi} is empty"));
    }
    Ok(prop_oneof![
        1 => Just(lo),
        1 => Just(hi),
        6 => lo..=hi,
    ]
    .prop_filter_map("not a JSON number", |x| {
        Number::from_f64(x).map(Value::Number)
    })
    .boxed())
}

/// Strings of the schema's format or pattern, or any printable text, within its lengths.
fn string(obj: &Map<String, Value>, text: Text) -> Gen {
    let (min, max) = span(obj, "minLength", "maxLength");
    let format = obj.get("format").and_then(Value::as_str);
    let pattern = obj.get("pattern").and_then(Value::as_str);
    let shaped = match (pattern, format) {
        (Some(p), _) => Some(unanchored(p)),
        (None, Some(f)) => format_regex(f).map(str::to_owned),
        (None, None) => None,
    };
    let Some(regex) = shaped else {
        let class = match text {
            Text::Any => r"\PC",
            Text::Header => "[!-~]",
        };
        let regex = format!("{class}{{{min},{max}}}");
        return Ok(proptest::string::string_regex(&regex)
            .map_err(|e| e.to_string())?
            .prop_map(Value::String)
            .boxed());
    };
    let strings = proptest::string::string_regex(&regex)
        .map_err(|e| format!("pattern {regex:?} cannot be generated: {e}"))?;
    // A format or pattern sets its own lengths; only the schema's own bounds apply.
    let max = obj
        .get("maxLength")
        .and_then(Value::as_u64)
        .map_or(usize::MAX, |m| usize::try_from(m).unwrap_or(usize::MAX));
    Ok(strings
        .prop_filter("outside minLength/maxLength", move |s| {
            (min..=max).contains(&s.chars().count())
        })
        .prop_map(Value::String)
        .boxed())
}

/// JSON Schema patterns match anywhere in the string; a string matching the pattern whole
/// does too, so the anchors, which proptest cannot generate, are dropped.
fn unanchored(pattern: &str) -> String {
    let p = pattern.strip_prefix('^').unwrap_or(pattern);
    let p = match p.strip_suffix('$') {
        Some(rest) if !rest.ends_with('\\') => rest,
        _ => p,
    };
    p.to_owned()
}

/// Strings of the formats that Ninja's validation enforces (garde's email and URL) and
/// the common ones schemars emits.
fn format_regex(format: &str) -> Option<&'static str> {
    Some(match format {
        "email" => r"[a-z][a-z0-9]{0,8}@[a-z]{1,8}\.(com|org|net)",
        "uri" | "url" => r"https://[a-z]{1,8}\.example(/[a-z0-9]{1,8}){0,2}",
        "uuid" => r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
        "date" => r"20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])",
        "date-time" => {
            r"20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]Z"
        }
        "ipv4" => r"(1[0-9]{0,2}|2[0-4][0-9])(\.(1[0-9]{0,2}|2[0-4][0-9])){3}",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    use serde_json::json;

    fn samples(root: &Value, schema: &Value, n: usize) -> Vec<Value> {
        let schemas = Schemas { root };
        let strategy = schemas.value(schema, Text::Any, 0).expect("generable");
        let mut runner = TestRunner::deterministic();
        (0..n)
            .map(|_| strategy.new_tree(&mut runner).expect("a value").current())
            .collect()
    }

    #[test]
    fn integers_stay_in_bounds_and_reach_them() {
        let values = samples(
            &json!({}),
            &json!({"type": "integer", "minimum": 3, "maximum": 9}),
            200,
        );
        let ints: Vec<i64> = values
            .iter()
            .map(|v| v.as_i64().expect("an integer"))
            .collect();
        assert!(ints.iter().all(|n| (3..=9).contains(n)), "{ints:?}");
        assert!(
            ints.contains(&3) && ints.contains(&9),
            "bounds never tried: {ints:?}"
        );
        let big = samples(
            &json!({}),
            &json!({"type": "integer", "format": "uint64", "minimum": 0, "maximum": u64::MAX}),
            50,
        );
        assert!(big.iter().all(|v| v.is_u64()), "{big:?}");
    }

    #[test]
    fn objects_follow_refs_required_and_patterns() {
        let root = json!({"components": {"schemas": {
            "Address": {"type": "object", "properties": {
                "country": {"type": "string", "pattern": "^[A-Z]{2}$"},
                "note": {"type": ["string", "null"], "maxLength": 3}
            }, "required": ["country"]}
        }}});
        let schema = json!({"$ref": "#/components/schemas/Address"});
        let values = samples(&root, &schema, 100);
        for v in &values {
            let country = v["country"].as_str().expect("country is required");
            assert!(
                country.len() == 2 && country.chars().all(|c| c.is_ascii_uppercase()),
                "{v}"
            );
            if let Some(note) = v.get("note").and_then(Value::as_str) {
                assert!(note.chars().count() <= 3, "{v}");
            }
        }
        assert!(
            values.iter().any(|v| v.get("note").is_none()),
            "optional field always sent"
        );
        assert!(
            values.iter().any(|v| v.get("note").is_some()),
            "optional field never sent"
        );
    }

    #[test]
    fn formats_and_enums_give_valid_strings() {
        for v in samples(
            &json!({}),
            &json!({"type": "string", "format": "email"}),
            50,
        ) {
            let s = v.as_str().expect("a string");
            assert!(s.contains('@') && s.contains('.'), "{s}");
        }
        let order = json!({"oneOf": [{"type": "string", "const": "asc"}, {"type": "string", "const": "desc"}]});
        let values = samples(&json!({}), &order, 50);
        assert!(
            values.iter().all(|v| v == "asc" || v == "desc"),
            "{values:?}"
        );
    }

    #[test]
    fn impossible_schemas_are_reported_not_generated() {
        let schemas = Schemas { root: &json!({}) };
        assert!(schemas.value(&json!(false), Text::Any, 0).is_err());
        assert!(
            schemas
                .value(
                    &json!({"type": "integer", "minimum": 5, "maximum": 1}),
                    Text::Any,
                    0
                )
                .is_err()
        );
        assert!(
            schemas
                .value(
                    &json!({"$ref": "#/components/schemas/Missing"}),
                    Text::Any,
                    0
                )
                .is_err()
        );
    }
}
