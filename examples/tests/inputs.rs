//! The `inputs` example answers a good request of each kind, and a bad one with its locs.

use examples::inputs;
use ninja_core::TestClient;
use serde_json::{Value, json};

fn client() -> TestClient {
    TestClient::new(inputs::api())
}

fn locs(v: &Value) -> Vec<String> {
    let mut l: Vec<String> = v["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["loc"].to_string())
        .collect();
    l.sort();
    l
}

#[tokio::test]
async fn each_kind_of_input() {
    let c = client();
    let res = c
        .get("/search?q=ninja&tag=a&tag=b&order=desc&include-drafts=yes")
        .send()
        .await;
    assert_eq!(
        res.json::<Value>(),
        json!({"q": "ninja", "limit": 20, "tag": ["a", "b"], "order": "desc", "include_drafts": true})
    );
    assert_eq!(
        c.get("/list?limit=5").send().await.json::<Value>(),
        json!({"offset": 0, "limit": 5})
    );
    assert_eq!(
        c.get("/items/7").send().await.json::<Value>(),
        json!({"item_id": 7})
    );
    let account = json!({"login": "ada", "email": "ada@example.com", "homepage": null, "age": 36,
                         "interests": ["math"], "addresses": [{"street": "1 Main St", "country": "GB"}]});
    let res = c.post("/accounts").json(&account).send().await;
    assert_eq!((res.status().as_u16(), res.json::<Value>()), (201, account));
    let res = c
        .post("/sign-in")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("login=ada&password=correct+horse&remember=on")
        .send()
        .await;
    assert_eq!(
        res.json::<Value>(),
        json!({"login": "ada", "remember": true})
    );
    let form = ninja_core::test_client::MultipartForm::new()
        .file("file", "a.txt", "text/plain", "hello")
        .text("meta", r#"{"title":"Notes"}"#);
    let res = c.post("/documents").multipart(form).send().await;
    assert_eq!(res.status(), 201, "{}", res.text());
    assert_eq!(
        res.json::<Value>(),
        json!({"file_name": "a.txt", "content_type": "text/plain", "size": 5, "title": "Notes",
               "labels": [], "public": false})
    );
    let res = c
        .get("/whoami")
        .header("user-agent", "t/1")
        .header("cookie", "session=s1")
        .send()
        .await;
    assert_eq!(
        res.json::<Value>(),
        json!({"request_id": null, "session": "s1", "user_agent": "t/1"})
    );
}

#[tokio::test]
async fn bad_inputs_are_all_reported() {
    let c = client();
    let res = c.get("/search?q=&limit=0&order=sideways").send().await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        locs(&res.json()),
        [
            r#"["query","limit"]"#,
            r#"["query","order"]"#,
            r#"["query","q"]"#
        ]
    );
    assert_eq!(c.get("/items/0").send().await.status(), 422);
    let res = c
        .post("/accounts")
        .json(
            &json!({"login": "A!", "email": "x", "age": 5, "interests": [""],
                      "addresses": [{"street": "", "country": "gb"}]}),
        )
        .send()
        .await;
    assert_eq!(
        locs(&res.json()),
        [
            r#"["body","addresses",0,"country"]"#,
            r#"["body","addresses",0,"street"]"#,
            r#"["body","age"]"#,
            r#"["body","email"]"#,
            r#"["body","interests",0]"#,
            r#"["body","login"]"#,
            r#"["body","login"]"#,
        ]
    );
}
