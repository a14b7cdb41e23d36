//! Notes over SQLite through sqlx, the async way: a transaction per write as a dependency.
//!
//! Run with `cargo run --release --example notes`, then browse <http://127.0.0.1:8000/docs>.
//! The database is `NOTES_DB` (default `notes.db` in the working directory, so notes
//! survive a restart); writes need `Authorization: Bearer secret` (or `NOTES_TOKEN`).
//! Server settings come from `ninja.toml` and `NINJA_*` variables (`NINJA_ADDR`,
//! `NINJA_WORKERS`, `NINJA_REUSE_PORT`...): see `ninja_core::config`.

fn main() -> std::io::Result<()> {
    // Settings first: they size the runtime (`NINJA_WORKERS`).
    let config = ninja_core::config::ServerConfig::load().map_err(std::io::Error::other)?;
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = config.workers {
        rt.worker_threads(n);
    }
    rt.enable_all().build()?.block_on(serve(config))
}

async fn serve(config: ninja_core::config::ServerConfig) -> std::io::Result<()> {
    let path =
        std::env::var_os("NOTES_DB").map_or_else(|| "notes.db".into(), std::path::PathBuf::from);
    let pool = examples::notes::open(&path)
        .await
        .map_err(std::io::Error::other)?;
    let api = examples::access_log(examples::notes::api(
        pool,
        examples::notes::token_from_env(),
    ));
    if api.print_openapi_if_asked()? {
        return Ok(());
    }
    examples::init_logging();
    let addr = config.addr_or("127.0.0.1:8000");
    println!(
        "Ninja notes example: docs on http://{addr}/docs (database {})",
        path.display()
    );
    api.shutdown_timeout(std::time::Duration::from_secs(5))
        .configure(&config)
        .run(addr)
        .await
}
