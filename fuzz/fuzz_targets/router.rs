//! The router: any method and target against static, parameter and wildcard routes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ninja_fuzz::{call, check};

fuzz_target!(|data: &[u8]| {
    let Some((&m, rest)) = data.split_first() else {
        return;
    };
    let method: &[u8] = match m % 6 {
        0 => b"GET",
        1 => b"POST",
        2 => b"DELETE",
        3 => b"HEAD",
        4 => b"BREW",
        _ => b"OPTIONS",
    };
    let Ok(target) = std::str::from_utf8(rest) else {
        return;
    };
    check(
        call(method, target, "", b""),
        &[200, 204, 308, 400, 404, 405, 414, 415, 422],
    );
});
