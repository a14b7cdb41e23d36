//! The schemas of the framework's own error bodies, shared by every operation.

use serde_json::{Map, Value, json};

/// The component name of the problem-details schema.
pub(crate) const PROBLEM: &str = "ProblemDetails";
/// The component name of one entry of a validation problem's `errors`.
pub(crate) const FIELD_ERROR: &str = "FieldError";

/// A `$ref` to the problem-details schema.
pub(crate) fn problem_ref() -> Value {
    json!({ "$ref": format!("#/components/schemas/{PROBLEM}") })
}

/// Adds the two schemas; `document` has checked that no user schema has their names.
pub(crate) fn add(schemas: &mut Map<String, Value>) {
    schemas.insert(
        PROBLEM.to_owned(),
        json!({
            "description": "An RFC 9457 problem details object; every error the framework answers has this shape.",
            "type": "object",
            "properties": {
                "type": {"type": "string", "description": "A URI naming the problem type; `about:blank` means see `title`."},
                "title": {"type": "string", "description": "A short summary of the problem type."},
                "status": {"type": "integer", "description": "The HTTP status code.", "minimum": 100, "maximum": 599},
                "detail": {"type": "string", "description": "What went wrong with this request."},
                "code": {"type": "string", "description": "Which of the operation's declared errors this is (a variant of its error type), when it is one; the variant's fields travel as members of their own."},
                "errors": {
                    "type": "array",
                    "description": "Every failing input, for validation problems (422).",
                    "items": {"$ref": format!("#/components/schemas/{FIELD_ERROR}")}
                }
            },
            "required": ["type", "title", "status"]
        }),
    );
    schemas.insert(
        FIELD_ERROR.to_owned(),
        json!({
            "description": "One failing input: where, why, and a stable machine-readable type.",
            "type": "object",
            "properties": {
                "loc": {
                    "type": "array",
                    "description": "The source (`path`, `query`, `header`, `body`), then the path inside it.",
                    "items": {"anyOf": [{"type": "string"}, {"type": "integer", "minimum": 0}]}
                },
                "msg": {"type": "string"},
                "type": {"type": "string", "description": "`missing`, `invalid`, `invalid_type`, `invalid_value`..."}
            },
            "required": ["loc", "msg", "type"]
        }),
    );
}
