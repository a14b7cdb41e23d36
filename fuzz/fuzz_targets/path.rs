//! Path-parameter extraction: percent-decoding, numbers, length rules.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ninja_fuzz::{call, check};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let (a, b) = s.split_once('/').unwrap_or((s, "x"));
    check(
        call(b"GET", &format!("/p/{a}/{b}"), "", b""),
        &[200, 400, 404, 414, 422],
    );
});
