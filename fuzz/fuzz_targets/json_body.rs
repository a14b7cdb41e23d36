//! JSON body extraction with garde validation: any bytes, two content types.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ninja_fuzz::{call, check};

fuzz_target!(|data: &[u8]| {
    let (ct, body) = match data.split_first() {
        Some((0, rest)) => ("text/plain", rest),
        Some((1, rest)) => ("application/json; charset=utf-8", rest),
        _ => ("application/json", data),
    };
    check(call(b"POST", "/j", ct, body), &[200, 400, 413, 415, 422]);
});
