//! Validation: constraints written once, enforced here and shown in the document.
//!
//! - A `Json<T>`, `Form<T>` or `Query<T>` whose `T: garde::Validate` is validated right after
//!   it is decoded; every violation becomes a 422 `errors` entry whose `loc` continues into
//!   the value (`["body", "items", 2, "name"]`). schemars reads the same `#[garde(...)]`
//!   attributes into the schema.
//! - A bare parameter takes the same rules on its attribute:
//!   `#[param(range(min = 1, max = 100), length(max = 20), pattern = "^[a-z]+$", email, url)]`.
//!
//! The route macros find out whether an argument holds a `garde::Validate` value with autoref
//! specialization on the concrete type ([`Validates`]), so types without it need nothing.

use std::marker::PhantomData;

use serde_json::Value;

use crate::arg::Arg;
use crate::openapi::OperationDoc;
use crate::problem::{FieldError, LocPart, Problem};

/// A checker of a decoded value: `Some` when the type is `garde::Validate`.
pub type Validator<T> = Option<fn(&T) -> Result<(), garde::Report>>;

/// Asks, at the macro's call site, whether argument type `T` holds a value garde validates
/// (a [`Validatable`] whose value is `garde::Validate`): decided on the type, not on how
/// the handler spells it.
#[derive(Debug)]
pub struct Validates<T>(PhantomData<T>);

impl<T> Validates<T> {
    /// The probe for `T`.
    #[must_use]
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        Self(PhantomData)
    }
}

/// Chosen when `T` holds a `garde::Validate` value: the check validates it.
pub trait ViaValidatable<T> {
    /// The argument's check.
    fn check(&self) -> fn(T) -> Result<T, Problem>;
}

fn validate_value<I: garde::Validate>(v: &I) -> Result<(), garde::Report>
where
    I::Context: Default,
{
    v.validate()
}

impl<T: Validatable> ViaValidatable<T> for &Validates<T>
where
    T::Inner: garde::Validate,
    <T::Inner as garde::Validate>::Context: Default,
{
    fn check(&self) -> fn(T) -> Result<T, Problem> {
        |w| check(w, Some(validate_value::<T::Inner>))
    }
}

/// Chosen otherwise: the check passes the value on.
pub trait ViaUnchecked<T> {
    /// The argument's check.
    fn check(&self) -> fn(T) -> Result<T, Problem>;
}

impl<T> ViaUnchecked<T> for Validates<T> {
    fn check(&self) -> fn(T) -> Result<T, Problem> {
        Ok
    }
}

/// An extractor holding a value that may be validated: where it came from and the value.
pub trait Validatable {
    /// The decoded value.
    type Inner;
    /// The `loc` source: `"body"` or `"query"`.
    const SOURCE: &'static str;
    /// The value.
    fn inner(&self) -> &Self::Inner;
}

/// Runs `validator` (if any) on `w`'s value; every violation is one `errors` entry.
pub fn check<W: Validatable>(w: W, validator: Validator<W::Inner>) -> Result<W, Problem> {
    let Some(validator) = validator else {
        return Ok(w);
    };
    match validator(w.inner()) {
        Ok(()) => Ok(w),
        Err(report) => Err(Problem::validation(
            report
                .iter()
                .map(|(path, e)| {
                    let mut loc: Vec<LocPart> = vec![W::SOURCE.into()];
                    loc.extend(path_parts(path));
                    FieldError::new(loc, "constraint", e.message())
                })
                .collect(),
        )),
    }
}

/// A garde path as `loc` parts, through garde's own serialized form: `[[kind, component]...]`.
fn path_parts(path: &garde::error::Path) -> Vec<LocPart> {
    let Ok(Value::Array(components)) = serde_json::to_value(path) else {
        return Vec::new();
    };
    components
        .iter()
        .filter_map(|c| {
            match (
                c.get(0).and_then(Value::as_str),
                c.get(1).and_then(Value::as_str),
            ) {
                (Some("index"), Some(i)) => i.parse::<usize>().ok().map(LocPart::Index),
                (Some("key"), Some(k)) => Some(LocPart::from(k.to_owned())),
                _ => None,
            }
        })
        .collect()
}

/// Turns a failed parameter rule into a 422 at `[source, name]`.
pub fn rule(
    source: &'static str,
    arg: &Arg,
    result: Result<(), garde::Error>,
) -> Result<(), Problem> {
    result.map_err(|e| {
        Problem::validation(vec![FieldError::new(
            vec![source.into(), arg.name().into()],
            "constraint",
            e.message(),
        )])
    })
}

/// What `#[param(length(..))]` counts: the characters of a text (the unit of JSON Schema's
/// `minLength`/`maxLength`; garde's own `length` counts bytes), the items of a list.
pub trait Counted {
    /// The count, or `None` for an absent optional value (not checked).
    fn count(&self) -> Option<usize>;
}

impl Counted for String {
    fn count(&self) -> Option<usize> {
        Some(self.chars().count())
    }
}

impl<T> Counted for Vec<T> {
    fn count(&self) -> Option<usize> {
        Some(self.len())
    }
}

impl<T: Counted> Counted for Option<T> {
    fn count(&self) -> Option<usize> {
        self.as_ref().and_then(Counted::count)
    }
}

/// The `length` rule of a parameter.
pub fn length<T: Counted>(v: &T, min: usize, max: usize) -> Result<(), garde::Error> {
    match v.count() {
        Some(n) if n < min => Err(garde::Error::new(format!("length is lower than {min}"))),
        Some(n) if n > max => Err(garde::Error::new(format!("length is greater than {max}"))),
        _ => Ok(()),
    }
}

/// A parameter rule, as the document shows it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Rule {
    /// `range(min = .., max = ..)` → `minimum`/`maximum`.
    Range(Option<Value>, Option<Value>),
    /// `length(min = .., max = ..)` → `minLength`/`maxLength` (or `minItems`/`maxItems`).
    Length(Option<usize>, Option<usize>),
    /// `pattern = ".."` → `pattern`.
    Pattern(&'static str),
    /// `email` → `format: email`.
    Email,
    /// `url` → `format: uri`.
    Url,
}

/// What the document can say of a type the macros know only by name (autoref probes): a
/// parameter default's or an error field's JSON, `(&&DefaultDoc::<T>::new()).value(&v)`,
/// `Some` exactly when `T: Serialize`; an error field's schema, `.schema(op)` (below).
#[doc(hidden)]
#[derive(Debug)]
pub struct DefaultDoc<T>(std::marker::PhantomData<T>);

impl<T> DefaultDoc<T> {
    #[must_use]
    pub fn new() -> Self {
        Self(std::marker::PhantomData)
    }
}

impl<T> Default for DefaultDoc<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// [`DefaultDoc`] for a `Serialize` type: its JSON.
#[doc(hidden)]
pub trait ViaSerialize<T> {
    fn value(&self, v: &T) -> Option<Value>;
}

impl<T: serde::Serialize> ViaSerialize<T> for &DefaultDoc<T> {
    fn value(&self, v: &T) -> Option<Value> {
        serde_json::to_value(v).ok()
    }
}

/// [`DefaultDoc`] for any other type: nothing to say.
#[doc(hidden)]
pub trait ViaOpaque<T> {
    fn value(&self, _: &T) -> Option<Value> {
        None
    }
}

impl<T> ViaOpaque<T> for DefaultDoc<T> {}

/// [`DefaultDoc`] asked for the schema of an error variant's field:
/// `(&&DefaultDoc::<T>::new()).schema(op)` is `Some` exactly when `T: Serialize +
/// JsonSchema` (a field that does not serialize is not sent).
#[doc(hidden)]
pub trait ViaSchema<T> {
    fn schema(&self, op: &mut crate::openapi::OperationDoc<'_>) -> Option<Value>;
}

impl<T: serde::Serialize + schemars::JsonSchema> ViaSchema<T> for &DefaultDoc<T> {
    fn schema(&self, op: &mut crate::openapi::OperationDoc<'_>) -> Option<Value> {
        Some(op.schema_for::<T>())
    }
}

/// [`DefaultDoc`]'s schema for any other type: not documented.
#[doc(hidden)]
pub trait ViaNoSchema<T> {
    fn schema(&self, _: &mut crate::openapi::OperationDoc<'_>) -> Option<Value> {
        None
    }
}

impl<T> ViaNoSchema<T> for DefaultDoc<T> {}

/// A bound as JSON, for [`Rule::Range`].
pub fn json<T: serde::Serialize>(v: &T) -> Option<Value> {
    serde_json::to_value(v).ok()
}

/// Writes `rule` into `schema`.
pub(crate) fn document(schema: &mut Value, rule: &Rule) {
    let Some(obj) = schema.as_object_mut() else {
        return;
    };
    let is_array = obj.get("type").and_then(Value::as_str) == Some("array");
    let mut set = |k: &str, v: Option<Value>| {
        if let Some(v) = v {
            obj.insert(k.to_owned(), v);
        }
    };
    match rule {
        Rule::Range(min, max) => {
            set("minimum", min.clone());
            set("maximum", max.clone());
        }
        Rule::Length(min, max) => {
            let (lo, hi) = if is_array {
                ("minItems", "maxItems")
            } else {
                ("minLength", "maxLength")
            };
            set(lo, min.map(Value::from));
            set(hi, max.map(Value::from));
        }
        Rule::Pattern(p) => set("pattern", Some(Value::from(*p))),
        Rule::Email => set("format", Some(Value::from("email"))),
        Rule::Url => set("format", Some(Value::from("uri"))),
    }
}

/// Rules are documented where they are defined.
impl OperationDoc<'_> {
    /// Documents `rule` on the parameter `arg` added last.
    pub fn constrain(&mut self, arg: &Arg, rule: &Rule) {
        if let Some(p) = self.param_of(arg) {
            document(&mut p.schema, rule);
        }
    }
}
