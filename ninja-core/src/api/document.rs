//! The OpenAPI document of an API: each route's operation, as its extractors and response
//! types describe it (through [`OperationDoc`]), plus the framework's own answers (401,
//! 413, 422, 429...), the components and security schemes; and the build checks that ride
//! on it (states, identities, definitions).

use std::any::TypeId;

use bytes::Bytes;
use schemars::generate::SchemaGenerator;
use serde_json::Value;

use super::definition::check_definition;
use crate::auth::AuthScheme;
use crate::openapi::model::{self, Components, Document, Info, Ordered};
use crate::openapi::problem_schema;
use crate::openapi::{OperationDoc, ProblemBody, generator, normalize, problem_body};
use crate::routing::Route;

/// What the document says of the API as a whole.
#[derive(Debug, Clone)]
pub(crate) struct ApiInfo<'a> {
    pub(crate) title: &'a str,
    pub(crate) version: &'a str,
    pub(crate) description: Option<&'a str>,
    /// Describes what the API's error handler answers problems with, when it has one.
    pub(crate) problem_body: Option<fn(&mut OperationDoc<'_>)>,
    /// Servers, tags, contact, license...
    pub(crate) meta: &'a model::Metadata,
    /// The types of the API's states (what `State<T>` arguments need), when checking them:
    /// at `build()`, not for a document printed on its own.
    pub(crate) state_types: Option<Vec<std::any::TypeId>>,
    /// Whether the throttle store answers 503 when it is down (documented then).
    pub(crate) throttle_fails_closed: bool,
}

/// Builds the document, pretty-printed: the same bytes are served, printed by `--openapi`
/// and checked in as golden files, so a diff of the API surface reads well in review.
///
/// Fails when a user schema takes a name the framework's own schemas need, when two auth
/// schemes share a name, or when a handler takes an identity its route's auth does not give.
pub(crate) fn document(info: ApiInfo<'_>, routes: &[Route]) -> Result<Bytes, Vec<String>> {
    let mut generator = generator();
    let mut paths: Ordered<Ordered<model::Operation>> = Ordered::default();
    let mut uses_problem = false;
    let mut errors = Vec::new();
    let mut security_schemes: Ordered<(AuthScheme, Value)> = Ordered::default();
    let problem_body = info
        .problem_body
        .map(|describe| problem_body(describe, &mut generator));
    // Which route first brought in each component name, to explain collisions.
    let mut introduced_by: Vec<(String, String)> = Vec::new();
    for route in routes {
        let mut op = describe(
            route,
            &mut generator,
            problem_body.as_ref(),
            &mut uses_problem,
            &mut errors,
            &|id| info.state_types.as_ref().is_none_or(|s| s.contains(&id)),
            info.throttle_fails_closed,
        );
        if let Some(scheme) = route.auth().scheme() {
            for e in scheme.errors() {
                if !errors.contains(&e) {
                    errors.push(e);
                }
            }
        }
        let alternatives = route.auth().scheme().map_or(&[][..], |s| s.alternatives());
        for scheme in alternatives {
            let json = scheme.security_scheme();
            let (first, first_json) =
                security_schemes.entry(scheme.name(), || (scheme.clone(), json.clone()));
            if !first.same(scheme) && *first_json != json {
                errors.push(format!(
                    "two different auth schemes are named `{}`; name one apart with `.named(\"...\")`",
                    scheme.name()
                ));
            }
        }
        if let Some(definition) = route.definition() {
            let theirs = describe(
                &definition,
                &mut generator,
                problem_body.as_ref(),
                &mut false,
                &mut Vec::new(),
                &|_| true,
                false,
            );
            check_definition(route, &op, &definition, &theirs, &mut errors);
            // The definition's prose stands for a handler that has none of its own.
            if op.summary.is_none() && op.description.is_none() {
                op.summary = theirs.summary;
                op.description = theirs.description;
            }
        }
        let method = route.method().as_str().to_ascii_lowercase();
        let here = format!("{} {}", route.method(), route.path());
        for name in generator.definitions().keys() {
            if introduced_by.iter().any(|(n, _)| n == name) {
                continue;
            }
            if let Some((first, first_route)) = collision_base(name, &introduced_by) {
                tracing::warn!(
                    "two types are named `{first}` in the OpenAPI document: the one used by \
                     `{here}` is called `{name}` there (the first, used by `{first_route}`, keeps \
                     `{first}`); name them apart with `#[schemars(rename = \"...\")]`, for a \
                     generic type `#[schemars(rename = \"{first}_for_{{T}}\")]`"
                );
            }
            introduced_by.push((name.clone(), here.clone()));
        }
        paths
            .entry(route.path(), Ordered::default)
            .insert(&method, op);
    }
    let mut schemas = generator.take_definitions(true);
    schemas.values_mut().for_each(normalize);
    if uses_problem {
        for name in [problem_schema::PROBLEM, problem_schema::FIELD_ERROR] {
            if schemas.contains_key(name) {
                errors.push(format!(
                    "a schema named `{name}` clashes with the framework's own `{name}` schema; \
                     rename the type's schema with `#[schemars(rename = \"...\")]`"
                ));
            }
        }
        problem_schema::add(&mut schemas);
    }
    let doc = Document {
        openapi: "3.1.0",
        info: Info {
            title: info.title.to_owned(),
            version: info.version.to_owned(),
            description: info.description.map(str::to_owned),
            terms_of_service: info.meta.terms_of_service.clone(),
            contact: info.meta.contact.clone(),
            license: info.meta.license.clone(),
        },
        servers: info.meta.servers.clone(),
        tags: info.meta.tags.clone(),
        external_docs: info.meta.external_docs.clone(),
        paths,
        components: Components {
            schemas,
            security_schemes: Ordered(
                security_schemes
                    .0
                    .into_iter()
                    .map(|(name, (_, json))| (name, json))
                    .collect(),
            ),
        },
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut out = serde_json::to_vec_pretty(&doc).expect("the document always serializes");
    out.push(b'\n');
    Ok(Bytes::from(out))
}

/// The name and first route of the component `name` collides with, when `name` has the shape
/// schemars gives a second type of an already-used name: that name plus a number from 2.
fn collision_base<'a>(name: &str, known: &'a [(String, String)]) -> Option<(&'a str, &'a str)> {
    let base = name.trim_end_matches(|c: char| c.is_ascii_digit());
    let suffix = &name[base.len()..];
    if base.is_empty() || suffix.is_empty() || suffix.starts_with('0') || suffix == "1" {
        return None;
    }
    known
        .iter()
        .find(|(n, _)| n == base)
        .map(|(n, r)| (n.as_str(), r.as_str()))
}

/// `route`'s operation: what its generated `describe` says, plus the framework's own answers.
fn describe(
    route: &Route,
    generator: &mut SchemaGenerator,
    problem_body: Option<&ProblemBody>,
    uses_problem: &mut bool,
    errors: &mut Vec<String>,
    has_state: &dyn Fn(TypeId) -> bool,
    throttle_fails_closed: bool,
) -> model::Operation {
    let mut doc = OperationDoc::new(generator, problem_body);
    doc.error_filter = route.errors().map(|listed| (listed, Vec::new()));
    route.describe(&mut doc);
    if let Some((listed, met)) = doc.error_filter.take() {
        for status in listed {
            if !met.contains(status) {
                doc.errors.push(format!(
                    "`errors = [..]` lists {status}, which no error type of the handler declares"
                ));
            }
        }
    }
    let scheme = route.auth().scheme();
    for e in doc.errors.drain(..) {
        errors.push(format!("`{} {}`: {e}", route.method(), route.path()));
    }
    let mut needed = std::mem::take(&mut doc.states);
    for (overridden, states) in doc.unless_overridden.drain(..) {
        if !has_state(overridden) {
            needed.extend(states);
        }
    }
    for (id, name) in needed {
        if !has_state(id) {
            errors.push(format!(
                "`{} {}` takes `State<{name}>` (itself or through a dependency) but the API has no `{name}`: register one with `.state(...)`",
                route.method(),
                route.path()
            ));
        }
    }
    if let Some((id, name)) = doc.identity {
        let here = format!("`{} {}`", route.method(), route.path());
        match scheme {
            None => errors.push(format!(
                "{here} takes `Auth<{name}>` but no auth scheme covers it; set one on the route, its router or the API"
            )),
            Some(s) if s.identity().0 != id => errors.push(format!(
                "{here} takes `Auth<{name}>` but its auth scheme `{}` gives a `{}`",
                s.name(),
                s.identity().1
            )),
            Some(_) => {}
        }
    }
    if doc.responses.is_empty() {
        doc.response("default", "The handler's response", None);
    }
    let mut security = Vec::new();
    if let Some(s) = scheme {
        doc.problem_response("401", "Not authenticated");
        // One requirement per alternative: OpenAPI reads the list as "any of these".
        for alt in s.alternatives() {
            let mut requirement = Ordered::default();
            requirement.insert(alt.name(), []);
            security.push(requirement);
        }
    }
    if doc.body.is_some() {
        doc.problem_response("400", "The body is not well-formed");
        doc.problem_response("413", "The body is larger than the limit");
        doc.problem_response("415", "The body's `Content-Type` is not accepted");
    }
    if !doc.params.is_empty() || doc.body.is_some() {
        doc.problem_response(
            "422",
            "Validation error: `errors` lists every failing input",
        );
    }
    let throttled = !route.throttle_setting().throttles().is_empty();
    if throttled {
        doc.problem_response(
            "429",
            "Too many requests: a throttle's limit is used up; retry after `Retry-After` seconds",
        );
        if throttle_fails_closed {
            doc.problem_response("503", "The rate-limit store is unavailable");
        }
    }
    *uses_problem |= doc.uses_problem;
    let mut responses = doc.responses;
    if throttled {
        document_rate_limit_headers(&mut responses);
    }
    if let Some(declared) = route.content_type() {
        // The declared media type replaces the body's own on every success with a body.
        for (status, response) in &mut responses.0 {
            if status.starts_with('2') {
                for (media, _) in &mut response.content.0 {
                    declared.clone_into(media);
                }
                response.content.0.truncate(1);
            }
        }
    }
    responses
        .0
        .sort_by_key(|(status, _)| response_order(status));
    let op = route.operation();
    model::Operation {
        tags: route.tags().iter().map(|t| t.to_string()).collect(),
        summary: op.summary().map(str::to_owned),
        description: op.description().map(str::to_owned),
        operation_id: op.operation_id().to_owned(),
        parameters: doc.params,
        request_body: doc.body,
        responses,
        extra: route.openapi_extra(),
        deprecated: op.deprecated(),
        security,
    }
}

/// The IETF draft's `RateLimit`/`RateLimit-Policy` on every answer of a throttled
/// operation that passed its throttles or was refused by one, and `Retry-After` on the 429.
fn document_rate_limit_headers(responses: &mut Ordered<model::Response>) {
    let string = || serde_json::json!({"type": "string"});
    for (status, response) in &mut responses.0 {
        if !(status.starts_with('2') || status == "429") {
            continue;
        }
        response.headers.insert(
            "RateLimit-Policy",
            serde_json::json!({
                "description": "Each rate of the route's throttles: `\"name:rate\";q=<quota>;w=<window seconds>` (IETF draft)",
                "schema": string(),
            }),
        );
        response.headers.insert(
            "RateLimit",
            serde_json::json!({
                "description": "What is left of each rate: `\"name:rate\";r=<remaining>;t=<seconds until the quota is full>` (IETF draft)",
                "schema": string(),
            }),
        );
        if status == "429" {
            response.headers.insert(
                "Retry-After",
                serde_json::json!({
                    "description": "Seconds until the request would be let through",
                    "required": true,
                    "schema": {"type": "integer", "minimum": 1},
                }),
            );
        }
    }
}

/// Statuses in numeric order (`2XX` after `299`), `default` last.
fn response_order(status: &str) -> u32 {
    let bytes = status.as_bytes();
    match status.parse::<u32>() {
        Ok(n) => n * 10,
        Err(_) if bytes.len() == 3 && bytes[1..].eq_ignore_ascii_case(b"xx") => {
            u32::from(bytes[0].wrapping_sub(b'0')) * 1000 + 999
        }
        Err(_) => u32::MAX,
    }
}

#[cfg(test)]
mod tests {
    use super::collision_base;

    #[test]
    fn collision_names() {
        let known = vec![("Item".to_owned(), "GET /a".to_owned())];
        assert_eq!(collision_base("Item2", &known), Some(("Item", "GET /a")));
        assert_eq!(collision_base("Item12", &known), Some(("Item", "GET /a")));
        assert_eq!(collision_base("Item", &known), None);
        assert_eq!(collision_base("Item1", &known), None);
        assert_eq!(collision_base("Other2", &known), None);
    }
}
