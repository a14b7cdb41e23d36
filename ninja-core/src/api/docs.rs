//! The framework's own routes: the OpenAPI document, the Swagger UI page that browses it,
//! and (features `redoc`, `scalar`) ReDoc and Scalar pages.
//!
//! Every asset is embedded in the binary (Swagger UI through utoipa-swagger-ui `vendored`,
//! ReDoc and Scalar from `assets/`), so the pages load nothing from outside the server.

use std::sync::Arc;

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Method, StatusCode};

use crate::body::{Body, RequestBody};
use crate::exec::Exec;
use crate::extract::RequestCx;
use crate::handler::BoxFuture;
use crate::problem::Problem;
use crate::response::{IntoResponse, Response};
use crate::routing::Route;

/// What the framework's routes serve, kept in the app's state map under this private type.
pub(crate) struct Assets {
    pub(crate) openapi: Bytes,
    openapi_path: String,
    title: String,
    swagger: Option<Arc<utoipa_swagger_ui::Config<'static>>>,
    pages: Vec<Page>,
}

impl std::fmt::Debug for Assets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Assets")
            .field("openapi_bytes", &self.openapi.len())
            .finish_non_exhaustive()
    }
}

impl Assets {
    pub(crate) fn new(
        openapi: Bytes,
        openapi_path: &str,
        title: &str,
        docs_path: Option<&str>,
    ) -> Self {
        Self {
            openapi,
            openapi_path: openapi_path.to_owned(),
            title: title.to_owned(),
            swagger: docs_path.map(|_| {
                Arc::new(
                    utoipa_swagger_ui::Config::new([openapi_path.to_owned()])
                        .validator_url("none")
                        .try_it_out_enabled(false),
                )
            }),
            pages: Vec::new(),
        }
    }

    pub(crate) fn with_pages(mut self, pages: Vec<Page>) -> Self {
        self.pages = pages;
        self
    }
}

/// A docs page of a bundled UI other than Swagger's: its HTML, and its one script.
#[derive(Debug, Clone)]
pub(crate) struct Page {
    pub(crate) kind: PageKind,
    pub(crate) path: String,
}

/// Which UI a [`Page`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PageKind {
    #[cfg(feature = "redoc")]
    Redoc,
    #[cfg(feature = "scalar")]
    Scalar,
}

impl PageKind {
    /// The script's file name, its gzipped bytes, and the page around it.
    #[cfg_attr(
        not(any(feature = "redoc", feature = "scalar")),
        allow(unused_variables, clippy::needless_pass_by_value)
    )]
    fn parts(self, openapi_path: &str, title: &str) -> (&'static str, &'static [u8], String) {
        #[cfg(any(feature = "redoc", feature = "scalar"))]
        let (title, spec) = (html_escape(title), html_escape(openapi_path));
        match self {
            // Redoc 3 loads as a module; its telemetry is off.
            #[cfg(feature = "redoc")]
            Self::Redoc => (
                "redoc.standalone.js",
                include_bytes!("../../assets/redoc.standalone.js.gz"),
                format!(
                    "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title>\
                     <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"></head>\
                     <body><redoc spec-url=\"{spec}\" disable-telemetry=\"true\"></redoc>\
                     <script type=\"module\" src=\"redoc.standalone.js\"></script></body></html>"
                ),
            ),
            #[cfg(feature = "scalar")]
            Self::Scalar => (
                "scalar.standalone.js",
                include_bytes!("../../assets/scalar.standalone.js.gz"),
                // No web fonts and no proxy: the page asks nothing of other servers.
                format!(
                    "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title>\
                     <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"></head>\
                     <body><script id=\"api-reference\" data-url=\"{spec}\" \
                     data-configuration='{{\"withDefaultFonts\":false,\"proxyUrl\":\"\"}}'></script>\
                     <script src=\"scalar.standalone.js\"></script></body></html>"
                ),
            ),
        }
    }
}

#[cfg(any(feature = "redoc", feature = "scalar"))]
fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The routes serving the document at `openapi_path` and, unless `docs_path` is `None`, the
/// docs page at `docs_path` (which redirects to `docs_path/`); then each extra page.
pub(crate) fn routes(openapi_path: &str, docs_path: Option<&str>, pages: &[Page]) -> Vec<Route> {
    let mut routes = vec![Route::internal(
        Method::GET,
        openapi_path.to_owned(),
        openapi,
        "__ninja_openapi",
    )];
    if let Some(docs) = docs_path {
        routes.extend(page_routes(docs, "{*file}", docs_file, "__ninja_docs"));
    }
    for page in pages {
        routes.extend(page_routes(&page.path, "{file}", page_file, "__ninja_page"));
    }
    routes
}

/// A docs page's three routes: `base` redirecting to `base/`, `base/` (the page), and its
/// files under `base/{file}` (`file` the pattern's tail).
fn page_routes(
    base: &str,
    file: &str,
    serve: crate::handler::HandlerFn,
    id: &'static str,
) -> [Route; 3] {
    let base = base.trim_end_matches('/');
    [
        Route::internal(
            Method::GET,
            base.to_owned(),
            to_slash,
            "__ninja_page_redirect",
        ),
        Route::internal(Method::GET, format!("{base}/"), serve, id),
        Route::internal(Method::GET, format!("{base}/{file}"), serve, id),
    ]
}

/// The page of the route's prefix, found by the request's path.
fn page_of<'a>(a: &'a Assets, path: &str) -> Option<&'a Page> {
    a.pages
        .iter()
        .find(|p| path.starts_with(p.path.trim_end_matches('/')))
}

/// `base` → `base/`: the page's relative links resolve under it.
fn to_slash<'a>(cx: RequestCx<'a>, _: RequestBody, _: &'a Exec) -> BoxFuture<'a> {
    let path = cx.parts().uri.path();
    let mut res = Response::new(Body::empty());
    *res.status_mut() = StatusCode::PERMANENT_REDIRECT;
    if let Ok(location) = HeaderValue::from_str(&format!("{path}/")) {
        res.headers_mut().insert(header::LOCATION, location);
    }
    ready(res)
}

fn page_file<'a>(cx: RequestCx<'a>, _: RequestBody, _: &'a Exec) -> BoxFuture<'a> {
    let file = cx.raw_path_param("file").unwrap_or("");
    let Some(a) = assets(&cx) else {
        return ready(Problem::internal().into_response());
    };
    let Some(page) = page_of(a, cx.parts().uri.path()) else {
        return ready(Problem::internal().into_response());
    };
    let (script, gz, html) = page.kind.parts(&a.openapi_path, &a.title);
    let res = if file.is_empty() || file == "index.html" {
        let mut res = Response::new(Body::from(Bytes::from(html)));
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        res
    } else if file == script {
        let mut res = Response::new(Body::from(Bytes::from_static(gz)));
        let headers = res.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/javascript; charset=utf-8"),
        );
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=86400"),
        );
        res
    } else {
        Problem::not_found(format!("no docs file `{file}`")).into_response()
    };
    ready(res)
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
