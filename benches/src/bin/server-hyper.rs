//! The physical limit: hand-written routing on hyper's HTTP/1 server, doing the same parsing
//! and serialization work as the frameworks. With `--stack`, the same handler behind the
//! typical middleware stack (cloned per request, as `hyper-util` and axum do): the most any
//! framework could be, with those layers, over axum with them.

use std::convert::Infallible;

use benches::scenario::{self, Created, ItemOut, NewItem};
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;

fn json(status: StatusCode, body: Vec<u8>) -> Response<Full<Bytes>> {
    let mut res = Response::new(Full::new(Bytes::from(body)));
    *res.status_mut() = status;
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    res
}

fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    query?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then(|| {
            percent_encoding::percent_decode_str(&v.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        })
    })
}

async fn handle(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = req.uri().path();
    let res = match (req.method(), path) {
        (&Method::GET, "/say-after") => {
            let q = req.uri().query();
            let delay: f64 = query_param(q, "delay")
                .and_then(|d| d.parse().ok())
                .unwrap_or(0.0);
            let word = query_param(q, "word").unwrap_or_default();
            tokio::time::sleep(std::time::Duration::from_secs_f64(delay)).await;
            json(
                StatusCode::OK,
                serde_json::to_vec(&scenario::Saying { saying: word }).unwrap_or_default(),
            )
        }
        (&Method::GET, "/hello") => json(
            StatusCode::OK,
            serde_json::to_vec(&scenario::HELLO).unwrap_or_default(),
        ),
        (&Method::GET, p) if p.starts_with("/items/") => {
            match p["/items/".len()..].parse::<u32>() {
                Ok(id) => {
                    let q = query_param(req.uri().query(), "q");
                    json(
                        StatusCode::OK,
                        serde_json::to_vec(&ItemOut { id, q }).unwrap_or_default(),
                    )
                }
                Err(_) => json(StatusCode::UNPROCESSABLE_ENTITY, b"{}".to_vec()),
            }
        }
        (&Method::POST, "/items") => {
            let body = req
                .into_body()
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            match serde_json::from_slice::<NewItem>(&body) {
                Ok(n)
                    if !n.name.is_empty()
                        && n.name.chars().count() <= 100
                        && n.price <= 1_000_000 =>
                {
                    let out = Created {
                        id: 1,
                        name: n.name,
                        price: n.price,
                    };
                    json(
                        StatusCode::CREATED,
                        serde_json::to_vec(&out).unwrap_or_default(),
                    )
                }
                _ => json(StatusCode::UNPROCESSABLE_ENTITY, b"{}".to_vec()),
            }
        }
        _ => json(StatusCode::NOT_FOUND, b"{}".to_vec()),
    };
    Ok(res)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    // The same listen backlog as Ninja's server, so a burst of connections is compared fairly.
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(scenario::addr_arg())?;
    let listener = socket.listen(4096)?;
    let stacked = benches::stack_arg().then(|| {
        TowerToHyperService::new(
            tower::ServiceBuilder::new()
                .layer(benches::typical_stack!())
                .service_fn(handle),
        )
    });
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        let stacked = stacked.clone();
        tokio::spawn(async move {
            let http = hyper::server::conn::http1::Builder::new();
            let io = TokioIo::new(stream);
            let _ = match stacked {
                Some(service) => http.serve_connection(io, service).await,
                None => {
                    http.serve_connection(io, hyper::service::service_fn(handle))
                        .await
                }
            };
        });
    }
}
