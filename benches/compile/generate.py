#!/usr/bin/env python3
"""Generates the compile-time bench's two crates: the same API of N routes (mixed arguments)
in Ninja and in axum + utoipa. Used by benches/compile/run.sh; see BENCHMARKS.md."""
import os
import sys

N = int(sys.argv[2]) if len(sys.argv) > 2 else 200
OUT = sys.argv[1]

TYPES = """
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, schemars::JsonSchema{extra})]
pub struct In{k} {{
    pub name: String,
    pub count: u32,
    pub tags: Vec<String>,
}}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, schemars::JsonSchema{extra})]
pub struct Out{k} {{
    pub id: u32,
    pub name: String,
    pub tags: Vec<String>,
}}
"""


def ninja(i, k):
    if i % 4 == 0:
        return f"""
/// Read item {i}.
#[get("/r{i}/{{id}}")]
async fn h{i}(id: u32, q: Option<String>) -> Json<Out{k}> {{
    Json(Out{k} {{ id, name: q.unwrap_or_default(), tags: vec![] }})
}}
"""
    if i % 4 == 1:
        return f"""
/// Create item {i}.
#[post("/r{i}")]
async fn h{i}(Json(b): Json<In{k}>) -> Json<Out{k}> {{
    Json(Out{k} {{ id: b.count, name: b.name, tags: b.tags }})
}}
"""
    if i % 4 == 2:
        return f"""
/// List items {i}.
#[get("/r{i}")]
fn h{i}(#[param(range(min = 1, max = 100), default = 20)] limit: u32, #[param(default = 0)] offset: u32) -> Json<Vec<Out{k}>> {{
    Json(vec![Out{k} {{ id: limit + offset, name: String::new(), tags: vec![] }}])
}}
"""
    return f"""
/// Delete item {i}.
#[delete("/r{i}/{{id}}")]
async fn h{i}(id: u32) -> Result<(), Problem> {{
    if id == 0 {{ return Err(Problem::not_found("none")); }}
    Ok(())
}}
"""


def axum(i, k):
    if i % 4 == 0:
        return f"""
/// Read item {i}.
#[utoipa::path(get, path = "/r{i}/{{id}}", params(("id" = u32, Path), QOpt), responses((status = 200, body = Out{k})))]
async fn h{i}(Path(id): Path<u32>, Query(q): Query<QOpt>) -> Json<Out{k}> {{
    Json(Out{k} {{ id, name: q.q.unwrap_or_default(), tags: vec![] }})
}}
"""
    if i % 4 == 1:
        return f"""
/// Create item {i}.
#[utoipa::path(post, path = "/r{i}", request_body = In{k}, responses((status = 200, body = Out{k})))]
async fn h{i}(Json(b): Json<In{k}>) -> Json<Out{k}> {{
    Json(Out{k} {{ id: b.count, name: b.name, tags: b.tags }})
}}
"""
    if i % 4 == 2:
        return f"""
/// List items {i}.
#[utoipa::path(get, path = "/r{i}", params(Paging), responses((status = 200, body = Vec<Out{k}>)))]
async fn h{i}(Query(p): Query<Paging>) -> Json<Vec<Out{k}>> {{
    Json(vec![Out{k} {{ id: p.limit + p.offset, name: String::new(), tags: vec![] }}])
}}
"""
    return f"""
/// Delete item {i}.
#[utoipa::path(delete, path = "/r{i}/{{id}}", params(("id" = u32, Path)), responses((status = 204), (status = 404)))]
async fn h{i}(Path(id): Path<u32>) -> StatusCode {{
    if id == 0 {{ StatusCode::NOT_FOUND }} else {{ StatusCode::NO_CONTENT }}
}}
"""


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


kinds = 20
root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# Ninja
src = ["use ninja_core::prelude::*;\n"]
src += [TYPES.format(k=k, extra="") for k in range(kinds)]
src += [ninja(i, i % kinds) for i in range(N)]
names = ", ".join(f"h{i}" for i in range(N))
src.append(f"""
fn main() {{
    let api = NinjaApi::new("bench", "1").routes(routes![{names}]);
    println!("{{}}", api.openapi_json().map(|d| d.len()).unwrap_or(0));
}}
""")
write(f"{OUT}/ninja/src/main.rs", "".join(src))
write(f"{OUT}/ninja/Cargo.toml", f"""[package]
name = "compile-bench-ninja"
version = "0.1.0"
edition = "2024"

[dependencies]
ninja-core = {{ path = "{root}/ninja-core" }}
serde = {{ version = "1", features = ["derive"] }}
schemars = "1"
tokio = {{ version = "1", features = ["macros", "rt-multi-thread"] }}

[workspace]
""")
# axum + utoipa
src = ["""use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use utoipa::OpenApi;

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct QOpt {
    pub q: Option<String>,
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct Paging {
    #[param(minimum = 1, maximum = 100, default = 20)]
    #[serde(default = "twenty")]
    pub limit: u32,
    #[serde(default)]
    pub offset: u32,
}

fn twenty() -> u32 {
    20
}
"""]
src += [TYPES.format(k=k, extra=", utoipa::ToSchema").replace("schemars::JsonSchema, ", "") for k in range(kinds)]
src += [axum(i, i % kinds) for i in range(N)]
routes = "".join(
    f'\n        .route("/r{i}{"/{id}" if i % 4 in (0, 3) else ""}", {["get", "post", "get", "delete"][i % 4]}(h{i}))'
    for i in range(N)
)
src.append(f"""
#[derive(OpenApi)]
#[openapi(paths({names}))]
struct ApiDoc;

fn main() {{
    let _app: Router = Router::new(){routes};
    println!("{{}}", ApiDoc::openapi().to_json().map(|d| d.len()).unwrap_or(0));
}}
""")
write(f"{OUT}/axum/src/main.rs", "".join(src))
write(f"{OUT}/axum/Cargo.toml", """[package]
name = "compile-bench-axum"
version = "0.1.0"
edition = "2024"

[dependencies]
axum = { version = "0.8", default-features = false, features = ["tokio", "http1", "json", "query"] }
utoipa = { version = "6", features = ["axum_extras"] }
serde = { version = "1", features = ["derive"] }
tokio = { version = "1", features = ["macros", "rt-multi-thread"] }

[workspace]
""")
