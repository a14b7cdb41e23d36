//! HTTPS (feature `tls`): a self-signed certificate made at test time, a real client (curl)
//! over HTTP/2 and HTTP/1.1 chosen by ALPN, and the header timeout still in force.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use ninja_core::prelude::*;
use tokio::io::AsyncReadExt as _;

#[get("/hello")]
async fn hello() -> &'static str {
    "hello over tls"
}

/// Writes a self-signed certificate for 127.0.0.1 and its key into `dir`.
fn certificate(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let made =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .expect("a certificate");
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, made.cert.pem()).expect("written");
    std::fs::write(&key, made.signing_key.serialize_pem()).expect("written");
    (cert, key)
}

async fn serve(api: NinjaApi) -> SocketAddr {
    crate::serve_app(api.build().expect("builds")).await
}

/// `curl` with `args`, returning what it printed: the body, then the HTTP version.
async fn curl(args: Vec<String>) -> String {
    let out = tokio::task::spawn_blocking(move || {
        Command::new("curl")
            .args(["-sS", "--max-time", "10", "-w", " %{http_version}"])
            .args(args)
            .output()
            .expect("curl runs")
    })
    .await
    .expect("joins");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

#[tokio::test]
async fn https_with_alpn_h2_and_http1() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let (cert, key) = certificate(dir.path());
    let addr = serve(
        NinjaApi::new("tls", "1")
            .routes(routes![hello])
            .tls_pem(&cert, &key),
    )
    .await;
    let url = format!("https://127.0.0.1:{}/hello", addr.port());
    let ca = cert.display().to_string();
    let h2 = curl(vec![
        "--cacert".into(),
        ca.clone(),
        "--http2".into(),
        url.clone(),
    ])
    .await;
    assert_eq!(h2, "hello over tls 2");
    let h1 = curl(vec!["--cacert".into(), ca, "--http1.1".into(), url]).await;
    assert_eq!(h1, "hello over tls 1.1");
}

#[tokio::test]
async fn a_client_that_never_handshakes_is_cut_off() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let (cert, key) = certificate(dir.path());
    let period = Duration::from_millis(300);
    let addr = serve(
        NinjaApi::new("tls", "1")
            .routes(routes![hello])
            .header_read_timeout(period)
            .tls_pem(&cert, &key),
    )
    .await;
    let mut silent = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connects");
    let started = Instant::now();
    let mut buf = [0u8; 16];
    let n = tokio::time::timeout(Duration::from_secs(5), silent.read(&mut buf))
        .await
        .expect("closed in time")
        .unwrap_or(0);
    assert_eq!(n, 0, "closed without an answer");
    let waited = started.elapsed();
    assert!(
        waited >= period && waited < period.mul_f64(1.25) + Duration::from_millis(100),
        "closed after {waited:?}"
    );
}

#[test]
fn a_bad_certificate_file_is_a_build_error() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let (_, key) = certificate(dir.path());
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "not a certificate").expect("written");
    let err = NinjaApi::new("tls", "1")
        .routes(routes![hello])
        .tls_pem(&junk, &key)
        .build()
        .expect_err("refused");
    assert!(err.to_string().contains("junk.pem"), "{err}");
}

/// The typed client over HTTPS (feature `client-tls`): trusting the server's self-signed
/// certificate, by ALPN and with HTTP/2; without that trust, a transport error.
#[cfg(feature = "client-tls")]
mod typed_client {
    use ninja_core::client::{Client, ClientError};
    use ninja_core::prelude::*;

    #[ninja_core::api]
    pub(crate) trait Greeter {
        #[get("/hello")]
        async fn hello() -> &'static str;

        #[get("/version")]
        fn version() -> String;
    }

    #[get("/version", op = greeter::version)]
    fn version(head: ninja_core::RequestHead) -> String {
        format!("{:?}", head.version)
    }

    /// Serves `api` over HTTPS with a certificate made in `dir`: its base URL, and two
    /// clients trusting it, one letting ALPN choose the protocol, one insisting on HTTP/2.
    async fn https(api: NinjaApi, dir: &std::path::Path) -> (String, [Client; 2]) {
        let (cert, key) = super::certificate(dir);
        let addr = super::serve(api.tls_pem(&cert, &key)).await;
        let base = format!("https://localhost:{}", addr.port());
        let pem = std::fs::read(&cert).expect("read");
        let trusting = |http2: bool| {
            let b = Client::builder(&base).add_root_certificate(&pem);
            let b = if http2 { b.http2() } else { b };
            b.build().expect("client")
        };
        let clients = [trusting(false), trusting(true)];
        (base, clients)
    }

    #[tokio::test]
    async fn the_typed_client_speaks_https() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let api = NinjaApi::new("tls", "1").routes(routes![super::hello, version]);
        let (base, clients) = https(api, dir.path()).await;
        for (http2, client) in [false, true].into_iter().zip(clients) {
            let c = GreeterClient::from_client(client);
            assert_eq!(c.hello().await.expect("answered"), "hello over tls");
            // ALPN picks HTTP/2 when the client does not insist; `http2()` insists.
            assert_eq!(
                c.version().await.expect("answered"),
                "HTTP/2.0",
                "http2: {http2}"
            );
        }
        let untrusted = GreeterClient::new(&base).expect("client");
        let err = untrusted.hello().await.expect_err("not trusted");
        assert!(matches!(err, ClientError::Transport(_)), "{err}");
        assert!(
            err.to_string().to_lowercase().contains("certificate"),
            "{err}"
        );
    }

    /// WebSockets over HTTPS: ALPN would pick HTTP/2, where upgrades do not exist, so the
    /// client upgrades over an HTTP/1.1 connection of its own (`http2()` clients too).
    #[cfg(feature = "ws")]
    mod websockets {
        use ninja_core::prelude::*;
        use ninja_core::ws::{Message, WebSocketResponse, WebSocketUpgrade};

        #[ninja_core::api]
        pub(crate) trait Echoes {
            #[get("/ws")]
            async fn echo(ws: WebSocketUpgrade) -> WebSocketResponse;
        }

        #[get("/ws", op = echoes::echo)]
        async fn echo(ws: WebSocketUpgrade) -> WebSocketResponse {
            ws.on_upgrade(|mut socket| async move {
                while let Some(Ok(msg)) = socket.recv().await {
                    if msg.is_text() && socket.send(msg).await.is_err() {
                        break;
                    }
                }
            })
        }

        #[tokio::test]
        async fn the_typed_client_opens_websockets_over_https() {
            let dir = tempfile::tempdir().expect("a temp dir");
            let api = NinjaApi::new("tls", "1").routes(routes![echo]);
            let (_, clients) = super::https(api, dir.path()).await;
            for (http2, client) in [false, true].into_iter().zip(clients) {
                let c = EchoesClient::from_client(client);
                let mut socket = c.echo().await.expect("upgraded");
                socket.send(Message::text("over tls")).await.expect("sent");
                let back = socket.recv().await.expect("a message").expect("read");
                assert_eq!(back.to_text().expect("text"), "over tls", "http2: {http2}");
                socket.close(None).await.expect("closed");
            }
        }
    }
}
