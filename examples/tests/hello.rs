//! The `hello` example's routes, which outside checks rely on, over a real socket.

use std::net::SocketAddr;

use bytes::Bytes;
use examples::hello;
use http::Request;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};
use tokio::sync::oneshot;

type HttpClient = Client<HttpConnector, Full<Bytes>>;

async fn serve() -> (SocketAddr, oneshot::Sender<()>) {
    let app = hello::api().build().expect("the example builds");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let addr = listener.local_addr().expect("address");
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        app.serve_on(listener, async {
            let _ = stopped.await;
        })
        .await
    });
    (addr, stop)
}

fn client() -> HttpClient {
    Client::builder(TokioExecutor::new()).build_http()
}

async fn send(client: &HttpClient, req: Request<Full<Bytes>>) -> (u16, Value) {
    let res = client.request(req).await.expect("answered");
    let status = res.status().as_u16();
    let body = res.into_body().collect().await.expect("body").to_bytes();
    let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
    (status, json)
}

async fn get(client: &HttpClient, url: String) -> (u16, Value) {
    send(
        client,
        Request::get(url).body(Full::default()).expect("valid"),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn say_after_and_say_sync() {
    let (addr, _stop) = serve().await;
    let c = client();
    for route in ["say-after", "say-sync"] {
        let (status, body) =
            get(&c, format!("http://{addr}/{route}?delay=0.05&word=h%C3%A9")).await;
        assert_eq!((status, body), (200, json!({"saying": "hé"})), "{route}");
        let (status, body) = get(&c, format!("http://{addr}/{route}?delay=soon")).await;
        assert_eq!(status, 422, "{route}");
        assert_eq!(
            body["errors"].as_array().map(Vec::len),
            Some(2),
            "{route}: {body}"
        );
        // Out of its documented range: 422 at the parameter, before any waiting.
        let (status, body) = get(&c, format!("http://{addr}/{route}?delay=61&word=x")).await;
        assert_eq!(status, 422, "{route}");
        assert_eq!(
            body["errors"][0]["loc"],
            json!(["query", "delay"]),
            "{body}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items() {
    let (addr, _stop) = serve().await;
    let c = client();
    let post = Request::post(format!("http://{addr}/items"))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(r#"{"name":"pen","price":150}"#)))
        .expect("valid");
    let (status, created) = send(&c, post).await;
    assert_eq!(status, 201);
    let id = created["id"].as_u64().expect("an id");
    let (status, body) = get(&c, format!("http://{addr}/items/{id}?q=blue")).await;
    assert_eq!(
        (status, body),
        (
            200,
            json!({"id": id, "name": "pen", "price": 150, "q": "blue"})
        )
    );
    let (status, body) = get(&c, format!("http://{addr}/items/999")).await;
    assert_eq!((status, body["status"].clone()), (404, json!(404)));
}

/// 100 concurrent requests to each say endpoint are all answered, each with its own word.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_concurrent_requests_in_each_mode() {
    let (addr, _stop) = serve().await;
    let c = client();
    for route in ["say-after", "say-sync"] {
        let tasks: Vec<_> = (0..100)
            .map(|i| {
                let c = c.clone();
                tokio::spawn(async move {
                    get(&c, format!("http://{addr}/{route}?delay=0.3&word=w{i}")).await
                })
            })
            .collect();
        for (i, t) in tasks.into_iter().enumerate() {
            let (status, body) = t.await.expect("joined");
            assert_eq!(
                (status, body),
                (200, json!({"saying": format!("w{i}")})),
                "{route} #{i}"
            );
        }
    }
}
