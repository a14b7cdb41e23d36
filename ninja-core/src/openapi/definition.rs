//! The check that holds a handler to the API definition's operation it implements
//! (`op = ..` in its route attribute).

use serde::Serialize;
use serde_json::Value;

use super::model;
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
            .map(|(status, r)| (status.clone(), wire(&r.content)))
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

/// What a client sees of a part of an operation: everything but the prose.
fn wire<T: Serialize>(part: &T) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(map) => {
                for key in ["description", "summary", "example", "examples", "title"] {
                    map.remove(key);
                }
                map.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut v = serde_json::to_value(part).unwrap_or(Value::Null);
    strip(&mut v);
    v
}
