//! One operation's description, assembled from its arguments and return type.

use std::any::TypeId;

use http::StatusCode;
use schemars::JsonSchema;
use schemars::generate::SchemaGenerator;
use serde_json::Value;

use super::model::{MediaType, Ordered, ParamIn, Parameter, RequestBody, Response};
use super::problem_schema::problem_ref;
use super::strip_null;
use crate::arg::Arg;
use crate::problem::PROBLEM_JSON;

/// What one operation's arguments and return type say of it, gathered for the document.
///
/// Implementors of [`FromRequestParts`](crate::FromRequestParts),
/// [`FromBody`](crate::FromBody) and [`IntoResponse`](crate::IntoResponse) describe
/// themselves through this in their `describe` functions.
#[derive(Debug)]
pub struct OperationDoc<'g> {
    pub(crate) generator: &'g mut SchemaGenerator,
    pub(crate) params: Vec<Parameter>,
    pub(crate) body: Option<RequestBody>,
    pub(crate) responses: Ordered<Response>,
    /// The status a success response is documented under (`Created<T>` makes it 201).
    pub(crate) success: &'static str,
    pub(crate) uses_problem: bool,
    /// The body problems are answered with, when an error handler reshapes them.
    pub(crate) problem_body: Option<&'g ProblemBody>,
    /// The identity an `Auth<T>` argument needs: its type id and name.
    pub(crate) identity: Option<(TypeId, &'static str)>,
    /// Misconfigurations found while describing (an invalid `pattern`): build errors.
    pub(crate) errors: Vec<String>,
    /// The states its arguments (and their dependencies) take: type id and name.
    pub(crate) states: Vec<(TypeId, &'static str)>,
    /// The dependencies described so far (each documents its inputs once).
    pub(crate) dependencies: Vec<TypeId>,
    /// The dependencies being described, innermost last: a cycle is a build error.
    pub(crate) resolving: Vec<(TypeId, &'static str)>,
    /// States dependencies need, with the override that makes them unneeded.
    pub(crate) unless_overridden: Vec<(TypeId, Vec<(TypeId, &'static str)>)>,
    /// `errors = [..]` on the route: the error-type statuses documented, and those met.
    pub(crate) error_filter: Option<(&'static [u16], Vec<u16>)>,
}

/// One variant of an error type for the document: its status, `code`, and the members its
/// fields travel as, with their schemas (`None` for a type without one).
#[doc(hidden)]
pub type ErrorVariant<'a> = (u16, &'a str, Vec<(&'a str, Option<Value>)>);

/// What an API's error handler answers problems with: a media type and schema, or nothing
/// known (a raw `Response`).
pub(crate) type ProblemBody = Option<(String, Value)>;

/// Describes the error handler's return type in a scratch operation, keeping its body.
pub(crate) fn problem_body(
    describe: fn(&mut OperationDoc<'_>),
    generator: &mut SchemaGenerator,
) -> ProblemBody {
    let mut doc = OperationDoc::new(generator, None);
    describe(&mut doc);
    let (_, response) = doc.responses.0.into_iter().next()?;
    response
        .content
        .0
        .into_iter()
        .next()
        .map(|(m, t)| (m, t.schema))
}

impl<'g> OperationDoc<'g> {
    pub(crate) fn new(
        generator: &'g mut SchemaGenerator,
        problem_body: Option<&'g ProblemBody>,
    ) -> Self {
        Self {
            generator,
            params: Vec::new(),
            body: None,
            responses: Ordered::default(),
            success: "200",
            uses_problem: false,
            problem_body,
            identity: None,
            errors: Vec::new(),
            states: Vec::new(),
            dependencies: Vec::new(),
            resolving: Vec::new(),
            unless_overridden: Vec::new(),
            error_filter: None,
        }
    }

    /// Whether an error type's `status` is documented on this operation: always, unless the
    /// route lists its statuses (`errors = [..]`).
    #[doc(hidden)]
    pub fn documents_error(&mut self, status: u16) -> bool {
        match &mut self.error_filter {
            None => true,
            Some((listed, met)) => {
                met.push(status);
                listed.contains(&status)
            }
        }
    }

    /// Records that an argument takes the state of type `id`: `build()` fails without it.
    pub fn requires_state(&mut self, id: TypeId, name: &'static str) {
        if !self.states.iter().any(|(s, _)| *s == id) {
            self.states.push((id, name));
        }
    }

    /// Describes a dependency's inputs (with `describe`), the first time it is met. The
    /// states it needs are needed only when no override (of type id `overridden`) stands in
    /// for it.
    #[doc(hidden)]
    pub fn dependency(
        &mut self,
        id: TypeId,
        overridden: TypeId,
        name: &'static str,
        describe: fn(&mut OperationDoc<'_>),
    ) {
        if self.resolving.iter().any(|(r, _)| *r == id) {
            let names: Vec<&str> = self.resolving.iter().map(|(_, n)| *n).collect();
            let cycle = names.join(" → ");
            self.errors
                .push(format!("the dependencies form a cycle: {cycle} → {name}"));
            return;
        }
        if self.dependencies.contains(&id) {
            return;
        }
        self.dependencies.push(id);
        self.resolving.push((id, name));
        let before = self.states.len();
        describe(self);
        let needed = self.states.split_off(before);
        self.unless_overridden.push((overridden, needed));
        self.resolving.pop();
    }

    /// Reports a misconfiguration of this operation (say, a `pattern` that is not a regex):
    /// the API then fails to build, with this among its errors.
    #[doc(hidden)]
    pub fn misconfigured(&mut self, message: String) {
        self.errors.push(message);
    }

    /// Records that the handler takes the authenticated identity of type `id`.
    pub fn requires_identity(&mut self, id: TypeId, name: &'static str) {
        self.identity = Some((id, name));
    }

    /// `T`'s schema: a `$ref` into `components.schemas` for named types, inline otherwise.
    pub fn schema_for<T: JsonSchema + ?Sized>(&mut self) -> Value {
        let mut schema = self.generator.subschema_for::<T>().to_value();
        super::normalize(&mut schema);
        schema
    }

    /// `T`'s schema as the fields of a form (urlencoded or multipart): inline, with `null`
    /// taken out of each field's type, and no fields but `T`'s. A form has no null: an
    /// `Option` field is left out, which its absence from `required` already says (a client
    /// sending `null` as text would be refused). Other fields are ignored by the server, so
    /// the document does not invite them.
    pub fn form_schema_for<T: JsonSchema + ?Sized>(&mut self) -> Value {
        let mut schema = self.inline_schema_for::<T>();
        if let Some(Value::Object(props)) = schema.get_mut("properties") {
            props.values_mut().for_each(super::without_null);
        }
        if let Value::Object(obj) = &mut schema
            && obj.contains_key("properties")
        {
            obj.entry("additionalProperties")
                .or_insert(Value::Bool(false));
        }
        schema
    }

    /// `T`'s own schema, inline (an object's properties are still refs).
    pub fn inline_schema_for<T: JsonSchema + ?Sized>(&mut self) -> Value {
        let mut schema = T::json_schema(self.generator).to_value();
        super::normalize(&mut schema);
        schema
    }

    /// Adds a parameter.
    pub fn parameter(
        &mut self,
        location: ParamIn,
        name: &str,
        required: bool,
        mut schema: Value,
        description: Option<&str>,
    ) {
        if !required {
            strip_null(&mut schema);
        }
        // A parameter's description belongs on the parameter, not inside its schema.
        let from_schema = schema
            .as_object_mut()
            .and_then(|o| o.remove("description"))
            .and_then(|d| d.as_str().map(str::to_owned));
        self.params.push(Parameter {
            name: name.to_owned(),
            location,
            description: description.map(str::to_owned).or(from_schema),
            required: required || location == ParamIn::Path,
            deprecated: false,
            schema,
            example: None,
        });
    }

    /// Adds every property of the object schema of `T` as a parameter (`Query<T>`).
    pub fn flattened_parameters<T: JsonSchema>(&mut self, location: ParamIn, arg: &Arg) {
        let schema = self.inline_schema_for::<T>();
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        match schema.get("properties").and_then(Value::as_object) {
            Some(props) => {
                for (name, prop) in props {
                    let req = required.contains(&name.as_str());
                    self.parameter(location, name, req, prop.clone(), None);
                }
            }
            // Not a plain struct (a map, a flattened enum): one free-form parameter.
            None => self.parameter(
                location,
                arg.name(),
                false,
                schema.clone(),
                arg.description(),
            ),
        }
    }

    /// The last parameter `arg` added, if any.
    pub(crate) fn param_of(&mut self, arg: &Arg) -> Option<&mut Parameter> {
        let names = [arg.name(), arg.header_name()];
        self.params
            .iter_mut()
            .rev()
            .find(|p| names.contains(&p.name.as_str()))
    }

    /// Sets the parameter's `example` (`#[param(example = ..)]`).
    #[doc(hidden)]
    pub fn param_example(&mut self, arg: &Arg, example: Option<Value>) {
        if let Some(p) = self.param_of(arg) {
            p.example = example;
        }
    }

    /// Marks the parameter deprecated (`#[param(deprecated)]`).
    #[doc(hidden)]
    pub fn param_deprecated(&mut self, arg: &Arg) {
        if let Some(p) = self.param_of(arg) {
            p.deprecated = true;
        }
    }

    /// Writes the parameter's `default` (`#[param(default = ..)]`) into its schema.
    #[doc(hidden)]
    pub fn param_default(&mut self, arg: &Arg, default: Option<Value>) {
        if let (Some(p), Some(default)) = (self.param_of(arg), default)
            && let Some(obj) = p.schema.as_object_mut()
        {
            obj.insert("default".to_owned(), default);
        }
    }

    /// Sets the request body: required, with one media type.
    pub fn request_body(&mut self, media_type: &str, schema: Value) {
        if self.body.is_some() {
            self.misconfigured(
                "two arguments read the request body; a request has one body: combine them into one type"
                    .to_owned(),
            );
        }
        let mut content = Ordered::default();
        content.insert(media_type, MediaType { schema });
        self.body = Some(RequestBody {
            required: true,
            content,
        });
    }

    /// Adds a response under `status` (`"200"`, `"2XX"`, `"default"`...), with a body of
    /// `media_type` and `schema` when given. A second body for one status adds a media type.
    pub fn response(&mut self, status: &str, description: &str, body: Option<(&str, Value)>) {
        let r = self.responses.entry(status, || Response {
            description: description.to_owned(),
            headers: Ordered::default(),
            content: Ordered::default(),
        });
        if let Some((media_type, schema)) = body {
            r.content.insert(media_type, MediaType { schema });
        }
    }

    /// Adds the success response, under the status in force (200 unless a wrapper such as
    /// `Created<T>` changed it).
    pub fn success(&mut self, body: Option<(&str, Value)>) {
        let status = self.success;
        let description = reason(status).unwrap_or("Success");
        self.response(status, description, body);
    }

    /// Runs `f` (a body's description), then documents `header` on every success response
    /// it added: a typed response header around a body.
    pub fn with_response_header(
        &mut self,
        name: &str,
        description: &str,
        schema: Value,
        f: impl FnOnce(&mut Self),
    ) {
        let before: Vec<String> = self.responses.0.iter().map(|(k, _)| k.clone()).collect();
        f(self);
        for (status, response) in &mut self.responses.0 {
            if status.starts_with('2') && !before.contains(status) {
                response.headers.insert(
                    name,
                    serde_json::json!({ "description": description, "schema": schema }),
                );
            }
        }
    }

    /// Runs `f` with success responses documented under `status` (`"201"`, `"2XX"`...).
    pub fn with_success_status(&mut self, status: &'static str, f: impl FnOnce(&mut Self)) {
        let before = std::mem::replace(&mut self.success, status);
        f(self);
        self.success = before;
    }

    /// Adds a problem-details (`application/problem+json`) response under `status`.
    ///
    /// When the API's error handler reshapes problems, the body is what it answers with.
    pub fn problem_response(&mut self, status: &str, description: &str) {
        match self.problem_body {
            None => {
                self.uses_problem = true;
                // A problem schema there already says at least as much (an error type's
                // variants narrow it; every problem still fits).
                if self.problem_schema_mut(status).is_some() {
                    self.response(status, description, None);
                } else {
                    self.response(status, description, Some((PROBLEM_JSON, problem_ref())));
                }
            }
            Some(Some((media, schema))) => {
                self.response(status, description, Some((media, schema.clone())));
            }
            Some(None) => self.response(status, description, None),
        }
    }

    /// Narrows the problems of the error type `name` for the document: its variants (status,
    /// `code`, and the members their fields travel as, by schema) become the component
    /// schema `{name}Problem`, a JSON Schema `if`/`then` per variant (when `code` is the variant's,
    /// the status is its own and the members are there), and the problem answered with each
    /// of `statuses` is the problem's schema and that one. A problem with another code, or
    /// none (the framework's own at that status), still fits. Nothing changes when an error
    /// handler reshapes problems.
    #[doc(hidden)]
    pub fn error_variants(
        &mut self,
        name: &str,
        statuses: &[&str],
        variants: Vec<ErrorVariant<'_>>,
    ) {
        // Reshaped by an error handler, or no status of it documented here (`errors = [..]`):
        // nothing to narrow.
        if self.problem_body.is_some() || statuses.is_empty() {
            return;
        }
        let clauses: Vec<Value> = variants
            .into_iter()
            .map(|(status, code, members)| {
                // Members whose type has no schema are sent but not promised.
                let members: Vec<(&str, Value)> = members
                    .into_iter()
                    .filter_map(|(m, schema)| Some((m, schema?)))
                    .collect();
                let required: Vec<&str> = members.iter().map(|(m, _)| *m).collect();
                let mut properties = serde_json::Map::new();
                properties.insert("status".into(), serde_json::json!({ "const": status }));
                properties.extend(members.into_iter().map(|(m, v)| (m.to_owned(), v)));
                let mut then = serde_json::json!({ "properties": properties });
                if !required.is_empty() {
                    then["required"] = required.into();
                }
                serde_json::json!({
                    "if": { "properties": { "code": { "const": code } }, "required": ["code"] },
                    "then": then,
                })
            })
            .collect();
        let schema = serde_json::json!({
            "title": name,
            "description": format!("The problems `{name}` answers with: `code` names the variant, and its fields are members beside it."),
            "allOf": clauses,
        });
        // Named apart from the schemas schemars names after types (`ShopErrorProblem`: a
        // type `ShopError` with a schema would replace it); another error type of the same
        // name with other variants gets a number.
        let definitions = self.generator.definitions_mut();
        let mut key = format!("{name}Problem");
        let mut n = 1;
        while definitions.get(&key).is_some_and(|d| *d != schema) {
            n += 1;
            key = format!("{name}Problem{n}");
        }
        definitions.insert(key.clone(), schema);
        let narrowed = serde_json::json!({ "$ref": format!("#/components/schemas/{key}") });
        for status in statuses {
            if let Some(schema) = self.problem_schema_mut(status) {
                narrow(schema, &narrowed);
            }
        }
    }

    /// The `application/problem+json` schema of the response documented under `status`.
    fn problem_schema_mut(&mut self, status: &str) -> Option<&mut Value> {
        let (_, response) = self.responses.0.iter_mut().find(|(s, _)| s == status)?;
        let (_, media) = response
            .content
            .0
            .iter_mut()
            .find(|(m, _)| m == PROBLEM_JSON)?;
        Some(&mut media.schema)
    }
}

/// Narrows a problem schema by an error type's: the problem's and `by` (`allOf`), or, when
/// another error type narrowed it already, the problem's and either (`anyOf`).
fn narrow(schema: &mut Value, by: &Value) {
    if *schema == problem_ref() {
        *schema = serde_json::json!({ "allOf": [problem_ref(), by] });
        return;
    }
    let Some(Value::Array(all)) = schema.get_mut("allOf") else {
        return;
    };
    let Some(last) = all.last_mut() else { return };
    if last == by
        || last
            .get("anyOf")
            .and_then(Value::as_array)
            .is_some_and(|a| a.contains(by))
    {
        return;
    }
    match last.get_mut("anyOf").and_then(Value::as_array_mut) {
        Some(any) => any.push(by.clone()),
        None => *last = serde_json::json!({ "anyOf": [last.clone(), by] }),
    }
}

/// The reason phrase of a status written as in the document (`"404"`), if it has one.
pub(crate) fn reason(status: &str) -> Option<&'static str> {
    StatusCode::from_bytes(status.as_bytes())
        .ok()?
        .canonical_reason()
}
