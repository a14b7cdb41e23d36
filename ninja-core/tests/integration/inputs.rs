//! Constraints are enforced (422 with every violation's loc) and documented; forms and
//! cookies are read.

use garde::Validate;
use ninja_core::TestClient;
use ninja_core::prelude::*;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::locs;

#[derive(Debug, Deserialize, JsonSchema, Validate)]
struct Signup {
    #[garde(length(min = 3, max = 20))]
    name: String,
    #[garde(email)]
    email: String,
    #[garde(range(min = 18, max = 130))]
    age: u8,
    #[garde(url)]
    homepage: Option<String>,
    #[garde(pattern(r"^[a-z]+$"))]
    handle: String,
    #[garde(length(max = 3), inner(length(min = 1)))]
    tags: Vec<String>,
    #[garde(dive)]
    pets: Vec<Pet>,
}

#[derive(Debug, Deserialize, JsonSchema, Validate)]
struct Pet {
    #[garde(length(min = 1))]
    name: String,
}

#[post("/signup")]
fn signup(Json(s): Json<Signup>) -> String {
    s.name
}

#[derive(Debug, Deserialize, JsonSchema, Validate)]
struct Search {
    #[garde(length(min = 2))]
    q: String,
    #[garde(range(max = 50))]
    limit: Option<u32>,
}

#[get("/search")]
fn search(s: Query<Search>) -> String {
    format!("{}:{:?}", s.q, s.limit)
}

#[derive(Debug, Deserialize, JsonSchema, Validate)]
struct Login {
    #[garde(length(min = 1))]
    username: String,
    #[garde(skip)]
    remember: Option<bool>,
    #[garde(skip)]
    #[serde(default)]
    scope: Vec<String>,
}

#[post("/login")]
fn login(Form(f): Form<Login>) -> Json<Value> {
    Json(json!([f.username, f.remember, f.scope]))
}

#[get("/me")]
fn me(
    session: Cookie<String>,
    theme: Cookie<Option<String>>,
    visits: Cookie<Option<u32>>,
) -> Json<Value> {
    Json(json!([session.0, theme.0, visits.0]))
}

#[get("/items")]
fn items(
    #[param(range(min = 1, max = 100), default = 10)] limit: u32,
    #[param(length(min = 2, max = 5))] code: Option<String>,
    #[param(pattern = "^[A-Z]{3}$")] currency: Option<String>,
    #[param(email)] contact: Option<String>,
    #[param(url)] callback: Option<String>,
    #[param(length(max = 2))] tag: Vec<String>,
) -> Json<Value> {
    Json(json!([limit, code, currency, contact, callback, tag]))
}

fn api() -> NinjaApi {
    NinjaApi::new("inputs", "1").routes(routes![signup, search, login, me, items])
}

fn doc() -> Value {
    serde_json::from_str(&api().openapi_json().expect("builds")).expect("JSON")
}

fn good_signup() -> Value {
    json!({"name": "ada", "email": "ada@example.com", "age": 36, "homepage": "https://ada.dev",
           "handle": "ada", "tags": ["math"], "pets": [{"name": "rex"}]})
}

#[tokio::test]
async fn a_valid_body_reaches_the_handler() {
    let res = TestClient::new(api())
        .post("/signup")
        .json(&good_signup())
        .send()
        .await;
    assert_eq!((res.status().as_u16(), res.text()), (200, "ada"));
}

#[tokio::test]
async fn every_body_violation_is_reported_with_its_loc() {
    let bad = json!({"name": "al", "email": "not-an-email", "age": 12, "homepage": "nope",
                     "handle": "Ada!", "tags": ["a", "", "c", "d"], "pets": [{"name": "rex"}, {"name": ""}]});
    let res = TestClient::new(api())
        .post("/signup")
        .json(&bad)
        .send()
        .await;
    assert_eq!(res.status(), 422);
    let mut got = locs(&res.json());
    got.sort();
    let mut want: Vec<(String, String)> = [
        "body.age",
        "body.email",
        "body.handle",
        "body.homepage",
        "body.name",
        "body.pets.1.name",
        "body.tags",
        "body.tags.1",
    ]
    .iter()
    .map(|l| ((*l).to_owned(), "constraint".to_owned()))
    .collect();
    want.sort();
    assert_eq!(got, want);
    let body: Value = res.json();
    let age = body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .find(|e| e["loc"] == json!(["body", "age"]));
    assert_eq!(age.expect("age")["msg"], "lower than 18");
    let pet = body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .find(|e| e["loc"][1] == "pets");
    assert_eq!(pet.expect("pet")["loc"], json!(["body", "pets", 1, "name"]));
}

#[test]
fn body_constraints_are_in_the_document() {
    let d = doc();
    let s = &d["components"]["schemas"]["Signup"]["properties"];
    assert_eq!(
        (
            s["name"]["minLength"].clone(),
            s["name"]["maxLength"].clone()
        ),
        (json!(3), json!(20))
    );
    assert_eq!(s["email"]["format"], "email");
    assert_eq!(
        (s["age"]["minimum"].clone(), s["age"]["maximum"].clone()),
        (json!(18), json!(130))
    );
    assert_eq!(s["handle"]["pattern"], "^[a-z]+$");
    assert_eq!(s["tags"]["maxItems"], 3);
    assert_eq!(s["tags"]["items"]["minLength"], 1);
}

#[tokio::test]
async fn query_structs_are_validated() {
    let c = TestClient::new(api());
    assert_eq!(
        c.get("/search?q=rust&limit=5").send().await.text(),
        "rust:Some(5)"
    );
    let res = c.get("/search?q=r&limit=500").send().await;
    assert_eq!(res.status(), 422);
    let mut got = locs(&res.json());
    got.sort(); // garde orders its report by path
    assert_eq!(
        got,
        [
            ("query.limit".into(), "constraint".into()),
            ("query.q".into(), "constraint".into())
        ]
    );
}

#[tokio::test]
async fn forms_are_decoded_like_queries() {
    let c = TestClient::new(api());
    let res = c
        .post("/login")
        .header(
            "content-type",
            "application/x-www-form-urlencoded; charset=UTF-8",
        )
        .body("username=ada+l&remember=on&scope=read&scope=write")
        .send()
        .await;
    assert_eq!(res.status(), 200, "{}", res.text());
    assert_eq!(
        res.json::<Value>(),
        json!(["ada l", true, ["read", "write"]])
    );

    let res = c
        .post("/login")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("remember=no")
        .send()
        .await;
    assert_eq!(
        locs(&res.json()),
        [("body.username".into(), "missing".into())]
    );
    let res = c
        .post("/login")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("username=")
        .send()
        .await;
    assert_eq!(
        locs(&res.json()),
        [("body.username".into(), "constraint".into())]
    );
    let res = c
        .post("/login")
        .json(&json!({"username": "ada"}))
        .send()
        .await;
    assert_eq!(res.status(), 415);
    assert!(
        res.text().contains("application/x-www-form-urlencoded"),
        "{}",
        res.text()
    );
}

#[test]
fn form_bodies_are_documented() {
    let d = doc();
    let body = &d["paths"]["/login"]["post"]["requestBody"]["content"];
    // Inline, as the form's fields: an `Option` is left out, never `null`; no other fields.
    let schema = &body["application/x-www-form-urlencoded"]["schema"];
    assert_eq!(schema["type"], "object");
    assert_eq!(schema["properties"]["remember"]["type"], "boolean");
    assert_eq!(schema["properties"]["username"]["minLength"], 1);
    assert_eq!(schema["required"], json!(["username"]));
    assert_eq!(schema["additionalProperties"], false);
}

#[tokio::test]
async fn cookies_by_name() {
    let c = TestClient::new(api());
    let res = c
        .get("/me")
        .header("cookie", "session=abc%20def; theme=dark")
        .header("cookie", "visits=3")
        .send()
        .await;
    assert_eq!(res.status(), 200, "{}", res.text());
    assert_eq!(res.json::<Value>(), json!(["abc def", "dark", 3]));
    let res = c.get("/me").header("cookie", "visits=many").send().await;
    assert_eq!(
        locs(&res.json()),
        [
            ("cookie.session".into(), "missing".into()),
            ("cookie.visits".into(), "invalid".into())
        ]
    );
}

#[test]
fn cookies_are_documented() {
    let d = doc();
    let params = d["paths"]["/me"]["get"]["parameters"]
        .as_array()
        .expect("params")
        .clone();
    let session = params
        .iter()
        .find(|p| p["name"] == "session")
        .expect("session");
    assert_eq!(
        (session["in"].clone(), session["required"].clone()),
        (json!("cookie"), json!(true))
    );
    let theme = params.iter().find(|p| p["name"] == "theme").expect("theme");
    assert_eq!(theme["required"], false);
}

#[tokio::test]
async fn parameter_rules_are_enforced() {
    let c = TestClient::new(api());
    let res = c
        .get("/items?limit=7&code=ab&currency=EUR&contact=a%40b.co&callback=https%3A%2F%2Fx.io&tag=a&tag=b")
        .send()
        .await;
    assert_eq!(res.status(), 200, "{}", res.text());
    assert_eq!(
        res.json::<Value>(),
        json!([7, "ab", "EUR", "a@b.co", "https://x.io", ["a", "b"]])
    );
    assert_eq!(
        c.get("/items").send().await.json::<Value>()[0],
        10,
        "default applies"
    );

    let res = c
        .get("/items?limit=0&code=abcdefg&currency=eur&contact=nobody&callback=not+a+url&tag=a&tag=b&tag=c")
        .send()
        .await;
    assert_eq!(res.status(), 422);
    let want: Vec<(String, String)> = ["limit", "code", "currency", "contact", "callback", "tag"]
        .iter()
        .map(|n| (format!("query.{n}"), "constraint".to_owned()))
        .collect();
    assert_eq!(locs(&res.json()), want);
    let res = c.get("/items?limit=101").send().await;
    assert_eq!(res.json::<Value>()["errors"][0]["msg"], "greater than 100");
}

#[test]
fn parameter_rules_are_documented() {
    let d = doc();
    let params = d["paths"]["/items"]["get"]["parameters"]
        .as_array()
        .expect("params")
        .clone();
    let schema = |n: &str| params.iter().find(|p| p["name"] == n).expect(n)["schema"].clone();
    assert_eq!(
        schema("limit"),
        json!({"type": "integer", "format": "uint32", "minimum": 1, "maximum": 100, "default": 10})
    );
    assert_eq!(
        schema("code"),
        json!({"type": "string", "minLength": 2, "maxLength": 5})
    );
    assert_eq!(
        schema("currency"),
        json!({"type": "string", "pattern": "^[A-Z]{3}$"})
    );
    assert_eq!(schema("contact")["format"], "email");
    assert_eq!(schema("callback")["format"], "uri");
    assert_eq!(
        schema("tag"),
        json!({"type": "array", "items": {"type": "string"}, "maxItems": 2})
    );
}

mod bad {
    // The pattern is invalid on purpose (clippy sees that too, through the macro).
    #![allow(clippy::invalid_regex)]
    use ninja_core::prelude::*;

    #[get("/bad-pattern")]
    pub(super) fn bad_pattern(#[param(pattern = "([a-z")] code: String) -> String {
        code
    }
}

#[test]
fn an_invalid_pattern_is_a_build_error() {
    let err = NinjaApi::new("t", "1")
        .routes(routes![bad::bad_pattern])
        .build()
        .expect_err("refused");
    assert!(
        err.to_string()
            .contains("`GET /bad-pattern`: invalid `pattern` for parameter `code`"),
        "{err}"
    );
}

#[tokio::test]
async fn parameter_length_counts_characters_as_the_schema_does() {
    let c = TestClient::new(api());
    // Five characters, ten bytes: within `length(min = 2, max = 5)`.
    let res = c
        .get("/items?code=%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9")
        .send()
        .await;
    assert_eq!(res.status(), 200, "{}", res.text());
    let res = c
        .get("/items?code=%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9")
        .send()
        .await;
    assert_eq!(
        res.json::<Value>()["errors"][0]["msg"],
        "length is greater than 5"
    );
}
