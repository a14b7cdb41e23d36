//! WebSockets (feature `ws`): a [`WebSocketUpgrade`] argument checks the handshake, the
//! handler's other arguments (path, query, headers, auth) are extracted as for any route,
//! and [`WebSocketUpgrade::on_upgrade`] answers `101 Switching Protocols` and runs the
//! socket's task. The protocol itself is tokio-tungstenite's; [`Message`], [`CloseFrame`]
//! and [`CloseCode`] are its types, re-exported.

use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures_util::{FutureExt as _, SinkExt as _, StreamExt as _};
use http::{HeaderMap, HeaderValue, Method, StatusCode, Version, header};
use hyper_util::rt::TokioIo;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::error::ProtocolError;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};

use crate::body::Body;
use crate::exec::{Exec, Running};
use crate::extract::{Arg, FromRequestParts, RequestCx};
use crate::openapi::OperationDoc;
use crate::problem::Problem;
use crate::response::{IntoResponse, Response};

pub use tokio_tungstenite::tungstenite::Error;
pub use tokio_tungstenite::tungstenite::Message;
pub use tokio_tungstenite::tungstenite::protocol::CloseFrame;
pub use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

/// How long a socket may stay silent by default before it is closed (a ping goes out
/// halfway through, and any answer counts).
const DEFAULT_IDLE: Duration = Duration::from_secs(60);

/// How long a closing socket waits for the client's close frame.
const CLOSE_WAIT: Duration = Duration::from_secs(1);

/// A WebSocket handshake, checked: take it as an argument of a `GET` route and answer with
/// [`on_upgrade`](Self::on_upgrade). A request that is not a WebSocket handshake gets a
/// `426 Upgrade Required` problem (a `400` when its handshake headers are malformed); the
/// handler's other arguments are extracted and validated first, as for any route, so a
/// bad query or a missing credential is refused before the upgrade.
///
/// ```
/// use ninja_core::prelude::*;
/// use ninja_core::ws::{Message, WebSocketResponse, WebSocketUpgrade};
///
/// /// Echoes every text and binary message.
/// #[get("/ws")]
/// async fn echo(ws: WebSocketUpgrade) -> WebSocketResponse {
///     ws.on_upgrade(|mut socket| async move {
///         while let Some(Ok(msg)) = socket.recv().await {
///             if matches!(msg, Message::Text(_) | Message::Binary(_)) && socket.send(msg).await.is_err() {
///                 break;
///             }
///         }
///     })
/// }
/// ```
///
/// HTTP/1.1 only (RFC 6455): an HTTP/2 request gets the 426.
pub struct WebSocketUpgrade {
    on_upgrade: hyper::upgrade::OnUpgrade,
    accept: HeaderValue,
    offered: Option<HeaderValue>,
    protocol: Option<HeaderValue>,
    config: WebSocketConfig,
    idle: Option<Duration>,
    exec: Exec,
    runtime: tokio::runtime::Handle,
}

impl fmt::Debug for WebSocketUpgrade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebSocketUpgrade")
            .field("protocol", &self.protocol)
            .field("max_message_size", &self.config.max_message_size)
            .field("idle", &self.idle)
            .finish_non_exhaustive()
    }
}

/// The 426 answer to a request that is not a WebSocket handshake.
fn upgrade_required(detail: &'static str) -> Problem {
    Problem::new(StatusCode::UPGRADE_REQUIRED)
        .with_detail(detail)
        .with_header(header::UPGRADE, HeaderValue::from_static("websocket"))
        .with_header(header::CONNECTION, HeaderValue::from_static("upgrade"))
}

/// Whether a comma-separated header holds `token` (case-insensitive), in any of its lines.
fn has_token(headers: &HeaderMap, name: header::HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

impl FromRequestParts for WebSocketUpgrade {
    fn from_request_parts(cx: &RequestCx<'_>, _: &Arg) -> Result<Self, Problem> {
        let parts = cx.parts();
        let headers = &parts.headers;
        if parts.method != Method::GET
            || parts.version != Version::HTTP_11
            || !has_token(headers, header::CONNECTION, "upgrade")
            || !has_token(headers, header::UPGRADE, "websocket")
        {
            return Err(upgrade_required(
                "this route speaks WebSocket: send an HTTP/1.1 GET with `Connection: upgrade` and `Upgrade: websocket`",
            ));
        }
        if headers
            .get(header::SEC_WEBSOCKET_VERSION)
            .map(HeaderValue::as_bytes)
            != Some(b"13")
        {
            return Err(
                upgrade_required("only WebSocket version 13 is spoken").with_header(
                    header::SEC_WEBSOCKET_VERSION,
                    HeaderValue::from_static("13"),
                ),
            );
        }
        let key = headers
            .get(header::SEC_WEBSOCKET_KEY)
            .filter(|k| k.len() == 24)
            .ok_or_else(|| {
                Problem::bad_request("`Sec-WebSocket-Key` is missing or is not 16 bytes in base64")
            })?;
        // Set by hyper on a connection that can be taken over; not in-process (TestClient).
        let on_upgrade = parts
            .extensions
            .get::<hyper::upgrade::OnUpgrade>()
            .cloned()
            .ok_or_else(|| upgrade_required("this connection cannot be upgraded"))?;
        let accept = HeaderValue::try_from(derive_accept_key(key.as_bytes()))
            .map_err(|_| Problem::internal())?;
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| Problem::internal())?;
        let max = cx.limits().body();
        Ok(Self {
            on_upgrade,
            accept,
            offered: headers.get(header::SEC_WEBSOCKET_PROTOCOL).cloned(),
            protocol: None,
            config: WebSocketConfig::default()
                .max_message_size(Some(max))
                .max_frame_size(Some(max)),
            idle: Some(DEFAULT_IDLE),
            exec: cx.exec().clone(),
            runtime,
        })
    }

    fn describe(op: &mut OperationDoc<'_>, _: &Arg) {
        op.problem_response("400", "Bad Request: a malformed WebSocket handshake");
        op.problem_response("426", "Upgrade Required: not a WebSocket handshake");
    }
}

impl WebSocketUpgrade {
    /// The largest message (and frame) accepted, in bytes; a larger one closes the socket
    /// with `1009 Message Too Big`. The API's body limit by default.
    #[must_use]
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.config = self
            .config
            .max_message_size(Some(bytes))
            .max_frame_size(Some(bytes));
        self
    }

    /// How long the socket may stay silent: halfway through a ping is sent, and when
    /// nothing at all has arrived by the end, [`WebSocket::recv`] closes it (`1000`, "idle
    /// timeout") and returns `None`. 60 s by default; `None` never closes.
    #[must_use]
    pub fn idle_timeout(mut self, idle: Option<Duration>) -> Self {
        self.idle = idle.filter(|d| !d.is_zero());
        self
    }

    /// The subprotocols this route speaks, preferred first: the first the client also
    /// offers (`Sec-WebSocket-Protocol`) is chosen and answered; see
    /// [`WebSocket::protocol`].
    #[must_use]
    pub fn protocols<I: IntoIterator<Item = &'static str>>(mut self, ours: I) -> Self {
        let offered = self.offered.as_ref().and_then(|v| v.to_str().ok());
        self.protocol = offered.and_then(|offered| {
            ours.into_iter()
                .find(|p| offered.split(',').any(|o| o.trim() == *p))
                .map(HeaderValue::from_static)
        });
        self
    }

    /// Answers `101 Switching Protocols` and, once the answer is out, runs `task` with the
    /// socket on the runtime. The task is counted until it ends: on shutdown the server
    /// closes the socket with `1001 Going Away` (the next `recv` returns `None`) and waits
    /// for the task within its shutdown timeout. A panic in it is logged.
    pub fn on_upgrade<F, Fut>(self, task: F) -> WebSocketResponse
    where
        F: FnOnce(WebSocket) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let Self {
            on_upgrade,
            accept,
            protocol,
            config,
            idle,
            exec,
            runtime,
            ..
        } = self;
        let running = Running::start(exec.background());
        let chosen = protocol.clone();
        runtime.spawn(async move {
            let _running = running;
            let upgraded = match on_upgrade.await {
                Ok(upgraded) => upgraded,
                Err(e) => {
                    // The 101 never went out: the handler answered something else.
                    tracing::debug!(error = %e, "a WebSocket upgrade did not happen");
                    return;
                }
            };
            let stream = WebSocketStream::from_raw_socket(
                TokioIo::new(upgraded),
                Role::Server,
                Some(config),
            )
            .await;
            let socket = WebSocket {
                stream,
                idle,
                heard: tokio::time::Instant::now(),
                pinged: false,
                closing: exec.closing(),
                protocol: chosen,
            };
            if AssertUnwindSafe(task(socket)).catch_unwind().await.is_err() {
                tracing::error!("a WebSocket task panicked; its socket is dropped");
            }
        });
        WebSocketResponse { accept, protocol }
    }
}

/// The `101 Switching Protocols` answer that [`WebSocketUpgrade::on_upgrade`] gives;
/// documented as such.
#[derive(Debug)]
pub struct WebSocketResponse {
    accept: HeaderValue,
    protocol: Option<HeaderValue>,
}

impl IntoResponse for WebSocketResponse {
    fn into_response(self) -> Response {
        let mut res = Response::new(Body::empty());
        *res.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
        let headers = res.headers_mut();
        headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        headers.insert(header::SEC_WEBSOCKET_ACCEPT, self.accept);
        if let Some(protocol) = self.protocol {
            headers.insert(header::SEC_WEBSOCKET_PROTOCOL, protocol);
        }
        res
    }

    fn describe(op: &mut OperationDoc<'_>) {
        op.response(
            "101",
            "Switching Protocols: the connection is now a WebSocket",
            None,
        );
    }
}

/// An open WebSocket. Pings are answered and close handshakes completed for you; a socket
/// silent for its idle timeout, or open when the server shuts down, is closed by `recv`.
pub struct WebSocket {
    stream: WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>,
    idle: Option<Duration>,
    /// When the client was last heard from, and whether it has been pinged since: kept
    /// here, not in `recv`, so a `recv` cancelled by a `select!` (a room's broadcast) does
    /// not restart the idle clock.
    heard: tokio::time::Instant,
    pinged: bool,
    closing: tokio::sync::watch::Receiver<bool>,
    protocol: Option<HeaderValue>,
}

impl fmt::Debug for WebSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebSocket")
            .field("protocol", &self.protocol)
            .field("idle", &self.idle)
            .finish_non_exhaustive()
    }
}

impl WebSocket {
    /// The next message from the client (`Text`, `Binary`, `Ping`, `Pong`, or `Close` once),
    /// or `None` when the socket is closed: by the client, for being idle, or because the
    /// server is shutting down (`1001 Going Away` sent). An error (a message over the size
    /// limit, a protocol violation, a lost connection) ends the socket too.
    pub async fn recv(&mut self) -> Option<Result<Message, Error>> {
        loop {
            if *self.closing.borrow_and_update() {
                self.close_with(CloseCode::Away, "server shutting down")
                    .await;
                return None;
            }
            // Silent for half the idle time: a ping; for all of it: closed.
            let deadline = self
                .idle
                .map(|idle| self.heard + if self.pinged { idle } else { idle / 2 });
            let deadline = deadline
                .unwrap_or_else(|| tokio::time::Instant::now() + Duration::from_secs(86400));
            tokio::select! {
                next = self.stream.next() => {
                    self.heard = tokio::time::Instant::now();
                    self.pinged = false;
                    // tungstenite reports a broken rule without telling the client: say why.
                    let why = match &next {
                        Some(Err(Error::Capacity(_))) => Some((CloseCode::Size, "message too big")),
                        Some(Err(Error::Protocol(_) | Error::Utf8(_))) => {
                            Some((CloseCode::Protocol, "protocol error"))
                        }
                        _ => None,
                    };
                    if let Some((code, reason)) = why {
                        self.close_with(code, reason).await;
                    }
                    return next;
                }
                _ = self.closing.changed() => {}
                () = tokio::time::sleep_until(deadline), if self.idle.is_some() => {
                    if self.pinged {
                        self.close_with(CloseCode::Normal, "idle timeout").await;
                        return None;
                    }
                    self.pinged = true;
                    if self.stream.send(Message::Ping(Default::default())).await.is_err() {
                        return None;
                    }
                }
            }
        }
    }

    /// Sends a message.
    pub async fn send(&mut self, msg: impl Into<Message>) -> Result<(), Error> {
        self.stream.send(msg.into()).await
    }

    /// Closes the socket with `code` and `reason`, waiting briefly for the client's reply.
    pub async fn close(mut self, code: CloseCode, reason: &str) {
        self.close_with(code, reason).await;
    }

    /// The subprotocol chosen with [`WebSocketUpgrade::protocols`].
    #[must_use]
    pub fn protocol(&self) -> Option<&str> {
        self.protocol.as_ref().and_then(|p| p.to_str().ok())
    }

    async fn close_with(&mut self, code: CloseCode, reason: &str) {
        let frame = CloseFrame {
            code,
            reason: reason.into(),
        };
        let _ = close_handshake(&mut self.stream, frame, CLOSE_WAIT).await;
    }
}

/// Sends `frame` and reads until the peer's close frame, for at most `wait`: the close
/// handshake done, the TCP connection ends cleanly. A socket closed already (by the peer,
/// or before) is not an error. The server's sockets and the typed client's both close so.
pub(crate) async fn close_handshake<S>(
    stream: &mut WebSocketStream<S>,
    frame: CloseFrame,
    wait: Duration,
) -> Result<(), Error>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    match stream.close(Some(frame)).await {
        Ok(()) => {}
        Err(
            Error::ConnectionClosed
            | Error::AlreadyClosed
            | Error::Protocol(ProtocolError::SendAfterClosing),
        ) => return Ok(()),
        Err(e) => return Err(e),
    }
    let drain = async { while let Some(Ok(_)) = stream.next().await {} };
    let _ = tokio::time::timeout(wait, drain).await;
    Ok(())
}
