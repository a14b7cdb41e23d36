//! The notes API a newcomer would write, async from end to end: SQLite or PostgreSQL through
//! sqlx (an async pool, `sqlx::migrate!`), a transaction dependency that commits when the
//! answer is a success and rolls back otherwise, a bearer token on writes, an error enum.
//!
//! One set of queries serves both databases through sqlx's `Any` driver: numbered
//! placeholders (`$1`), `CAST(..)` rather than `::`, `ON CONFLICT DO NOTHING`; each has its
//! own migrations (`migrations/notes`, `migrations/notes-postgres`).
//!
//! - `GET /notes?tag=&limit=&offset=`: a page `{items, total}`, newest first.
//! - `POST /notes` (bearer): 201 with the note; a title in use is a 409.
//! - `GET /notes/{id}`, `PUT` and `PATCH` (bearer), `DELETE` (bearer, 204): 404 when absent.
//! - `GET /health/live`, `GET /health/ready` (503 when the database does not answer, or
//!   while draining after SIGTERM), `GET /metrics` (Prometheus).
//!
//! The shop example is the same kind of API the sync way (rusqlite on the blocking pool).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use ninja_core::auth::{AuthScheme, constant_time_eq};
use ninja_core::pagination::LimitOffset;
use ninja_core::prelude::*;
use ninja_core::response::Location;
use ninja_core::{Cleanup, Outcome};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sqlx::any::AnyPoolOptions;
use sqlx::{Any, AnyConnection, AnyPool, Executor as _, Row as _, SqlSafeStr as _, Transaction};
use tokio::sync::{MappedMutexGuard, Mutex, MutexGuard};

/// A note.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
pub struct Note {
    /// Its id.
    pub id: i64,
    /// Its title, unique among notes.
    pub title: String,
    /// Its text.
    pub body: String,
    /// Its tags, sorted.
    pub tags: Vec<String>,
}

/// A new note, or all of one (`PUT`).
#[derive(Debug, Serialize, Deserialize, JsonSchema, garde::Validate)]
pub struct NewNote {
    /// Its title, unique among notes.
    #[garde(length(chars, min = 1, max = 200))]
    pub title: String,
    /// Its text.
    #[garde(length(chars, max = 10000))]
    #[serde(default)]
    pub body: String,
    /// Its tags (at most 10).
    #[garde(length(max = 10), dive)]
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// Some fields of a note (`PATCH`): those given change.
// The rules sit on the `Option`s themselves (garde checks the value when there is one):
// schemars reads garde's `inner(..)` as the items of a list, so on an `Option` it would
// document a rule the server does not apply.
#[derive(Debug, Serialize, Deserialize, JsonSchema, garde::Validate)]
pub struct NotePatch {
    /// A new title.
    #[garde(length(chars, min = 1, max = 200))]
    pub title: Option<String>,
    /// A new text.
    #[garde(length(chars, max = 10000))]
    pub body: Option<String>,
    /// New tags (replacing all).
    #[garde(length(max = 10), dive)]
    pub tags: Option<Vec<Tag>>,
}

/// A tag: 1 to 32 characters.
// A type of its own, so that the rule is the same in a list and in an optional list.
#[derive(Debug, Serialize, Deserialize, JsonSchema, garde::Validate)]
#[serde(transparent)]
#[garde(transparent)]
pub struct Tag(#[garde(length(chars, min = 1, max = 32))] pub String);

/// A page of notes.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct NotePage {
    /// The notes of this page.
    pub items: Vec<Note>,
    /// How many notes match, in all pages.
    pub total: i64,
}

/// What can go wrong.
#[derive(Debug, thiserror::Error, ApiError)]
pub enum NoteError {
    /// No note has this id.
    #[error("note {0} does not exist")]
    #[api(status = 404)]
    NotFound(i64),
    /// Another note has this title.
    #[error("a note titled {0:?} exists")]
    #[api(status = 409)]
    TitleTaken(String),
    /// The database failed; the cause is logged, never sent.
    #[error("database: {0}")]
    #[api(status = 500)]
    Db(#[from] sqlx::Error),
}

impl NoteError {
    /// A write's error: a unique title violated is a 409.
    fn on_write(e: sqlx::Error, title: &str) -> Self {
        match &e {
            sqlx::Error::Database(d) if d.is_unique_violation() => Self::TitleTaken(title.into()),
            _ => Self::Db(e),
        }
    }
}

/// Opens (creating if need be) the SQLite database at `path` and brings its schema up to
/// date.
///
/// # Errors
/// When the file cannot be opened or a migration fails.
pub async fn open(path: &Path) -> Result<AnyPool, sqlx::Error> {
    open_url(&format!("sqlite://{}?mode=rwc", path.display())).await
}

/// Opens the database at `url` (`sqlite://notes.db?mode=rwc`, `postgres://user@host/db`)
/// and brings its schema up to date.
///
/// # Errors
/// When the database cannot be reached or a migration fails.
pub async fn open_url(url: &str) -> Result<AnyPool, sqlx::Error> {
    sqlx::any::install_default_drivers();
    let pool = AnyPoolOptions::new()
        .max_connections(8)
        .acquire_timeout(Duration::from_secs(5))
        .after_connect(|conn, _| {
            Box::pin(async move {
                if is_sqlite(conn) {
                    // Foreign keys enforced; readers go on while a write is under way; a
                    // writer waits for the lock instead of failing at once.
                    conn.execute(
                        "PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000",
                    )
                    .await?;
                }
                Ok(())
            })
        })
        .connect(url)
        .await?;
    let mut conn = pool.acquire().await?;
    if is_sqlite(&conn) {
        sqlx::migrate!("migrations/notes").run(&mut *conn).await?;
    } else {
        sqlx::migrate!("migrations/notes-postgres")
            .run(&mut *conn)
            .await?;
    }
    Ok(pool)
}

fn is_sqlite(conn: &AnyConnection) -> bool {
    conn.backend_name().eq_ignore_ascii_case("sqlite")
}

/// An open transaction, shared by the handler and the cleanup that ends it.
#[derive(Clone)]
pub struct Tx(Arc<Mutex<Option<Transaction<'static, Any>>>>);

impl std::fmt::Debug for Tx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tx").finish_non_exhaustive()
    }
}

impl Tx {
    /// The transaction's connection, for queries (`&mut *conn` is an executor).
    pub async fn conn(&self) -> MappedMutexGuard<'_, AnyConnection> {
        MutexGuard::map(self.0.lock().await, |t| {
            &mut **t.as_mut().expect("open until the request's cleanup")
        })
    }
}

/// The notes API's operations, for its typed clients (`NotesApiClient`,
/// `NotesApiBlockingClient`; writes need `Client::builder(..).bearer(token)`).
#[ninja_core::api]
pub trait NotesApi {
    /// List notes, newest first, optionally by tag.
    #[get("/notes")]
    async fn list_notes(
        tag: Option<String>,
        page: LimitOffset,
    ) -> Result<Json<NotePage>, NoteError>;

    /// Add a note.
    #[post("/notes")]
    async fn create_note(note: Json<NewNote>)
    -> Result<(Location, Created<Json<Note>>), NoteError>;

    /// Read a note.
    #[get("/notes/{id}")]
    async fn get_note(id: i64) -> Result<Json<Note>, NoteError>;

    /// Replace a note.
    #[put("/notes/{id}")]
    async fn replace_note(id: i64, note: Json<NewNote>) -> Result<Json<Note>, NoteError>;

    /// Change some fields of a note.
    #[patch("/notes/{id}")]
    async fn patch_note(id: i64, patch: Json<NotePatch>) -> Result<Json<Note>, NoteError>;

    /// Delete a note.
    #[delete("/notes/{id}")]
    async fn delete_note(id: i64) -> Result<(), NoteError>;
}

/// A transaction for the request: committed when the answer is a success, rolled back when
/// it is an error (a handler's `Err`, a failed input, a panic).
#[dependency]
pub async fn transaction(pool: State<AnyPool>, cleanup: Cleanup) -> Result<Tx, NoteError> {
    let conn = pool.acquire().await?;
    // On SQLite, IMMEDIATE takes the write lock at the start. A deferred transaction takes
    // it at its first write, and two of them that both read first deadlock: SQLite answers
    // one "database is locked" at once, without waiting (a 500 under concurrent writes).
    // PostgreSQL locks rows, not the database: a plain BEGIN.
    let begin = if is_sqlite(&conn) {
        "BEGIN IMMEDIATE"
    } else {
        "BEGIN"
    };
    let tx = Tx(Arc::new(Mutex::new(Some(
        Transaction::begin(conn, Some(begin.into_sql_str())).await?,
    ))));
    let ending = tx.clone();
    cleanup.after(move |outcome: Outcome| async move {
        let Some(t) = ending.0.lock().await.take() else {
            return Ok(());
        };
        if outcome.is_success() {
            t.commit().await
        } else {
            t.rollback().await
        }
    });
    Ok(tx)
}

async fn tags_of(conn: &mut AnyConnection, id: i64) -> Result<Vec<String>, sqlx::Error> {
    let rows = sqlx::query("SELECT tag FROM note_tags WHERE note_id = $1 ORDER BY tag")
        .bind(id)
        .fetch_all(conn)
        .await?;
    Ok(rows.iter().map(|r| r.get("tag")).collect())
}

async fn load(conn: &mut AnyConnection, id: i64) -> Result<Note, NoteError> {
    let row = sqlx::query("SELECT id, title, body FROM notes WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(NoteError::NotFound(id))?;
    Ok(Note {
        id: row.get("id"),
        title: row.get("title"),
        body: row.get("body"),
        tags: tags_of(conn, id).await?,
    })
}

async fn set_tags(conn: &mut AnyConnection, id: i64, tags: &[Tag]) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM note_tags WHERE note_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    for tag in tags {
        sqlx::query("INSERT INTO note_tags (note_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(id)
            .bind(&tag.0)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// List notes, newest first, optionally those with a tag.
#[get("/notes", auth = none, errors = [500], op = notes_api::list_notes)]
async fn list_notes(
    tag: Option<String>,
    page: LimitOffset,
    State(pool): State<AnyPool>,
) -> Result<Json<NotePage>, NoteError> {
    let mut conn = pool.acquire().await?;
    let (limit, offset) = page.sql();
    // `$1 IS NULL`: no tag given, every note (the CAST tells PostgreSQL its type).
    let total: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM notes \
         WHERE CAST($1 AS TEXT) IS NULL OR id IN (SELECT note_id FROM note_tags WHERE tag = $1)",
    )
    .bind(&tag)
    .fetch_one(&mut *conn)
    .await?;
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM notes \
         WHERE CAST($1 AS TEXT) IS NULL OR id IN (SELECT note_id FROM note_tags WHERE tag = $1) \
         ORDER BY id DESC LIMIT $2 OFFSET $3",
    )
    .bind(&tag)
    .bind(limit)
    .bind(offset)
    .fetch_all(&mut *conn)
    .await?;
    let mut items = Vec::with_capacity(ids.len());
    for id in ids {
        items.push(load(&mut conn, id).await?);
    }
    Ok(Json(NotePage { items, total }))
}

/// Writes share one budget per token when `NOTES_WRITE_RATE` is set (`600/m`); none by
/// default.
fn write_throttle() -> Vec<Throttle> {
    std::env::var("NOTES_WRITE_RATE")
        .map(|rate| vec![Throttle::per_key(rate).named("writes")])
        .unwrap_or_default()
}

/// Throttles count in the Redis at `REDIS_URL` (shared by every instance), else in memory.
fn throttle_store() -> ninja_core::throttle::ThrottleStore {
    match std::env::var("REDIS_URL") {
        Ok(url) => ninja_core::throttle::RedisStore::new(&url).into(),
        Err(_) => ninja_core::throttle::ThrottleStore::memory(),
    }
}

/// Create a note.
#[post("/notes", errors = [409, 500], throttle = write_throttle(), op = notes_api::create_note)]
async fn create_note(
    Json(new): Json<NewNote>,
    tx: Depends<transaction>,
) -> Result<(Location, Created<Json<Note>>), NoteError> {
    let mut conn = tx.conn().await;
    let id: i64 =
        sqlx::query_scalar("INSERT INTO notes (title, body) VALUES ($1, $2) RETURNING id")
            .bind(&new.title)
            .bind(&new.body)
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| NoteError::on_write(e, &new.title))?;
    set_tags(&mut conn, id, &new.tags).await?;
    let note = load(&mut conn, id).await?;
    Ok((Location(format!("/notes/{id}")), Created(Json(note))))
}

/// Get a note.
#[get("/notes/{id}", auth = none, errors = [404, 500], op = notes_api::get_note)]
async fn get_note(id: i64, State(pool): State<AnyPool>) -> Result<Json<Note>, NoteError> {
    let mut conn = pool.acquire().await?;
    Ok(Json(load(&mut conn, id).await?))
}

/// Replace a note.
///
/// Its tags are written before its title: a title in use (409) rolls the tags back too.
#[put("/notes/{id}", errors = [404, 409, 500], throttle = write_throttle(), op = notes_api::replace_note)]
async fn replace_note(
    id: i64,
    Json(new): Json<NewNote>,
    tx: Depends<transaction>,
) -> Result<Json<Note>, NoteError> {
    let mut conn = tx.conn().await;
    load(&mut conn, id).await?;
    set_tags(&mut conn, id, &new.tags).await?;
    sqlx::query("UPDATE notes SET title = $1, body = $2 WHERE id = $3")
        .bind(&new.title)
        .bind(&new.body)
        .bind(id)
        .execute(&mut *conn)
        .await
        .map_err(|e| NoteError::on_write(e, &new.title))?;
    Ok(Json(load(&mut conn, id).await?))
}

/// Change some fields of a note.
#[patch("/notes/{id}", errors = [404, 409, 500], throttle = write_throttle(), op = notes_api::patch_note)]
async fn patch_note(
    id: i64,
    Json(patch): Json<NotePatch>,
    tx: Depends<transaction>,
) -> Result<Json<Note>, NoteError> {
    let mut conn = tx.conn().await;
    let mut note = load(&mut conn, id).await?;
    if let Some(tags) = &patch.tags {
        set_tags(&mut conn, id, tags).await?;
    }
    note.title = patch.title.unwrap_or(note.title);
    note.body = patch.body.unwrap_or(note.body);
    sqlx::query("UPDATE notes SET title = $1, body = $2 WHERE id = $3")
        .bind(&note.title)
        .bind(&note.body)
        .bind(id)
        .execute(&mut *conn)
        .await
        .map_err(|e| NoteError::on_write(e, &note.title))?;
    Ok(Json(load(&mut conn, id).await?))
}

/// Delete a note.
#[delete("/notes/{id}", errors = [404, 500], throttle = write_throttle(), op = notes_api::delete_note)]
async fn delete_note(id: i64, tx: Depends<transaction>) -> Result<(), NoteError> {
    let mut conn = tx.conn().await;
    let done = sqlx::query("DELETE FROM notes WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() == 0 {
        return Err(NoteError::NotFound(id));
    }
    Ok(())
}

/// The writers' tokens from `NOTES_TOKEN` (comma-separated), `secret` when unset.
#[must_use]
pub fn token_from_env() -> String {
    std::env::var("NOTES_TOKEN").unwrap_or_else(|_| "secret".to_owned())
}

/// The bearer token writes need, compared in constant time; `token` may list several,
/// comma-separated (each its own budget for a per-key throttle).
fn writer(token: String) -> AuthScheme {
    let tokens: Vec<String> = token.split(',').map(|t| t.trim().to_owned()).collect();
    AuthScheme::bearer(move |given: String| {
        let ok = tokens.iter().any(|t| constant_time_eq(&given, t));
        async move { ok.then_some(()) }
    })
    .named("writerToken")
}

/// The API over `pool`, writes behind the bearer `token`.
pub fn api(pool: AnyPool, token: String) -> NinjaApi {
    let probe = pool.clone();
    NinjaApi::new("Notes", "1.0")
        .description("Notes with tags, over SQLite or PostgreSQL through sqlx: the async way.")
        .auth(writer(token))
        .throttle_store(throttle_store())
        // `/health/live` and `/health/ready`; ready only while the database answers.
        .health("/health")
        // Prometheus metrics at `/metrics`.
        .metrics("/metrics")
        .readiness_check("database", move || {
            let pool = probe.clone();
            async move {
                sqlx::query("SELECT 1")
                    .execute(&pool)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
        })
        .state(pool)
        .routes(routes![
            list_notes,
            create_note,
            get_note,
            replace_note,
            patch_note,
            delete_note
        ])
}
