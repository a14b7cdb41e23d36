//! [`Multipart<T>`]: a `multipart/form-data` body of fields and files, read into `T`.

use std::borrow::Cow;
use std::fmt;

use bytes::Bytes;
use http::StatusCode;
use http::header;
use http::request::Parts;
use http_body_util::BodyExt;
use schemars::JsonSchema;
use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::body::RequestBody;
use crate::extract::{FromBody, Limits, ParamDe, ParamError};
use crate::openapi::OperationDoc;
use crate::problem::{FieldError, Problem};

/// A `multipart/form-data` body (an HTML form with files), read into `T`'s fields.
///
/// ```
/// # use ninja_core::prelude::*;
/// use ninja_core::UploadedFile;
///
/// #[derive(serde::Deserialize, schemars::JsonSchema)]
/// struct Meta { title: String }
///
/// #[derive(serde::Deserialize, schemars::JsonSchema)]
/// struct Upload {
///     /// The file itself.
///     file: UploadedFile,
///     /// JSON sent as one field's text.
///     meta: JsonPart<Meta>,
///     /// Ordinary fields are decoded as query parameters are.
///     public: Option<bool>,
/// }
///
/// #[post("/uploads")]
/// fn upload(Multipart(u): Multipart<Upload>) -> String {
///     format!("{} ({} bytes)", u.meta.title, u.file.len())
/// }
/// ```
///
/// A field of type [`UploadedFile`] (or `Option`/`Vec` of it) takes a file part; a
/// [`JsonPart<T>`](crate::JsonPart) field parses its part's text as JSON; any other field is decoded
/// like a query parameter (repeated fields fill a `Vec`). The whole body is limited by
/// `NinjaApi::body_limit`, each part by `NinjaApi::part_limit` (413 either way); a field that
/// does not decode is a 422 at `["body", field]`; another `Content-Type` is a 415.
#[derive(Debug, Clone, Default)]
pub struct Multipart<T>(pub T);

impl<T> std::ops::Deref for Multipart<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// An uploaded file: its bytes, and what the client said of it.
#[derive(Clone, PartialEq, Eq)]
pub struct UploadedFile {
    file_name: Option<String>,
    content_type: Option<String>,
    bytes: Bytes,
}

impl fmt::Debug for UploadedFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UploadedFile")
            .field("file_name", &self.file_name)
            .field("content_type", &self.content_type)
            .field("len", &self.bytes.len())
            .finish()
    }
}

impl UploadedFile {
    /// The file name the client sent (never trust it as a path).
    #[must_use]
    pub fn file_name(&self) -> Option<&str> {
        self.file_name.as_deref()
    }

    /// The part's `Content-Type`, as the client sent it.
    #[must_use]
    pub fn content_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }

    /// The file's bytes.
    #[must_use]
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// The file's bytes, owned.
    #[must_use]
    pub fn into_bytes(self) -> Bytes {
        self.bytes
    }

    /// The file's size in bytes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether the file is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

/// The struct name by which [`PartDe`] recognises an [`UploadedFile`] being deserialized.
const FILE: &str = "$ninja::UploadedFile";
const FILE_FIELDS: &[&str] = &["file_name", "content_type", "bytes"];

impl<'de> Deserialize<'de> for UploadedFile {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = UploadedFile;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a file (a multipart part with a file name)")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<UploadedFile, A::Error> {
                let (mut file_name, mut content_type, mut bytes) = (None, None, None);
                while let Some(key) = map.next_key::<Cow<'_, str>>()? {
                    match key.as_ref() {
                        "file_name" => file_name = map.next_value()?,
                        "content_type" => content_type = map.next_value()?,
                        "bytes" => bytes = Some(map.next_value::<OwnedBytes>()?.0),
                        _ => {
                            map.next_value::<de::IgnoredAny>()?;
                        }
                    }
                }
                Ok(UploadedFile {
                    file_name,
                    content_type,
                    bytes: bytes.ok_or_else(|| de::Error::missing_field("bytes"))?,
                })
            }
        }
        d.deserialize_struct(FILE, FILE_FIELDS, V)
    }
}

/// A file is documented as a binary string, which is how docs pages offer a file picker.
impl JsonSchema for UploadedFile {
    fn schema_name() -> Cow<'static, str> {
        "UploadedFile".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": "string", "format": "binary"})
    }
}

/// Bytes taken without a copy when the deserializer hands over a buffer it owns.
struct OwnedBytes(Bytes);

impl<'de> Deserialize<'de> for OwnedBytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = OwnedBytes;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("bytes")
            }
            fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<OwnedBytes, E> {
                Ok(OwnedBytes(Bytes::from(v)))
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<OwnedBytes, E> {
                Ok(OwnedBytes(Bytes::copy_from_slice(v)))
            }
        }
        d.deserialize_byte_buf(V)
    }
}

/// One part of the body.
enum Part {
    Text(String),
    File {
        file_name: Option<String>,
        content_type: Option<String>,
        bytes: Bytes,
    },
}

fn too_large(detail: String) -> Problem {
    Problem::new(StatusCode::PAYLOAD_TOO_LARGE).with_detail(detail)
}

/// Reads every part, within the limits.
async fn read_parts(
    parts: &Parts,
    body: RequestBody,
    limits: Limits,
) -> Result<Vec<(String, Part)>, Problem> {
    let unsupported = || {
        Problem::new(StatusCode::UNSUPPORTED_MEDIA_TYPE).with_detail(
            "expected a request body with `Content-Type: multipart/form-data; boundary=...`",
        )
    };
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(unsupported)?;
    let is_form_data = content_type
        .split(';')
        .next()
        .is_some_and(|e| e.trim().eq_ignore_ascii_case("multipart/form-data"));
    let boundary = multer::parse_boundary(content_type).map_err(|_| unsupported())?;
    if !is_form_data {
        return Err(unsupported());
    }
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limits.body() as u64) {
        return Err(too_large(format!(
            "the request body is larger than {} bytes",
            limits.body()
        )));
    }
    let constraints = multer::Constraints::new().size_limit(
        multer::SizeLimit::new()
            .whole_stream(limits.body() as u64)
            .per_field(limits.part() as u64),
    );
    let mut multipart =
        multer::Multipart::with_constraints(body.into_data_stream(), boundary, constraints);
    let mut out = Vec::new();
    let failed = |e: multer::Error| match e {
        multer::Error::FieldSizeExceeded { limit, field_name } => too_large(format!(
            "the part `{}` is larger than {limit} bytes",
            field_name.unwrap_or_default()
        )),
        multer::Error::StreamSizeExceeded { limit } => {
            too_large(format!("the request body is larger than {limit} bytes"))
        }
        other => Problem::bad_request(format!("the multipart body is malformed: {other}")),
    };
    while let Some(field) = multipart.next_field().await.map_err(failed)? {
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let content_type = field.content_type().map(ToString::to_string);
        let bytes = field.bytes().await.map_err(failed)?;
        let part = if file_name.is_some() {
            Part::File {
                file_name,
                content_type,
                bytes,
            }
        } else {
            let text = String::from_utf8(Vec::from(bytes)).map_err(|_| {
                Problem::bad_request(format!("the multipart field `{name}` is not UTF-8 text"))
            })?;
            Part::Text(text)
        };
        out.push((name, part));
    }
    Ok(out)
}

impl<T: DeserializeOwned + JsonSchema + Send> FromBody for Multipart<T> {
    async fn from_body(parts: &Parts, body: RequestBody, limits: Limits) -> Result<Self, Problem> {
        let all = read_parts(parts, body, limits).await?;
        T::deserialize(FormDe { parts: all })
            .map(Multipart)
            .map_err(|e| {
                let mut loc = vec!["body".into()];
                if let Some(field) = e.field.clone() {
                    loc.push(field.into());
                }
                Problem::validation(vec![FieldError::new(loc, e.kind, e.msg)])
            })
    }

    fn describe(op: &mut OperationDoc<'_>) {
        let schema = op.schema_for::<T>();
        op.request_body("multipart/form-data", schema);
    }
}

impl<T> crate::validate::Validatable for Multipart<T> {
    type Inner = T;
    const SOURCE: &'static str = "body";
    fn inner(&self) -> &T {
        &self.0
    }
}

/// Deserializes the struct of a multipart body: each field takes (moves) its parts.
struct FormDe {
    parts: Vec<(String, Part)>,
}

impl<'de> Deserializer<'de> for FormDe {
    type Error = ParamError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        let mut keys: Vec<String> = Vec::new();
        for (k, _) in &self.parts {
            if !keys.contains(k) {
                keys.push(k.clone());
            }
        }
        visitor.visit_map(Fields {
            parts: self.parts,
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
        visitor.visit_map(Fields {
            parts: self.parts,
            keys: fields
                .iter()
                .map(|f| (*f).to_owned())
                .collect::<Vec<_>>()
                .into_iter(),
            current: None,
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}

struct Fields<K> {
    parts: Vec<(String, Part)>,
    keys: K,
    current: Option<String>,
}

impl<'de, K: Iterator<Item = String>> MapAccess<'de> for Fields<K> {
    type Error = ParamError;

    fn next_key_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, ParamError> {
        let Some(key) = self.keys.next() else {
            return Ok(None);
        };
        let value = seed.deserialize(key.as_str().into_deserializer()).map(Some);
        self.current = Some(key);
        value
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<S::Value, ParamError> {
        let key = self.current.take().unwrap_or_default();
        let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut self.parts)
            .into_iter()
            .partition(|(k, _)| *k == key);
        self.parts = rest;
        let parts = mine.into_iter().map(|(_, p)| p).collect();
        seed.deserialize(PartDe { parts }).map_err(|mut e| {
            e.field.get_or_insert(key);
            e
        })
    }
}

/// Deserializes one field from its parts: a file, JSON text, or parameter text.
struct PartDe {
    parts: Vec<Part>,
}

impl PartDe {
    /// The parts as text (a file part's bytes must then be UTF-8), for the parameter decoder.
    fn texts(self) -> Result<Vec<String>, ParamError> {
        self.parts
            .into_iter()
            .map(|p| match p {
                Part::Text(t) => Ok(t),
                Part::File { bytes, .. } => String::from_utf8(Vec::from(bytes)).map_err(|_| {
                    ParamError::new(
                        "invalid_type",
                        "expected text, found a binary file".to_owned(),
                    )
                }),
            })
            .collect()
    }
}

macro_rules! as_text {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
            let texts = self.texts()?;
            ParamDe::new(texts.iter().map(String::as_str)).$method(visitor)
        }
    )*};
}

impl<'de> Deserializer<'de> for PartDe {
    type Error = ParamError;

    as_text! {
        deserialize_any deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32
        deserialize_i64 deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32
        deserialize_u64 deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char
        deserialize_str deserialize_string deserialize_bytes deserialize_byte_buf
        deserialize_unit deserialize_map deserialize_identifier deserialize_ignored_any
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        if self.parts.is_empty() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        visitor.visit_seq(de::value::SeqDeserializer::new(
            self.parts.into_iter().map(|p| PartDe { parts: vec![p] }),
        ))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ParamError> {
        if name != FILE {
            let texts = self.texts()?;
            return ParamDe::new(texts.iter().map(String::as_str))
                .deserialize_struct(name, fields, visitor);
        }
        match self.parts.into_iter().next_back() {
            Some(Part::File {
                file_name,
                content_type,
                bytes,
            }) => visitor.visit_map(de::value::MapDeserializer::new(
                [
                    ("file_name", FileValue::Text(file_name)),
                    ("content_type", FileValue::Text(content_type)),
                    ("bytes", FileValue::Bytes(bytes)),
                ]
                .into_iter(),
            )),
            Some(Part::Text(_)) => Err(ParamError::new(
                "invalid_type",
                "expected a file, found a text field (send it with a file name)".to_owned(),
            )),
            None => Err(ParamError::missing()),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        n: &'static str,
        v: V,
    ) -> Result<V::Value, ParamError> {
        let texts = self.texts()?;
        ParamDe::new(texts.iter().map(String::as_str)).deserialize_unit_struct(n, v)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        v: V,
    ) -> Result<V::Value, ParamError> {
        v.visit_newtype_struct(self)
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, v: V) -> Result<V::Value, ParamError> {
        self.deserialize_seq(v)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: usize,
        v: V,
    ) -> Result<V::Value, ParamError> {
        self.deserialize_seq(v)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        n: &'static str,
        variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, ParamError> {
        let texts = self.texts()?;
        ParamDe::new(texts.iter().map(String::as_str)).deserialize_enum(n, variants, v)
    }
}

impl<'de> IntoDeserializer<'de, ParamError> for PartDe {
    type Deserializer = Self;
    fn into_deserializer(self) -> Self {
        self
    }
}

/// A value of an uploaded file's map: an optional text, or the bytes (handed over, not copied).
enum FileValue {
    Text(Option<String>),
    Bytes(Bytes),
}

impl<'de> IntoDeserializer<'de, ParamError> for FileValue {
    type Deserializer = Self;
    fn into_deserializer(self) -> Self {
        self
    }
}

impl<'de> Deserializer<'de> for FileValue {
    type Error = ParamError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        match self {
            Self::Text(Some(t)) => visitor.visit_string(t),
            Self::Text(None) => visitor.visit_none(),
            Self::Bytes(b) => visitor.visit_byte_buf(Vec::from(b)),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        match self {
            Self::Text(None) => visitor.visit_none(),
            other => visitor.visit_some(other),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}
