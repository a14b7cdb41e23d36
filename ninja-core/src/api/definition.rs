//! The check that holds a handler to the API definition's operation it implements
//! (`op = ..` in its route attribute).

use serde::Serialize;
use serde_json::Value;

use crate::openapi::model;
use crate::routing::Route;

/// A route linked to an API definition's operation (`op = ..`) must be served where the
/// definition says, read the same inputs and give the same successes (statuses and bodies):
/// what its clients send and expect. Descriptions, examples, and what the server's own
/// policies add (auth, throttles and their headers, error answers) may differ.
pub(super) fn check_definition(
    route: &Route,
    mine: &model::Operation,
    definition: &Route,
    theirs: &model::Operation,
    errors: &mut Vec<String>,
) {
    let here = format!("`{} {}`", route.method(), route.path());
    let id = definition.operation().operation_id();
    if route.method() != definition.method() || route.path() != definition.path() {
        errors.push(format!(
            "{here} implements `{id}`, which its API definition serves at `{} {}`",
            definition.method(),
            definition.path()
        ));
        return;
    }
    let parts = |op: &model::Operation| {
        let mut params: Vec<Value> = op.parameters.iter().map(wire).collect();
        params.sort_by_key(Value::to_string);
        let body = op.request_body.as_ref().map(wire);
        let successes: Vec<(String, Value)> = op
            .responses
            .0
            .iter()
            .filter(|(status, _)| status.starts_with('2'))
            .map(|(status, r)| (status.clone(), content_wire(&r.content)))
            .collect();
        (params, body, successes)
    };
    let (mine, theirs) = (parts(mine), parts(theirs));
    for (what, same) in [
        ("parameters", mine.0 == theirs.0),
        ("request body", mine.1 == theirs.1),
        ("successful responses", mine.2 == theirs.2),
    ] {
        if !same {
            errors.push(format!(
                "{here} implements `{id}` of its API definition but its {what} differ from the definition's: give the handler the definition's arguments and return type"
            ));
        }
    }
}

/// What a client sees of a parameter or a request body: everything but the prose, which
/// is taken off the part itself, its media types and wherever a schema is, never from among
/// a schema's property names (a field called `title` is compared).
fn wire<T: Serialize>(part: &T) -> Value {
    let mut v = serde_json::to_value(part).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut v {
        drop_prose(map);
        if let Some(schema) = map.get_mut("schema") {
            schema_without_prose(schema);
        }
        if let Some(Value::Object(content)) = map.get_mut("content") {
            media_without_prose(content);
        }
    }
    v
}

/// [`wire`] for a response's content: media type → `{schema}`.
fn content_wire<T: Serialize>(content: &T) -> Value {
    let mut v = serde_json::to_value(content).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut v {
        media_without_prose(map);
    }
    v
}

/// Media type → `{schema, example..}`, without the prose.
fn media_without_prose(content: &mut serde_json::Map<String, Value>) {
    for media in content.values_mut() {
        if let Value::Object(media) = media {
            drop_prose(media);
            if let Some(schema) = media.get_mut("schema") {
                schema_without_prose(schema);
            }
        }
    }
}

fn drop_prose(map: &mut serde_json::Map<String, Value>) {
    for key in [
        "description",
        "summary",
        "example",
        "examples",
        "title",
        "deprecated",
    ] {
        map.remove(key);
    }
}

/// Takes the prose off `schema` and its subschemas.
fn schema_without_prose(schema: &mut Value) {
    if let Value::Object(map) = schema {
        drop_prose(map);
        crate::openapi::for_each_subschema(map, schema_without_prose);
    }
}
