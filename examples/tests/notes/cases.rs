// The notes test cases, run against each database: included by `tests/notes.rs` (SQLite)
// and `tests/notes_postgres.rs` (PostgreSQL), which each define `Db` (a fresh, empty
// database per test: `Db::fresh()`, `None` when it cannot be had and may be skipped, and
// `db.url()`).

use examples::notes;
use ninja_core::{TestClient, TestResponse};
use serde_json::{Value, json};

const TOKEN: &str = "test-token";

async fn client(db: &Db) -> (TestClient, sqlx::AnyPool) {
    let pool = notes::open_url(&db.url()).await.expect("the database opens");
    (
        TestClient::new(notes::api(pool.clone(), TOKEN.to_owned())),
        pool,
    )
}

async fn create(c: &TestClient, note: Value) -> TestResponse {
    c.post("/notes").bearer(TOKEN).json(&note).send().await
}

#[tokio::test]
async fn notes_crud_pages_and_tags() {
    let Some(db) = Db::fresh().await else { return };
    let (c, _pool) = client(&db).await;
    let res = create(
        &c,
        json!({"title": "groceries", "body": "milk", "tags": ["home", "todo"]}),
    )
    .await;
    assert_eq!(res.status(), 201, "{}", res.text());
    assert_eq!(res.header("location"), Some("/notes/1"));
    let first: Value = res.json();
    assert_eq!(
        first,
        json!({"id": 1, "title": "groceries", "body": "milk", "tags": ["home", "todo"]})
    );
    for (title, tags) in [("taxes", json!(["todo"])), ("poem", json!([]))] {
        let res = create(&c, json!({"title": title, "tags": tags})).await;
        assert_eq!(res.status(), 201);
    }

    let page: Value = c.get("/notes").send().await.json();
    assert_eq!(page["total"], 3);
    let titles: Vec<&str> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|n| n["title"].as_str().expect("a title"))
        .collect();
    assert_eq!(titles, ["poem", "taxes", "groceries"], "newest first");
    let page: Value = c
        .get("/notes?tag=todo&limit=1&offset=1")
        .send()
        .await
        .json();
    assert_eq!(page["total"], 2);
    assert_eq!(page["items"][0]["title"], "groceries");
    assert_eq!(c.get("/notes?limit=0").send().await.status(), 422);

    let one: Value = c.get("/notes/1").send().await.json();
    assert_eq!(one, first);
    let res = c
        .put("/notes/1")
        .bearer(TOKEN)
        .json(&json!({"title": "shopping", "body": "milk, eggs", "tags": ["home"]}))
        .send()
        .await;
    assert_eq!(res.status(), 200, "{}", res.text());
    assert_eq!(
        res.json::<Value>(),
        json!({"id": 1, "title": "shopping", "body": "milk, eggs", "tags": ["home"]})
    );
    let res = c
        .patch("/notes/1")
        .bearer(TOKEN)
        .json(&json!({"body": "bread"}))
        .send()
        .await;
    assert_eq!(
        res.json::<Value>(),
        json!({"id": 1, "title": "shopping", "body": "bread", "tags": ["home"]})
    );

    let res = c.delete("/notes/1").bearer(TOKEN).send().await;
    assert_eq!(res.status(), 204);
    assert!(res.text().is_empty());
    for res in [
        c.get("/notes/1").send().await,
        c.delete("/notes/1").bearer(TOKEN).send().await,
        c.patch("/notes/1")
            .bearer(TOKEN)
            .json(&json!({}))
            .send()
            .await,
    ] {
        assert_eq!(res.status(), 404, "{}", res.text());
        assert_eq!(res.json::<Value>()["detail"], "note 1 does not exist");
    }
}

#[tokio::test]
async fn writes_need_the_token_and_reads_do_not() {
    let Some(db) = Db::fresh().await else { return };
    let (c, _pool) = client(&db).await;
    let note = json!({"title": "t"});
    assert_eq!(c.post("/notes").json(&note).send().await.status(), 401);
    let wrong = c.post("/notes").bearer("nope").json(&note).send().await;
    assert_eq!(wrong.status(), 401);
    assert_eq!(c.delete("/notes/1").send().await.status(), 401);
    assert_eq!(c.get("/notes").send().await.status(), 200);
    assert_eq!(c.get("/notes/1").send().await.status(), 404);
}

#[tokio::test]
async fn bad_notes_are_422_with_every_field() {
    let Some(db) = Db::fresh().await else { return };
    let (c, _pool) = client(&db).await;
    let tags: Vec<String> = (0..11).map(|i| format!("t{i}")).collect();
    let res = create(&c, json!({"title": "", "tags": tags})).await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json();
    let mut locs: Vec<String> = body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["loc"].to_string())
        .collect();
    locs.sort();
    assert_eq!(
        locs,
        [r#"["body","tags"]"#, r#"["body","title"]"#],
        "{body}"
    );
}

#[tokio::test]
async fn a_title_in_use_is_409_and_rolls_the_whole_write_back() {
    let Some(db) = Db::fresh().await else { return };
    let (c, pool) = client(&db).await;
    create(&c, json!({"title": "a", "tags": ["x"]})).await;
    create(&c, json!({"title": "b", "tags": ["y"]})).await;
    let res = create(&c, json!({"title": "a"})).await;
    assert_eq!(res.status(), 409);
    assert_eq!(res.json::<Value>()["detail"], r#"a note titled "a" exists"#);

    // PUT writes the tags, then fails on the title: the tags go back with it.
    let res = c
        .put("/notes/2")
        .bearer(TOKEN)
        .json(&json!({"title": "a", "tags": ["changed", "more"]}))
        .send()
        .await;
    assert_eq!(res.status(), 409, "{}", res.text());
    let b: Value = c.get("/notes/2").send().await.json();
    assert_eq!(b, json!({"id": 2, "title": "b", "body": "", "tags": ["y"]}));
    let tag_rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM note_tags")
        .fetch_one(&pool)
        .await
        .expect("counts");
    assert_eq!(tag_rows, 2, "the failed write left tags behind");
}

#[tokio::test]
async fn notes_survive_a_restart() {
    let Some(db) = Db::fresh().await else { return };
    {
        let (c, pool) = client(&db).await;
        let res = create(&c, json!({"title": "kept", "body": "across restarts"})).await;
        assert_eq!(res.status(), 201);
        drop(c);
        pool.close().await;
    }
    let (c, _pool) = client(&db).await;
    let page: Value = c.get("/notes").send().await.json();
    assert_eq!(page["total"], 1);
    assert_eq!(page["items"][0]["body"], "across restarts");
}

/// Concurrent writes wait for each other instead of failing: on SQLite each write's
/// transaction takes the write lock first (found by schemathesis with two workers: 500s).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writes_all_succeed() {
    let Some(db) = Db::fresh().await else { return };
    let (c, _pool) = client(&db).await;
    assert_eq!(create(&c, json!({"title": "shared"})).await.status(), 201);
    let writes = (0..24).map(|i| {
        let c = c.clone();
        tokio::spawn(async move {
            let res = if i % 2 == 0 {
                let note = json!({"title": "shared", "body": format!("v{i}"), "tags": ["a", "b"]});
                c.put("/notes/1").bearer(TOKEN).json(&note).send().await
            } else {
                create(&c, json!({"title": format!("note {i}"), "tags": ["x"]})).await
            };
            (res.status().as_u16(), res.text().to_owned())
        })
    });
    for write in writes.collect::<Vec<_>>() {
        let (status, body) = write.await.expect("the task ends");
        assert!(status == 200 || status == 201, "{status}: {body}");
    }
    let page: Value = c.get("/notes").query("limit", 100).send().await.json();
    assert_eq!(page["total"], 13);
}

/// Readiness asks the database; liveness does not.
#[tokio::test]
async fn readiness_follows_the_database() {
    let Some(db) = Db::fresh().await else { return };
    let (c, pool) = client(&db).await;
    let res = c.get("/health/ready").send().await;
    assert_eq!(res.status(), 200, "{}", res.text());
    assert_eq!(res.json::<Value>()["checks"]["database"], "ok");
    pool.close().await;
    let res = c.get("/health/ready").send().await;
    assert_eq!(res.status(), 503, "{}", res.text());
    assert_eq!(res.json::<Value>()["status"], "failing");
    assert_eq!(c.get("/health/live").send().await.status(), 200);
}
