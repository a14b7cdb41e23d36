//! The docs page in a real browser: headless Chromium (Debian's, driven through chromedriver)
//! loads `/docs/`, finds every operation of the example, runs one with "Try it out" and
//! "Execute", and sees the 200 response. A screenshot is saved to `target/docs-browser.png`.

mod support;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, Instant};

use examples::{hello, inputs};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

/// Kills chromedriver when the test ends, however it ends.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A port for chromedriver, below Linux's ephemeral range (32768-60999): the servers these
/// tests start bind port 0, which the kernel takes from that range, so they can never take
/// this one (a port found free by binding 0 and closing it could be taken meanwhile).
fn driver_port() -> u16 {
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let per_process = u16::try_from(std::process::id() % 1000).expect("below 1000") * 8;
    24_000 + per_process + NEXT.fetch_add(1, Ordering::SeqCst)
}

async fn start_driver(chromedriver: &PathBuf) -> (Driver, u16) {
    let port = driver_port();
    let child = Command::new(chromedriver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let driver = Driver(child);
    let deadline = Instant::now() + Duration::from_secs(20);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            Instant::now() < deadline,
            "chromedriver did not listen on {port}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (driver, port)
}

async fn serve(api: ninja_core::NinjaApi) -> SocketAddr {
    let app = api.build().expect("the example builds");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move { app.serve_on(listener, std::future::pending()).await });
    addr
}

async fn browser(chromium: &PathBuf, driver_port: u16) -> Client {
    // One profile per session: two browsers on one profile would be one browser.
    let profile = support::workspace().join(format!(
        "target/chromium-profile-{}-{driver_port}",
        std::process::id()
    ));
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".to_owned(),
        json!({
            "binary": chromium,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--window-size=1280,2000",
                format!("--user-data-dir={}", profile.display()),
            ]
        }),
    );
    ClientBuilder::new(HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{driver_port}"))
        .await
        .expect("a browser session")
}

/// Debian's chromium and chromedriver, or `None` (said, or failing the run where the tools
/// are required).
fn browser_tools() -> Option<(PathBuf, PathBuf)> {
    let chromium = support::find_tool(&["/usr/bin/chromium".into()], "chromium");
    let chromedriver = support::find_tool(&["/usr/bin/chromedriver".into()], "chromedriver");
    let tools = chromium.zip(chromedriver);
    if tools.is_none() {
        support::missing(
            "chromium and chromedriver",
            "apt-get install chromium chromium-driver",
        );
    }
    tools
}

/// Starts the API, chromedriver and a browser session, runs `check`, saves a screenshot.
async fn in_browser<F>(api: ninja_core::NinjaApi, screenshot: &str, check: F)
where
    F: AsyncFnOnce(&Client, SocketAddr) -> Result<(), String>,
{
    let Some((chromium, chromedriver)) = browser_tools() else {
        return;
    };
    let addr = serve(api).await;
    let (_driver, port) = start_driver(&chromedriver).await;
    let c = browser(&chromium, port).await;
    let result = check(&c, addr).await;
    let shot = c.screenshot().await;
    let _ = c.close().await;
    if let Ok(png) = shot {
        let path = support::workspace().join("target").join(screenshot);
        std::fs::write(&path, png).expect("screenshot written");
        eprintln!("screenshot: {}", path.display());
    }
    result.expect("the docs page works");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn docs_page_lists_and_runs_operations() {
    in_browser(hello::api(), "docs-browser.png", exercise).await;
}

fn cmd_err(what: &'static str) -> impl Fn(fantoccini::error::CmdError) -> String {
    move |e| format!("{what}: {e}")
}

/// Opens the docs page at `url` and waits until it lists operations.
async fn open_docs(c: &Client, url: &str) -> Result<(), String> {
    c.goto(url).await.map_err(cmd_err("open the docs page"))?;
    c.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(".opblock"))
        .await
        .map_err(cmd_err("operations listed"))?;
    Ok(())
}

/// Opens the docs page at `url`, expects `operations` operations, expands them all, and
/// returns the page source once they have rendered without a render error.
async fn expand_every_operation(
    c: &Client,
    url: &str,
    operations: usize,
) -> Result<String, String> {
    open_docs(c, url).await?;
    let controls = c
        .find_all(Locator::Css(".opblock-summary-control"))
        .await
        .map_err(cmd_err("controls"))?;
    if controls.len() != operations {
        return Err(format!(
            "expected {operations} operations, found {}",
            controls.len()
        ));
    }
    for control in controls {
        control.click().await.map_err(cmd_err("expand"))?;
    }
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(".opblock.is-open .responses-wrapper"))
        .await
        .map_err(cmd_err("expanded"))?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let source = c.source().await.map_err(cmd_err("page source"))?;
    if source.contains("Could not render") {
        return Err("the docs page could not render part of the document".to_owned());
    }
    Ok(source)
}

/// Every operation of the `inputs` example renders when expanded (bodies, uploads, responses).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_renders() {
    in_browser(
        inputs::api(),
        "docs-inputs.png",
        async |c: &Client, addr: SocketAddr| {
            let source = expand_every_operation(c, &format!("http://{addr}/docs/"), 7).await?;
            if !source.contains("multipart/form-data") {
                return Err("the upload's request body is not shown".to_owned());
            }
            Ok(())
        },
    )
    .await;
}

/// A prefixed API with security schemes: its own docs page under `/api/v1/docs/`, every
/// operation renders, and the page offers to authorize.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prefixed_api_with_auth_renders() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = examples::shop::db::open(&dir.path().join("shop.db")).expect("database opens");
    in_browser(
        examples::shop::v1(db, "token".to_owned()),
        "docs-shop.png",
        async |c: &Client, addr: SocketAddr| {
            let url = format!("http://{addr}/api/v1/docs/");
            let source = expand_every_operation(c, &url, 7).await?;
            c.find(Locator::Css(".auth-wrapper .authorize"))
                .await
                .map_err(cmd_err("an Authorize button"))?;
            if !source.contains("/api/v1/orders") {
                return Err("the prefixed paths are not shown".to_owned());
            }
            Ok(())
        },
    )
    .await;
}

async fn exercise(c: &Client, addr: SocketAddr) -> Result<(), String> {
    let err = cmd_err;
    open_docs(c, &format!("http://{addr}/docs")).await?;

    // Every operation of the example is listed, with its method and path.
    let mut listed = Vec::new();
    for block in c
        .find_all(Locator::Css(".opblock"))
        .await
        .map_err(err("blocks"))?
    {
        let method = block
            .find(Locator::Css(".opblock-summary-method"))
            .await
            .map_err(err("method"))?;
        let path = block
            .find(Locator::Css(".opblock-summary-path"))
            .await
            .map_err(err("path"))?;
        let path = path
            .attr("data-path")
            .await
            .map_err(err("data-path"))?
            .unwrap_or_default();
        listed.push(format!(
            "{} {path}",
            method.text().await.map_err(err("method text"))?
        ));
    }
    listed.sort();
    // Swagger UI reports a part of the document it cannot render in the page itself.
    let source = c.source().await.map_err(err("page source"))?;
    if source.contains("Could not render") {
        return Err("the docs page could not render part of the document".to_owned());
    }
    let mut expected = vec![
        "GET /items/{item_id}",
        "GET /say-after",
        "GET /say-sync",
        "POST /items",
    ];
    expected.sort();
    if listed != expected {
        return Err(format!(
            "listed operations {listed:?}, expected {expected:?}"
        ));
    }

    // Expand `GET /say-after`, try it out, execute, and see the 200 answer.
    let (status, body) = try_it_out(
        c,
        "#operations-say-say_after",
        &[("delay", "0"), ("word", "browser")],
    )
    .await?;
    if status != "200" || !body.contains("\"saying\": \"browser\"") {
        return Err(format!("after Execute: status {status:?}, body {body:?}"));
    }
    Ok(())
}

/// Expands operation `op` (a CSS id), "Try it out", types `params` over what the page
/// prefilled, "Execute": the live answer's status and body.
async fn try_it_out(
    c: &Client,
    op: &str,
    params: &[(&str, &str)],
) -> Result<(String, String), String> {
    let err = cmd_err;
    // Run again where it already is open and tried out: only "Execute".
    let again = c
        .find(Locator::Css(&format!("{op} .execute")))
        .await
        .is_ok();
    if !again {
        c.find(Locator::Css(&format!("{op} .opblock-summary-control")))
            .await
            .map_err(err("summary"))?
            .click()
            .await
            .map_err(err("expand"))?;
        let try_out = c
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(&format!("{op} .try-out__btn")))
            .await
            .map_err(err("try it out button"))?;
        try_out.click().await.map_err(err("try it out"))?;
    }
    for (name, value) in params {
        let input = c
            .find(Locator::Css(&format!(
                "{op} tr[data-param-name=\"{name}\"] input"
            )))
            .await
            .map_err(err("parameter input"))?;
        // Select what the page prefilled (the parameter's documented example), then type
        // over it: Ctrl+A, release (WebDriver's null key), Backspace.
        input
            .send_keys(&format!("\u{e009}a\u{e000}\u{e003}{value}"))
            .await
            .map_err(err("type a parameter"))?;
    }
    let body_css = format!("{op} .live-responses-table .response-col_description pre");
    let before = match c.find(Locator::Css(&body_css)).await {
        Ok(e) => e.text().await.ok(),
        Err(_) => None,
    };
    c.find(Locator::Css(&format!("{op} .execute")))
        .await
        .map_err(err("execute button"))?
        .click()
        .await
        .map_err(err("execute"))?;
    // Run again: wait until the new answer has replaced the old one.
    if let Some(before) = before {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            let now = match c.find(Locator::Css(&body_css)).await {
                Ok(e) => e.text().await.ok(),
                Err(_) => None,
            };
            if now.is_some_and(|t| t != before) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let status = c
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(&format!(
            "{op} .live-responses-table tbody .response-col_status"
        )))
        .await
        .map_err(err("a response"))?;
    let status = status.text().await.map_err(err("status text"))?;
    let body = c
        .find(Locator::Css(&body_css))
        .await
        .map_err(err("response body"))?
        .text()
        .await
        .map_err(err("body text"))?;
    Ok((status.trim().to_owned(), body))
}

/// One route per security scheme Swagger UI can fill in from a browser.
mod guarded {
    use ninja_core::auth::{ApiKeyIn, BasicCredentials};
    use ninja_core::prelude::*;

    pub(super) fn api() -> NinjaApi {
        NinjaApi::new("guarded", "1").routes(routes![bearer, basic, header_key, query_key])
    }

    fn check(expected: &'static str) -> impl Fn(String) -> Option<()> + Send + Sync + 'static {
        move |given: String| (given == expected).then_some(())
    }

    #[get("/bearer", auth = AuthScheme::bearer(check("b-token")).named("bearerAuth"))]
    fn bearer() -> String {
        "bearer ok".to_owned()
    }

    #[get("/basic", auth = AuthScheme::basic(|c: BasicCredentials| {
        (c.username == "ada" && c.password == "pw").then_some(())
    }).named("basicAuth"))]
    fn basic() -> String {
        "basic ok".to_owned()
    }

    #[get("/header-key", auth = AuthScheme::api_key(ApiKeyIn::Header, "X-Key", check("h-key")).named("headerKey"))]
    fn header_key() -> String {
        "header key ok".to_owned()
    }

    #[get("/query-key", auth = AuthScheme::api_key(ApiKeyIn::Query, "key", check("q-key")).named("queryKey"))]
    fn query_key() -> String {
        "query key ok".to_owned()
    }
}

/// Swagger UI's Authorize works for every scheme a browser can send (bearer, basic, API key
/// in a header or the query): after filling in each, "Execute" gets 200 from each route; an
/// API key in a cookie cannot be set by a page (Swagger UI's documented limit).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swagger_authorize_works_for_every_scheme() {
    in_browser(
        guarded::api(),
        "docs-authorize.png",
        async |c: &Client, addr: SocketAddr| {
            let err = cmd_err;
            // Before authorizing, the routes answer 401.
            open_docs(c, &format!("http://{addr}/docs")).await?;
            let (status, _) = try_it_out(c, "#operations-default-bearer", &[]).await?;
            if status != "401" {
                return Err(format!("without a token: {status}"));
            }
            c.find(Locator::Css(".auth-wrapper .authorize"))
                .await
                .map_err(err("the Authorize button"))?
                .click()
                .await
                .map_err(err("open the dialog"))?;
            let values: [(&str, &[&str]); 4] = [
                ("bearerAuth", &["b-token"]),
                ("basicAuth", &["ada", "pw"]),
                ("headerKey", &["h-key"]),
                ("queryKey", &["q-key"]),
            ];
            for (scheme, inputs) in values {
                let containers = c
                    .wait()
                    .at_most(Duration::from_secs(10))
                    .for_element(Locator::Css(".auth-container"))
                    .await
                    .map(|_| ())
                    .map_err(err("the dialog"));
                containers?;
                let mut found = None;
                for container in c
                    .find_all(Locator::Css(".auth-container"))
                    .await
                    .map_err(err("schemes"))?
                {
                    let text = container.text().await.map_err(err("scheme text"))?;
                    if text.contains(scheme) {
                        found = Some(container);
                    }
                }
                let container = found.ok_or(format!("no {scheme} in the dialog"))?;
                let fields = container
                    .find_all(Locator::Css("input"))
                    .await
                    .map_err(err("inputs"))?;
                if fields.len() != inputs.len() {
                    return Err(format!("{scheme}: {} inputs", fields.len()));
                }
                for (field, value) in fields.iter().zip(inputs) {
                    field.send_keys(value).await.map_err(err("type"))?;
                }
                container
                    .find(Locator::Css("button.authorize"))
                    .await
                    .map_err(err("the scheme's Authorize"))?
                    .click()
                    .await
                    .map_err(err("authorize"))?;
            }
            c.find(Locator::Css(".btn-done"))
                .await
                .map_err(err("Close"))?
                .click()
                .await
                .map_err(err("close the dialog"))?;
            for (op, answer) in [
                ("bearer", "bearer ok"),
                ("basic", "basic ok"),
                ("header_key", "header key ok"),
                ("query_key", "query key ok"),
            ] {
                let css = format!("#operations-default-{op}");
                let (status, body) = try_it_out(c, &css, &[]).await?;
                if status != "200" || !body.contains(answer) {
                    return Err(format!("{op}: status {status}, body {body:?}"));
                }
            }
            Ok(())
        },
    )
    .await;
}

/// The web page of the CORS test: on load, calls the shop's order list from its own origin
/// with an `X-API-Key` header (so the browser sends a preflight first) and writes what it got
/// into `#result`.
#[ninja_core::get("/")]
async fn front_end(
    shop: ninja_core::State<ShopUrl>,
) -> ([(http::HeaderName, &'static str); 1], String) {
    let html = format!(
        r#"<!doctype html><html><body><h1>Front end</h1>
<p>From <code id="origin"></code>: <code>GET {0}/api/v1/orders</code> with an <code>X-API-Key</code> header (so a CORS preflight first):</p>
<p id="result">pending</p><script>
document.getElementById("origin").textContent = location.origin;
fetch("{0}/api/v1/orders", {{ headers: {{ "X-API-Key": "ada-key" }} }})
  .then(r => r.json().then(b => "ok " + r.status + ": " + b.length + " orders"))
  .catch(e => "failed: " + e)
  .then(t => {{ const p = document.getElementById("result"); p.textContent = t; p.className = "done"; }});
</script></body></html>"#,
        shop.0.0
    );
    (
        [(http::header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
}

struct ShopUrl(String);

/// A page served from one origin calls the shop on another: with the shop's CORS layer the
/// preflight passes and the data arrives; without it, the browser refuses the same call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_on_another_origin_calls_the_shop_through_cors() {
    let Some((chromium, chromedriver)) = browser_tools() else {
        return;
    };
    let (_driver, port) = start_driver(&chromedriver).await;
    let c = browser(&chromium, port).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let db = examples::shop::db::open(&dir.path().join("shop.db")).expect("database opens");

    let mut seen = Vec::new();
    for with_cors in [true, false] {
        let page = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binds");
        let origin = format!("http://{}", page.local_addr().expect("address"));
        let shop = examples::shop::v1(db.clone(), "token".to_owned());
        let shop = if with_cors {
            let origin = http::HeaderValue::from_str(&origin).expect("an origin");
            examples::shop::with_middleware(shop, &[origin])
        } else {
            shop
        };
        let shop = serve(shop).await;
        let front = ninja_core::NinjaApi::new("front", "1")
            .no_openapi()
            .state(ShopUrl(format!("http://{shop}")))
            .routes(ninja_core::routes![front_end])
            .build()
            .expect("builds");
        tokio::spawn(async move { front.serve_on(page, std::future::pending()).await });
        c.goto(&format!("{origin}/")).await.expect("the page opens");
        let result = c
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css("#result.done"))
            .await
            .expect("the call ends");
        seen.push(result.text().await.expect("the result"));
        if with_cors {
            let png = c.screenshot().await.expect("a screenshot");
            let path = support::workspace().join("target/cors-browser.png");
            // Kept in the repository, as the docs page's is (docs/cors-page.png).
            std::fs::write(&path, png).expect("screenshot written");
        }
    }
    let _ = c.close().await;
    assert_eq!(seen[0], "ok 200: 0 orders", "with CORS");
    assert!(
        seen[1].starts_with("failed: TypeError"),
        "without CORS: {}",
        seen[1]
    );
}

/// The live example's page in a real browser: `EventSource` receives the five ticks and a
/// `WebSocket` gets its three messages echoed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_page_streams_events_and_echoes_over_a_websocket() {
    let uploads = tempfile::tempdir().expect("temp dir");
    let api = examples::live::api(uploads.path().to_owned());
    in_browser(api, "live-browser.png", async |c, addr| {
        c.goto(&format!("http://{addr}/static/"))
            .await
            .map_err(cmd_err("open the page"))?;
        let text = async |css: &str| -> Result<String, String> {
            c.find(Locator::Css(css))
                .await
                .map_err(cmd_err("find"))?
                .text()
                .await
                .map_err(cmd_err("read"))
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while text("#sse-status").await? != "done" || text("#ws-status").await? != "done" {
            if Instant::now() > deadline {
                return Err(format!(
                    "not done: events {:?}, websocket {:?}",
                    text("#sse-status").await?,
                    text("#ws-status").await?
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let ticks = text("#ticks").await?;
        let expected: Vec<String> = (0..5).map(|n| format!("{{\"n\":{n}}}")).collect();
        if ticks.lines().collect::<Vec<_>>() != expected {
            return Err(format!("ticks: {ticks:?}"));
        }
        let echo = text("#echo").await?;
        if echo.lines().collect::<Vec<_>>() != ["one", "two", "three"] {
            return Err(format!("echo: {echo:?}"));
        }
        Ok(())
    })
    .await;
}

/// The ReDoc and Scalar pages render the same document: each shows an operation's path and
/// a tag's description, from the server alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redoc_and_scalar_render_the_document() {
    in_browser(hello::api(), "redoc-scalar-browser.png", async |c, addr| {
        for page in ["redoc", "scalar"] {
            c.goto(&format!("http://{addr}/{page}"))
                .await
                .map_err(cmd_err("open the page"))?;
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                let text = c
                    .find(Locator::Css("body"))
                    .await
                    .map_err(cmd_err("find the body"))?
                    .text()
                    .await
                    .map_err(cmd_err("read the body"))?;
                if text.contains("/say-after") && text.contains("Answers after a delay: awaited") {
                    break;
                }
                if Instant::now() > deadline {
                    return Err(format!(
                        "{page} did not render the document; it shows: {}",
                        text.chars().take(300).collect::<String>()
                    ));
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
        Ok(())
    })
    .await;
}
