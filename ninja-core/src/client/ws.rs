//! The client's end of a WebSocket operation (features `client` and `ws`): the upgrade is
//! asked for through the client's own connection pool, so its settings (default headers,
//! auth, timeouts, TLS) apply to the handshake.

use std::fmt;

use futures_util::{SinkExt as _, StreamExt as _};
use http::StatusCode;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::client::generate_key;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;

use super::{Answer, BlockingIo, Call, ClientError, ClientOutput};
use crate::ws::{CloseCode, CloseFrame, Message, WebSocketResponse, close_handshake};

/// How long [`WebSocket::close`] waits for the server's close frame.
const CLOSE_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

impl ClientOutput for WebSocketResponse {
    type Output = WebSocket;
    type Blocking = BlockingWebSocket;
    type Error = std::convert::Infallible;

    fn prepare(call: &mut Call) {
        call.upgrade(generate_key());
    }

    async fn success(answer: Answer) -> Result<WebSocket, ClientError> {
        let status = answer.status();
        let refused = |message: &str| ClientError::Decode {
            status,
            message: message.to_owned(),
        };
        if status != StatusCode::SWITCHING_PROTOCOLS {
            return Err(refused(
                "expected `101 Switching Protocols` for a WebSocket",
            ));
        }
        let key = answer.upgrade_key.as_deref().unwrap_or_default();
        let accepted = answer
            .headers()
            .get(http::header::SEC_WEBSOCKET_ACCEPT)
            .is_some_and(|v| v.as_bytes() == derive_accept_key(key.as_bytes()).as_bytes());
        if !accepted {
            return Err(refused(
                "the server's Sec-WebSocket-Accept does not match the key",
            ));
        }
        let upgraded = answer
            .res
            .upgrade()
            .await
            .map_err(ClientError::from_reqwest)?;
        let stream = WebSocketStream::from_raw_socket(upgraded, Role::Client, None).await;
        Ok(WebSocket { stream })
    }

    fn blocking(socket: WebSocket, io: &BlockingIo) -> BlockingWebSocket {
        BlockingWebSocket {
            socket,
            io: io.clone(),
        }
    }
}

/// An open WebSocket to a server: [`send`](Self::send) and [`recv`](Self::recv) messages.
/// Pings are answered for you. Dropped without [`close`](Self::close), the connection is
/// simply cut.
pub struct WebSocket {
    stream: WebSocketStream<reqwest::Upgraded>,
}

impl fmt::Debug for WebSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebSocket").finish_non_exhaustive()
    }
}

impl WebSocket {
    /// Sends a message.
    pub async fn send(&mut self, msg: impl Into<Message>) -> Result<(), ClientError> {
        self.stream.send(msg.into()).await.map_err(transport)
    }

    /// The next message from the server, or `None` once the socket is closed.
    pub async fn recv(&mut self) -> Option<Result<Message, ClientError>> {
        self.stream.next().await.map(|m| m.map_err(transport))
    }

    /// Closes the socket (`1000 Normal`, or `code`), waiting briefly (up to 5 s) for the
    /// server's close frame. A socket the server closed already closes without error.
    pub async fn close(mut self, code: Option<CloseCode>) -> Result<(), ClientError> {
        let frame = CloseFrame {
            code: code.unwrap_or(CloseCode::Normal),
            reason: "".into(),
        };
        close_handshake(&mut self.stream, frame, CLOSE_WAIT)
            .await
            .map_err(transport)
    }
}

fn transport(e: tokio_tungstenite::tungstenite::Error) -> ClientError {
    ClientError::Transport(Box::new(e))
}

/// The blocking client's WebSocket: [`WebSocket`]'s methods, each waited for on the
/// client's I/O thread (inside a tokio runtime's context they fail with
/// [`ClientError::InsideRuntime`]).
#[derive(Debug)]
pub struct BlockingWebSocket {
    socket: WebSocket,
    io: BlockingIo,
}

impl BlockingWebSocket {
    /// Sends a message.
    pub fn send(&mut self, msg: impl Into<Message>) -> Result<(), ClientError> {
        self.io.block_on(self.socket.send(msg))?
    }

    /// The next message from the server, or `None` once the socket is closed.
    pub fn recv(&mut self) -> Option<Result<Message, ClientError>> {
        self.io
            .block_on(self.socket.recv())
            .unwrap_or_else(|e| Some(Err(e)))
    }

    /// Closes the socket (`1000 Normal`, or `code`), waiting for the server's close frame.
    pub fn close(self, code: Option<CloseCode>) -> Result<(), ClientError> {
        self.io.block_on(self.socket.close(code))?
    }
}
