//! Clients generated at compile time from the examples' published documents
//! (`examples/openapi/*.json`) by `api_from_document!`, against the servers themselves:
//! the same calls as the hand-written definitions' clients, without the server's crate.

use std::time::Duration;

use futures_util::StreamExt as _;

use ninja_core::client::{Client, ClientError};
use ninja_core::http::StatusCode;
use ninja_core::{Header, Json};

mod shop_v1 {
    ninja_core::api_from_document!(pub trait ShopV1Doc = "openapi/shop-v1.json");
}

mod hello {
    ninja_core::api_from_document!(pub trait HelloDoc = "openapi/hello.json");
}

mod notes {
    ninja_core::api_from_document!(pub trait NotesDoc = "openapi/notes.json");
}

mod inputs {
    ninja_core::api_from_document!(pub trait InputsDoc = "openapi/inputs.json");
}

fn status<E>(e: &ClientError<E>) -> Option<u16> {
    e.status().map(|s| s.as_u16())
}

#[tokio::test]
async fn a_client_from_the_shops_document_places_and_reads_orders() {
    use shop_v1::{NewOrder, ShopV1DocClient};
    let dir = tempfile::tempdir().expect("dir");
    let db = examples::shop::db::open(&dir.path().join("shop.db")).expect("database opens");
    let url = examples::serve_in_background(examples::shop::v1(db, "admin-token".to_owned()))
        .expect("serves");
    let anonymous = ShopV1DocClient::new(&url).expect("client");
    assert_eq!(anonymous.health().await.expect("health"), "ok");
    let products = anonymous
        .list_products(Some(2), None)
        .await
        .expect("products");
    assert_eq!(products.len(), 2);
    let first = anonymous
        .get_product(products[0].id)
        .await
        .expect("product");
    assert_eq!(first.name, products[0].name);
    assert_eq!(
        status(&anonymous.get_product(9_999).await.expect_err("404")),
        Some(404)
    );
    let ada = ShopV1DocClient::from_client(
        Client::builder(&url)
            .api_key("X-API-Key", "ada-key")
            .http2()
            .build()
            .expect("client"),
    );
    let order = ada
        .place_order(Json(NewOrder {
            product_id: first.id,
            quantity: 1,
        }))
        .await
        .expect("ordered");
    assert_eq!(
        ada.get_order(order.id)
            .await
            .expect("read back")
            .total_cents,
        first.price_cents
    );
    let short = ada
        .place_order(Json(NewOrder {
            product_id: first.id,
            quantity: 100,
        }))
        .await
        .expect_err("out of stock");
    assert_eq!(
        short.problem().expect("problem").type_uri,
        "/problems/out-of-stock"
    );
    // The document describes the shop's error enum: its answers come back as variants.
    assert!(
        matches!(
            &short,
            ClientError::Api { error: shop_v1::ShopError::OutOfStock { product, available }, .. }
                if *product == first.id && *available < 100
        ),
        "{short:?}"
    );
    let missing = anonymous.get_product(9_999).await.expect_err("404");
    assert!(
        matches!(
            missing,
            ClientError::Api {
                error: shop_v1::ShopError::ProductNotFound { value: 9_999 },
                ..
            }
        ),
        "{missing:?}"
    );
    assert_eq!(
        status(&anonymous.my_orders().await.expect_err("no key")),
        Some(401)
    );
}

#[test]
fn a_blocking_client_from_the_hello_document() {
    use hello::{HelloDocBlockingClient, NewItem};
    let url = examples::serve_in_background(examples::hello::api()).expect("serves");
    let c = HelloDocBlockingClient::new(&url).expect("client");
    assert_eq!(c.say_sync(0.0, "hi".to_owned()).expect("said").saying, "hi");
    assert_eq!(
        c.say_after(61.0, "late".to_owned())
            .expect_err("422")
            .status(),
        Some(StatusCode::UNPROCESSABLE_ENTITY)
    );
    let made = c
        .create_item(Json(NewItem {
            name: "lamp".to_owned(),
            price: 5,
        }))
        .expect("created");
    assert_eq!(
        c.get_item(made.id, Some("q".to_owned()))
            .expect("read")
            .q
            .as_deref(),
        Some("q")
    );
}

#[tokio::test]
async fn a_client_from_the_notes_document_writes_with_the_token() {
    use notes::{NewNote, NotesDocClient};
    let dir = tempfile::tempdir().expect("dir");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("notes.db").display()
    );
    let base = examples::serve_notes_in_background(&url, "secret").expect("serves");
    let writer = NotesDocClient::from_client(
        Client::builder(&base)
            .bearer("secret")
            .timeout(Duration::from_secs(10))
            .build()
            .expect("client"),
    );
    let note = writer
        .create_note(Json(NewNote {
            title: "from the document".to_owned(),
            body: "b".to_owned(),
            tags: Vec::new(),
        }))
        .await
        .expect("created");
    let page = writer.list_notes(None, None, None).await.expect("listed");
    assert_eq!(page.items[0].id, note.id);
    writer.delete_note(note.id).await.expect("deleted");
    let gone = writer.get_note(note.id).await.expect_err("gone");
    assert!(
        matches!(&gone, ClientError::Api { error: notes::NoteError::NotFound { value }, .. } if *value == note.id),
        "{gone:?}"
    );
    // A refusal that is none of the enum's (no key): a plain problem.
    let anonymous = NotesDocClient::new(&base).expect("client");
    let refused = anonymous
        .create_note(Json(NewNote {
            title: "t".to_owned(),
            body: "b".to_owned(),
            tags: Vec::new(),
        }))
        .await
        .expect_err("no token");
    assert!(
        matches!(&refused, ClientError::Problem(p) if p.status == 401),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_client_from_the_inputs_document_sends_headers_and_cookies() {
    use inputs::InputsDocClient;
    let url = examples::serve_in_background(examples::inputs::api()).expect("serves");
    let c = InputsDocClient::new(&url).expect("client");
    let me = c
        .whoami(
            Header(Some("agent".to_owned())),
            Header(Some("id-1".to_owned())),
            ninja_core::Cookie(Some("s".to_owned())),
        )
        .await
        .expect("who");
    assert_eq!(
        me.get("request_id").cloned().flatten().as_deref(),
        Some("id-1")
    );
    assert_eq!(me.get("session").cloned().flatten().as_deref(), Some("s"));
    assert_eq!(c.item(7).await.expect("item")["item_id"], 7);
    let form = ninja_core::client::MultipartForm::new()
        .file("file", "a.txt", "text/plain", &b"abc"[..])
        .json("meta", &serde_json::json!({"title": "A", "labels": []}));
    let stored = c.upload_document(form).await.expect("uploaded");
    assert_eq!(
        (stored["size"].clone(), stored["public"].clone()),
        (3.into(), false.into())
    );
}

mod live {
    ninja_core::api_from_document!(pub trait LiveDoc = "openapi/live.json");
}

mod shop_v2 {
    ninja_core::api_from_document!(pub trait ShopV2Doc = "openapi/shop-v2.json");
}

/// Every live operation, streams included: events, a download, a WebSocket, an upload.
#[tokio::test]
async fn a_client_from_the_live_document_streams_and_runs_a_job() {
    use live::{LiveDocClient, NewJob};
    let dir = tempfile::tempdir().expect("dir");
    let url =
        examples::serve_in_background(examples::live::api(dir.path().to_owned())).expect("serves");
    let c = LiveDocClient::new(&url).expect("client");
    let job = c
        .start_job(Json(NewJob {
            steps: 1,
            step_ms: 1,
        }))
        .await
        .expect("started");
    assert_eq!(c.get_job(job.id).await.expect("read").steps, 1);
    assert_eq!(status(&c.get_job(9_999).await.expect_err("404")), Some(404));

    let ticks: Vec<_> = c.events(2, Some(1)).await.expect("events").collect().await;
    let ns: Vec<u32> = ticks.into_iter().map(|t| t.expect("tick").data.n).collect();
    assert_eq!(ns, [0, 1]);
    let part = c
        .download(100, Header(Some("bytes=0-3".to_owned())))
        .await
        .expect("download");
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(&part.collect().await.expect("bytes")[..], [0, 1, 2, 3]);
    let mut room = c.room("doc".to_owned()).await.expect("joined");
    room.send(ninja_core::ws::Message::text("hey"))
        .await
        .expect("sent");
    let heard = room.recv().await.expect("a message").expect("read");
    assert_eq!(heard.to_text().expect("text"), "hey");
    let up = c.upload(vec![7u8; 1000]).await.expect("uploaded");
    assert_eq!(up.bytes, 1000);
}

/// Version 2: a page's `limit`/`offset`, an enum in the query, the key on every call.
#[tokio::test]
async fn a_client_from_the_shop_v2_document_pages_and_quotes() {
    use shop_v2::{Currency, ShopV2DocClient};
    let partners = examples::serve_in_background(examples::shop::partners::api(
        examples::shop::partners::Rendezvous::default(),
    ))
    .expect("partners serve");
    let dir = tempfile::tempdir().expect("dir");
    let db = examples::shop::db::open(&dir.path().join("shop.db")).expect("database opens");
    let url = examples::serve_in_background(examples::shop::v2(
        db,
        examples::shop::Partners::new(&partners),
    ))
    .expect("serves");
    let c = ShopV2DocClient::from_client(
        Client::builder(&url)
            .api_key("X-API-Key", "bob-key")
            .build()
            .expect("client"),
    );
    let page = c.list_product_page(Some(1), Some(1)).await.expect("page");
    assert_eq!((page.items.len(), page.count), (1, 3));
    let quote = c
        .get_quote(page.items[0].id, Currency::Jpy, Some(2))
        .await
        .expect("quote");
    assert_eq!((quote.quantity, quote.currency), (2, Currency::Jpy));
}

/// A document with what Ninja does not emit but other servers do: path-level and `$ref`
/// parameters, `$ref` bodies and responses, names that are Rust keywords or clash (an
/// operation `new`, a query `body` beside the body, `page-size` and `page_size`), a
/// property named `pattern`, and an operation whose path names an undeclared parameter
/// (it must not stop the rest from generating; that it is left out and listed in the
/// trait's docs is checked by ninja-macros' `from_document` unit test).
mod tricky {
    ninja_core::api_from_document!(pub trait Tricky = "tests/documents/tricky.json");
}

mod tricky_server {
    use ninja_core::prelude::*;
    use serde::{Deserialize, Serialize};

    #[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
    pub(crate) struct Thing {
        pattern: String,
        title: String,
        note: String,
    }

    #[get("/things/{id}")]
    fn get_thing(id: i64, limit: Option<u32>, body: Option<String>) -> Json<Thing> {
        Json(Thing {
            pattern: format!("a{id}"),
            title: format!("limit {limit:?}"),
            note: body.unwrap_or_default(),
        })
    }

    #[put("/things/{id}")]
    fn put_thing(
        id: i64,
        #[param(alias = "self")] this: Option<bool>,
        #[param(alias = "page-size")] dashed: Option<u32>,
        page_size: Option<u32>,
        Json(mut t): Json<Thing>,
    ) -> Json<Thing> {
        t.note = format!("{id} {this:?} {dashed:?} {page_size:?}");
        Json(t)
    }

    pub(crate) fn api() -> NinjaApi {
        NinjaApi::new("Tricky", "1").routes(routes![get_thing, put_thing])
    }
}

#[tokio::test]
async fn a_client_from_a_document_ninja_would_not_write() {
    use tricky::{Thing, TrickyClient};
    let url = examples::serve_in_background(tricky_server::api()).expect("serves");
    let c = TrickyClient::new(&url).expect("client");
    let got = c.new_(Some(5), Some("q".to_owned()), 7).await.expect("got");
    assert_eq!(
        (got.pattern.as_str(), got.title.as_str(), got.note.as_str()),
        ("a7", "limit Some(5)", "q")
    );
    let put = c
        .r#type(
            Some(true),
            Some(10),
            Some(20),
            7,
            Json(Thing {
                pattern: "p".to_owned(),
                title: "t".to_owned(),
                note: String::new(),
            }),
        )
        .await
        .expect("put");
    assert_eq!(put.note, "7 Some(true) Some(10) Some(20)");
}
