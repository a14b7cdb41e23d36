//! The `notes` example's routes, which outside checks rely on, over SQLite: CRUD through
//! sqlx, pages, the bearer token on writes, 404 and 409, validation, a rollback that leaves
//! the database as it was, and notes surviving a restart. The same cases run over
//! PostgreSQL in `notes_postgres.rs`.

/// A database file in a directory of its own, removed after the test.
struct Db(tempfile::TempDir);

impl Db {
    #[allow(clippy::unused_async, reason = "the PostgreSQL one awaits")]
    async fn fresh() -> Option<Self> {
        Some(Self(tempfile::tempdir().expect("a dir")))
    }

    fn url(&self) -> String {
        format!(
            "sqlite://{}?mode=rwc",
            self.0.path().join("notes.db").display()
        )
    }
}

include!("notes/cases.rs");
