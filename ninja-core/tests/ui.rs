//! Compile-time checks of the attributes and derives: each rule has a fixture under
//! `tests/ui/<attribute>/fail/` with its expected error in the `.stderr` beside it.
//! Regenerate after a deliberate change with `TRYBUILD=overwrite cargo test -p ninja-core --test ui`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/route/pass/*.rs");
    t.compile_fail("tests/ui/route/fail/*.rs");
    t.compile_fail("tests/ui/dependency/fail/*.rs");
    t.compile_fail("tests/ui/response/fail/*.rs");
    t.compile_fail("tests/ui/error/fail/*.rs");
    // The fixtures call the typed clients, which only exist with the `client` feature.
    if cfg!(feature = "client") {
        t.compile_fail("tests/ui/api/fail/*.rs");
    }
}
