//! What users would pick instead: axum with the same endpoints.

use axum::Router;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use benches::scenario::{self, Created, Hello, ItemOut, NewItem};
use garde::Validate;

#[derive(serde::Deserialize)]
struct Q {
    q: Option<String>,
}

async fn hello() -> axum::Json<Hello> {
    axum::Json(scenario::HELLO)
}

async fn item(Path(id): Path<u32>, Query(q): Query<Q>) -> axum::Json<ItemOut> {
    axum::Json(ItemOut { id, q: q.q })
}

async fn create(
    axum::Json(n): axum::Json<NewItem>,
) -> Result<(StatusCode, axum::Json<Created>), StatusCode> {
    n.validate().map_err(|_| StatusCode::UNPROCESSABLE_ENTITY)?;
    Ok((
        StatusCode::CREATED,
        axum::Json(Created {
            id: 1,
            name: n.name,
            price: n.price,
        }),
    ))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let app = Router::new()
        .route("/hello", get(hello))
        .route("/items/{id}", get(item))
        .route("/items", post(create));
    let app = if benches::stack_arg() {
        app.layer(benches::typical_stack!())
    } else {
        app
    };
    let listener = tokio::net::TcpListener::bind(scenario::addr_arg())
        .await?
        .tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
    axum::serve(listener, app).await
}
