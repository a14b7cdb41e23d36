//! Every example API through its typed clients over real sockets, each case written once
//! for the async and the blocking client, errors included: the shop (v1, v2, the partners;
//! and the `client` example's run in every mode), hello, inputs (its multipart upload too),
//! notes and live (jobs, events, downloads, WebSockets, a streamed upload).

use examples::hello::{HelloApiBlockingClient, HelloApiClient, NewItem};
use examples::inputs::{
    Account, Address, InputsApiBlockingClient, InputsApiClient, Order, Paging, SignIn,
};
use examples::live::{LiveApiBlockingClient, LiveApiClient, NewJob, Tick, download_byte};
use examples::notes::{NewNote, NotePatch, NotesApiBlockingClient, NotesApiClient, Tag};
use examples::shop::{self, Partners, partners};
use examples::shop_client::{self, Settings};
use futures_util::StreamExt as _;
use ninja_core::client::{Client, MultipartForm, RequestBody};
use ninja_core::http::StatusCode;
use ninja_core::pagination::LimitOffset;
use ninja_core::ws::Message;
use ninja_core::{Cookie, Form, Header, Json, LocPart, Query};
use sha2::Digest as _;
use shop_api::model::{Currency, NewOrder, NewProduct};
use shop_api::{
    PartnersBlockingClient, PartnersClient, ShopV1BlockingClient, ShopV1Client,
    ShopV2BlockingClient, ShopV2Client,
};

const ADMIN: &str = "admin-token";

/// The shop and its partners on 127.0.0.1:0, each on a runtime of its own thread; their
/// base URLs. The database lives as long as the returned directory.
fn serve_shop() -> (String, String, tempfile::TempDir) {
    let partners_url =
        examples::serve_in_background(partners::api(partners::Rendezvous::default()))
            .expect("partners serve");
    let dir = tempfile::tempdir().expect("temp dir");
    let db = shop::db::open(&dir.path().join("shop.db")).expect("database opens");
    let server = shop::server(
        db,
        Partners::new(&partners_url),
        ADMIN.to_owned(),
        &[http::HeaderValue::from_static(shop::DEV_ORIGIN)],
    );
    let url = examples::serve_in_background(server).expect("shop serves");
    (url, partners_url, dir)
}

#[test]
fn the_client_example_drives_the_shop_in_every_mode() {
    let (url, _, _db) = serve_shop();
    let settings = |http2: bool, key: &str| Settings {
        base: url.clone(),
        http2,
        customer_key: key.to_owned(),
        admin_token: ADMIN.to_owned(),
        reads: 200,
    };
    let mut lines = shop_client::run_blocking(&settings(false, "ada-key")).expect("blocking h1");
    lines.extend(shop_client::run_blocking(&settings(true, "bob-key")).expect("blocking h2"));
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    lines.extend(
        rt.block_on(shop_client::run_async(&settings(false, "ada-key")))
            .expect("async h1"),
    );
    lines.extend(
        rt.block_on(shop_client::run_async(&settings(true, "bob-key")))
            .expect("async h2"),
    );
    let text = lines.join("\n");
    assert_eq!(
        text.matches("typed error: 409 Out of stock: only 1 of product")
            .count(),
        4,
        "{text}"
    );
    assert_eq!(text.matches("typed error: 401").count(), 4, "{text}");
    assert_eq!(
        text.matches("200 concurrent product reads").count(),
        2,
        "{text}"
    );
    assert_eq!(
        text.matches("200 product reads from 16 threads").count(),
        2,
        "{text}"
    );
    // A wrong admin token is refused, and the run says so instead of passing.
    let err = shop_client::run_blocking(&Settings {
        admin_token: "wrong".to_owned(),
        ..settings(false, "ada-key")
    })
    .expect_err("the admin token is wrong");
    assert!(err.starts_with("create product: 401"), "{err}");
}

/// Every operation once, written for both clients: `$aw` is `await` for the async ones.
macro_rules! every_operation {
    ($v1:ident, $v2:ident, $partners:ident, $build:ident, $url:expr, $partners_url:expr, $tag:literal $(, $aw:tt)?) => {{
        let with_key = |key: &str| Client::builder($url).api_key("X-API-Key", key).$build().expect("client");
        let v1 = $v1::new($url).expect("client");
        let v1_ada = $v1::from_client(with_key("ada-key"));
        let v1_admin = $v1::from_client(Client::builder($url).bearer(ADMIN).$build().expect("client"));
        let v2 = $v2::new($url).expect("client");
        let v2_ada = $v2::from_client(with_key("ada-key"));
        let partners = $partners::new($partners_url).expect("client");

        // v1
        assert_eq!(v1.health()$(.$aw)?.expect("health"), "ok");
        let all = v1.list_products(None, None)$(.$aw)?.expect("products");
        assert!(all.len() >= 3, "{all:?}");
        let page = v1.list_products(Some(1), Some(1))$(.$aw)?.expect("products");
        assert_eq!(page, all[1..2]);
        let bad = v1.list_products(Some(0), None)$(.$aw)?.expect_err("limit 0");
        assert_eq!(bad.status(), Some(StatusCode::UNPROCESSABLE_ENTITY));
        assert_eq!(bad.problem().expect("problem").errors[0].loc, [LocPart::from("query"), LocPart::from("limit")], "{bad}");
        assert_eq!(v1.get_product(all[0].id)$(.$aw)?.expect("product"), all[0]);
        let missing = v1.get_product(9_999)$(.$aw)?.expect_err("404");
        assert_eq!(missing.problem().expect("problem").detail.as_deref(), Some("product 9999 does not exist"));
        let made = v1_admin
            .create_product(Json(NewProduct { name: concat!("kunai ", $tag).to_owned(), price_cents: 700, stock: 5, weight_grams: 50 }))$(.$aw)?
            .expect("created");
        let again = v1_admin
            .create_product(Json(NewProduct { name: concat!("kunai ", $tag).to_owned(), price_cents: 700, stock: 5, weight_grams: 50 }))$(.$aw)?
            .expect_err("duplicate");
        assert_eq!(again.status(), Some(StatusCode::CONFLICT));
        let not_admin = v1
            .create_product(Json(NewProduct { name: "x".to_owned(), price_cents: 1, stock: 1, weight_grams: 1 }))$(.$aw)?
            .expect_err("no token");
        assert_eq!(not_admin.status(), Some(StatusCode::UNAUTHORIZED));
        let order = v1_ada
            .place_order(Json(NewOrder { product_id: made.id, quantity: 2 }))$(.$aw)?
            .expect("ordered");
        assert_eq!(order.total_cents, 1_400);
        assert_eq!(v1_ada.get_order(order.id)$(.$aw)?.expect("order"), order);
        assert!(v1_ada.my_orders()$(.$aw)?.expect("orders").contains(&order));
        let short = v1_ada
            .place_order(Json(NewOrder { product_id: made.id, quantity: 4 }))$(.$aw)?
            .expect_err("out of stock");
        assert_eq!(short.problem().expect("problem").type_uri, "/problems/out-of-stock");
        // Someone else's order is as absent as a missing one.
        let bob = $v1::from_client(with_key("bob-key"));
        assert_eq!(bob.get_order(order.id)$(.$aw)?.expect_err("not bob's").status(), Some(StatusCode::NOT_FOUND));

        // v2
        assert_eq!(v2.health()$(.$aw)?.expect("health"), "ok");
        let page = v2.list_product_page(LimitOffset { limit: 2, offset: 1 })$(.$aw)?.expect("page");
        assert_eq!(page.items, all[1..3]);
        assert!(page.count >= 4);
        let quote = v2_ada.get_quote(made.id, Currency::Usd, Some(3))$(.$aw)?.expect("quote");
        assert_eq!((quote.currency, quote.quantity, quote.goods), (Currency::Usd, 3, 2_268));
        let default_quantity = v2_ada.get_quote(made.id, Currency::Eur, None)$(.$aw)?.expect("quote");
        assert_eq!(default_quantity.quantity, 1);
        assert_eq!(v2_ada.get_quote(9_999, Currency::Eur, None)$(.$aw)?.expect_err("404").status(), Some(StatusCode::NOT_FOUND));
        assert_eq!(v2.get_quote(made.id, Currency::Eur, None)$(.$aw)?.expect_err("401").status(), Some(StatusCode::UNAUTHORIZED));
        assert!(v2_ada.my_orders()$(.$aw)?.expect("orders").contains(&order));

        // The partners
        assert_eq!(partners.rate(Currency::Jpy)$(.$aw)?.expect("rate").per_euro_cent, 1.625);
        assert_eq!(partners.shipping(250)$(.$aw)?.expect("shipping").cents, 450);
        assert_eq!(partners.shipping(0)$(.$aw)?.expect_err("422").status(), Some(StatusCode::UNPROCESSABLE_ENTITY));
    }};
}

#[tokio::test]
async fn every_shop_operation_round_trips_through_the_async_client() {
    let (url, partners_url, _db) = serve_shop();
    every_operation!(
        ShopV1Client,
        ShopV2Client,
        PartnersClient,
        build,
        &url,
        &partners_url,
        "async",
        await
    );
}

#[test]
fn every_shop_operation_round_trips_through_the_blocking_client() {
    let (url, partners_url, _db) = serve_shop();
    every_operation!(
        ShopV1BlockingClient,
        ShopV2BlockingClient,
        PartnersBlockingClient,
        build_blocking,
        &url,
        &partners_url,
        "blocking"
    );
}

/// Asserts that `$call` failed with a problem of `$status`.
macro_rules! refused {
    ($call:expr, $status:expr) => {{
        let e = $call.expect_err("refused");
        assert_eq!(
            e.status(),
            Some(StatusCode::from_u16($status).expect("a status")),
            "{e}"
        );
    }};
}

macro_rules! hello_cases {
    ($client:ident, $url:expr $(, $aw:tt)?) => {{
        let c = $client::new($url).expect("client");
        assert_eq!(c.say_after(0.0, "hi".to_owned())$(.$aw)?.expect("said").saying, "hi");
        assert_eq!(c.say_sync(0.0, "yo".to_owned())$(.$aw)?.expect("said").saying, "yo");
        refused!(c.say_after(61.0, "late".to_owned())$(.$aw)?, 422);
        let made = c
            .create_item(Json(NewItem { name: "lamp".to_owned(), price: 1200 }))$(.$aw)?
            .expect("created");
        let got = c.get_item(made.id, Some("why".to_owned()))$(.$aw)?.expect("found");
        assert_eq!((got.name.as_str(), got.price, got.q.as_deref()), ("lamp", 1200, Some("why")));
        refused!(c.get_item(9_999, None)$(.$aw)?, 404);
    }};
}

#[tokio::test]
async fn hello_round_trips_through_the_async_client() {
    let url = examples::serve_in_background(examples::hello::api()).expect("serves");
    hello_cases!(HelloApiClient, &url, await);
}

#[test]
fn hello_round_trips_through_the_blocking_client() {
    let url = examples::serve_in_background(examples::hello::api()).expect("serves");
    hello_cases!(HelloApiBlockingClient, &url);
}

fn account(email: &str) -> Account {
    Account {
        login: "ada".to_owned(),
        email: email.to_owned(),
        homepage: Some("https://ada.example".to_owned()),
        age: 36,
        interests: vec!["engines".to_owned()],
        addresses: vec![Address {
            street: "1 Loop Rd".to_owned(),
            country: "GB".to_owned(),
        }],
    }
}

macro_rules! inputs_cases {
    ($client:ident, $url:expr $(, $aw:tt)?) => {{
        let c = $client::new($url).expect("client");
        let found = c
            .search("lamp & shade".to_owned(), None, vec!["a".to_owned(), "b c".to_owned()], Some(Order::Desc), Some(true))$(.$aw)?
            .expect("searched");
        assert_eq!(
            found,
            serde_json::json!({"q": "lamp & shade", "limit": 20, "tag": ["a", "b c"], "order": "desc", "include_drafts": true})
        );
        let found = c.search("x".to_owned(), Some(5), Vec::new(), None, None)$(.$aw)?.expect("searched");
        assert_eq!((found["limit"].clone(), found["include_drafts"].clone()), (serde_json::json!(5), serde_json::Value::Null));
        refused!(c.search(String::new(), None, Vec::new(), None, None)$(.$aw)?, 422);
        let listed = c.list(Query(Paging { offset: Some(5), limit: 10 }))$(.$aw)?.expect("listed");
        assert_eq!(listed, serde_json::json!({"offset": 5, "limit": 10}));
        refused!(c.list(Query(Paging { offset: None, limit: 0 }))$(.$aw)?, 422);
        assert_eq!(c.item(7)$(.$aw)?.expect("item"), serde_json::json!({"item_id": 7}));
        refused!(c.item(0)$(.$aw)?, 422);
        let made = c.create_account(Json(account("ada@example.com")))$(.$aw)?.expect("created");
        assert_eq!((made.login.as_str(), made.age), ("ada", 36));
        refused!(c.create_account(Json(account("not an email")))$(.$aw)?, 422);
        let signed = c
            .sign_in(Form(SignIn { login: "ada".to_owned(), password: "long enough".to_owned(), remember: Some(true) }))$(.$aw)?
            .expect("signed in");
        assert_eq!(signed, serde_json::json!({"login": "ada", "remember": true}));
        refused!(c.sign_in(Form(SignIn { login: "ada".to_owned(), password: "short".to_owned(), remember: None }))$(.$aw)?, 422);
        let me = c
            .whoami(Header(Some("ninja-test".to_owned())), Header(Some("req-1".to_owned())), Cookie(Some("a b;c".to_owned())))$(.$aw)?
            .expect("who");
        assert_eq!(me["user_agent"].as_deref(), Some("ninja-test"));
        assert_eq!(me["request_id"].as_deref(), Some("req-1"));
        assert_eq!(me["session"].as_deref(), Some("a b;c"));
        let e = c.whoami(Header(Some("café".to_owned())), Header(None), Cookie(None))$(.$aw)?.expect_err("not ASCII");
        assert!(matches!(e, ninja_core::client::ClientError::Request(_)), "{e}");
        let nobody = c.whoami(Header(None), Header(None), Cookie(None))$(.$aw)?.expect("who");
        assert_eq!((nobody["request_id"].as_deref(), nobody["session"].as_deref()), (None, None));
        let form = || MultipartForm::new()
            .file("file", "notes.txt", "text/plain", &b"twelve bytes"[..])
            .json("meta", &serde_json::json!({"title": "Notes", "labels": ["a", "b"]}));
        let stored = c.upload_document(form().text("public", "true"))$(.$aw)?.expect("uploaded");
        assert_eq!(
            stored,
            serde_json::json!({"file_name": "notes.txt", "content_type": "text/plain", "size": 12, "title": "Notes", "labels": ["a", "b"], "public": true})
        );
        refused!(c.upload_document(form().text("public", "maybe"))$(.$aw)?, 422);
        let untitled = MultipartForm::new()
            .file("file", "a.bin", "application/octet-stream", vec![0u8; 3])
            .json("meta", &serde_json::json!({"title": "", "labels": []}));
        refused!(c.upload_document(untitled)$(.$aw)?, 422);
    }};
}

#[tokio::test]
async fn inputs_round_trip_through_the_async_client() {
    let url = examples::serve_in_background(examples::inputs::api()).expect("serves");
    inputs_cases!(InputsApiClient, &url, await);
}

#[test]
fn inputs_round_trip_through_the_blocking_client() {
    let url = examples::serve_in_background(examples::inputs::api()).expect("serves");
    inputs_cases!(InputsApiBlockingClient, &url);
}

/// The notes API over a fresh SQLite file in `dir`; its URL.
fn serve_notes(dir: &tempfile::TempDir) -> String {
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("notes.db").display()
    );
    examples::serve_notes_in_background(&url, "secret").expect("the notes server starts")
}

macro_rules! notes_cases {
    ($client:ident, $build:ident, $url:expr $(, $aw:tt)?) => {{
        let reader = $client::new($url).expect("client");
        let writer = $client::from_client(Client::builder($url).bearer("secret").$build().expect("client"));
        let note = |title: &str| NewNote { title: title.to_owned(), body: "text".to_owned(), tags: vec![Tag("work".to_owned())] };
        let made = writer.create_note(Json(note("first")))$(.$aw)?.expect("created");
        assert_eq!(made.title, "first");
        refused!(reader.create_note(Json(note("anonymous")))$(.$aw)?, 401);
        refused!(writer.create_note(Json(note("first")))$(.$aw)?, 409);
        refused!(writer.create_note(Json(note("")))$(.$aw)?, 422);
        assert_eq!(reader.get_note(made.id)$(.$aw)?.expect("read"), made);
        let page = reader.list_notes(Some("work".to_owned()), LimitOffset { limit: 10, offset: 0 })$(.$aw)?.expect("listed");
        assert_eq!((page.total, page.items.len()), (1, 1));
        let replaced = writer.replace_note(made.id, Json(note("renamed")))$(.$aw)?.expect("replaced");
        assert_eq!(replaced.title, "renamed");
        let patched = writer
            .patch_note(made.id, Json(NotePatch { title: None, body: Some("new text".to_owned()), tags: None }))$(.$aw)?
            .expect("patched");
        assert_eq!((patched.title.as_str(), patched.body.as_str()), ("renamed", "new text"));
        writer.delete_note(made.id)$(.$aw)?.expect("deleted");
        refused!(reader.get_note(made.id)$(.$aw)?, 404);
        refused!(writer.delete_note(made.id)$(.$aw)?, 404);
    }};
}

#[tokio::test]
async fn notes_round_trip_through_the_async_client() {
    let dir = tempfile::tempdir().expect("dir");
    let url = serve_notes(&dir);
    notes_cases!(NotesApiClient, build, &url, await);
}

#[test]
fn notes_round_trip_through_the_blocking_client() {
    let dir = tempfile::tempdir().expect("dir");
    let url = serve_notes(&dir);
    notes_cases!(NotesApiBlockingClient, build_blocking, &url);
}

macro_rules! live_cases {
    ($client:ident, $build:ident, $url:expr, $sleep:expr $(, $aw:tt)?) => {{
        let c = $client::new($url).expect("client");
        let job = c.start_job(Json(NewJob { steps: 2, step_ms: 10 }))$(.$aw)?.expect("started");
        assert_eq!((job.state.as_ref(), job.steps), ("queued", 2));
        let mut seen = c.get_job(job.id)$(.$aw)?.expect("read");
        for _ in 0..100 {
            if seen.state == "done" {
                break;
            }
            $sleep;
            seen = c.get_job(job.id)$(.$aw)?.expect("read");
        }
        assert_eq!((seen.state.as_ref(), seen.done), ("done", 2));
        refused!(c.get_job(9_999)$(.$aw)?, 404);
        refused!(c.start_job(Json(NewJob { steps: 0, step_ms: 10 }))$(.$aw)?, 422);

        // Events: as they arrive, with their ids, then the end.
        let mut ticks = c.events(3, Some(5))$(.$aw)?.expect("events");
        for n in 0..3 {
            let e = ticks.next()$(.$aw)?.expect("a tick").expect("decoded");
            assert_eq!((e.data, e.id.as_deref(), e.event.as_str()), (Tick { n }, Some(&*n.to_string()), "message"));
        }
        assert!(ticks.next()$(.$aw)?.is_none(), "the stream ends with the answer");
        refused!(c.events(0, None)$(.$aw)?, 422);

        // Downloads: whole, one range, a range outside.
        let expected: Vec<u8> = (0..200_000).map(download_byte).collect();
        let whole = c.download(200_000, Header(None))$(.$aw)?.expect("download");
        assert_eq!(whole.status(), StatusCode::OK);
        assert_eq!(all_bytes!(whole $(, $aw)?), expected);
        let part = c.download(200_000, Header(Some("bytes=70000-70009".to_owned())))$(.$aw)?.expect("range");
        assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
        assert_eq!(part.headers()["content-range"], "bytes 70000-70009/200000");
        assert_eq!(all_bytes!(part $(, $aw)?), &expected[70_000..70_010]);
        refused!(c.download(10, Header(Some("bytes=50-60".to_owned())))$(.$aw)?, 416);

        // WebSockets: echo, and a room heard by everyone in it.
        let mut echo = c.echo()$(.$aw)?.expect("upgraded");
        echo.send(Message::text("hello"))$(.$aw)?.expect("sent");
        assert_eq!(echo.recv()$(.$aw)?.expect("a message").expect("read"), Message::text("hello"));
        echo.send(Message::binary(vec![1u8, 2, 3]))$(.$aw)?.expect("sent");
        assert_eq!(echo.recv()$(.$aw)?.expect("a message").expect("read"), Message::binary(vec![1u8, 2, 3]));
        echo.close(None)$(.$aw)?.expect("closed");
        let mut ann = c.room("lobby".to_owned())$(.$aw)?.expect("joined");
        let mut bob = c.room("lobby".to_owned())$(.$aw)?.expect("joined");
        ann.send(Message::text("hi all"))$(.$aw)?.expect("sent");
        for socket in [&mut ann, &mut bob] {
            assert_eq!(socket.recv()$(.$aw)?.expect("a message").expect("read"), Message::text("hi all"));
        }
        refused!(c.room("x".repeat(65))$(.$aw)?, 422);
        // An HTTP/2 client upgrades over an HTTP/1.1 connection of its own.
        let h2 = $client::from_client(Client::builder($url).http2().$build().expect("h2 client"));
        let mut over_h1 = h2.echo()$(.$aw)?.expect("upgraded");
        over_h1.send(Message::text("from h2"))$(.$aw)?.expect("sent");
        assert_eq!(over_h1.recv()$(.$aw)?.expect("a message").expect("read"), Message::text("from h2"));
        over_h1.close(None)$(.$aw)?.expect("closed");

        // Uploads: whole, and streamed chunk by chunk.
        let data: Vec<u8> = (0..300_000u32).map(|i| (i % 256) as u8).collect();
        let hex = |bytes: &[u8]| sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect::<String>();
        let up = c.upload(data.clone())$(.$aw)?.expect("uploaded");
        assert_eq!((up.bytes, up.sha256), (300_000, hex(&data)));
        let chunks = data.chunks(64 << 10).map(|c| Ok::<_, std::io::Error>(c.to_vec())).collect::<Vec<_>>();
        let up = c.upload(RequestBody::from_stream(futures_util::stream::iter(chunks)))$(.$aw)?.expect("streamed");
        assert_eq!((up.bytes, up.sha256), (300_000, hex(&data)));
        // From any io::Read (a sync file), read as it is sent.
        let up = c.upload(RequestBody::from_reader(std::io::Cursor::new(data.clone())))$(.$aw)?.expect("read");
        assert_eq!((up.bytes, up.sha256), (300_000, hex(&data)));
        let failing = RequestBody::from_reader(std::io::Read::chain(
            std::io::Cursor::new(vec![1u8; 70_000]),
            FailingReader,
        ));
        let failed = c.upload(failing)$(.$aw)?;
        assert!(
            matches!(failed, Err(ninja_core::client::ClientError::Transport(_))),
            "a read error aborts the upload: {failed:?}"
        );
    }};
}

/// A download's bytes: collected from the async stream, read from the blocking one.
macro_rules! all_bytes {
    ($body:expr, $aw:tt) => {
        $body.collect().$aw.expect("body").to_vec()
    };
    ($body:expr) => {{
        let mut all = Vec::new();
        std::io::Read::read_to_end(&mut { $body }, &mut all).expect("body");
        all
    }};
}

#[tokio::test]
async fn live_round_trips_through_the_async_client() {
    let dir = tempfile::tempdir().expect("dir");
    let url =
        examples::serve_in_background(examples::live::api(dir.path().to_owned())).expect("serves");
    live_cases!(
        LiveApiClient,
        build,
        &url,
        tokio::time::sleep(std::time::Duration::from_millis(20)).await,
        await
    );
}

#[test]
fn live_round_trips_through_the_blocking_client() {
    let dir = tempfile::tempdir().expect("dir");
    let url =
        examples::serve_in_background(examples::live::api(dir.path().to_owned())).expect("serves");
    live_cases!(
        LiveApiBlockingClient,
        build_blocking,
        &url,
        std::thread::sleep(std::time::Duration::from_millis(20))
    );
}

/// A reader that fails: an upload from it must not succeed.
struct FailingReader;

impl std::io::Read for FailingReader {
    fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
        Err(std::io::Error::other("the disk went away"))
    }
}
