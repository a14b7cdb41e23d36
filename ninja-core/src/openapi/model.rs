//! The subset of the OpenAPI 3.1 document model Ninja emits.
//!
//! Schemas are raw JSON (`serde_json::Value`) exactly as schemars produced them: a typed
//! schema model (utoipa's) cannot carry every JSON Schema 2020-12 construct (`const`, tuples,
//! `true`/`{}`), and every part of an operation holds a schema.

use serde::Serialize;
use serde_json::Value;

/// A map that keeps insertion order, so the document is deterministic and reads in
/// registration order.
#[derive(Debug, Clone)]
pub(crate) struct Ordered<V>(pub(crate) Vec<(String, V)>);

impl<V> Default for Ordered<V> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<V> Ordered<V> {
    pub(crate) fn entry(&mut self, key: &str, make: impl FnOnce() -> V) -> &mut V {
        let i = match self.0.iter().position(|(k, _)| k == key) {
            Some(i) => i,
            None => {
                self.0.push((key.to_owned(), make()));
                self.0.len() - 1
            }
        };
        &mut self.0[i].1
    }

    /// Sets `key` to `value`, in place if present, else at the end.
    pub(crate) fn insert(&mut self, key: &str, value: V) {
        match self.0.iter_mut().find(|(k, _)| k == key) {
            Some((_, v)) => *v = value,
            None => self.0.push((key.to_owned(), value)),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<V: Serialize> Serialize for Ordered<V> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Document {
    pub(crate) openapi: &'static str,
    pub(crate) info: Info,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) servers: Vec<Value>,
    pub(crate) paths: Ordered<Ordered<Operation>>,
    pub(crate) components: Components,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) tags: Vec<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) external_docs: Option<Value>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Info {
    pub(crate) title: String,
    pub(crate) version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) terms_of_service: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) contact: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) license: Option<Value>,
}

/// What an API says of itself beyond its title and version: the document's `servers`,
/// `tags`, `externalDocs` and `info.contact`, `info.license`, `info.termsOfService`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Metadata {
    pub(crate) servers: Vec<Value>,
    pub(crate) tags: Vec<Value>,
    pub(crate) external_docs: Option<Value>,
    pub(crate) terms_of_service: Option<String>,
    pub(crate) contact: Option<Value>,
    pub(crate) license: Option<Value>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Operation {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) tags: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) summary: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) description: Option<String>,
    pub(crate) operation_id: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) parameters: Vec<Parameter>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) request_body: Option<RequestBody>,
    pub(crate) responses: Ordered<Response>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub(crate) deprecated: bool,
    /// `[{scheme: []}]` when authenticated.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) security: Vec<Ordered<[(); 0]>>,
    /// The route's `openapi_extra`: more fields, merged in last.
    #[serde(flatten, skip_serializing_if = "serde_json::Map::is_empty")]
    pub(crate) extra: serde_json::Map<String, Value>,
}

/// Where a parameter is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ParamIn {
    /// `{name}` in the path.
    Path,
    /// The query string.
    Query,
    /// A request header.
    Header,
    /// A cookie.
    Cookie,
}

#[derive(Debug, Serialize)]
pub(crate) struct Parameter {
    pub(crate) name: String,
    #[serde(rename = "in")]
    pub(crate) location: ParamIn,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) description: Option<String>,
    pub(crate) required: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub(crate) deprecated: bool,
    pub(crate) schema: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) example: Option<Value>,
}

#[derive(Debug, Serialize)]
pub(crate) struct RequestBody {
    pub(crate) required: bool,
    pub(crate) content: Ordered<MediaType>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct MediaType {
    pub(crate) schema: Value,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Response {
    pub(crate) description: String,
    #[serde(skip_serializing_if = "Ordered::is_empty")]
    pub(crate) headers: Ordered<Value>,
    #[serde(skip_serializing_if = "Ordered::is_empty")]
    pub(crate) content: Ordered<MediaType>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Components {
    pub(crate) schemas: serde_json::Map<String, Value>,
    #[serde(skip_serializing_if = "Ordered::is_empty")]
    pub(crate) security_schemes: Ordered<Value>,
}
