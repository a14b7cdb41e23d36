//! [`Multipart<T>`]: a `multipart/form-data` body of fields and files, read into `T`.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use http::StatusCode;
use http::request::Parts;
use http_body_util::BodyExt;
use schemars::JsonSchema;
use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::body::RequestBody;
use crate::extract::{
    FromBody, Limits, Named, ParamDe, ParamError, content_type, deserialize_named,
    refuse_declared_over, too_large, unsupported,
};
use crate::openapi::OperationDoc;
use crate::problem::Problem;

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

/// An uploaded file: its content, and what the client said of it. A file up to the API's
/// spool threshold (`NinjaApi::spool_threshold`, 1 MiB by default) is held in memory; a
/// larger one is written to a temporary file as it arrives, deleted when the last clone of
/// its `UploadedFile` is dropped (or moved away with [`persist`](Self::persist)).
#[derive(Clone)]
pub struct UploadedFile {
    file_name: Option<String>,
    content_type: Option<String>,
    len: u64,
    data: Data,
}

#[derive(Clone)]
enum Data {
    Memory(Bytes),
    Disk(Arc<tempfile::TempPath>),
}

impl fmt::Debug for UploadedFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UploadedFile")
            .field("file_name", &self.file_name)
            .field("content_type", &self.content_type)
            .field("len", &self.len)
            .field("path", &self.path())
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

    /// The file's size in bytes.
    #[must_use]
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the file is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The bytes of a file held in memory; `None` for one spooled to disk.
    #[must_use]
    pub fn in_memory(&self) -> Option<&Bytes> {
        match &self.data {
            Data::Memory(bytes) => Some(bytes),
            Data::Disk(_) => None,
        }
    }

    /// The temporary file of a file spooled to disk; `None` for one held in memory.
    #[must_use]
    pub fn path(&self) -> Option<&std::path::Path> {
        match &self.data {
            Data::Memory(_) => None,
            Data::Disk(path) => Some(path),
        }
    }

    /// The whole content, from memory or read from disk.
    pub async fn read(&self) -> std::io::Result<Bytes> {
        match &self.data {
            Data::Memory(bytes) => Ok(bytes.clone()),
            Data::Disk(path) => tokio::fs::read(&**path).await.map(Bytes::from),
        }
    }

    /// The whole content, from memory or read from disk, for sync code.
    pub fn read_blocking(&self) -> std::io::Result<Bytes> {
        match &self.data {
            Data::Memory(bytes) => Ok(bytes.clone()),
            Data::Disk(path) => std::fs::read(&**path).map(Bytes::from),
        }
    }

    /// An async reader over the content, for files too large to hold at once.
    pub async fn reader(&self) -> std::io::Result<FileReader> {
        Ok(match &self.data {
            Data::Memory(bytes) => FileReader::Memory(std::io::Cursor::new(bytes.clone())),
            Data::Disk(path) => FileReader::Disk(tokio::fs::File::open(&**path).await?),
        })
    }

    /// Stores the file at `dest`: a spooled file is moved there when it is on the same
    /// file system (copied otherwise), one in memory is written.
    pub async fn persist(self, dest: impl AsRef<std::path::Path>) -> std::io::Result<()> {
        let dest = dest.as_ref();
        match self.data {
            Data::Memory(bytes) => tokio::fs::write(dest, bytes).await,
            Data::Disk(path) => {
                if tokio::fs::rename(&**path, dest).await.is_err() {
                    tokio::fs::copy(&**path, dest).await?;
                }
                Ok(())
            }
        }
    }
}

/// An async reader over an [`UploadedFile`]'s content.
#[derive(Debug)]
pub enum FileReader {
    /// A file held in memory.
    Memory(std::io::Cursor<Bytes>),
    /// A file spooled to disk.
    Disk(tokio::fs::File),
}

impl tokio::io::AsyncRead for FileReader {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        match self.get_mut() {
            Self::Memory(c) => std::pin::Pin::new(c).poll_read(cx, buf),
            Self::Disk(f) => std::pin::Pin::new(f).poll_read(cx, buf),
        }
    }
}

/// The struct name by which [`PartDe`] recognises an [`UploadedFile`] being deserialized.
const FILE: &str = "$ninja::UploadedFile";

thread_local! {
    /// The file being deserialized, handed from [`PartDe`] to `UploadedFile`'s visitor (on
    /// this thread, within one synchronous `visit_map` call): a temporary file cannot pass
    /// through serde's data model.
    static HANDOFF: std::cell::Cell<Option<UploadedFile>> = const { std::cell::Cell::new(None) };
}

impl<'de> Deserialize<'de> for UploadedFile {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = UploadedFile;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a file (a multipart part with a file name)")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<UploadedFile, A::Error> {
                while map
                    .next_entry::<de::IgnoredAny, de::IgnoredAny>()?
                    .is_some()
                {}
                HANDOFF.take().ok_or_else(|| {
                    de::Error::custom("an UploadedFile is read from a multipart body only")
                })
            }
        }
        d.deserialize_struct(FILE, &[], V)
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

/// One part of the body.
enum Part {
    Text(String),
    File(UploadedFile),
}

/// Reads a file part: into memory up to `spool` bytes, then on into a temporary file.
async fn read_file(
    mut field: multer::Field<'_>,
    spool: usize,
    failed: impl Fn(multer::Error) -> Problem,
) -> Result<UploadedFile, Problem> {
    use tokio::io::AsyncWriteExt as _;
    let disk_failed = |e: std::io::Error| {
        tracing::error!(error = %e, "an upload could not be written to a temporary file");
        Problem::internal()
    };
    let file_name = field.file_name().map(str::to_owned);
    let content_type = field.content_type().map(ToString::to_string);
    let mut memory = bytes::BytesMut::new();
    let mut disk = None;
    let mut len = 0u64;
    while let Some(chunk) = field.chunk().await.map_err(&failed)? {
        len += chunk.len() as u64;
        match &mut disk {
            Some((writer, _)) => {
                let writer: &mut tokio::io::BufWriter<tokio::fs::File> = writer;
                writer.write_all(&chunk).await.map_err(disk_failed)?;
            }
            None if memory.len() + chunk.len() > spool => {
                let (file, path) = tempfile::NamedTempFile::new()
                    .map_err(disk_failed)?
                    .into_parts();
                let mut writer =
                    tokio::io::BufWriter::with_capacity(256 << 10, tokio::fs::File::from_std(file));
                writer.write_all(&memory).await.map_err(disk_failed)?;
                writer.write_all(&chunk).await.map_err(disk_failed)?;
                memory = bytes::BytesMut::new();
                disk = Some((writer, path));
            }
            None => memory.extend_from_slice(&chunk),
        }
    }
    let data = match disk {
        Some((mut writer, path)) => {
            writer.flush().await.map_err(disk_failed)?;
            writer.into_inner().sync_all().await.map_err(disk_failed)?;
            Data::Disk(Arc::new(path))
        }
        None => Data::Memory(memory.freeze()),
    };
    Ok(UploadedFile {
        file_name,
        content_type,
        len,
        data,
    })
}

fn part_too_large(detail: String) -> Problem {
    Problem::new(StatusCode::PAYLOAD_TOO_LARGE).with_detail(detail)
}

/// Reads every part, within the limits.
async fn read_parts(
    parts: &Parts,
    body: RequestBody,
    limits: Limits,
) -> Result<Vec<(String, Part)>, Problem> {
    const EXPECTED: &str = "multipart/form-data; boundary=...";
    let form_data = |essence: &str| essence.eq_ignore_ascii_case("multipart/form-data");
    let ct = content_type(parts, form_data, EXPECTED)?;
    let boundary = multer::parse_boundary(ct).map_err(|_| unsupported(EXPECTED))?;
    refuse_declared_over(parts, limits.body())?;
    let constraints = multer::Constraints::new().size_limit(
        multer::SizeLimit::new()
            .whole_stream(limits.body() as u64)
            .per_field(limits.part() as u64),
    );
    let mut multipart =
        multer::Multipart::with_constraints(body.into_data_stream(), boundary, constraints);
    let mut out = Vec::new();
    let failed = |e: multer::Error| match e {
        multer::Error::FieldSizeExceeded { limit, field_name } => part_too_large(format!(
            "the part `{}` is larger than {limit} bytes",
            field_name.unwrap_or_default()
        )),
        multer::Error::StreamSizeExceeded { limit } => {
            too_large(usize::try_from(limit).unwrap_or(usize::MAX))
        }
        other => Problem::bad_request(format!("the multipart body is malformed: {other}")),
    };
    while let Some(field) = multipart.next_field().await.map_err(failed)? {
        let name = field.name().unwrap_or_default().to_owned();
        let part = if field.file_name().is_some() {
            Part::File(read_file(field, limits.spool_threshold(), failed).await?)
        } else {
            let bytes = field.bytes().await.map_err(failed)?;
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
        deserialize_named(all, "body").map(Multipart)
    }

    fn describe(op: &mut OperationDoc<'_>) {
        let schema = op.form_schema_for::<T>();
        op.request_body("multipart/form-data", schema);
    }
}

impl<T> super::validate::Validatable for Multipart<T> {
    type Inner = T;
    const SOURCE: &'static str = "body";
    fn inner(&self) -> &T {
        &self.0
    }
}

/// A multipart body's parts by name: each field takes (moves) its parts.
impl Named for Vec<(String, Part)> {
    type Name = String;

    fn each_name(&self) -> impl Iterator<Item = String> {
        self.iter().map(|(k, _)| k.clone())
    }

    fn value<'de, S: DeserializeSeed<'de>>(
        &mut self,
        name: &str,
        seed: S,
    ) -> Result<S::Value, ParamError> {
        let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(self)
            .into_iter()
            .partition(|(k, _)| k == name);
        *self = rest;
        seed.deserialize(PartDe {
            parts: mine.into_iter().map(|(_, p)| p).collect(),
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
                Part::File(file) => file
                    .in_memory()
                    .and_then(|b| String::from_utf8(Vec::from(b.clone())).ok())
                    .ok_or_else(|| {
                        ParamError::new(
                            "invalid_type",
                            "expected text, found a binary or large file".to_owned(),
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
            Some(Part::File(file)) => {
                HANDOFF.set(Some(file));
                let empty = std::iter::empty::<(&str, &str)>();
                let out = visitor.visit_map(de::value::MapDeserializer::new(empty));
                // Not taken (a visitor that is not `UploadedFile`'s): drop it here.
                HANDOFF.take();
                out
            }
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
