//! Notes over SQLite or PostgreSQL through sqlx, the async way: a transaction per write as
//! a dependency.
//!
//! Run with `cargo run --release --example notes`, then browse <http://127.0.0.1:8000/docs>.
//! The database is `DATABASE_URL` (`postgres://user:pass@host/db`) when set, else the SQLite
//! file `NOTES_DB` (default `notes.db` in the working directory, so notes survive a
//! restart); writes need `Authorization: Bearer secret` (or `NOTES_TOKEN`). `NOTES_WRITE_RATE`
//! (say `600/m`) throttles writes per token, counted in the Redis at `REDIS_URL` when set.
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
    // PostgreSQL (or any sqlx URL) from DATABASE_URL, else the SQLite file NOTES_DB.
    let database = match std::env::var("DATABASE_URL") {
        Ok(url) => url,
        Err(_) => {
            let path = std::env::var("NOTES_DB").unwrap_or_else(|_| "notes.db".to_owned());
            format!("sqlite://{path}?mode=rwc")
        }
    };
    let pool = examples::notes::open_url(&database)
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
    // Without the password a URL may hold.
    let shown = database
        .split_once('@')
        .map_or(database.as_str(), |(_, host)| host);
    println!("Ninja notes example: docs on http://{addr}/docs (database {shown})");
    api.shutdown_timeout(std::time::Duration::from_secs(5))
        .configure(&config)
        .run(addr)
        .await
}
