//! axum's side of `streaming`: the same file through tower-http's `ServeFile`, and the same
//! WebSocket echo with axum's `ws`.

use axum::Router;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use axum::routing::get;
use benches::scenario;

async fn echo(ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(|mut socket: WebSocket| async move {
        while let Some(Ok(msg)) = socket.recv().await {
            if matches!(msg, Message::Text(_) | Message::Binary(_))
                && socket.send(msg).await.is_err()
            {
                break;
            }
        }
    })
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let path = std::env::args()
        .skip_while(|a| a != "--file")
        .nth(1)
        .unwrap_or_else(|| "/dev/null".to_owned());
    let app = Router::new()
        .route_service("/file", tower_http::services::ServeFile::new(path))
        .route("/ws", get(echo));
    let listener = tokio::net::TcpListener::bind(scenario::addr_arg()).await?;
    axum::serve(listener, app).await
}
