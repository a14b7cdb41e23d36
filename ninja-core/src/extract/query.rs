//! The query string: decoded once per request into pairs, then read by name.

use percent_encoding::percent_decode_str;
use serde::de::{DeserializeOwned, DeserializeSeed};

use super::param::{Named, ParamDe, ParamError, deserialize_named};
use super::{Arg, FromRequestParts, RequestCx, Text};
use crate::openapi::{OperationDoc, ParamIn};
use crate::problem::Problem;

/// The decoded `key=value` pairs of a query string, in order; repeated keys kept.
#[derive(Debug, Clone)]
pub(crate) enum QueryPairs<'a> {
    /// Text with nothing to decode (no `%`, no `+`), the common case: read as it is, so
    /// parsing it allocates nothing (a `Vec` of pairs and its growth measured ~250
    /// instructions of `/items/{id}?q=x`, callgrind).
    Plain(&'a str),
    Decoded(Vec<(Text<'a>, Text<'a>)>),
}

impl<'a> QueryPairs<'a> {
    /// Every pair, in order.
    fn pairs(&self) -> Pairs<'_> {
        match self {
            Self::Plain(raw) => Pairs::Plain(raw),
            Self::Decoded(pairs) => Pairs::Decoded(pairs.iter()),
        }
    }

    /// Every value given for `key`, in order.
    pub(crate) fn values<'s>(&'s self, key: &'s str) -> impl Iterator<Item = &'s str> + Clone + 's {
        self.pairs().filter(move |(k, _)| *k == key).map(|(_, v)| v)
    }
}

/// The pairs of [`QueryPairs`], either way it keeps them.
#[derive(Clone)]
enum Pairs<'s> {
    /// The text not read yet.
    Plain(&'s str),
    Decoded(std::slice::Iter<'s, (Text<'s>, Text<'s>)>),
}

impl<'s> Iterator for Pairs<'s> {
    type Item = (&'s str, &'s str);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            // Split by hand: `str::split` and `split_once` set up a char searcher per call,
            // more than a query of a few bytes takes to scan.
            Self::Plain(rest) => loop {
                if rest.is_empty() {
                    return None;
                }
                let (piece, tail) = split_at_byte(rest, b'&');
                *rest = tail;
                if !piece.is_empty() {
                    return Some(split_at_byte(piece, b'='));
                }
            },
            Self::Decoded(pairs) => pairs.next().map(|(k, v)| (k.as_ref(), v.as_ref())),
        }
    }
}

/// `s` before and after the first `sep` (an ASCII byte), or all of `s` and `""`.
fn split_at_byte(s: &str, sep: u8) -> (&str, &str) {
    match s.bytes().position(|b| b == sep) {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, ""),
    }
}

/// Decodes `application/x-www-form-urlencoded` text: `+` is a space, `%XX` a byte, and the
/// bytes must be UTF-8. Borrows when nothing needs decoding.
fn decode(s: &str) -> Result<Text<'_>, std::str::Utf8Error> {
    // Most keys and values need nothing: borrowed as they are (already UTF-8).
    if is_plain(s) {
        return Ok(Text::Borrowed(s));
    }
    if s.contains('+') {
        let spaced = s.replace('+', " ");
        Ok(Text::Owned(
            percent_decode_str(&spaced).decode_utf8()?.into_owned(),
        ))
    } else {
        percent_decode_str(s).decode_utf8()
    }
}

/// Whether `s` has nothing to decode (no `%`, no `+`).
pub(crate) fn is_plain(s: &str) -> bool {
    !s.bytes().any(|b| b == b'%' || b == b'+')
}

/// Splits and decodes a raw query string. Invalid UTF-8 after decoding is a 400.
pub(crate) fn parse_query(raw: &str) -> Result<QueryPairs<'_>, Problem> {
    if is_plain(raw) {
        return Ok(QueryPairs::Plain(raw));
    }
    let bad = || Problem::bad_request("the query string is not valid UTF-8 once percent-decoded");
    let mut pairs = Vec::new();
    // Split as plain text is read: one definition of a pair for both.
    for (k, v) in Pairs::Plain(raw) {
        pairs.push((decode(k).map_err(|_| bad())?, decode(v).map_err(|_| bad())?));
    }
    Ok(QueryPairs::Decoded(pairs))
}

/// A struct whose fields are query parameters.
///
/// ```
/// # use ninja_core::prelude::*;
/// #[derive(serde::Deserialize, schemars::JsonSchema)]
/// struct Page { offset: Option<u32>, limit: u32 }
///
/// #[get("/items")]
/// fn list(page: Query<Page>) -> String {
///     format!("{}+{}", page.offset.unwrap_or(0), page.limit)
/// }
/// ```
///
/// Unknown keys are ignored. A failing field is reported with its `loc`
/// (`["query", "limit"]`); serde stops at the first failing field of a struct, so only that
/// one is listed (bare query arguments are each reported).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Query<T>(pub T);

impl<T> std::ops::Deref for Query<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + schemars::JsonSchema> FromRequestParts for Query<T> {
    fn from_request_parts(cx: &RequestCx<'_>, _: &Arg) -> Result<Self, Problem> {
        deserialize_named(&*cx.query()?, "query").map(Query)
    }

    fn describe(op: &mut OperationDoc<'_>, arg: &Arg) {
        op.flattened_parameters::<T>(ParamIn::Query, arg);
    }
}

impl<T> super::validate::Validatable for Query<T> {
    type Inner = T;
    const SOURCE: &'static str = "query";
    fn inner(&self) -> &T {
        &self.0
    }
}

/// Query and form pairs by name: each field reads every value of its key.
impl<'q> Named for &'q QueryPairs<'_> {
    type Name = &'q str;

    fn each_name(&self) -> impl Iterator<Item = &'q str> {
        let pairs: &'q QueryPairs<'_> = self;
        pairs.pairs().map(|(k, _)| k)
    }

    fn value<'de, S: DeserializeSeed<'de>>(
        &mut self,
        name: &str,
        seed: S,
    ) -> Result<S::Value, ParamError> {
        seed.deserialize(ParamDe::new(self.values(name)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_plus_percent_and_repeats() {
        let q = parse_query("a=1&word=hello+w%C3%B6rld&a=2&flag&&empty=").expect("valid");
        assert_eq!(q.values("a").collect::<Vec<_>>(), ["1", "2"]);
        assert_eq!(q.values("word").collect::<Vec<_>>(), ["hello wörld"]);
        assert_eq!(q.values("flag").collect::<Vec<_>>(), [""]);
        assert_eq!(q.values("empty").collect::<Vec<_>>(), [""]);
        assert_eq!(q.values("none").count(), 0);
    }

    /// Text with nothing to decode is read in place, with the same pairs.
    #[test]
    fn plain_text_reads_like_decoded_text() {
        let plain = parse_query("a=1&&flag&a=2&empty=&b=x=y").expect("valid");
        assert!(matches!(plain, QueryPairs::Plain(_)));
        let decoded = parse_query("a=1&&flag&a=2&empty=&b=x%3Dy").expect("valid");
        assert!(matches!(decoded, QueryPairs::Decoded(_)));
        for q in [&plain, &decoded] {
            assert_eq!(q.values("a").collect::<Vec<_>>(), ["1", "2"]);
            assert_eq!(q.values("flag").collect::<Vec<_>>(), [""]);
            assert_eq!(q.values("empty").collect::<Vec<_>>(), [""]);
            assert_eq!(q.values("b").collect::<Vec<_>>(), ["x=y"]);
            assert_eq!(q.values("none").count(), 0);
            let names: Vec<&str> = q.each_name().collect();
            assert_eq!(names, ["a", "flag", "a", "empty", "b"]);
        }
    }

    #[test]
    fn invalid_utf8_is_a_400() {
        let err = parse_query("a=%FF").unwrap_err();
        assert_eq!(err.status(), http::StatusCode::BAD_REQUEST);
    }

    /// A map (the path `flatten` and map types take) reads every name with all its values.
    #[test]
    fn a_map_reads_every_name_with_all_its_values() {
        let q = parse_query("b=2&a=1&b=3").expect("valid");
        let map: std::collections::BTreeMap<String, Vec<String>> =
            deserialize_named(&q, "query").expect("a map");
        let flat: Vec<(&str, Vec<&str>)> = map
            .iter()
            .map(|(k, v)| (k.as_str(), v.iter().map(String::as_str).collect()))
            .collect();
        assert_eq!(flat, [("a", vec!["1"]), ("b", vec!["2", "3"])]);
    }

    #[test]
    fn keys_are_decoded_too() {
        let q = parse_query("page%5Bsize%5D=3").expect("valid");
        assert_eq!(q.values("page[size]").collect::<Vec<_>>(), ["3"]);
    }
}
