//! Regression tests named after the issue that found them.

/// Issue 13: an argument's kind came from the spelling of its type, so an alias of
/// `Json<T>` was read as a query parameter (every call a 422). Now its traits decide.
mod issue_13_argument_kind_by_traits {
    use ninja_core::Json as Body;
    use ninja_core::prelude::*;

    #[derive(serde::Deserialize, serde::Serialize, schemars::JsonSchema, garde::Validate)]
    pub(super) struct Item {
        #[garde(length(min = 1))]
        name: String,
    }

    type ItemBody = Json<Item>;

    #[post("/alias")]
    async fn alias(b: ItemBody) -> String {
        b.name.clone()
    }

    #[post("/renamed")]
    async fn renamed(Body(item): Body<Item>) -> String {
        item.name
    }

    #[post("/qualified")]
    async fn qualified(b: ::ninja_core::Json<Item>) -> String {
        b.0.name
    }

    #[post("/two")]
    async fn two(a: ItemBody, b: ItemBody) -> String {
        format!("{}{}", a.name, b.name)
    }

    #[tokio::test]
    async fn an_alias_a_rename_and_a_full_path_are_bodies() {
        let c = TestClient::new(NinjaApi::new("t", "1").routes(routes![alias, renamed, qualified]));
        for path in ["/alias", "/renamed", "/qualified"] {
            let ok = c
                .post(path)
                .json(&serde_json::json!({"name": "pen"}))
                .send()
                .await;
            assert_eq!(ok.status(), 200, "{path}: {}", ok.text());
            assert_eq!(ok.text(), "pen");
            // Validated through the alias too.
            let bad = c
                .post(path)
                .json(&serde_json::json!({"name": ""}))
                .send()
                .await;
            let body = crate::problem(&bad, 422);
            assert_eq!(
                body["errors"][0]["loc"],
                serde_json::json!(["body", "name"]),
                "{path}"
            );
        }
        let doc: serde_json::Value = serde_json::from_str(
            &NinjaApi::new("t", "1")
                .routes(routes![alias])
                .openapi_json()
                .expect("a document"),
        )
        .expect("JSON");
        let op = &doc["paths"]["/alias"]["post"];
        assert!(
            op["requestBody"]["content"]["application/json"].is_object(),
            "{op}"
        );
        assert!(op.get("parameters").is_none(), "no query parameter: {op}");
    }

    #[test]
    fn two_bodies_through_aliases_fail_to_build() {
        let err = NinjaApi::new("t", "1")
            .routes(routes![two])
            .build()
            .expect_err("two bodies");
        assert!(
            err.to_string()
                .contains("two arguments read the request body"),
            "{err}"
        );
    }
}
