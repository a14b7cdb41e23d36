//! Errors of the user's own (`#[derive(ApiError)]`, boxed errors) and an API's error handler.

use ninja_core::TestClient;

use crate::problem;
use ninja_core::prelude::*;
use serde_json::{Value, json};

#[derive(Debug, ApiError)]
enum ItemError {
    /// No item has this id.
    #[api(status = 404)]
    NotFound(u32),
    /// An item of this name exists.
    #[api(status = 409, type = "/problems/duplicate", title = "Duplicate item")]
    Duplicate { name: String },
    /// Also a conflict: documented once, under the first variant's description.
    #[api(status = 409)]
    Locked,
    #[api(status = 500)]
    Store(std::io::Error),
}

impl std::fmt::Display for ItemError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotFound(id) => write!(f, "item {id} does not exist"),
            Self::Duplicate { name } => write!(f, "an item named {name} exists"),
            Self::Locked => write!(f, "the store is locked"),
            Self::Store(e) => write!(f, "disk says: {e} at /var/secret/db"),
        }
    }
}

impl From<std::io::Error> for ItemError {
    fn from(e: std::io::Error) -> Self {
        Self::Store(e)
    }
}

fn read_disk(fail: bool) -> std::io::Result<u32> {
    if fail {
        Err(std::io::Error::other("sector 7 unreadable"))
    } else {
        Ok(1)
    }
}

#[get("/items/{id}")]
fn get_item(id: u32, dup: Option<String>, locked: Option<bool>) -> Result<String, ItemError> {
    // `?` converts the io::Error into the enum.
    let n = read_disk(id == 500)?;
    if let Some(name) = dup {
        return Err(ItemError::Duplicate { name });
    }
    if locked == Some(true) {
        return Err(ItemError::Locked);
    }
    if id > 100 {
        return Err(ItemError::NotFound(id));
    }
    Ok((id + n).to_string())
}

/// A single-status error as a struct.
#[derive(Debug, ApiError)]
#[api(status = 400)]
struct BadIdea;

impl std::fmt::Display for BadIdea {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("that was a bad idea")
    }
}

#[get("/idea")]
async fn idea() -> Result<&'static str, BadIdea> {
    Err(BadIdea)
}

#[get("/boxed")]
async fn boxed(fail: bool) -> Result<&'static str, Box<dyn std::error::Error + Send + Sync>> {
    if fail {
        let n: u32 = "not a number at /etc/passwd".parse()?;
        return Ok(if n > 0 { "n" } else { "z" });
    }
    Ok("fine")
}

fn api() -> NinjaApi {
    NinjaApi::new("t", "1").routes(routes![get_item, idea, boxed])
}

#[tokio::test]
async fn each_variant_answers_with_its_status_and_a_problem() {
    let c = TestClient::new(api());
    assert_eq!(c.get("/items/1").send().await.text(), "2");
    let body = problem(&c.get("/items/101").send().await, 404);
    assert_eq!(
        body,
        json!({"type": "about:blank", "title": "Not Found", "status": 404,
               "detail": "item 101 does not exist", "code": "not_found", "value": 101})
    );
    let body = problem(&c.get("/items/1").query("dup", "x").send().await, 409);
    assert_eq!(body["type"], "/problems/duplicate");
    assert_eq!(body["title"], "Duplicate item");
    assert_eq!(body["detail"], "an item named x exists");
    // The variant and its fields, for clients to tell the two 409s apart.
    assert_eq!(
        (&body["code"], &body["name"]),
        (&json!("duplicate"), &json!("x"))
    );
    let body = problem(&c.get("/items/1").query("locked", true).send().await, 409);
    assert_eq!(body["title"], "Conflict");
    assert_eq!(body["code"], "locked");
    let body = problem(&c.get("/idea").send().await, 400);
    assert_eq!(body["detail"], "that was a bad idea");
}

#[tokio::test]
async fn server_errors_keep_their_cause_out_of_the_body() {
    let c = TestClient::new(api());
    // Through `?`: the io::Error became `Store`, a 500 whose detail is generic.
    let res = c.get("/items/500").send().await;
    let body = problem(&res, 500);
    for leak in ["sector", "/var/secret", "disk says"] {
        assert!(!res.text().contains(leak), "{body}");
    }
    // Its variant is named; its field is not sent.
    assert_eq!(body["code"], "store");
    assert!(body.get("value").is_none(), "{body}");
    // Any error, boxed by `?`: a 500 without its message.
    let res = c.get("/boxed").query("fail", true).send().await;
    problem(&res, 500);
    assert!(!res.text().contains("passwd"), "{}", res.text());
    assert_eq!(
        c.get("/boxed").query("fail", false).send().await.text(),
        "fine"
    );
}

#[test]
fn every_declared_status_is_documented() {
    let d: Value = serde_json::from_str(&api().openapi_json().expect("builds")).expect("JSON");
    let responses = &d["paths"]["/items/{id}"]["get"]["responses"];
    let statuses: Vec<&str> = responses
        .as_object()
        .expect("map")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(statuses, ["200", "404", "409", "422", "500"]);
    assert_eq!(responses["404"]["description"], "No item has this id.");
    assert_eq!(
        responses["409"]["description"],
        "An item of this name exists."
    );
    assert_eq!(responses["500"]["description"], "Internal Server Error");
    // Each error status is a problem narrowed by the type's variants (a component).
    for status in ["404", "409", "500"] {
        assert_eq!(
            responses[status]["content"]["application/problem+json"]["schema"],
            json!({"allOf": [
                {"$ref": "#/components/schemas/ProblemDetails"},
                {"$ref": "#/components/schemas/ItemErrorProblem"},
            ]}),
            "{status}"
        );
    }
    // The framework's own 422 is not narrowed.
    assert_eq!(
        responses["422"]["content"]["application/problem+json"]["schema"],
        json!({"$ref": "#/components/schemas/ProblemDetails"})
    );
    // Per variant: when `code` is its own, its status and the members it sends.
    let clauses: Vec<(Value, Value)> = d["components"]["schemas"]["ItemErrorProblem"]["allOf"]
        .as_array()
        .expect("clauses")
        .iter()
        .map(|c| {
            (
                c["if"]["properties"]["code"]["const"].clone(),
                c["then"].clone(),
            )
        })
        .collect();
    let int =
        d["components"]["schemas"]["ItemErrorProblem"]["allOf"][0]["then"]["properties"]["value"]
            .clone();
    assert_eq!(int["type"], "integer");
    assert_eq!(
        clauses,
        [
            (
                json!("not_found"),
                json!({"properties": {"status": {"const": 404}, "value": int}, "required": ["value"]})
            ),
            (
                json!("duplicate"),
                json!({"properties": {"status": {"const": 409}, "name": {"type": "string"}}, "required": ["name"]})
            ),
            (
                json!("locked"),
                json!({"properties": {"status": {"const": 409}}})
            ),
            // A 5xx variant sends no fields.
            (
                json!("store"),
                json!({"properties": {"status": {"const": 500}}})
            ),
        ]
    );
    let idea = &d["paths"]["/idea"]["get"]["responses"];
    assert_eq!(
        idea["400"]["description"],
        "A single-status error as a struct."
    );
    assert!(d["paths"]["/boxed"]["get"]["responses"]["500"].is_object());
}

#[derive(serde::Serialize, schemars::JsonSchema)]
struct MyError {
    code: u16,
    message: String,
}

fn reshaped() -> NinjaApi {
    api().error_handler(|p: Problem| {
        let message = p.detail().unwrap_or(p.title()).to_owned();
        (
            p.status(),
            Json(MyError {
                code: p.status().as_u16(),
                message,
            }),
        )
    })
}

#[tokio::test]
async fn an_error_handler_reshapes_every_problem() {
    let c = TestClient::new(reshaped().routes(routes![post_thing]));
    // The user's own error.
    let res = c.get("/items/101").send().await;
    assert_eq!(res.status(), 404);
    assert_eq!(res.header("content-type"), Some("application/json"));
    assert_eq!(
        res.json::<Value>(),
        json!({"code": 404, "message": "item 101 does not exist"})
    );
    // The framework's: validation, unknown path, wrong method (keeping `Allow`), a 500.
    let res = c.get("/items/x").send().await;
    assert_eq!(res.status(), 422);
    assert_eq!(res.json::<Value>()["code"], 422);
    let res = c.get("/nowhere").send().await;
    assert_eq!(
        res.json::<Value>(),
        json!({"code": 404, "message": "no route for GET /nowhere"})
    );
    let res = c.delete("/idea").send().await;
    assert_eq!(res.status(), 405);
    assert_eq!(res.header("allow"), Some("GET, HEAD, OPTIONS"));
    assert_eq!(res.json::<Value>()["code"], 405);
    let res = c
        .post("/thing")
        .header("content-type", "text/plain")
        .body("x")
        .send()
        .await;
    assert_eq!(res.json::<Value>()["code"], 415);
    let res = c.get("/items/500").send().await;
    assert_eq!(
        res.json::<Value>()["message"],
        "the server failed to handle this request"
    );
    // Success is untouched.
    assert_eq!(c.get("/items/1").send().await.text(), "2");
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Thing {
    #[allow(dead_code)]
    name: String,
}

#[post("/thing")]
async fn post_thing(Json(_t): Json<Thing>) -> &'static str {
    "ok"
}

#[test]
fn the_document_describes_the_reshaped_body() {
    let d: Value = serde_json::from_str(&reshaped().openapi_json().expect("builds")).expect("JSON");
    let r404 = &d["paths"]["/items/{id}"]["get"]["responses"]["404"];
    assert_eq!(
        r404["content"],
        json!({"application/json": {"schema": {"$ref": "#/components/schemas/MyError"}}})
    );
    assert!(d["components"]["schemas"].get("MyError").is_some());
    // Nothing refers to the problem schema any more, so it is not emitted.
    assert!(d["components"]["schemas"].get("ProblemDetails").is_none());
}

/// The document's schema for each error answer holds for the real answers, and refuses
/// one that breaks a variant's promise.
#[cfg(feature = "contract")]
#[tokio::test]
async fn error_answers_fit_their_documented_schema() {
    let d: Value = serde_json::from_str(&api().openapi_json().expect("builds")).expect("JSON");
    let validator = |status: &str| {
        let mut root = d.clone();
        root["$ref"] = json!(format!(
            "#/paths/~1items~1%7Bid%7D/get/responses/{status}/content/application~1problem+json/schema"
        ));
        jsonschema::draft202012::new(&root).expect("the schema compiles")
    };
    let c = TestClient::new(api());
    for (query, status) in [
        (vec![], "404"),
        (vec![("dup", "lamp")], "409"),
        (vec![("locked", "true")], "409"),
    ] {
        let mut req = c.get("/items/101");
        for (k, v) in &query {
            req = req.query(k, v);
        }
        let res = req.send().await;
        let body = problem(&res, status.parse().expect("a status"));
        assert!(validator(status).is_valid(&body), "{status}: {body}");
    }
    let body = problem(&c.get("/items/500").send().await, 500);
    assert!(validator("500").is_valid(&body), "{body}");
    // A duplicate without its name, a not-found under another status: refused.
    let v409 = validator("409");
    let broken =
        json!({"type": "about:blank", "title": "Conflict", "status": 409, "code": "duplicate"});
    assert!(!v409.is_valid(&broken));
    let moved = json!({"type": "about:blank", "title": "Conflict", "status": 409, "code": "not_found", "value": 1});
    assert!(!v409.is_valid(&moved));
    // A problem of the framework's own at that status (no code) still fits.
    let plain = json!({"type": "about:blank", "title": "Conflict", "status": 409});
    assert!(v409.is_valid(&plain));
}

/// Serializes, but has no schema: sent, not promised.
#[derive(Debug, serde::Serialize)]
struct Raw(u8);

#[derive(Debug, ApiError)]
enum OddError {
    /// An optional member: sent as `null` when empty.
    #[api(status = 400)]
    Maybe { note: Option<String> },
    /// A member without a schema.
    #[api(status = 400)]
    Unschemed { raw: Raw },
}

impl std::fmt::Display for OddError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("odd")
    }
}

#[get("/odd")]
fn odd(which: u8) -> Result<String, OddError> {
    Err(match which {
        0 => OddError::Maybe { note: None },
        1 => OddError::Maybe {
            note: Some("n".into()),
        },
        _ => OddError::Unschemed { raw: Raw(7) },
    })
}

/// An `Option` member is promised as nullable, a member whose type has no schema is not
/// promised at all, and the real answers fit.
#[cfg(feature = "contract")]
#[tokio::test]
async fn optional_and_unschemed_members_are_documented_as_they_are_sent() {
    let api = NinjaApi::new("odd", "1").routes(routes![odd]);
    let d: Value = serde_json::from_str(&api.openapi_json().expect("builds")).expect("JSON");
    let clauses = &d["components"]["schemas"]["OddErrorProblem"]["allOf"];
    assert_eq!(clauses[0]["then"]["required"], json!(["note"]));
    assert_eq!(
        clauses[1]["then"],
        json!({"properties": {"status": {"const": 400}}})
    );
    let mut root = d.clone();
    root["$ref"] =
        json!("#/paths/~1odd/get/responses/400/content/application~1problem+json/schema");
    let v = jsonschema::draft202012::new(&root).expect("the schema compiles");
    let c = TestClient::new(NinjaApi::new("odd", "1").routes(routes![odd]));
    for which in ["0", "1", "2"] {
        let body = problem(&c.get("/odd").query("which", which).send().await, 400);
        assert!(v.is_valid(&body), "{which}: {body}");
    }
    let sent = problem(&c.get("/odd").query("which", "2").send().await, 400);
    assert_eq!(sent["raw"], 7);
    assert!(problem(&c.get("/odd").query("which", "0").send().await, 400)["note"].is_null());
}
