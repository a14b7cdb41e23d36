//! Liveness and readiness endpoints ([`NinjaApi::health`](crate::NinjaApi::health)), for
//! load balancers and orchestrators; outside the OpenAPI document unless the API asks
//! (`document_ops`).
//!
//! - `GET {path}/live`: 200 while the process serves at all.
//! - `GET {path}/ready`: 200 when every registered check passes; 503 when one fails (or
//!   takes longer than [`CHECK_TIMEOUT`]) and while the server drains after a shutdown
//!   signal, so that a balancer stops sending before the listener closes (see
//!   `drain_delay`).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use http::header::{self, HeaderValue};
use http::{Method, StatusCode};
use serde_json::{Map, Value, json};

use crate::body::{Body, RequestBody};
use crate::exec::Exec;
use crate::extract::RequestCx;
use crate::handler::BoxFuture;
use crate::response::Response;
use crate::routing::Route;

/// How long one readiness check may take before it counts as failed.
pub(crate) const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

type CheckFuture = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

/// One readiness check: a name and the function that runs it.
#[derive(Clone)]
pub(crate) struct Check {
    pub(crate) name: String,
    pub(crate) run: Arc<dyn Fn() -> CheckFuture + Send + Sync>,
}

impl std::fmt::Debug for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Check").field("name", &self.name).finish()
    }
}

impl Check {
    pub(crate) fn new<F, Fut>(name: &str, check: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        Self {
            name: name.to_owned(),
            run: Arc::new(move || Box::pin(check())),
        }
    }
}

/// The checks of an API, in its state map under this private type.
#[derive(Debug, Default)]
pub(crate) struct Checks(pub(crate) Vec<Check>);

/// The two routes under `base` (already joined to the API's prefix); described for an
/// API that documents them (`document_ops`).
pub(crate) fn routes(base: &str) -> Vec<Route> {
    let base = base.trim_end_matches('/');
    vec![
        Route::internal(Method::GET, format!("{base}/live"), live, "health_live").documented_as(
            "Is the process serving?",
            |doc| {
                doc.response(
                    "200",
                    "Serving",
                    Some(("application/json", status_schema())),
                );
            },
        ),
        Route::internal(Method::GET, format!("{base}/ready"), ready, "health_ready").documented_as(
            "Can it take traffic?",
            |doc| {
                doc.response(
                    "200",
                    "Every check passed",
                    Some(("application/json", status_schema())),
                );
                doc.response(
                    "503",
                    "A check failed, or the server is draining",
                    Some(("application/json", status_schema())),
                );
            },
        ),
    ]
}

/// `{"status": "..", "checks": {name: "ok" | why}}`.
fn status_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "status": {"type": "string"},
            "checks": {"type": "object", "additionalProperties": {"type": "string"}}
        },
        "required": ["status"]
    })
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut res = Response::new(Body::from(body.to_string()));
    *res.status_mut() = status;
    let headers = res.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    // A probe must see the state of now, never a cached answer.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

fn live<'a>(_: RequestCx<'a>, _: RequestBody, _: &'a Exec) -> BoxFuture<'a> {
    Box::pin(std::future::ready(json_response(
        StatusCode::OK,
        &json!({"status": "ok"}),
    )))
}

fn ready<'a>(cx: RequestCx<'a>, _: RequestBody, exec: &'a Exec) -> BoxFuture<'a> {
    let checks: Vec<Check> = cx
        .state::<Checks>()
        .map(|c| c.0.clone())
        .unwrap_or_default();
    let draining = exec.is_draining();
    Box::pin(async move {
        if draining {
            return json_response(
                StatusCode::SERVICE_UNAVAILABLE,
                &json!({"status": "draining"}),
            );
        }
        let runs = checks.iter().map(|c| async move {
            let verdict = match tokio::time::timeout(CHECK_TIMEOUT, (c.run)()).await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(e),
                Err(_) => Err(format!("no answer within {CHECK_TIMEOUT:?}")),
            };
            (c.name.clone(), verdict)
        });
        let results = futures_util::future::join_all(runs).await;
        let ok = results.iter().all(|(_, r)| r.is_ok());
        let mut report = Map::new();
        for (name, verdict) in results {
            if let Err(e) = &verdict {
                tracing::warn!(check = %name, error = %e, "readiness check failed");
            }
            report.insert(name, verdict.err().map_or(json!("ok"), Value::String));
        }
        let (status, word) = if ok {
            (StatusCode::OK, "ready")
        } else {
            (StatusCode::SERVICE_UNAVAILABLE, "failing")
        };
        json_response(status, &json!({"status": word, "checks": report}))
    })
}
