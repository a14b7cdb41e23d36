use ninja_core::prelude::*;
use ninja_core::RequestHead;

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Page {
    limit: u32,
}

#[derive(serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
struct Thing {
    name: String,
}

struct Db;

mod nested {
    use ninja_core::prelude::*;

    /// Docs become the summary.
    #[delete("/things/{id}", tags = ["things"], operation_id = "remove_thing", deprecated)]
    pub fn remove(id: u64) {
        let _ = id;
    }
}

#[post("/things/{id}/{*rest}")]
async fn everything(
    id: u32,
    rest: String,
    q: Option<String>,
    tags: Vec<String>,
    #[param(default = 10, alias = "page-size")] page_size: u32,
    page: Query<Page>,
    user_agent: Header<Option<String>>,
    db: State<Db>,
    head: RequestHead,
    Json(thing): Json<Thing>,
) -> Result<Created<Json<Thing>>, Problem> {
    let _ = (id, rest, q, tags, page_size, page.limit, user_agent, db, head);
    Ok(Created(Json(thing)))
}

#[put("/sync/{id}")]
fn sync_put(id: u32) -> (StatusCode, &'static str) {
    let _ = id;
    (StatusCode::ACCEPTED, "ok")
}

#[patch("/patch")]
async fn patch_it() -> impl IntoResponse {
    "patched"
}

fn main() {
    // The functions stay plain, callable functions.
    assert_eq!(sync_put(1).1, "ok");
    nested::remove(3);
    let api = NinjaApi::new("t", "1")
        .state(Db)
        .routes(routes![everything, sync_put, patch_it, nested::remove]);
    let app = api.build().expect("builds");
    let op = app.routes()[3].operation();
    assert_eq!(op.operation_id(), "remove_thing");
    assert_eq!(op.summary(), Some("Docs become the summary."));
    assert_eq!(op.tags(), ["things"]);
    assert!(op.deprecated());
}
