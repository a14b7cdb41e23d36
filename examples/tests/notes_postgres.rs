//! The `notes` cases (`notes/cases.rs`) over PostgreSQL: the server `scripts/test.sh`
//! starts on loopback and names in `NINJA_TEST_POSTGRES` (an admin URL); each test gets a
//! database of its own, dropped at the end.

mod support;

use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::{Connection as _, Executor as _};

struct Db {
    admin: String,
    name: String,
}

impl Db {
    async fn fresh() -> Option<Self> {
        let Some(admin) = std::env::var("NINJA_TEST_POSTGRES").ok() else {
            support::missing(
                "PostgreSQL (NINJA_TEST_POSTGRES)",
                "scripts/test.sh starts a server and names it there",
            );
            return None;
        };
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "notes_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let mut conn = sqlx::PgConnection::connect(&admin)
            .await
            .expect("PostgreSQL answers");
        conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await
            .expect("creates a database");
        Some(Self { admin, name })
    }

    fn url(&self) -> String {
        let base = self
            .admin
            .rsplit_once('/')
            .map_or(self.admin.as_str(), |(base, _)| base);
        format!("{base}/{}", self.name)
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        // A thread of its own: the test's runtime may be shutting down.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(async {
                let mut conn = sqlx::PgConnection::connect(&admin)
                    .await
                    .map_err(std::io::Error::other)?;
                conn.execute(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .await
                .map_err(std::io::Error::other)?;
                Ok::<_, std::io::Error>(())
            })
        })
        .join();
    }
}

include!("notes/cases.rs");
