//! [`Contract`]: an API checked against its own OpenAPI document, with requests generated
//! from the document's schemas (feature `contract`).
//!
//! Clients are generated from the document, so it is the API's contract: every request it
//! allows must be served, and every answer must be one it describes. For each operation,
//! [`Contract::run`] generates requests from the operation's own parameter and body schemas
//! (with [`proptest`], so a failure is shrunk to a small request), sends them in-process
//! through the whole app, and checks each answer:
//!
//! - no `5xx`, unless [tolerated](Contract::tolerate) and documented for the operation;
//! - the status is documented for the operation (exactly, as `4XX`, or as `default`);
//! - a request the document allows is not refused as malformed (`400`, `413`, `415`,
//!   `422`), unless the operation is [listed](Contract::refuses) as refusing valid input
//!   on purpose;
//! - the answer's content type is documented for that status, and a JSON answer validates
//!   against the documented schema ([`jsonschema`], draft 2020-12, as OpenAPI 3.1 says).
//!
//! Streaming answers (server-sent events, downloads) are checked by their head only.

mod generate;

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method, Request};
use http_body_util::BodyExt;
use percent_encoding::utf8_percent_encode;
use proptest::strategy::{BoxedStrategy, Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::Value;

use super::test_client::{MultipartForm, QUERY, TestClient, TestRequest};
use crate::api::Server;
use crate::app::App;
use crate::body::RequestBody;
use generate::{Schemas, Text};

/// How long one request may take, answer and JSON body together.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);
/// How many smaller requests are tried while shrinking a failure.
const SHRINK_STEPS: u32 = 200;

/// Checks an API against its own OpenAPI document with generated requests; see the
/// [module](self) for what is checked.
///
/// ```
/// use ninja_core::prelude::*;
/// use ninja_core::contract::Contract;
///
/// #[get("/add")]
/// fn add(
///     #[param(range(min = -1000, max = 1000))] a: i32,
///     #[param(range(min = -1000, max = 1000))] b: i32,
/// ) -> Json<i32> {
///     Json(a + b)
/// }
///
/// # #[tokio::main(flavor = "multi_thread")] async fn main() {
/// // In a `#[tokio::test]`: panics with every failing operation and its smallest request.
/// Contract::new(NinjaApi::new("t", "1").routes(routes![add])).check().await;
/// # }
/// ```
#[derive(Debug)]
#[must_use = "a contract is checked by `.run()` or `.check()`"]
pub struct Contract {
    app: App,
    cases: u32,
    seed: u64,
    headers: Vec<(HeaderName, HeaderValue)>,
    tolerated: Vec<u16>,
    skipped: Vec<String>,
    refusing: Vec<String>,
}

impl Contract {
    /// A contract check of `api` (a [`NinjaApi`](crate::NinjaApi) or a [`Server`] of
    /// several: each API is checked against its own document). Panics with every build
    /// error if it cannot be built.
    #[track_caller]
    pub fn new(api: impl Into<Server>) -> Self {
        let app = match api.into().build() {
            Ok(app) => app,
            Err(e) => panic!("{e}"),
        };
        Self {
            app,
            cases: 64,
            seed: 0x006e_696e_6a61,
            headers: Vec::new(),
            tolerated: Vec::new(),
            skipped: Vec::new(),
            refusing: Vec::new(),
        }
    }

    /// Requests generated per operation (64 by default).
    pub fn cases(mut self, cases: u32) -> Self {
        self.cases = cases;
        self
    }

    /// The seed of the generator: the same seed sends the same requests (a fixed one by
    /// default, so that a run is repeatable).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// A header sent with every request: the credentials of the API's auth schemes.
    /// Panics on an invalid name or value (a bug in the test).
    #[track_caller]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        let name = HeaderName::try_from(name).expect("a valid header name");
        let value = HeaderValue::try_from(value).expect("a valid header value");
        self.headers.push((name, value));
        self
    }

    /// `Authorization: Bearer <token>` with every request.
    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    /// Accepts a server error `status` where the operation documents it: for a test that
    /// runs without a service the API calls (answered `502` or `503`). `500` is never
    /// accepted.
    pub fn tolerate(mut self, status: u16) -> Self {
        self.tolerated.push(status);
        self
    }

    /// Leaves the operation with this `operationId` out.
    pub fn skip(mut self, operation_id: &str) -> Self {
        self.skipped.push(operation_id.to_owned());
        self
    }

    /// Lets the operation answer `422` (or `400`) to input its schemas allow: for a rule no
    /// schema can state (two fields that must differ). Every other check still applies.
    pub fn refuses(mut self, operation_id: &str) -> Self {
        self.refusing.push(operation_id.to_owned());
        self
    }

    /// Runs the check and reports every operation's outcome.
    pub async fn run(self) -> Report {
        let mut report = Report::default();
        let docs: Vec<Value> = self
            .app
            .documents()
            .map(|d| serde_json::from_slice(d).expect("Ninja writes its documents as JSON"))
            .collect();
        for doc in &docs {
            let mut validators = Validators::new(doc);
            for op in operations(doc) {
                if self.skipped.contains(&op.id) {
                    report
                        .skipped
                        .push((op.id, "skipped by the test".to_owned()));
                    continue;
                }
                match self.operation(&op, doc, &mut validators, &mut report).await {
                    Ok(()) => report.operations += 1,
                    Err(why) => report.skipped.push((op.id.clone(), why)),
                }
            }
        }
        report
    }

    /// Runs the check; panics with the report if anything failed.
    pub async fn check(self) {
        let report = self.run().await;
        // Shown by `cargo test -- --nocapture`, and beside a failure.
        eprint!("{report}");
        assert!(report.failures.is_empty(), "{report}");
        assert!(report.operations > 0, "no operation was checked:\n{report}");
    }

    /// Generates, sends and checks this operation's cases; stops at its first failure,
    /// shrunk. `Err` when its requests cannot be generated.
    async fn operation(
        &self,
        op: &Op<'_>,
        doc: &Value,
        validators: &mut Validators<'_>,
        report: &mut Report,
    ) -> Result<(), String> {
        let schemas = Schemas { root: doc };
        let strategy = op.strategy(&schemas)?;
        let seed = self.seed ^ fnv(op.id.as_bytes());
        let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes(seed));
        let mut runner = TestRunner::new_with_rng(Config::default(), rng);
        for _ in 0..self.cases {
            let mut tree = strategy
                .new_tree(&mut runner)
                .map_err(|e| format!("no request could be generated: {e}"))?;
            report.requests += 1;
            let Err(mut failure) = self.case(op, &tree.current(), validators).await else {
                continue;
            };
            // proptest's own shrinking loop, driven by hand because each step is async.
            let mut steps = 0;
            if tree.simplify() {
                while steps < SHRINK_STEPS {
                    steps += 1;
                    report.requests += 1;
                    match self.case(op, &tree.current(), validators).await {
                        Err(smaller) => {
                            failure = smaller;
                            if !tree.simplify() {
                                break;
                            }
                        }
                        Ok(()) => {
                            if !tree.complicate() {
                                break;
                            }
                        }
                    }
                }
            }
            report.failures.push(failure);
            break;
        }
        Ok(())
    }

    /// Sends one generated case and checks the answer.
    async fn case(
        &self,
        op: &Op<'_>,
        case: &Case,
        validators: &mut Validators<'_>,
    ) -> Result<(), Failure> {
        let request = op.request(&self.app, case, &self.headers);
        let shown = request.shown.clone();
        let fail = |status: Option<u16>, problem: String| Failure {
            operation: op.id.clone(),
            request: shown.clone(),
            status,
            problem,
        };
        let (_, _, req) = request.request.into_parts();
        let answer = answer(&self.app, req)
            .await
            .map_err(|problem| fail(None, problem))?;
        self.judge(op, &answer, validators)
            .map_err(|problem| fail(Some(answer.status), problem))
    }

    /// The checks of the [module](self) on one answer.
    fn judge(
        &self,
        op: &Op<'_>,
        answer: &Answer,
        validators: &mut Validators<'_>,
    ) -> Result<(), String> {
        let status = answer.status;
        let documented = documented(op.responses, status);
        if status == 500 || (status >= 500 && !self.tolerated.contains(&status)) {
            return Err(format!("a server error: {}", answer.excerpt()));
        }
        let Some((key, response)) = documented else {
            let listed: Vec<&String> = op.responses.keys().collect();
            return Err(format!(
                "status {status} is not documented (documented: {listed:?}): {}",
                answer.excerpt()
            ));
        };
        if matches!(status, 400 | 413 | 415 | 422) && !self.refusing.contains(&op.id) {
            return Err(format!(
                "the document allows this request, the server refused it: {}",
                answer.excerpt()
            ));
        }
        let content = response.get("content").and_then(Value::as_object);
        let Some(media) = &answer.media_type else {
            return Ok(());
        };
        let Some(content) = content.filter(|c| !c.is_empty()) else {
            if answer.body.as_ref().is_some_and(|b| !b.is_empty()) {
                return Err(format!("a `{media}` body where {key} documents none"));
            }
            return Ok(());
        };
        let Some(described) = content.get(media) else {
            let listed: Vec<&String> = content.keys().collect();
            return Err(format!(
                "content type `{media}` is not documented for {key} (documented: {listed:?})"
            ));
        };
        let (Some(body), Some(schema)) = (&answer.body, described.get("schema")) else {
            return Ok(());
        };
        let value: Value = serde_json::from_slice(body).map_err(|e| {
            format!(
                "a `{media}` body that is not JSON ({e}): {}",
                answer.excerpt()
            )
        })?;
        let pointer = format!("{}/{key}/{media}", op.id);
        validators
            .check(&pointer, schema, &value)
            .map_err(|errors| {
                format!(
                    "the body does not match the documented schema: {errors}; body: {}",
                    answer.excerpt()
                )
            })
    }
}

/// What a contract run found.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct Report {
    /// Operations checked.
    pub operations: usize,
    /// Requests sent, shrinking included.
    pub requests: usize,
    /// The first failure of each failing operation, shrunk.
    pub failures: Vec<Failure>,
    /// Operations not checked, and why (their requests could not be generated, or the test
    /// skipped them).
    pub skipped: Vec<(String, String)>,
}

/// One operation's failing request and what was wrong with its answer.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Failure {
    /// The operation's `operationId`.
    pub operation: String,
    /// The request, as method, target, headers and body.
    pub request: String,
    /// The answer's status; `None` when no answer came.
    pub status: Option<u16>,
    /// What was wrong.
    pub problem: String,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "contract: {} operations, {} requests, {} failing",
            self.operations,
            self.requests,
            self.failures.len()
        )?;
        for failure in &self.failures {
            let status = failure
                .status
                .map_or("no answer".to_owned(), |s| s.to_string());
            writeln!(f, "- {} ({status}): {}", failure.operation, failure.problem)?;
            writeln!(f, "    {}", failure.request)?;
        }
        for (op, why) in &self.skipped {
            writeln!(f, "- {op}: not checked: {why}")?;
        }
        Ok(())
    }
}

/// One operation of a document.
struct Op<'d> {
    id: String,
    method: Method,
    path: &'d str,
    params: Vec<Param<'d>>,
    body: Option<BodySpec<'d>>,
    responses: &'d serde_json::Map<String, Value>,
}

struct Param<'d> {
    name: &'d str,
    location: &'d str,
    required: bool,
    schema: &'d Value,
}

struct BodySpec<'d> {
    media: &'d str,
    required: bool,
    schema: &'d Value,
}

/// One generated request: a value (or none) per parameter, and the body.
#[derive(Debug, Clone)]
struct Case {
    params: Vec<Option<Value>>,
    body: Option<Value>,
}

/// A request ready to send, and how a report shows it.
struct Built {
    request: TestRequest,
    shown: String,
}

const METHODS: [(&str, Method); 7] = [
    ("get", Method::GET),
    ("put", Method::PUT),
    ("post", Method::POST),
    ("delete", Method::DELETE),
    ("patch", Method::PATCH),
    ("head", Method::HEAD),
    ("options", Method::OPTIONS),
];

fn operations(doc: &Value) -> Vec<Op<'_>> {
    let mut ops = Vec::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return ops;
    };
    static EMPTY: Vec<Value> = Vec::new();
    let empty = &EMPTY;
    for (path, item) in paths {
        let shared = item
            .get("parameters")
            .and_then(Value::as_array)
            .unwrap_or(empty);
        for (name, method) in METHODS {
            let Some(op) = item.get(name) else { continue };
            let own = op
                .get("parameters")
                .and_then(Value::as_array)
                .unwrap_or(empty);
            let params = shared
                .iter()
                .chain(own)
                .filter_map(|p| {
                    Some(Param {
                        name: p.get("name")?.as_str()?,
                        location: p.get("in")?.as_str()?,
                        required: p.get("required").and_then(Value::as_bool).unwrap_or(false),
                        schema: p.get("schema")?,
                    })
                })
                .collect();
            let body = op.get("requestBody").and_then(|b| {
                let content = b.get("content")?.as_object()?;
                let preferred = [
                    "application/json",
                    "application/x-www-form-urlencoded",
                    "multipart/form-data",
                ];
                let (media, described) = preferred
                    .iter()
                    .find_map(|m| content.get_key_value(*m))
                    .or_else(|| content.iter().next())?;
                Some(BodySpec {
                    media,
                    required: b.get("required").and_then(Value::as_bool).unwrap_or(false),
                    schema: described.get("schema").unwrap_or(&Value::Bool(true)),
                })
            });
            let Some(responses) = op.get("responses").and_then(Value::as_object) else {
                continue;
            };
            ops.push(Op {
                id: op
                    .get("operationId")
                    .and_then(Value::as_str)
                    .map_or_else(|| format!("{} {path}", name.to_uppercase()), str::to_owned),
                method,
                path,
                params,
                body,
                responses,
            });
        }
    }
    ops
}

impl Op<'_> {
    /// A strategy for this operation's requests: required parameters always, optional ones
    /// now and then, the body as its media type allows.
    fn strategy(&self, schemas: &Schemas<'_>) -> Result<BoxedStrategy<Case>, String> {
        let mut params = Vec::with_capacity(self.params.len());
        for p in &self.params {
            let text = if p.location == "query" || p.location == "path" {
                Text::Any
            } else {
                Text::Header
            };
            let value = schemas
                .value(p.schema, text, 0)
                .map_err(|e| format!("{} parameter `{}`: {e}", p.location, p.name))?;
            params.push(if p.required {
                value.prop_map(Some).boxed()
            } else {
                proptest::option::weighted(0.6, value).boxed()
            });
        }
        let body = match &self.body {
            None => proptest::strategy::Just(None).boxed(),
            Some(spec) => {
                let value = schemas
                    .value(spec.schema, Text::Any, 0)
                    .map_err(|e| format!("`{}` body: {e}", spec.media))?;
                if spec.required {
                    value.prop_map(Some).boxed()
                } else {
                    proptest::option::weighted(0.8, value).boxed()
                }
            }
        };
        Ok((params, body)
            .prop_map(|(params, body)| Case { params, body })
            .boxed())
    }

    /// The request for one case.
    fn request(&self, app: &App, case: &Case, extra: &[(HeaderName, HeaderValue)]) -> Built {
        let mut path = self.path.to_owned();
        let mut query: Vec<(&str, String)> = Vec::new();
        let mut headers: Vec<(&str, String)> = Vec::new();
        let mut cookies = Vec::new();
        for (p, value) in self.params.iter().zip(&case.params) {
            let Some(value) = value else { continue };
            match p.location {
                "path" => {
                    let text = scalar_text(value).unwrap_or_default();
                    let encoded = utf8_percent_encode(&text, QUERY).to_string();
                    path = path.replace(&format!("{{{}}}", p.name), &encoded);
                }
                "query" => match value {
                    Value::Array(items) => {
                        query.extend(items.iter().filter_map(scalar_text).map(|v| (p.name, v)));
                    }
                    other => query.extend(scalar_text(other).map(|v| (p.name, v))),
                },
                "header" => headers.extend(scalar_text(value).map(|v| (p.name, v))),
                "cookie" => {
                    if let Some(v) = scalar_text(value) {
                        cookies.push(format!("{}={}", p.name, utf8_percent_encode(&v, QUERY)));
                    }
                }
                _ => {}
            }
        }
        let client = TestClient::from_app(app.clone());
        let mut request = client.request(self.method.clone(), &path);
        let mut shown = format!("{} {path}", self.method);
        for (i, (key, value)) in query.iter().enumerate() {
            request = request.query(key, value);
            shown.push(if i == 0 { '?' } else { '&' });
            shown.push_str(&format!("{key}={value}"));
        }
        if !cookies.is_empty() {
            headers.push(("cookie", cookies.join("; ")));
        }
        for (name, value) in headers {
            if let (Ok(n), Ok(v)) = (HeaderName::try_from(name), HeaderValue::try_from(&value)) {
                request = request.header_value(n, v);
                shown.push_str(&format!(" [{name}: {value}]"));
            }
        }
        for (name, value) in extra {
            request = request.header_value(name.clone(), value.clone());
        }
        if let (Some(spec), Some(body)) = (&self.body, &case.body) {
            shown.push_str(&format!(" {} {body}", spec.media));
            request = with_body(request, spec.media, body);
        }
        Built { request, shown }
    }
}

/// A parameter value as it travels in a URL or a header.
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Array(items) => Some(
            items
                .iter()
                .filter_map(scalar_text)
                .collect::<Vec<_>>()
                .join(","),
        ),
        other => Some(other.to_string()),
    }
}

/// The body in the operation's media type.
fn with_body(request: TestRequest, media: &str, body: &Value) -> TestRequest {
    match media {
        "application/json" => request.json(body),
        "application/x-www-form-urlencoded" => {
            let mut form = form_urlencoded_pairs(body);
            let encoded: Vec<String> = form
                .drain(..)
                .map(|(k, v)| {
                    format!(
                        "{}={}",
                        utf8_percent_encode(&k, QUERY),
                        utf8_percent_encode(&v, QUERY)
                    )
                })
                .collect();
            request
                .header("content-type", media)
                .body(encoded.join("&"))
        }
        "multipart/form-data" => {
            let mut form = MultipartForm::new();
            for (name, value) in body.as_object().into_iter().flatten() {
                form = match value {
                    Value::Null => form,
                    Value::String(s) => form.file(
                        name,
                        "generated.bin",
                        "application/octet-stream",
                        s.as_bytes(),
                    ),
                    Value::Object(_) => form.text(name, &value.to_string()),
                    other => form.text(name, &scalar_text(other).unwrap_or_default()),
                };
            }
            request.multipart(form)
        }
        other => {
            let bytes = match body {
                Value::String(s) => s.clone().into_bytes(),
                v => v.to_string().into_bytes(),
            };
            request.header("content-type", other).body(bytes)
        }
    }
}

fn form_urlencoded_pairs(body: &Value) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    for (name, value) in body.as_object().into_iter().flatten() {
        match value {
            Value::Array(items) => {
                pairs.extend(
                    items
                        .iter()
                        .filter_map(scalar_text)
                        .map(|v| (name.clone(), v)),
                );
            }
            Value::Object(_) => pairs.push((name.clone(), value.to_string())),
            other => pairs.extend(scalar_text(other).map(|v| (name.clone(), v))),
        }
    }
    pairs
}

/// An answer's head, and its body when it is JSON.
struct Answer {
    status: u16,
    media_type: Option<String>,
    body: Option<Bytes>,
}

impl Answer {
    fn excerpt(&self) -> String {
        let body = self.body.as_deref().unwrap_or_default();
        let text = String::from_utf8_lossy(&body[..body.len().min(300)]);
        if text.is_empty() {
            "(no body read)".to_owned()
        } else {
            text.into_owned()
        }
    }
}

fn is_json(media: &str) -> bool {
    media == "application/json" || media.ends_with("+json")
}

/// Sends `req`; reads the body only when it is JSON, so a stream that never ends (events,
/// a download) is judged by its head.
async fn answer(app: &App, req: Request<RequestBody>) -> Result<Answer, String> {
    let res = tokio::time::timeout(ANSWER_TIMEOUT, app.call(req))
        .await
        .map_err(|_| format!("no answer within {ANSWER_TIMEOUT:?}"))?;
    let status = res.status().as_u16();
    let media_type = res
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or(v).trim().to_ascii_lowercase());
    let body = if media_type.as_deref().is_some_and(is_json) {
        let collected = tokio::time::timeout(ANSWER_TIMEOUT, res.into_body().collect())
            .await
            .map_err(|_| {
                format!("status {status}: JSON body not finished within {ANSWER_TIMEOUT:?}")
            })?
            .map_err(|e| format!("status {status}: the body failed: {e}"))?;
        Some(collected.to_bytes())
    } else {
        None
    };
    Ok(Answer {
        status,
        media_type,
        body,
    })
}

/// The response a status falls under: its own, its range (`4XX`), or `default`.
fn documented(responses: &serde_json::Map<String, Value>, status: u16) -> Option<(String, &Value)> {
    let exact = status.to_string();
    let range = format!("{}XX", status / 100);
    [exact, range, "default".to_owned()]
        .into_iter()
        .find_map(|key| responses.get(&key).map(|r| (key, r)))
}

/// Compiled response schemas, one per operation, status and media type.
struct Validators<'d> {
    components: &'d Value,
    compiled: HashMap<String, jsonschema::Validator>,
}

impl<'d> Validators<'d> {
    fn new(doc: &'d Value) -> Self {
        Self {
            components: doc.get("components").unwrap_or(&Value::Null),
            compiled: HashMap::new(),
        }
    }

    /// Validates `value` against `schema`, whose `$ref`s point into the document's
    /// components (copied beside it, so that `#/components/...` resolves).
    fn check(&mut self, key: &str, schema: &Value, value: &Value) -> Result<(), String> {
        if !self.compiled.contains_key(key) {
            let wrapped = serde_json::json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "allOf": [schema],
                "components": self.components,
            });
            let validator = jsonschema::draft202012::new(&wrapped)
                .map_err(|e| format!("the documented schema does not compile: {e}"))?;
            self.compiled.insert(key.to_owned(), validator);
        }
        let validator = &self.compiled[key];
        let errors: Vec<String> = validator
            .iter_errors(value)
            .take(3)
            .map(|e| format!("{} at `{}`", e, e.instance_path()))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("; "))
        }
    }
}

/// FNV-1a, so that each operation gets its own stream of requests from one seed.
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn seed_bytes(seed: u64) -> [u8; 32] {
    let mut bytes = [0; 32];
    for (i, chunk) in bytes.chunks_mut(8).enumerate() {
        let word = seed.rotate_left(u32::try_from(i).unwrap_or(0) * 16) ^ (i as u64);
        chunk.copy_from_slice(&word.to_le_bytes());
    }
    bytes
}
