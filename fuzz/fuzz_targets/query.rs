//! Query-string extraction: bare parameters of many types, and a validated `Query<T>`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ninja_fuzz::{call, check};

fuzz_target!(|data: &[u8]| {
    let Ok(q) = std::str::from_utf8(data) else {
        return;
    };
    let (path, query) = match q.split_once('\n') {
        Some((_, rest)) => ("/page", rest),
        None => ("/q", q),
    };
    check(
        call(b"GET", &format!("{path}?{query}"), "", b""),
        &[200, 400, 414, 422],
    );
});
