//! Shared by the example tests: where test tools are, and whether they must be.

// Each test binary includes this module and uses only some of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// Whether a missing test tool fails the test (`scripts/test.sh` and CI) rather than skipping
/// it with a note (a quick local `cargo test`).
pub(crate) fn tools_required() -> bool {
    std::env::var_os("NINJA_REQUIRE_TOOLS").is_some() || std::env::var_os("CI").is_some()
}

/// The workspace root.
pub(crate) fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("examples/ is in the workspace")
        .to_owned()
}

/// The first of `candidates` that exists, else the tool of that name on `PATH`.
pub(crate) fn find_tool(candidates: &[PathBuf], name: &str) -> Option<PathBuf> {
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .or_else(|| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|d| d.join(name))
                    .find(|p| p.is_file())
            })
        })
}

/// Fails (when tools are required) or skips with a note.
pub(crate) fn missing(tool: &str, how: &str) {
    assert!(!tools_required(), "{tool} is missing; {how}");
    eprintln!("SKIPPED: {tool} is missing ({how}); `scripts/test.sh` installs it");
}
