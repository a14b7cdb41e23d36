//! The framework's own routes: the OpenAPI document and the Swagger UI page that browses it.
//!
//! The Swagger UI assets are embedded in the binary (utoipa-swagger-ui, `vendored`), so the
//! page loads nothing from outside the server.

use std::sync::Arc;

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Method, StatusCode};

use crate::body::{Body, RequestBody};
use crate::extract::RequestCx;
use crate::handler::{BoxFuture, Exec};
use crate::problem::Problem;
use crate::response::{IntoResponse, Response};
use crate::routing::Route;

/// What the framework's routes serve, kept in the app's state map under this private type.
pub(crate) struct Assets {
    pub(crate) openapi: Bytes,
    docs_path: String,
    swagger: Option<Arc<utoipa_swagger_ui::Config<'static>>>,
}

impl std::fmt::Debug for Assets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Assets")
            .field("openapi_bytes", &self.openapi.len())
            .field("docs_path", &self.docs_path)
            .finish_non_exhaustive()
    }
}

impl Assets {
    pub(crate) fn new(openapi: Bytes, openapi_path: &str, docs_path: Option<&str>) -> Self {
        Self {
            openapi,
            docs_path: docs_path.unwrap_or_default().to_owned(),
            swagger: docs_path.map(|_| {
                Arc::new(
                    utoipa_swagger_ui::Config::new([openapi_path.to_owned()])
                        .validator_url("none")
                        .try_it_out_enabled(false),
                )
            }),
        }
    }
}

/// The routes serving the document at `openapi_path` and, unless `docs_path` is `None`, the
/// docs page at `docs_path` (which redirects to `docs_path/`).
pub(crate) fn routes(openapi_path: &str, docs_path: Option<&str>) -> Vec<Route> {
    let mut routes = vec![Route::internal(
        Method::GET,
        openapi_path.to_owned(),
        openapi,
        "__ninja_openapi",
    )];
    if let Some(docs) = docs_path {
        let docs = docs.trim_end_matches('/');
        routes.push(Route::internal(
            Method::GET,
            docs.to_owned(),
            redirect,
            "__ninja_docs_redirect",
        ));
        routes.push(Route::internal(
            Method::GET,
            format!("{docs}/"),
            docs_file,
            "__ninja_docs_index",
        ));
        routes.push(Route::internal(
            Method::GET,
            format!("{docs}/{{*file}}"),
            docs_file,
            "__ninja_docs",
        ));
    }
    routes
}

fn assets<'a>(cx: &RequestCx<'a>) -> Option<&'a Assets> {
    cx.state::<Assets>()
}

fn ready(res: Response) -> BoxFuture<'static> {
    Box::pin(std::future::ready(res))
}

fn openapi<'a>(cx: RequestCx<'a>, _: RequestBody, _: &'a Exec) -> BoxFuture<'a> {
    let Some(a) = assets(&cx) else {
        return ready(Problem::internal().into_response());
    };
    let mut res = Response::new(Body::from(a.openapi.clone()));
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    ready(res)
}

fn redirect<'a>(cx: RequestCx<'a>, _: RequestBody, _: &'a Exec) -> BoxFuture<'a> {
    let Some(a) = assets(&cx) else {
        return ready(Problem::internal().into_response());
    };
    let mut res = Response::new(Body::empty());
    *res.status_mut() = StatusCode::PERMANENT_REDIRECT;
    if let Ok(location) = HeaderValue::from_str(&format!("{}/", a.docs_path.trim_end_matches('/')))
    {
        res.headers_mut().insert(header::LOCATION, location);
    }
    ready(res)
}

fn docs_file<'a>(cx: RequestCx<'a>, _: RequestBody, _: &'a Exec) -> BoxFuture<'a> {
    let file = cx.raw_path_param("file").unwrap_or("");
    let Some(config) = assets(&cx).and_then(|a| a.swagger.clone()) else {
        return ready(Problem::internal().into_response());
    };
    let res = match utoipa_swagger_ui::serve(file, config) {
        Ok(Some(f)) => {
            let mut res = Response::new(Body::from(Bytes::from(f.bytes.into_owned())));
            if let Ok(ct) = HeaderValue::from_str(&f.content_type) {
                res.headers_mut().insert(header::CONTENT_TYPE, ct);
            }
            if f.gzpipped {
                res.headers_mut()
                    .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            }
            res
        }
        Ok(None) => Problem::not_found(format!("no docs file `{file}`")).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "failed to render a Swagger UI file");
            Problem::internal().into_response()
        }
    };
    ready(res)
}
