//! The text values of parameters, deserialized: [`ParamDe`] over the values of one
//! parameter, [`NamedDe`] over values by name (query and form pairs, multipart parts), and
//! how a parameter's type decides whether it is documented as required.
//!
//! One path segment, the values of one query key, the values of one header: all are lists
//! of strings, and the target type decides how to read them: a scalar takes the last value
//! (and reports `missing` when there is none), `Option<T>` is `None` when there is none,
//! `Vec<T>` takes every value, a unit enum matches its serde name. So every parameter kind
//! shares one tested code path instead of a `FromStr` impl per type.

use std::fmt;

use schemars::JsonSchema;
use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, SeqAccess, Visitor};

use crate::arg::Arg;
use crate::openapi::{OperationDoc, ParamIn};
use crate::problem::Problem;

/// Why a parameter value did not deserialize; becomes one `FieldError`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParamError {
    pub(crate) kind: &'static str,
    pub(crate) msg: String,
    /// Set when a struct field is at fault (`Query<T>`), so `loc` can name it.
    pub(crate) field: Option<String>,
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.msg)
    }
}

impl std::error::Error for ParamError {}

impl de::Error for ParamError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Self::new("invalid", msg.to_string())
    }
    fn invalid_type(unexp: de::Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        Self::new("invalid_type", format!("expected {exp}, found {unexp}"))
    }
    fn invalid_value(unexp: de::Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        Self::new("invalid_value", format!("expected {exp}, found {unexp}"))
    }
    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        Self::new(
            "invalid_value",
            format!("`{variant}` is not one of {}", one_of(expected)),
        )
    }
    fn missing_field(field: &'static str) -> Self {
        let mut e = Self::missing();
        e.field = Some(field.to_owned());
        e
    }
}

fn one_of(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    quoted.join(", ")
}

impl ParamError {
    pub(crate) fn new(kind: &'static str, msg: String) -> Self {
        Self {
            kind,
            msg,
            field: None,
        }
    }
    pub(crate) fn missing() -> Self {
        Self::new("missing", "field required".to_owned())
    }
}

/// Deserializes from the values `I` yields, in order.
pub(crate) struct ParamDe<I: Iterator> {
    values: std::iter::Peekable<I>,
}

impl<'a, I> ParamDe<I>
where
    I: Iterator<Item = &'a str>,
{
    pub(crate) fn new(values: I) -> Self {
        Self {
            values: values.peekable(),
        }
    }

    /// The value a scalar reads: the last one given, as FastAPI does for a repeated key.
    fn scalar(self) -> Result<&'a str, ParamError> {
        self.values.last().ok_or_else(ParamError::missing)
    }
}

fn parse<T: std::str::FromStr>(s: &str, ty: &str) -> Result<T, ParamError>
where
    T::Err: fmt::Display,
{
    s.parse()
        .map_err(|e| ParamError::new("invalid", format!("`{s}` is not a valid {ty}: {e}")))
}

macro_rules! parse_scalar {
    ($($method:ident => $visit:ident($ty:ty),)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
            visitor.$visit(parse::<$ty>(self.scalar()?, stringify!($ty))?)
        }
    )*};
}

/// Parses the boolean spellings users of FastAPI and HTML forms expect.
fn parse_bool(s: &str) -> Result<bool, ParamError> {
    const TRUE: [&str; 4] = ["true", "1", "yes", "on"];
    const FALSE: [&str; 4] = ["false", "0", "no", "off"];
    if TRUE.iter().any(|t| t.eq_ignore_ascii_case(s)) {
        Ok(true)
    } else if FALSE.iter().any(|f| f.eq_ignore_ascii_case(s)) {
        Ok(false)
    } else {
        Err(ParamError::new(
            "invalid",
            format!("`{s}` is not a valid bool: use true/false, 1/0, yes/no or on/off"),
        ))
    }
}

impl<'de, 'a, I> de::Deserializer<'de> for ParamDe<I>
where
    I: Iterator<Item = &'a str>,
{
    type Error = ParamError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        visitor.visit_str(self.scalar()?)
    }

    parse_scalar! {
        deserialize_i8 => visit_i8(i8),
        deserialize_i16 => visit_i16(i16),
        deserialize_i32 => visit_i32(i32),
        deserialize_i64 => visit_i64(i64),
        deserialize_i128 => visit_i128(i128),
        deserialize_u8 => visit_u8(u8),
        deserialize_u16 => visit_u16(u16),
        deserialize_u32 => visit_u32(u32),
        deserialize_u64 => visit_u64(u64),
        deserialize_u128 => visit_u128(u128),
        deserialize_f32 => visit_f32(f32),
        deserialize_f64 => visit_f64(f64),
        deserialize_char => visit_char(char),
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        visitor.visit_bool(parse_bool(self.scalar()?)?)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        visitor.visit_str(self.scalar()?)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        visitor.visit_str(self.scalar()?)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        visitor.visit_bytes(self.scalar()?.as_bytes())
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, ParamError> {
        if self.values.peek().is_none() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, ParamError> {
        visitor.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, ParamError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        visitor.visit_seq(Seq {
            values: self.values,
            index: 0,
        })
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _: usize,
        visitor: V,
    ) -> Result<V::Value, ParamError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: usize,
        visitor: V,
    ) -> Result<V::Value, ParamError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, _: V) -> Result<V::Value, ParamError> {
        Err(ParamError::new(
            "invalid_type",
            "a single parameter cannot hold a map or struct; use `Query<T>` for a struct of query parameters".to_owned(),
        ))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ParamError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ParamError> {
        let de: de::value::StrDeserializer<'_, ParamError> = self.scalar()?.into_deserializer();
        visitor.visit_enum(de)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        visitor.visit_unit()
    }
}

impl<I: Iterator> fmt::Debug for ParamDe<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParamDe").finish_non_exhaustive()
    }
}

/// The elements of a `Vec<T>` parameter: one single-value deserializer per value.
struct Seq<I: Iterator> {
    values: std::iter::Peekable<I>,
    index: usize,
}

impl<'de, 'a, I> SeqAccess<'de> for Seq<I>
where
    I: Iterator<Item = &'a str>,
{
    type Error = ParamError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, ParamError> {
        let Some(v) = self.values.next() else {
            return Ok(None);
        };
        self.index += 1;
        seed.deserialize(ParamDe::new(std::iter::once(v)))
            .map(Some)
            .map_err(|mut e| {
                e.msg = format!("item {}: {}", self.index - 1, e.msg);
                e
            })
    }
}

/// Values by name, as a query string, a form and a multipart body give them: what the one
/// named-values deserializer ([`NamedDe`]) reads structs and maps from.
pub(crate) trait Named {
    /// A name as [`each_name`](Self::each_name) gives it (borrowed where the source allows).
    type Name: AsRef<str>;

    /// Every name as given, repeats included, in order (for maps and `flatten`).
    fn each_name(&self) -> impl Iterator<Item = Self::Name>;

    /// Deserializes `seed` from every value given for `name`.
    fn value<'de, S: DeserializeSeed<'de>>(
        &mut self,
        name: &str,
        seed: S,
    ) -> Result<S::Value, ParamError>;
}

/// Deserializes `T` from `source`; a failing field is a 422 at `[at, field]`.
pub(crate) fn deserialize_named<T: DeserializeOwned, S: Named>(
    source: S,
    at: &'static str,
) -> Result<T, Problem> {
    T::deserialize(NamedDe(source)).map_err(|mut e| {
        let mut loc = vec![at.into()];
        if let Some(field) = e.field.take() {
            loc.push(field.into());
        }
        super::invalid(loc, e)
    })
}

/// Deserializes a struct (each field reads the values of its name) or a map (every name)
/// from a [`Named`] source; a failing field's error knows its name.
pub(crate) struct NamedDe<S>(pub(crate) S);

impl<'de, S: Named> de::Deserializer<'de> for NamedDe<S> {
    type Error = ParamError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        // Every distinct name, in first-seen order.
        let mut keys: Vec<S::Name> = Vec::new();
        for name in self.0.each_name() {
            if !keys.iter().any(|k| k.as_ref() == name.as_ref()) {
                keys.push(name);
            }
        }
        visitor.visit_map(NamedFields {
            source: self.0,
            keys: keys.into_iter(),
            current: None,
        })
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ParamError> {
        // Walk the struct's own fields, so a missing `Option` is `None` and a missing `Vec`
        // is empty, and an error always knows its field.
        visitor.visit_map(NamedFields {
            source: self.0,
            keys: fields.iter().copied(),
            current: None,
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}

impl<S> fmt::Debug for NamedDe<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NamedDe").finish_non_exhaustive()
    }
}

struct NamedFields<S, K: Iterator> {
    source: S,
    keys: K,
    current: Option<K::Item>,
}

impl<'de, S, K> de::MapAccess<'de> for NamedFields<S, K>
where
    S: Named,
    K: Iterator,
    K::Item: AsRef<str>,
{
    type Error = ParamError;

    fn next_key_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, ParamError> {
        let Some(key) = self.keys.next() else {
            return Ok(None);
        };
        let value = seed
            .deserialize(de::value::StrDeserializer::new(key.as_ref()))
            .map(Some);
        self.current = Some(key);
        value
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<T::Value, ParamError> {
        let key = self.current.take();
        let key = key.as_ref().map_or("", AsRef::as_ref);
        self.source.value(key, seed).map_err(|mut e| {
            e.field.get_or_insert_with(|| key.to_owned());
            e
        })
    }
}

/// Whether a parameter of type `T` may be left out: exactly when the runtime accepts no
/// value for it (`Option<T>` is `None`, `Vec<T>` is empty). The same deserializer decides.
fn optional<T: DeserializeOwned>() -> bool {
    T::deserialize(ParamDe::new(std::iter::empty())).is_ok()
}

/// Parameters are documented as they are read: by this deserializer.
impl OperationDoc<'_> {
    /// Adds a query, header or path parameter of type `T`, required unless it may be absent.
    pub fn typed_parameter<T: DeserializeOwned + JsonSchema>(
        &mut self,
        location: ParamIn,
        arg: &Arg,
    ) {
        let name = match location {
            ParamIn::Header => arg.header_name(),
            _ => arg.name(),
        };
        let schema = self.schema_for::<T>();
        self.parameter(location, name, !optional::<T>(), schema, arg.description());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    fn de<T: for<'de> Deserialize<'de>>(values: &[&str]) -> Result<T, ParamError> {
        T::deserialize(ParamDe::new(values.iter().copied()))
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "lowercase")]
    enum Color {
        Red,
        Blue,
    }

    #[test]
    fn scalars_take_the_last_value() {
        assert_eq!(de::<u32>(&["1", "2"]), Ok(2));
        assert_eq!(de::<f64>(&["0.5"]), Ok(0.5));
        assert_eq!(de::<String>(&["a b"]), Ok("a b".to_owned()));
    }

    #[test]
    fn missing_and_optional() {
        assert_eq!(de::<u32>(&[]).unwrap_err().kind, "missing");
        assert_eq!(de::<Option<u32>>(&[]), Ok(None));
        assert_eq!(de::<Option<u32>>(&["7"]), Ok(Some(7)));
    }

    #[test]
    fn repeated_values_fill_a_vec() {
        assert_eq!(de::<Vec<u8>>(&["1", "2", "3"]), Ok(vec![1, 2, 3]));
        assert_eq!(de::<Vec<u8>>(&[]), Ok(vec![]));
        let err = de::<Vec<u8>>(&["1", "x"]).unwrap_err();
        assert!(err.msg.starts_with("item 1:"), "{}", err.msg);
    }

    #[test]
    fn bools_accept_common_spellings() {
        for t in ["true", "TRUE", "1", "yes", "on"] {
            assert_eq!(de::<bool>(&[t]), Ok(true), "{t}");
        }
        for f in ["false", "0", "No", "off"] {
            assert_eq!(de::<bool>(&[f]), Ok(false), "{f}");
        }
        assert_eq!(de::<bool>(&["maybe"]).unwrap_err().kind, "invalid");
    }

    #[test]
    fn enums_by_serde_name() {
        assert_eq!(de::<Color>(&["blue"]), Ok(Color::Blue));
        let err = de::<Color>(&["green"]).unwrap_err();
        assert_eq!(err.kind, "invalid_value");
        assert_eq!(err.msg, "`green` is not one of `red`, `blue`");
        let _ = Color::Red;
    }

    #[test]
    fn bad_numbers_name_the_type() {
        let err = de::<u8>(&["300"]).unwrap_err();
        assert_eq!(err.kind, "invalid");
        assert!(
            err.msg.starts_with("`300` is not a valid u8"),
            "{}",
            err.msg
        );
    }
}
