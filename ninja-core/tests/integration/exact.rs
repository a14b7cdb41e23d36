//! The document and the server agree (issue 16, part 1): integer bounds are documented as
//! enforced, integral JSON numbers are integers, parameter defaults are documented.

use ninja_core::prelude::*;
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Debug, Deserialize, schemars::JsonSchema)]
struct Sizes {
    small: u8,
    count: u32,
    delta: i16,
    big: u64,
    ratio: f64,
    tags: Vec<u16>,
}

#[post("/sizes")]
async fn sizes(Json(s): Json<Sizes>) -> String {
    format!(
        "{} {} {} {} {} {:?}",
        s.small, s.count, s.delta, s.big, s.ratio, s.tags
    )
}

#[get("/page")]
async fn page(
    #[param(range(max = 50), default = 20)] limit: u8,
    #[param(default = "newest")] order: String,
    offset: u64,
) -> String {
    format!("{limit} {order} {offset}")
}

fn api() -> NinjaApi {
    NinjaApi::new("exact", "1").routes(routes![sizes, page])
}

#[tokio::test]
async fn integral_floats_are_integers() {
    let c = TestClient::new(api());
    let res = c
        .post("/sizes")
        .json(&json!({"small": 1.0, "count": 1e3, "delta": -2.0, "big": 5,
                      "ratio": 2.0, "tags": [1.0, 2]}))
        .send()
        .await;
    assert_eq!(res.status(), 200, "{}", res.text());
    assert_eq!(res.text(), "1 1000 -2 5 2 [1, 2]");
    // A fraction is still not an integer, and a bound still holds: 422 at the field.
    for (body, loc) in [
        (
            json!({"small": 1.5, "count": 1, "delta": 0, "big": 0, "ratio": 0, "tags": []}),
            "small",
        ),
        (
            json!({"small": 256.0, "count": 1, "delta": 0, "big": 0, "ratio": 0, "tags": []}),
            "small",
        ),
        (
            json!({"small": 1, "count": 1, "delta": 0, "big": 0, "ratio": 0, "tags": [0.5]}),
            "tags",
        ),
    ] {
        let res = c.post("/sizes").json(&body).send().await;
        assert_eq!(res.status(), 422, "{body}: {}", res.text());
        let got: Value = res.json();
        assert_eq!(got["errors"][0]["loc"][1], loc, "{got}");
    }
}

#[test]
fn integers_carry_the_bounds_of_their_type() {
    let doc: Value =
        serde_json::from_str(&api().openapi_json().expect("a document")).expect("JSON");
    let props = &doc["components"]["schemas"]["Sizes"]["properties"];
    let bounds = |name: &str| {
        (
            props[name]["minimum"].clone(),
            props[name]["maximum"].clone(),
        )
    };
    assert_eq!(bounds("small"), (json!(0), json!(255)));
    assert_eq!(bounds("count"), (json!(0), json!(u32::MAX)));
    assert_eq!(bounds("delta"), (json!(i16::MIN), json!(i16::MAX)));
    assert_eq!(bounds("big"), (json!(0), json!(u64::MAX)));
    assert_eq!(props["tags"]["items"]["maximum"], json!(u16::MAX));
    assert_eq!(props["ratio"].get("maximum"), None);

    let params = doc["paths"]["/page"]["get"]["parameters"]
        .as_array()
        .expect("parameters")
        .clone();
    let schema = |n: &str| params.iter().find(|p| p["name"] == n).expect(n)["schema"].clone();
    // A `range` rule tighter than the type wins; the default is what an absent one gets.
    assert_eq!(
        schema("limit"),
        json!({"type": "integer", "format": "uint8", "minimum": 0, "maximum": 50, "default": 20})
    );
    assert_eq!(
        schema("order"),
        json!({"type": "string", "default": "newest"})
    );
    assert_eq!(schema("offset")["maximum"], json!(u64::MAX));
}

#[tokio::test]
async fn documented_defaults_are_the_ones_applied() {
    let c = TestClient::new(api());
    assert_eq!(c.get("/page?offset=3").send().await.text(), "20 newest 3");
}

/// One error type for a whole resource, as handlers share them.
#[derive(Debug, ApiError)]
enum ThingError {
    /// No such thing.
    #[api(status = 404)]
    Missing,
    /// The name is taken.
    #[api(status = 409)]
    Taken,
    /// The store failed.
    #[api(status = 500)]
    Store,
}

impl std::fmt::Display for ThingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

/// Reads can miss, never conflict.
#[get("/things/{id}", errors = [404])]
async fn read_thing(id: u32) -> Result<String, ThingError> {
    match id {
        0 => Err(ThingError::Missing),
        1 => Err(ThingError::Store),
        _ => Ok(id.to_string()),
    }
}

/// Writes can do all three.
#[put("/things/{id}")]
async fn write_thing(id: u32) -> Result<String, ThingError> {
    match id {
        0 => Err(ThingError::Taken),
        _ => Ok(id.to_string()),
    }
}

/// Lists a status its error type does not have.
#[get("/odd", errors = [404, 418])]
async fn odd() -> Result<String, ThingError> {
    Err(ThingError::Missing)
}

#[tokio::test]
async fn a_route_documents_only_the_error_statuses_it_lists() {
    let api = NinjaApi::new("t", "1").routes(routes![read_thing, write_thing]);
    let doc: Value = serde_json::from_str(&api.openapi_json().expect("a document")).expect("JSON");
    let statuses = |method: &str| -> Vec<String> {
        doc["paths"]["/things/{id}"][method]["responses"]
            .as_object()
            .expect("responses")
            .keys()
            .cloned()
            .collect()
    };
    assert_eq!(statuses("get"), ["200", "404", "422"]);
    assert_eq!(statuses("put"), ["200", "404", "409", "422", "500"]);
    // What it answers is unchanged: only the document is narrower.
    let c = TestClient::new(NinjaApi::new("t", "1").routes(routes![read_thing]));
    assert_eq!(c.get("/things/0").send().await.status(), 404);
    assert_eq!(c.get("/things/1").send().await.status(), 500);
}

#[test]
fn listing_a_status_the_error_type_lacks_is_a_build_error() {
    let Err(e) = NinjaApi::new("t", "1").routes(routes![odd]).build() else {
        panic!("built with an impossible status listed");
    };
    assert!(
        e.to_string().contains(
            "`GET /odd`: `errors = [..]` lists 418, which no error type of the handler declares"
        ),
        "{e}"
    );
}

/// A report; its example (schemars') lands in the document as is.
#[derive(serde::Serialize, schemars::JsonSchema)]
#[schemars(example = Report { lines: 12 })]
struct Report {
    lines: u32,
}

#[derive(serde::Serialize, schemars::JsonSchema)]
struct Pending {
    eta_seconds: u32,
}

/// Several success shapes in one type.
#[derive(ApiResponse)]
enum ReportAnswer {
    /// The report.
    #[api(status = 200)]
    Ready(Json<Report>),
    /// Still being written.
    #[api(status = 202)]
    Pending(Json<Pending>),
    /// Written now, at its own address: a header on this variant only.
    #[api(status = 201)]
    Made((ninja_core::response::Location, Json<Report>)),
    /// Unchanged since the client's copy.
    #[api(status = 304)]
    NotModified,
}

#[get("/reports/{id}")]
async fn report(id: u32) -> Result<ReportAnswer, Problem> {
    Ok(match id {
        0 => ReportAnswer::NotModified,
        1 => ReportAnswer::Pending(Json(Pending { eta_seconds: 5 })),
        2 => ReportAnswer::Ready(Json(Report { lines: 12 })),
        3 => ReportAnswer::Made((
            ninja_core::response::Location("/reports/3".to_owned()),
            Json(Report { lines: 1 }),
        )),
        _ => return Err(Problem::not_found("no such report")),
    })
}

#[tokio::test]
async fn a_response_enum_answers_and_documents_each_shape() {
    let c = TestClient::new(NinjaApi::new("t", "1").routes(routes![report]));
    let ready = c.get("/reports/2").send().await;
    assert_eq!(
        (ready.status().as_u16(), ready.json::<Value>()),
        (200, json!({"lines": 12}))
    );
    let pending = c.get("/reports/1").send().await;
    assert_eq!(
        (pending.status().as_u16(), pending.json::<Value>()),
        (202, json!({"eta_seconds": 5}))
    );
    let same = c.get("/reports/0").send().await;
    assert_eq!(same.status(), 304);
    assert!(same.bytes().is_empty());
    let made = c.get("/reports/3").send().await;
    assert_eq!(made.status(), 201);
    assert_eq!(made.header("location"), Some("/reports/3"));
    assert_eq!(made.json::<Value>(), json!({"lines": 1}));
    assert_eq!(c.get("/reports/9").send().await.status(), 404);

    let api = NinjaApi::new("t", "1").routes(routes![report]);
    let doc: Value = serde_json::from_str(&api.openapi_json().expect("a document")).expect("JSON");
    let responses = &doc["paths"]["/reports/{id}"]["get"]["responses"];
    let schema =
        |status: &str| responses[status]["content"]["application/json"]["schema"]["$ref"].clone();
    assert_eq!(schema("200"), json!("#/components/schemas/Report"));
    assert_eq!(schema("202"), json!("#/components/schemas/Pending"));
    assert_eq!(
        responses["304"],
        json!({"description": "Unchanged since the client's copy."})
    );
    // The header is documented on its variant's status only.
    assert_eq!(schema("201"), json!("#/components/schemas/Report"));
    assert!(
        responses["201"]["headers"]["location"].is_object(),
        "{responses}"
    );
    assert!(responses["200"].get("headers").is_none(), "{responses}");
    assert!(responses["202"].get("headers").is_none(), "{responses}");
    // schemars' example on the type, in its schema.
    assert_eq!(
        doc["components"]["schemas"]["Report"]["examples"],
        json!([{"lines": 12}])
    );
}

/// Search things.
#[get(
    "/search",
    openapi_extra = serde_json::json!({
        "externalDocs": {"url": "https://example.com/search", "description": "How search works"},
        "x-rate-limited": true
    })
)]
async fn search(
    #[param(example = "lamp", description = "What to look for")] q: String,
    #[param(deprecated)] old_sort: Option<String>,
) -> String {
    format!("{q} {old_sort:?}")
}

#[test]
fn metadata_lands_where_openapi_puts_it() {
    let api = NinjaApi::new("Meta", "2.0")
        .server("https://api.example.com", "production")
        .server("http://127.0.0.1:8000", "")
        .tag("things", "Everything about things")
        .contact("API team", "api@example.com")
        .license("MIT", "MIT")
        .terms_of_service("https://example.com/terms")
        .external_docs("https://example.com/docs", "The guide")
        .routes(routes![search]);
    let doc: Value = serde_json::from_str(&api.openapi_json().expect("a document")).expect("JSON");
    assert_eq!(
        doc["servers"],
        json!([{"url": "https://api.example.com", "description": "production"},
               {"url": "http://127.0.0.1:8000"}])
    );
    assert_eq!(
        doc["tags"],
        json!([{"name": "things", "description": "Everything about things"}])
    );
    assert_eq!(
        doc["info"]["contact"],
        json!({"name": "API team", "email": "api@example.com"})
    );
    assert_eq!(
        doc["info"]["license"],
        json!({"name": "MIT", "identifier": "MIT"})
    );
    assert_eq!(doc["info"]["termsOfService"], "https://example.com/terms");
    assert_eq!(doc["externalDocs"]["url"], "https://example.com/docs");
    let op = &doc["paths"]["/search"]["get"];
    assert_eq!(op["externalDocs"]["description"], "How search works");
    assert_eq!(op["x-rate-limited"], true);
    assert_eq!(op["parameters"][0]["example"], "lamp");
    assert_eq!(op["parameters"][0]["description"], "What to look for");
    assert_eq!(op["parameters"][1]["deprecated"], true);
    assert_eq!(op["parameters"][0].get("deprecated"), None);
}

/// A shape, told apart by its `kind` field (an internally tagged enum).
#[derive(Debug, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Shape {
    /// A circle.
    Circle { radius: f64 },
    /// A rectangle.
    Rect { width: f64, height: f64 },
}

#[post("/shapes")]
async fn add_shape(Json(shape): Json<Shape>) -> Json<Shape> {
    Json(shape)
}

#[test]
fn internally_tagged_enums_carry_a_discriminator() {
    let api = NinjaApi::new("t", "1").routes(routes![add_shape]);
    let doc: Value = serde_json::from_str(&api.openapi_json().expect("a document")).expect("JSON");
    let shape = &doc["components"]["schemas"]["Shape"];
    assert_eq!(
        shape["discriminator"],
        json!({"propertyName": "kind"}),
        "{shape}"
    );
    assert_eq!(shape["oneOf"].as_array().map(Vec::len), Some(2));
}

#[post("/reports")]
async fn create_report(
    lines: u32,
) -> Result<(ninja_core::response::Location, Created<Json<Report>>), Problem> {
    if lines == 0 {
        return Err(Problem::bad_request("an empty report"));
    }
    Ok((
        ninja_core::response::Location(format!("/reports/{lines}")),
        Created(Json(Report { lines })),
    ))
}

#[tokio::test]
async fn typed_response_headers_are_sent_and_documented() {
    let c = TestClient::new(NinjaApi::new("t", "1").routes(routes![create_report]));
    let res = c.post("/reports?lines=3").send().await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.header("location"), Some("/reports/3"));
    let api = NinjaApi::new("t", "1").routes(routes![create_report]);
    let doc: Value = serde_json::from_str(&api.openapi_json().expect("a document")).expect("JSON");
    let responses = &doc["paths"]["/reports"]["post"]["responses"];
    assert_eq!(
        responses["201"]["headers"]["location"],
        json!({"description": "Where the resource is",
               "schema": {"type": "string", "format": "uri-reference"}})
    );
    // Only on the success it goes with, not on the problems.
    assert_eq!(responses["default"].get("headers"), None);
}

/// CSV, whatever the body type would say.
#[get("/export.csv", content_type = "text/csv; charset=utf-8")]
fn export(missing: bool) -> Result<String, Problem> {
    if missing {
        return Err(Problem::new(StatusCode::NOT_FOUND));
    }
    Ok("a,b\n1,2\n".to_owned())
}

/// JSON text through a header tuple, declared so that the document agrees.
#[get("/raw", content_type = "application/json")]
fn raw() -> ([(http::HeaderName, &'static str); 1], String) {
    (
        [(http::header::CONTENT_TYPE, "application/json")],
        "{}".to_owned(),
    )
}

#[tokio::test]
async fn a_declared_content_type_is_sent_and_documented() {
    let api = || NinjaApi::new("t", "1").routes(routes![export, raw]);
    let c = TestClient::new(api());
    let res = c.get("/export.csv").query("missing", false).send().await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.header("content-type"), Some("text/csv; charset=utf-8"));
    // Errors keep their own type.
    let res = c.get("/export.csv").query("missing", true).send().await;
    assert_eq!(res.status(), 404);
    assert_eq!(res.header("content-type"), Some("application/problem+json"));
    assert_eq!(
        c.get("/raw").send().await.header("content-type"),
        Some("application/json")
    );

    let doc: Value = serde_json::from_str(&api().openapi_json().expect("builds")).expect("JSON");
    let ok = |path: &str| doc["paths"][path]["get"]["responses"]["200"]["content"].clone();
    assert_eq!(
        ok("/export.csv"),
        json!({"text/csv; charset=utf-8": {"schema": {"type": "string"}}})
    );
    assert_eq!(
        ok("/raw"),
        json!({"application/json": {"schema": {"type": "string"}}})
    );
}
