//! Notes over SQLite through sqlx, the async way: a transaction per write as a dependency.
//!
//! Run with `cargo run --release --example notes`, then browse <http://127.0.0.1:8000/docs>.
//! The database is `NOTES_DB` (default `notes.db` in the working directory, so notes
//! survive a restart); writes need `Authorization: Bearer secret` (or `NOTES_TOKEN`).

#[tokio::main]
async fn main() -> std::io::Result<()> {
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
    let addr = ninja_core::addr_from_env("127.0.0.1:8000");
    println!(
        "Ninja notes example: docs on http://{addr}/docs (database {})",
        path.display()
    );
    api.shutdown_timeout(std::time::Duration::from_secs(5))
        .run(addr)
        .await
}
