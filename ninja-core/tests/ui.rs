//! Compile-time checks of the route and dependency attributes: each rule has a fixture under
//! `tests/ui/route/fail/` or `tests/ui/dependency/fail/` with its expected error in the `.stderr` beside it.
//! Regenerate after a deliberate change with `TRYBUILD=overwrite cargo test -p ninja-core --test ui`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/route/pass/*.rs");
    t.compile_fail("tests/ui/route/fail/*.rs");
    t.compile_fail("tests/ui/dependency/fail/*.rs");
    t.compile_fail("tests/ui/response/fail/*.rs");
}
