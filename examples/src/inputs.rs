//! The `inputs` API: one endpoint per kind of input, each constrained, validated and documented.

use std::collections::BTreeMap;

use garde::Validate;
use ninja_core::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// How results are ordered.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Order {
    /// Oldest first.
    Asc,
    /// Newest first.
    Desc,
}

/// A page of results, as query parameters.
#[derive(Debug, Serialize, Deserialize, JsonSchema, Validate)]
pub struct Paging {
    /// Results to skip.
    #[garde(range(max = 10_000))]
    pub offset: Option<u32>,
    /// Results per page.
    #[garde(range(min = 1, max = 100))]
    pub limit: u32,
}

/// A new account, as a JSON body.
#[derive(Debug, Deserialize, Serialize, JsonSchema, Validate)]
pub struct Account {
    /// The login: 3 to 20 lowercase letters or digits.
    #[garde(length(chars, min = 3, max = 20), pattern(r"^[a-z0-9]+$"))]
    pub login: String,
    /// Where to write.
    #[garde(email)]
    pub email: String,
    /// A personal page.
    #[garde(url)]
    #[schemars(length(min = 1))]
    pub homepage: Option<String>,
    /// Age in years.
    #[garde(range(min = 13, max = 130))]
    pub age: u8,
    /// Up to 5 interests, none empty.
    #[garde(length(max = 5), inner(length(chars, min = 1)))]
    pub interests: Vec<String>,
    /// Postal addresses.
    #[garde(dive)]
    pub addresses: Vec<Address>,
}

/// A postal address.
#[derive(Debug, Deserialize, Serialize, JsonSchema, Validate)]
pub struct Address {
    /// Street and number.
    #[garde(length(chars, min = 1))]
    pub street: String,
    /// ISO 3166-1 alpha-2 country code.
    #[garde(pattern(r"^[A-Z]{2}$"))]
    pub country: String,
}

/// A sign-in form.
#[derive(Debug, Serialize, Deserialize, JsonSchema, Validate)]
pub struct SignIn {
    /// The login.
    #[garde(length(chars, min = 1))]
    pub login: String,
    /// The password.
    #[garde(length(chars, min = 8))]
    pub password: String,
    /// Keep me signed in.
    #[garde(skip)]
    pub remember: Option<bool>,
}

/// What describes an upload, sent as JSON in one multipart field.
#[derive(Debug, Deserialize, Serialize, JsonSchema, Validate)]
pub struct UploadMeta {
    /// A title for the document.
    #[garde(length(chars, min = 1, max = 100))]
    pub title: String,
    /// Labels.
    #[garde(skip)]
    #[serde(default)]
    pub labels: Vec<String>,
}

/// A document upload: a file, JSON metadata beside it, and an ordinary field.
#[derive(Debug, Deserialize, JsonSchema, Validate)]
pub struct DocumentUpload {
    /// The document.
    #[garde(skip)]
    pub file: UploadedFile,
    /// Its metadata (JSON text).
    #[garde(dive)]
    pub meta: JsonPart<UploadMeta>,
    /// Whether everyone may read it.
    #[garde(skip)]
    pub public: Option<bool>,
}

/// The inputs API's operations, for its typed clients (`InputsApiClient`,
/// `InputsApiBlockingClient`): every kind of input (the multipart upload takes a
/// `MultipartForm`).
#[ninja_core::api]
pub trait InputsApi {
    /// Search with bare query parameters.
    #[get("/search")]
    fn search(
        #[param(length(min = 1, max = 50))] q: String,
        #[param(range(min = 1, max = 100), default = 20)] limit: u32,
        tag: Vec<String>,
        order: Option<Order>,
        #[param(alias = "include-drafts")] include_drafts: Option<bool>,
    ) -> Json<Value>;

    /// List with a query struct.
    #[get("/list")]
    fn list(paging: Query<Paging>) -> Json<Value>;

    /// Read an item by a path parameter.
    #[get("/items/{item_id}")]
    fn item(#[param(range(min = 1))] item_id: u64) -> Json<Value>;

    /// Create an account from a validated JSON body.
    #[post("/accounts")]
    fn create_account(account: Json<Account>) -> Created<Json<Account>>;

    /// Sign in with a form.
    #[post("/sign-in")]
    fn sign_in(form: Form<SignIn>) -> Json<Value>;

    /// Headers and a cookie.
    #[get("/whoami")]
    fn whoami(
        user_agent: Header<Option<String>>,
        #[param(alias = "X-Request-Id")] request_id: Header<Option<String>>,
        session: Cookie<Option<String>>,
    ) -> Json<BTreeMap<String, Option<String>>>;

    /// Upload a document with its metadata (multipart).
    #[post("/documents")]
    fn upload_document(upload: Multipart<DocumentUpload>) -> Created<Json<Value>>;
}

/// Search with bare query parameters: each one constrained on its attribute.
#[get("/search", tags = ["query"], op = inputs_api::search)]
pub fn search(
    #[param(length(min = 1, max = 50), description = "Words to look for")] q: String,
    #[param(range(min = 1, max = 100), default = 20)] limit: u32,
    #[param(description = "Repeat to filter by several tags")] tag: Vec<String>,
    order: Option<Order>,
    #[param(alias = "include-drafts")] include_drafts: Option<bool>,
) -> Json<Value> {
    Json(
        json!({"q": q, "limit": limit, "tag": tag, "order": order, "include_drafts": include_drafts}),
    )
}

/// List with a struct of query parameters.
#[get("/list", tags = ["query"], op = inputs_api::list)]
pub fn list(paging: Query<Paging>) -> Json<Value> {
    Json(json!({"offset": paging.offset.unwrap_or(0), "limit": paging.limit}))
}

/// Read an item by a path parameter.
#[get("/items/{item_id}", tags = ["path"], op = inputs_api::item)]
pub fn item(#[param(range(min = 1))] item_id: u64) -> Json<Value> {
    Json(json!({"item_id": item_id}))
}

/// Create an account from a validated JSON body.
#[post("/accounts", tags = ["body"], op = inputs_api::create_account)]
pub async fn create_account(Json(account): Json<Account>) -> Created<Json<Account>> {
    Created(Json(account))
}

/// Sign in with a form.
#[post("/sign-in", tags = ["body"], op = inputs_api::sign_in)]
pub fn sign_in(Form(form): Form<SignIn>) -> Json<Value> {
    Json(json!({"login": form.login, "remember": form.remember.unwrap_or(false)}))
}

/// Upload a document with its metadata (multipart).
#[post("/documents", tags = ["body"], op = inputs_api::upload_document)]
pub fn upload_document(Multipart(upload): Multipart<DocumentUpload>) -> Created<Json<Value>> {
    Created(Json(json!({
        "file_name": upload.file.file_name(),
        "content_type": upload.file.content_type(),
        "size": upload.file.len(),
        "title": upload.meta.title,
        "labels": upload.meta.labels,
        "public": upload.public.unwrap_or(false),
    })))
}

/// Echo headers and cookies.
#[get("/whoami", tags = ["headers"], op = inputs_api::whoami)]
pub fn whoami(
    user_agent: Header<Option<String>>,
    #[param(alias = "X-Request-Id")] request_id: Header<Option<String>>,
    session: Cookie<Option<String>>,
) -> Json<BTreeMap<String, Option<String>>> {
    Json(BTreeMap::from([
        ("user_agent".to_owned(), user_agent.0),
        ("request_id".to_owned(), request_id.0),
        ("session".to_owned(), session.0),
    ]))
}

/// The API, ready to serve or to test.
pub fn api() -> NinjaApi {
    NinjaApi::new("Ninja inputs", "1.0")
        .description("Every kind of input, constrained, validated and documented once.")
        .routes(routes![
            search,
            list,
            item,
            create_account,
            sign_in,
            upload_document,
            whoami
        ])
}
