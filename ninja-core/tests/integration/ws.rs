//! WebSockets through a real socket with a real client (tokio-tungstenite): echo, typed
//! extraction before the upgrade, refusals, size limit, idle close, 1001 on shutdown.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt as _, StreamExt as _};
use ninja_core::prelude::*;
use ninja_core::ws::{CloseCode, Message, WebSocketResponse, WebSocketUpgrade};
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

use crate::{read_until, serve_app, serve_until_stopped};

/// Echoes text and binary messages.
#[get("/echo")]
async fn echo(ws: WebSocketUpgrade) -> WebSocketResponse {
    ws.max_message_size(1024)
        .on_upgrade(|mut socket| async move {
            while let Some(Ok(msg)) = socket.recv().await {
                if matches!(msg, Message::Text(_) | Message::Binary(_))
                    && socket.send(msg).await.is_err()
                {
                    break;
                }
            }
        })
}

/// Greets by the path's name and the query's greeting: both checked before the upgrade.
#[get("/greet/{name}")]
fn greet(name: String, greeting: String, times: u8, ws: WebSocketUpgrade) -> WebSocketResponse {
    ws.protocols(["greet.v2", "greet.v1"])
        .on_upgrade(move |mut socket| async move {
            let protocol = socket.protocol().unwrap_or("none").to_owned();
            for _ in 0..times {
                let line = format!("{greeting}, {name} ({protocol})");
                if socket.send(Message::text(line)).await.is_err() {
                    return;
                }
            }
            socket.close(CloseCode::Normal, "done").await;
        })
}

/// Silent server: waits for the client, closes it after `ms` of silence.
#[get("/quiet")]
async fn quiet(ws: WebSocketUpgrade, ms: u64) -> WebSocketResponse {
    ws.idle_timeout(Some(Duration::from_millis(ms)))
        .on_upgrade(|mut socket| async move { while socket.recv().await.is_some() {} })
}

#[derive(Clone, Default)]
struct Ended(Arc<AtomicUsize>);

/// Counts the sockets whose task has ended.
#[get("/counted")]
async fn counted(ws: WebSocketUpgrade, ended: State<Ended>) -> WebSocketResponse {
    let ended = ended.0.clone();
    ws.on_upgrade(move |mut socket| async move {
        while socket.recv().await.is_some() {}
        ended.0.fetch_add(1, Ordering::SeqCst);
    })
}

async fn check_token(token: String) -> Option<String> {
    (token == "t0ken").then(|| "ada".to_owned())
}

/// Says who is connected: the identity comes from the auth check before the upgrade.
#[get("/me", auth = ninja_core::auth::AuthScheme::bearer(check_token))]
async fn me(user: Auth<String>, ws: WebSocketUpgrade) -> WebSocketResponse {
    let name = user.0.clone();
    ws.on_upgrade(move |mut socket| async move {
        let _ = socket.send(Message::text(name)).await;
        socket.close(CloseCode::Normal, "bye").await;
    })
}

/// Panics once upgraded.
#[get("/bomb")]
async fn bomb(ws: WebSocketUpgrade) -> WebSocketResponse {
    ws.on_upgrade(|_socket| async move { panic!("boom in a socket task") })
}

fn api(ended: Ended) -> NinjaApi {
    NinjaApi::new("ws", "1")
        .state(ended)
        .routes(routes![echo, greet, quiet, counted, bomb, me])
        .shutdown_timeout(Duration::from_secs(3))
}

fn app(ended: Ended) -> ninja_core::App {
    api(ended).build().expect("builds")
}

#[tokio::test]
async fn echoes_text_and_binary_and_answers_pings() {
    let addr = serve_app(app(Ended::default())).await;
    let (mut ws, res) = connect_async(format!("ws://{addr}/echo"))
        .await
        .expect("upgrades");
    assert_eq!(res.status(), 101);
    ws.send(Message::text("hello")).await.expect("sends");
    assert_eq!(
        ws.next().await.expect("a reply").expect("ok"),
        Message::text("hello")
    );
    ws.send(Message::binary(vec![0u8, 1, 2, 255]))
        .await
        .expect("sends");
    assert_eq!(
        ws.next().await.expect("a reply").expect("ok"),
        Message::binary(vec![0u8, 1, 2, 255])
    );
    ws.send(Message::Ping("p".into())).await.expect("pings");
    assert_eq!(
        ws.next().await.expect("a pong").expect("ok"),
        Message::Pong("p".into())
    );
    // A client's close is completed by the server: its close frame comes back.
    ws.close(None).await.expect("closes");
    let reply = ws.next().await;
    assert!(
        matches!(reply, Some(Ok(Message::Close(_))) | None),
        "{reply:?}"
    );
}

#[tokio::test]
async fn path_query_and_protocol_are_read_before_the_upgrade() {
    let addr = serve_app(app(Ended::default())).await;
    let mut req = format!("ws://{addr}/greet/ada?greeting=hi&times=2")
        .into_client_request()
        .expect("a request");
    req.headers_mut().insert(
        "sec-websocket-protocol",
        "greet.v1, greet.v2".parse().expect("a header"),
    );
    let (mut ws, res) = connect_async(req).await.expect("upgrades");
    assert_eq!(res.headers()["sec-websocket-protocol"], "greet.v2");
    for _ in 0..2 {
        assert_eq!(
            ws.next().await.expect("a line").expect("ok"),
            Message::text("hi, ada (greet.v2)")
        );
    }
    match ws.next().await {
        Some(Ok(Message::Close(Some(frame)))) => {
            assert_eq!(frame.code, CloseCode::Normal);
            assert_eq!(frame.reason.as_str(), "done");
        }
        other => panic!("expected a close frame, got {other:?}"),
    }
}

/// A raw handshake with `extra` headers (or none of the upgrade ones).
async fn handshake(addr: std::net::SocketAddr, path: &str, headers: &str) -> String {
    use tokio::io::AsyncWriteExt as _;
    let mut s = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connects");
    s.write_all(format!("GET {path} HTTP/1.1\r\nhost: x\r\n{headers}\r\n").as_bytes())
        .await
        .expect("writes");
    read_until(&mut s, "}").await
}

const UPGRADE: &str = "connection: Upgrade\r\nupgrade: websocket\r\nsec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n";

#[tokio::test]
async fn bad_handshakes_and_bad_inputs_are_refused_before_the_upgrade() {
    let addr = serve_app(app(Ended::default())).await;
    // Not a handshake at all: 426 naming what to send.
    let res = handshake(addr, "/echo", "").await;
    assert!(res.starts_with("HTTP/1.1 426"), "{res}");
    assert!(res.contains("upgrade: websocket"), "{res}");
    assert!(res.contains("application/problem+json"), "{res}");
    // Another version: 426 with the one spoken.
    let v8 = UPGRADE.replace("version: 13", "version: 8");
    let res = handshake(addr, "/echo", &v8).await;
    assert!(res.starts_with("HTTP/1.1 426"), "{res}");
    assert!(res.contains("sec-websocket-version: 13"), "{res}");
    // A malformed key: 400.
    let short = UPGRADE.replace("dGhlIHNhbXBsZSBub25jZQ==", "abc");
    let res = handshake(addr, "/echo", &short).await;
    assert!(res.starts_with("HTTP/1.1 400"), "{res}");
    // A good handshake with a bad query: 422, no upgrade, every bad input listed.
    let res = handshake(addr, "/greet/ada?times=300", UPGRADE).await;
    assert!(res.starts_with("HTTP/1.1 422"), "{res}");
    assert!(res.contains("greeting") && res.contains("times"), "{res}");
    // And a good one switches.
    let res = handshake(addr, "/greet/ada?greeting=hi&times=1", UPGRADE).await;
    assert!(res.starts_with("HTTP/1.1 101"), "{res}");
    assert!(
        res.contains("sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
        "{res}"
    );
}

#[tokio::test]
async fn auth_is_checked_before_the_upgrade() {
    let addr = serve_app(app(Ended::default())).await;
    let res = handshake(addr, "/me", UPGRADE).await;
    assert!(res.starts_with("HTTP/1.1 401"), "{res}");
    let mut req = format!("ws://{addr}/me")
        .into_client_request()
        .expect("a request");
    req.headers_mut()
        .insert("authorization", "Bearer t0ken".parse().expect("a header"));
    let (mut ws, _) = connect_async(req).await.expect("upgrades");
    assert_eq!(
        ws.next().await.expect("a message").expect("ok"),
        Message::text("ada")
    );
}

#[tokio::test]
async fn in_process_requests_cannot_upgrade() {
    let client = TestClient::new(api(Ended::default()));
    let res = client
        .get("/echo")
        .header("connection", "upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .send()
        .await;
    let body = crate::problem(&res, 426);
    assert_eq!(body["detail"], "this connection cannot be upgraded");
}

#[tokio::test]
async fn a_message_over_the_limit_closes_with_1009() {
    let addr = serve_app(app(Ended::default())).await;
    let (mut ws, _) = connect_async(format!("ws://{addr}/echo"))
        .await
        .expect("upgrades");
    ws.send(Message::text("x".repeat(1024)))
        .await
        .expect("sends");
    assert!(matches!(ws.next().await, Some(Ok(Message::Text(_)))));
    ws.send(Message::text("x".repeat(1025)))
        .await
        .expect("sends");
    match ws.next().await {
        Some(Ok(Message::Close(Some(frame)))) => assert_eq!(frame.code, CloseCode::Size),
        other => panic!("expected a 1009 close, got {other:?}"),
    }
}

#[tokio::test]
async fn a_silent_client_is_pinged_then_closed() {
    let addr = serve_app(app(Ended::default())).await;
    let (mut ws, _) = connect_async(format!("ws://{addr}/quiet?ms=400"))
        .await
        .expect("upgrades");
    let started = Instant::now();
    // Not read (so not answered) until the server gave up: a ping, then the close.
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(matches!(ws.next().await, Some(Ok(Message::Ping(_)))));
    match ws.next().await {
        Some(Ok(Message::Close(Some(frame)))) => {
            assert_eq!(frame.code, CloseCode::Normal);
            assert_eq!(frame.reason.as_str(), "idle timeout");
        }
        other => panic!("expected an idle close, got {other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn a_client_answering_pings_stays_open() {
    let addr = serve_app(app(Ended::default())).await;
    let (mut ws, _) = connect_async(format!("ws://{addr}/quiet?ms=300"))
        .await
        .expect("upgrades");
    // Reading answers the pings (tungstenite replies with pongs), so the socket lives on
    // well past its idle timeout.
    let until = Instant::now() + Duration::from_millis(1000);
    while Instant::now() < until {
        match tokio::time::timeout(Duration::from_millis(100), ws.next()).await {
            Err(_) | Ok(Some(Ok(Message::Ping(_)))) => {}
            other => panic!("the socket closed: {other:?}"),
        }
    }
}

#[tokio::test]
async fn shutdown_closes_sockets_with_1001_and_waits_for_their_tasks() {
    let ended = Ended::default();
    let (addr, stop, server) = serve_until_stopped(app(ended.clone())).await;
    let mut sockets = Vec::new();
    for _ in 0..3 {
        let (ws, _) = connect_async(format!("ws://{addr}/counted"))
            .await
            .expect("upgrades");
        sockets.push(ws);
    }
    let started = Instant::now();
    let _ = stop.send(());
    for mut ws in sockets {
        match ws.next().await {
            Some(Ok(Message::Close(Some(frame)))) => assert_eq!(frame.code, CloseCode::Away),
            other => panic!("expected a 1001 close, got {other:?}"),
        }
    }
    server.await.expect("joins").expect("serves");
    assert!(started.elapsed() < Duration::from_secs(2));
    // The server's run ended only after every socket task had.
    assert_eq!(ended.0.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_panicking_socket_task_leaves_the_server_serving() {
    let addr = serve_app(app(Ended::default())).await;
    let (mut ws, _) = connect_async(format!("ws://{addr}/bomb"))
        .await
        .expect("upgrades");
    // The socket is dropped with the task.
    let next = tokio::time::timeout(Duration::from_secs(2), ws.next())
        .await
        .expect("the socket ends");
    assert!(!matches!(next, Some(Ok(Message::Text(_)))), "{next:?}");
    let (mut ws, _) = connect_async(format!("ws://{addr}/echo"))
        .await
        .expect("still upgrades");
    ws.send(Message::text("still here")).await.expect("sends");
    assert_eq!(
        ws.next().await.expect("a reply").expect("ok"),
        Message::text("still here")
    );
}

#[test]
fn documented_as_a_get_switching_protocols() {
    let app = app(Ended::default());
    let doc: serde_json::Value = serde_json::from_str(app.openapi_json()).expect("JSON");
    let op = &doc["paths"]["/greet/{name}"]["get"];
    let responses = op["responses"].as_object().expect("responses");
    assert!(responses.contains_key("101"), "{responses:?}");
    assert!(responses.contains_key("426"), "{responses:?}");
    assert!(!responses.contains_key("200"), "{responses:?}");
    let params: Vec<&str> = op["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .map(|p| p["name"].as_str().expect("a name"))
        .collect();
    assert_eq!(params, ["name", "greeting", "times"]);
}
