//! Breaking changes between two versions of a document: what would break a client built
//! from the old one. A byte comparison (the golden files) says *that* the API changed; this
//! says whether the change is safe to ship.
//!
//! ```
//! use ninja_core::openapi::breaking_changes;
//! use serde_json::json;
//!
//! let old = json!({"paths": {"/items": {"get": {"parameters": [], "responses": {"200": {}}}}}});
//! let new = json!({"paths": {"/items": {"get": {"parameters": [
//!     {"name": "owner", "in": "query", "required": true, "schema": {"type": "string"}}
//! ], "responses": {"200": {}}}}}});
//! assert_eq!(
//!     breaking_changes(&old, &new),
//!     ["GET /items: new required query parameter `owner`"]
//! );
//! ```

use serde_json::{Map, Value};

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// What a client of `old` would find broken in `new`, one line each (empty: compatible).
///
/// Checked: operations removed; parameters that became required or are new and required;
/// a request body that became required; request schemas that accept less (a type changed,
/// an enum value dropped, a bound tightened, a new required property, properties closed);
/// success responses removed; response properties a client may read removed or no longer
/// always present. `$ref`s into `components.schemas` are followed (each once per path).
#[must_use]
pub fn breaking_changes(old: &Value, new: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let docs = Docs { old, new };
    let empty = Map::new();
    let old_paths = old["paths"].as_object().unwrap_or(&empty);
    let new_paths = new["paths"].as_object().unwrap_or(&empty);
    for (path, old_item) in old_paths {
        for method in METHODS {
            let Some(old_op) = old_item.get(method) else {
                continue;
            };
            let here = format!("{} {path}", method.to_ascii_uppercase());
            match new_paths.get(path).and_then(|i| i.get(method)) {
                None => out.push(format!("{here}: the operation was removed")),
                Some(new_op) => docs.operation(&here, old_op, new_op, &mut out),
            }
        }
    }
    out
}

struct Docs<'a> {
    old: &'a Value,
    new: &'a Value,
}

/// Which way data flows through a schema: what a client sends, or what it reads.
#[derive(Clone, Copy, PartialEq)]
enum Flow {
    Request,
    Response,
}

impl Docs<'_> {
    fn operation(&self, here: &str, old: &Value, new: &Value, out: &mut Vec<String>) {
        let key = |p: &Value| {
            (
                p["in"].as_str().unwrap_or_default().to_owned(),
                p["name"].as_str().unwrap_or_default().to_owned(),
            )
        };
        let list = |op: &Value| op["parameters"].as_array().cloned().unwrap_or_default();
        let (old_params, new_params) = (list(old), list(new));
        for np in &new_params {
            let (location, name) = key(np);
            let required = np["required"].as_bool().unwrap_or(false);
            match old_params
                .iter()
                .find(|op| key(op) == (location.clone(), name.clone()))
            {
                None if required => out.push(format!(
                    "{here}: new required {location} parameter `{name}`"
                )),
                None => {}
                Some(op) => {
                    if required && !op["required"].as_bool().unwrap_or(false) {
                        out.push(format!(
                            "{here}: {location} parameter `{name}` became required"
                        ));
                    }
                    let at = format!("{here}: {location} parameter `{name}`");
                    self.schema(
                        &at,
                        &op["schema"],
                        &np["schema"],
                        Flow::Request,
                        out,
                        &mut Vec::new(),
                    );
                }
            }
        }
        let (old_body, new_body) = (&old["requestBody"], &new["requestBody"]);
        if new_body["required"].as_bool().unwrap_or(false)
            && !old_body["required"].as_bool().unwrap_or(false)
        {
            out.push(format!("{here}: a request body became required"));
        }
        if let (Some(old_media), Some(new_media)) = (
            old_body["content"].as_object(),
            new_body["content"].as_object(),
        ) {
            for (media, old_m) in old_media {
                match new_media.get(media) {
                    None => out.push(format!(
                        "{here}: the request body is no longer accepted as `{media}`"
                    )),
                    Some(new_m) => self.schema(
                        &format!("{here}: request body"),
                        &old_m["schema"],
                        &new_m["schema"],
                        Flow::Request,
                        out,
                        &mut Vec::new(),
                    ),
                }
            }
        }
        let empty = Map::new();
        let old_res = old["responses"].as_object().unwrap_or(&empty);
        let new_res = new["responses"].as_object().unwrap_or(&empty);
        for (status, old_r) in old_res {
            let success = status.starts_with('2');
            match new_res.get(status) {
                None if success => out.push(format!("{here}: the {status} response was removed")),
                None => {}
                Some(new_r) => {
                    let Some(old_media) = old_r["content"].as_object() else {
                        continue;
                    };
                    for (media, old_m) in old_media {
                        if let Some(new_m) = new_r["content"].get(media) {
                            self.schema(
                                &format!("{here}: {status} response"),
                                &old_m["schema"],
                                &new_m["schema"],
                                Flow::Response,
                                out,
                                &mut Vec::new(),
                            );
                        } else if success {
                            out.push(format!(
                                "{here}: the {status} response is no longer `{media}`"
                            ));
                        }
                    }
                }
            }
        }
    }

    /// Follows a `$ref` into its document's `components.schemas`.
    fn resolve<'v>(&'v self, schema: &'v Value, doc: &'v Value) -> (&'v Value, Option<&'v str>) {
        match schema["$ref"]
            .as_str()
            .and_then(|r| r.strip_prefix("#/components/schemas/"))
        {
            Some(name) => (&doc["components"]["schemas"][name], Some(name)),
            None => (schema, None),
        }
    }

    fn schema(
        &self,
        at: &str,
        old: &Value,
        new: &Value,
        flow: Flow,
        out: &mut Vec<String>,
        seen: &mut Vec<(String, String)>,
    ) {
        let (old, old_name) = self.resolve(old, self.old);
        let (new, new_name) = self.resolve(new, self.new);
        if let (Some(o), Some(n)) = (old_name, new_name) {
            let pair = (o.to_owned(), n.to_owned());
            if seen.contains(&pair) {
                return;
            }
            seen.push(pair);
        }
        let types = |s: &Value| -> Vec<String> {
            match &s["type"] {
                Value::String(t) => vec![t.clone()],
                Value::Array(ts) => ts
                    .iter()
                    .filter_map(|t| t.as_str().map(str::to_owned))
                    .collect(),
                _ => Vec::new(),
            }
        };
        let (old_types, new_types) = (types(old), types(new));
        if !old_types.is_empty() && !new_types.is_empty() {
            // A request may carry any type the old schema allowed; a response any the new.
            let (from, to) = match flow {
                Flow::Request => (&old_types, &new_types),
                Flow::Response => (&new_types, &old_types),
            };
            // `integer` is a `number`.
            let covered =
                |t: &String| to.contains(t) || (t == "integer" && to.iter().any(|x| x == "number"));
            if let Some(t) = from.iter().find(|t| !covered(t)) {
                out.push(format!(
                    "{at}: type `{t}` is no longer {}",
                    match flow {
                        Flow::Request => "accepted",
                        Flow::Response => "what clients were told to expect",
                    }
                ));
                return;
            }
        }
        if flow == Flow::Request {
            self.narrowed(at, old, new, out);
        }
        let empty = Map::new();
        let old_props = old["properties"].as_object().unwrap_or(&empty);
        let new_props = new["properties"].as_object().unwrap_or(&empty);
        let required = |s: &Value| -> Vec<String> {
            s["required"]
                .as_array()
                .map(|r| {
                    r.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        let (old_req, new_req) = (required(old), required(new));
        match flow {
            Flow::Request => {
                for name in &new_req {
                    if !old_req.contains(name) {
                        out.push(format!("{at}: property `{name}` became required"));
                    }
                }
                if new["additionalProperties"] == Value::Bool(false)
                    && old["additionalProperties"] != Value::Bool(false)
                {
                    out.push(format!("{at}: unknown properties are no longer accepted"));
                }
            }
            Flow::Response => {
                for name in &old_req {
                    if !new_props.contains_key(name) {
                        out.push(format!("{at}: property `{name}` was removed"));
                    } else if !new_req.contains(name) {
                        out.push(format!(
                            "{at}: property `{name}` is no longer always present"
                        ));
                    }
                }
            }
        }
        for (name, old_p) in old_props {
            if let Some(new_p) = new_props.get(name) {
                self.schema(&format!("{at}.{name}"), old_p, new_p, flow, out, seen);
            }
        }
        if let (Some(oi), Some(ni)) = (old.get("items"), new.get("items")) {
            self.schema(&format!("{at}[]"), oi, ni, flow, out, seen);
        }
    }

    /// A request schema that accepts less than before: bounds, lengths, enums, patterns.
    fn narrowed(&self, at: &str, old: &Value, new: &Value, out: &mut Vec<String>) {
        let num = |s: &Value, k: &str| s.get(k).and_then(Value::as_f64);
        for (key, raised) in [
            ("minimum", true),
            ("exclusiveMinimum", true),
            ("minLength", true),
            ("minItems", true),
            ("maximum", false),
            ("exclusiveMaximum", false),
            ("maxLength", false),
            ("maxItems", false),
        ] {
            let (o, n) = (num(old, key), num(new, key));
            let narrower = match (o, n) {
                (_, None) => false,
                (None, Some(_)) => true,
                (Some(o), Some(n)) => {
                    if raised {
                        n > o
                    } else {
                        n < o
                    }
                }
            };
            if narrower {
                out.push(format!(
                    "{at}: `{key}` narrowed from {} to {}",
                    o.map_or("none".into(), |v| v.to_string()),
                    n.unwrap_or_default()
                ));
            }
        }
        if let Some(new_enum) = new["enum"].as_array() {
            match old["enum"].as_array() {
                None => out.push(format!(
                    "{at}: now limited to {}",
                    Value::Array(new_enum.clone())
                )),
                Some(old_enum) => {
                    for v in old_enum {
                        if !new_enum.contains(v) {
                            out.push(format!("{at}: value {v} is no longer accepted"));
                        }
                    }
                }
            }
        }
        if new.get("pattern").is_some() && new.get("pattern") != old.get("pattern") {
            out.push(format!("{at}: a new `pattern` applies"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::breaking_changes;
    use serde_json::{Value, json};

    fn doc(op: Value, schemas: Value) -> Value {
        json!({"paths": {"/items/{id}": {"post": op}}, "components": {"schemas": schemas}})
    }

    fn op(params: Value, body: Value, response: Value) -> Value {
        json!({
            "parameters": params,
            "requestBody": {"required": true, "content": {"application/json": {"schema": body}}},
            "responses": {"200": {"content": {"application/json": {"schema": response}}}}
        })
    }

    fn base() -> Value {
        doc(
            op(
                json!([{"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 0}},
                       {"name": "q", "in": "query", "required": false, "schema": {"type": "string"}}]),
                json!({"$ref": "#/components/schemas/New"}),
                json!({"$ref": "#/components/schemas/Item"}),
            ),
            json!({
                "New": {"type": "object", "required": ["name"], "properties": {
                    "name": {"type": "string", "maxLength": 50},
                    "kind": {"type": "string", "enum": ["a", "b"]},
                    "tags": {"type": "array", "items": {"type": "string"}}}},
                "Item": {"type": "object", "required": ["id", "name"], "properties": {
                    "id": {"type": "integer"}, "name": {"type": "string"}}}
            }),
        )
    }

    #[test]
    fn the_same_document_is_compatible() {
        assert!(breaking_changes(&base(), &base()).is_empty());
    }

    #[test]
    fn additions_are_compatible() {
        let mut new = base();
        new["paths"]["/more"] = json!({"get": {"responses": {"200": {}}}});
        new["paths"]["/items/{id}"]["post"]["parameters"]
            .as_array_mut()
            .expect("params")
            .push(json!({"name": "x", "in": "query", "required": false, "schema": {"type": "string"}}));
        new["components"]["schemas"]["Item"]["properties"]["extra"] = json!({"type": "string"});
        new["components"]["schemas"]["New"]["properties"]["kind"]["enum"] = json!(["a", "b", "c"]);
        new["components"]["schemas"]["New"]["properties"]["name"]["maxLength"] = json!(100);
        assert_eq!(breaking_changes(&base(), &new), Vec::<String>::new());
    }

    #[test]
    fn each_kind_of_break_is_named() {
        let mut new = base();
        let op = &mut new["paths"]["/items/{id}"]["post"];
        op["parameters"][1]["required"] = json!(true);
        op["parameters"][0]["schema"]["minimum"] = json!(1);
        let schemas = &mut new["components"]["schemas"];
        schemas["New"]["required"] = json!(["name", "kind"]);
        schemas["New"]["properties"]["name"]["maxLength"] = json!(20);
        schemas["New"]["properties"]["kind"]["enum"] = json!(["a"]);
        schemas["New"]["properties"]["tags"]["items"] = json!({"type": "integer"});
        schemas["Item"]["required"] = json!(["id"]);
        let mut got = breaking_changes(&base(), &new);
        got.sort();
        assert_eq!(
            got,
            [
                "POST /items/{id}: 200 response: property `name` is no longer always present",
                "POST /items/{id}: path parameter `id`: `minimum` narrowed from 0 to 1",
                "POST /items/{id}: query parameter `q` became required",
                "POST /items/{id}: request body.kind: value \"b\" is no longer accepted",
                "POST /items/{id}: request body.name: `maxLength` narrowed from 50 to 20",
                "POST /items/{id}: request body.tags[]: type `string` is no longer accepted",
                "POST /items/{id}: request body: property `kind` became required",
            ]
        );
    }

    #[test]
    fn removals_are_breaks() {
        let mut new = base();
        new["paths"] = json!({});
        assert_eq!(
            breaking_changes(&base(), &new),
            ["POST /items/{id}: the operation was removed"]
        );
    }
}
