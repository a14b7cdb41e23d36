//! Prometheus metrics ([`NinjaApi::metrics`](crate::NinjaApi::metrics), feature `metrics`),
//! kept by prometheus-client and served in the OpenMetrics text format, outside the
//! OpenAPI document:
//!
//! - `http_requests_total{method, route, status}` and
//!   `http_request_duration_seconds{method, route, status}` (a histogram, to the response
//!   head): `route` is the matched template (`/items/{id}`), never the raw path, and
//!   `<unmatched>` for a path no route has, so that the label set stays bounded;
//! - `http_requests_in_flight`;
//! - `ninja_blocking_busy` and `ninja_blocking_queued`: sync calls on the blocking pool's
//!   threads and waiting for one;
//! - `ninja_connections`: connections open on the server.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use http::header::{self, HeaderValue};
use http::{Method, Request, StatusCode};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use tower::{Layer, Service};

use crate::body::{Body, RequestBody};
use crate::exec::Exec;
use crate::extract::RequestCx;
use crate::handler::BoxFuture;
use crate::middleware::{MatchedPath, Stack};
use crate::problem::Problem;
use crate::response::{IntoResponse, Response};
use crate::routing::Route;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

type Histograms = Family<RequestLabels, Histogram, fn() -> Histogram>;

/// An API's metrics and the registry that encodes them.
#[derive(Debug)]
pub(crate) struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Histograms,
    in_flight: Gauge,
    blocking_busy: Gauge,
    blocking_queued: Gauge,
    connections: Gauge,
}

fn latency_histogram() -> Histogram {
    // 0.5 ms to about 16 s.
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

impl Metrics {
    pub(crate) fn new() -> Arc<Self> {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        let latency: Histograms = Family::new_with_constructor(latency_histogram);
        let (in_flight, blocking_busy, blocking_queued, connections) = (
            Gauge::default(),
            Gauge::default(),
            Gauge::default(),
            Gauge::default(),
        );
        registry.register("http_requests", "Requests answered", requests.clone());
        registry.register(
            "http_request_duration_seconds",
            "Time to the response head",
            latency.clone(),
        );
        registry.register(
            "http_requests_in_flight",
            "Requests being answered",
            in_flight.clone(),
        );
        registry.register(
            "ninja_blocking_busy",
            "Sync calls running on the blocking pool",
            blocking_busy.clone(),
        );
        registry.register(
            "ninja_blocking_queued",
            "Sync calls waiting for a blocking thread",
            blocking_queued.clone(),
        );
        registry.register("ninja_connections", "Connections open", connections.clone());
        Arc::new(Self {
            registry,
            requests,
            latency,
            in_flight,
            blocking_busy,
            blocking_queued,
            connections,
        })
    }

    /// The text exposition, with the pool and connection gauges read now.
    fn encode(&self, exec: &Exec) -> Result<String, std::fmt::Error> {
        let (busy, queued) = exec.blocking_load();
        self.blocking_busy
            .set(i64::try_from(busy).unwrap_or(i64::MAX));
        self.blocking_queued
            .set(i64::try_from(queued).unwrap_or(i64::MAX));
        self.connections
            .set(i64::try_from(exec.connections()).unwrap_or(i64::MAX));
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

/// The metrics of the API, in its state map under this private type.
#[derive(Debug)]
pub(crate) struct Served(pub(crate) Arc<Metrics>);

/// The route that serves them.
pub(crate) fn route(path: String) -> Route {
    Route::internal(Method::GET, path, serve, "metrics").documented_as(
        "Prometheus metrics (OpenMetrics text)",
        |doc| {
            doc.response(
                "200",
                "The metrics",
                Some((
                    "application/openmetrics-text; version=1.0.0; charset=utf-8",
                    serde_json::json!({"type": "string"}),
                )),
            );
        },
    )
}

fn serve<'a>(cx: RequestCx<'a>, _: RequestBody, exec: &'a Exec) -> BoxFuture<'a> {
    let res = match cx.state::<Served>().map(|m| m.0.encode(exec)) {
        Some(Ok(text)) => {
            let mut res = Response::new(Body::from(text));
            res.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(
                    "application/openmetrics-text; version=1.0.0; charset=utf-8",
                ),
            );
            res
        }
        _ => Problem::new(StatusCode::INTERNAL_SERVER_ERROR).into_response(),
    };
    Box::pin(std::future::ready(res))
}

/// The API layer that counts and times every request of its scope.
#[derive(Debug, Clone)]
pub(crate) struct MetricsLayer(pub(crate) Arc<Metrics>);

impl Layer<Stack> for MetricsLayer {
    type Service = Measured;

    fn layer(&self, inner: Stack) -> Measured {
        Measured {
            inner,
            metrics: Arc::clone(&self.0),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Measured {
    inner: Stack,
    metrics: Arc<Metrics>,
}

/// Counts a request in flight until dropped (answered, or abandoned by its client).
struct InFlight(Arc<Metrics>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.dec();
    }
}

impl Service<Request<RequestBody>> for Measured {
    type Response = Response;
    type Error = std::convert::Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Service::<Request<RequestBody>>::poll_ready(&mut self.inner, cx)
    }

    fn call(&mut self, req: Request<RequestBody>) -> Self::Future {
        let method = req.method().as_str().to_owned();
        let route = req
            .extensions()
            .get::<MatchedPath>()
            .map_or_else(|| "<unmatched>".to_owned(), |m| m.as_str().to_owned());
        self.metrics.in_flight.inc();
        let in_flight = InFlight(Arc::clone(&self.metrics));
        let start = Instant::now();
        let answer = self.inner.call(req);
        Box::pin(async move {
            let res = answer.await?;
            let labels = RequestLabels {
                method,
                route,
                status: res.status().as_u16(),
            };
            let metrics = &in_flight.0;
            metrics.requests.get_or_create(&labels).inc();
            metrics
                .latency
                .get_or_create(&labels)
                .observe(start.elapsed().as_secs_f64());
            drop(in_flight);
            Ok(res)
        })
    }
}
