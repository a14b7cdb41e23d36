//! Pagination, django-ninja's `@paginate` as two arguments and two answers: [`LimitOffset`]
//! and [`Cursor`] read the page's query parameters (bounded, with defaults, typed, documented), and
//! [`Page`] (`{items, count}`) and [`CursorPage`] (`{items, next}`) are what the handler
//! returns inside `Json`.
//!
//! ```
//! use ninja_core::prelude::*;
//! use ninja_core::pagination::{LimitOffset, Page};
//!
//! /// `?limit=` (1 to 50, default 10) and `?offset=` (default 0).
//! #[get("/numbers")]
//! fn numbers(page: LimitOffset<10, 50>) -> Json<Page<u64>> {
//!     let all = 0..1000u64;
//!     let items = all.skip(page.offset_usize()).take(page.limit_usize()).collect();
//!     Json(page.page(items, 1000))
//! }
//! # let _ = NinjaApi::new("t", "1").routes(routes![numbers]);
//! ```

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::extract::deserialize_named;
use crate::extract::{Arg, FromRequestParts, RequestCx};
use crate::openapi::{OperationDoc, ParamIn};
use crate::problem::{FieldError, Problem};

/// The largest offset: SQL's `OFFSET` is a signed 64-bit integer.
const MAX_OFFSET: u64 = i64::MAX as u64;

/// `?limit=` and `?offset=`: at most `MAX` items (default `DEFAULT`) after the first
/// `offset`. Out of bounds is a 422 naming the parameter; both are documented with their
/// bounds and defaults. `DEFAULT` must lie in `1..=MAX` (checked when the route compiles).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LimitOffset<const DEFAULT: u32 = 20, const MAX: u32 = 100> {
    /// Items on this page: 1 to `MAX`.
    pub limit: u32,
    /// Items skipped before it: 0 to `i64::MAX`.
    pub offset: u64,
}

impl<const DEFAULT: u32, const MAX: u32> LimitOffset<DEFAULT, MAX> {
    /// The page of `items` out of `count` in all (the total, for the client's page count).
    pub fn page<T>(&self, items: Vec<T>, count: u64) -> Page<T> {
        Page { items, count }
    }

    /// `limit` as a `usize`, for `Iterator::take`.
    #[must_use]
    pub fn limit_usize(&self) -> usize {
        usize::try_from(self.limit).unwrap_or(usize::MAX)
    }

    /// `offset` as a `usize` (saturating), for `Iterator::skip`.
    #[must_use]
    pub fn offset_usize(&self) -> usize {
        usize::try_from(self.offset).unwrap_or(usize::MAX)
    }

    /// `limit` and `offset` as SQL takes them (`LIMIT ? OFFSET ?` with `i64` binds).
    #[must_use]
    pub fn sql(&self) -> (i64, i64) {
        (
            i64::from(self.limit),
            i64::try_from(self.offset).unwrap_or(i64::MAX),
        )
    }
}

/// A page of `items` out of `count` in all.
// The answer for [`LimitOffset`]; its schema is named after the item (`ProductPage` for
// `Page<Product>`). The doc line above is the schema's description.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "{T}Page")]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// How many items there are in all.
    pub count: u64,
}

/// `?cursor=` and `?limit=`: at most `MAX` items (default `DEFAULT`) from the position the
/// cursor names, a `C` (say the last id seen: `Cursor<i64>`), documented with `C`'s schema,
/// so that a client cannot send a cursor the server would refuse. No cursor is the first
/// page; the previous page's `next` is the next one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor<C = String, const DEFAULT: u32 = 20, const MAX: u32 = 100> {
    /// Items on this page: 1 to `MAX`.
    pub limit: u32,
    /// Where this page starts: the previous page's `next`; `None` for the first page.
    pub cursor: Option<C>,
}

impl<C, const DEFAULT: u32, const MAX: u32> Cursor<C, DEFAULT, MAX> {
    /// The page of `items`, and the cursor of the one after it (`None` on the last page).
    pub fn page<T>(&self, items: Vec<T>, next: Option<C>) -> CursorPage<T, C> {
        CursorPage { items, next }
    }
}

/// A page of `items`, and in `next` the cursor of the page after it.
// The answer for [`Cursor`]; its schema is named after the item (`ProductCursorPage`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "{T}CursorPage")]
pub struct CursorPage<T, C = String> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; absent on the last one.
    pub next: Option<C>,
}

fn field_error(name: &'static str, kind: &'static str, msg: impl Into<String>) -> Problem {
    Problem::validation(vec![FieldError::new(
        vec!["query".into(), name.into()],
        kind,
        msg,
    )])
}

/// `limit`, defaulted and checked against `1..=max`.
fn limit(given: Option<u32>, default: u32, max: u32) -> Result<u32, Problem> {
    let limit = given.unwrap_or(default);
    if (1..=max).contains(&limit) {
        Ok(limit)
    } else {
        Err(field_error(
            "limit",
            "range",
            format!("must be between 1 and {max}"),
        ))
    }
}

/// Documents `limit` with its bounds and default.
fn describe_limit(op: &mut OperationDoc<'_>, default: u32, max: u32) {
    op.parameter(
        ParamIn::Query,
        "limit",
        false,
        serde_json::json!({
            "type": "integer", "format": "uint32",
            "minimum": 1, "maximum": max, "default": default,
        }),
        Some("Items on the page."),
    );
}

impl<const DEFAULT: u32, const MAX: u32> FromRequestParts for LimitOffset<DEFAULT, MAX> {
    fn from_request_parts(cx: &RequestCx<'_>, _: &Arg) -> Result<Self, Problem> {
        const {
            assert!(
                DEFAULT >= 1 && DEFAULT <= MAX,
                "LimitOffset: DEFAULT must be in 1..=MAX"
            )
        };
        #[derive(Deserialize)]
        struct Raw {
            limit: Option<u32>,
            offset: Option<u64>,
        }
        let raw: Raw = deserialize_named(&*cx.query()?, "query")?;
        let offset = raw.offset.unwrap_or(0);
        if offset > MAX_OFFSET {
            return Err(field_error(
                "offset",
                "range",
                format!("must be at most {MAX_OFFSET}"),
            ));
        }
        Ok(Self {
            limit: limit(raw.limit, DEFAULT, MAX)?,
            offset,
        })
    }

    fn describe(op: &mut OperationDoc<'_>, _: &Arg) {
        describe_limit(op, DEFAULT, MAX);
        op.parameter(
            ParamIn::Query,
            "offset",
            false,
            serde_json::json!({
                "type": "integer", "format": "uint64",
                "minimum": 0, "maximum": MAX_OFFSET, "default": 0,
            }),
            Some("Items to skip before the page."),
        );
    }
}

impl<C, const DEFAULT: u32, const MAX: u32> FromRequestParts for Cursor<C, DEFAULT, MAX>
where
    C: DeserializeOwned + schemars::JsonSchema + Send,
{
    fn from_request_parts(cx: &RequestCx<'_>, _: &Arg) -> Result<Self, Problem> {
        const {
            assert!(
                DEFAULT >= 1 && DEFAULT <= MAX,
                "Cursor: DEFAULT must be in 1..=MAX"
            )
        };
        #[derive(Deserialize)]
        #[serde(bound = "C: DeserializeOwned")]
        struct Raw<C> {
            limit: Option<u32>,
            cursor: Option<C>,
        }
        let raw: Raw<C> = deserialize_named(&*cx.query()?, "query")?;
        Ok(Self {
            limit: limit(raw.limit, DEFAULT, MAX)?,
            cursor: raw.cursor,
        })
    }

    fn describe(op: &mut OperationDoc<'_>, _: &Arg) {
        describe_limit(op, DEFAULT, MAX);
        let schema = op.schema_for::<C>();
        op.parameter(
            ParamIn::Query,
            "cursor",
            false,
            schema,
            Some("Where the page starts: the previous page's `next`; none for the first page."),
        );
    }
}
