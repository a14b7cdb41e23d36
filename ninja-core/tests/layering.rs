//! The modules of `src/` import only downward: each top-level module may use only modules
//! on lower lines of the `// layer:` list at the top of `lib.rs` (modules on one line use
//! none of each other). A module not on the list, or an import up or sideways, fails here
//! with the file that made it.
//!
//! Imports are read from the text: `crate::module`, `crate::{module, ..}` and `crate::Name`
//! for a name `lib.rs` re-exports from a module. Comments (doc links too) and unit-test
//! modules (from a file's first `#[cfg(test)]` or `#[cfg(all(test, ..))]`, which clippy
//! keeps last) are not imports. `super::` paths are not read: in a top-level file `super`
//! is the crate root, which this codebase writes `crate::`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

const SRC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src");

/// The `// layer: a b c` lines of `lib.rs`, top first: module → its depth (0 = top).
fn layers(lib: &str) -> BTreeMap<String, usize> {
    lib.lines()
        .filter_map(|l| l.trim().strip_prefix("// layer:"))
        .enumerate()
        .flat_map(|(depth, line)| line.split_whitespace().map(move |m| (m.to_owned(), depth)))
        .collect()
}

/// The names `lib.rs` re-exports at the root (`pub use module::{A, B}`), with their module.
fn root_names(lib: &str) -> BTreeMap<String, String> {
    let head = lib.split("pub mod prelude").next().unwrap_or(lib);
    let mut out = BTreeMap::new();
    for stmt in head.split(';') {
        let Some(i) = stmt.find("pub use ") else {
            continue;
        };
        let rest = &stmt[i + "pub use ".len()..];
        let Some((module, names)) = rest.split_once("::") else {
            continue;
        };
        if module == "crate" || module.starts_with("ninja_macros") {
            continue;
        }
        for name in names.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
            if !name.is_empty() {
                out.insert(name.to_owned(), module.to_owned());
            }
        }
    }
    out
}

/// `text` without comments and without its unit-test module.
fn code_of(text: &str) -> String {
    let end = text
        .find("\n#[cfg(test)]")
        .into_iter()
        .chain(text.find("\n#[cfg(all(test"))
        .min()
        .unwrap_or(text.len());
    text[..end]
        .lines()
        .map(|l| match l.find("//") {
            // A `//` after a quote is taken for part of a string (a URL) and kept.
            Some(i) if !l[..i].contains('"') => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The first path segment of each `crate::` path in `code`, groups included.
fn used_modules(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // Top-level items of the group: split on commas at nesting depth 0.
            let (mut depth, mut item) = (0, String::new());
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.push(first_segment(&item));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
            out.push(first_segment(&item));
        } else {
            out.push(first_segment(rest));
        }
    }
    out.retain(|m| !m.is_empty());
    out
}

fn first_segment(path: &str) -> String {
    path.trim_start()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every import of `src/` that goes up or sideways.
fn violations() -> Vec<String> {
    let lib = fs::read_to_string(Path::new(SRC).join("lib.rs")).expect("lib.rs");
    let mut paths = Vec::new();
    rust_files(Path::new(SRC), &mut paths);
    let files: Vec<(String, String)> = paths
        .iter()
        .map(|p| {
            let rel = p.strip_prefix(SRC).expect("under src/");
            (
                rel.display().to_string(),
                fs::read_to_string(p).expect("readable"),
            )
        })
        .collect();
    violations_in(&lib, &files)
}

/// Every import in `files` (path under `src/`, text) that goes up or sideways of the
/// layers `lib` lists, and every module it does not list.
fn violations_in(lib: &str, files: &[(String, String)]) -> Vec<String> {
    let layers = layers(lib);
    let roots = root_names(lib);
    let mut bad = BTreeSet::new();
    for (rel, text) in files {
        let module = rel
            .split('/')
            .next()
            .map(|s| s.trim_end_matches(".rs").to_owned())
            .expect("a name");
        if module == "lib" {
            continue;
        }
        let Some(&here) = layers.get(&module) else {
            bad.insert(format!(
                "{rel}: module `{module}` is not in lib.rs's layer list"
            ));
            continue;
        };
        for used in used_modules(&code_of(text)) {
            let used = roots.get(&used).cloned().unwrap_or(used);
            if used == module || used == "http" {
                continue;
            }
            match layers.get(&used) {
                Some(&there) if there > here => {}
                Some(_) => {
                    bad.insert(format!(
                        "{rel}: `{module}` imports `{used}`, which is not below it"
                    ));
                }
                None => {
                    bad.insert(format!(
                        "{rel}: `{module}` imports `{used}`, which is not in the layer list"
                    ));
                }
            }
        }
    }
    bad.into_iter().collect()
}

#[test]
fn modules_import_only_downward() {
    let bad = violations();
    assert!(
        layers(&fs::read_to_string(Path::new(SRC).join("lib.rs")).expect("lib.rs")).len() > 10,
        "lib.rs lists its layers"
    );
    assert!(
        bad.is_empty(),
        "imports against the layering:\n{}",
        bad.join("\n")
    );
}

/// The check itself, on a made-up crate: up, sideways, unlisted and test-only imports.
#[test]
fn upward_sideways_and_unlisted_imports_are_reported() {
    let lib = "// layer: api\n// layer: auth throttle\n// layer: problem\npub use api::NinjaApi;\n";
    let files = |rel: &str, text: &str| vec![(rel.to_owned(), text.to_owned())];
    // Down: fine; a test module may use anything.
    let ok = "use crate::problem::Problem;\n#[cfg(all(test, unix))]\nmod tests { use crate::api; }";
    assert_eq!(
        violations_in(lib, &files("auth.rs", ok)),
        Vec::<String>::new()
    );
    let up = violations_in(
        lib,
        &files("problem/mod.rs", "fn f() { crate::NinjaApi::new(); }"),
    );
    assert_eq!(
        up,
        ["problem/mod.rs: `problem` imports `api`, which is not below it"]
    );
    let sideways = violations_in(lib, &files("auth.rs", "use crate::{throttle::X};"));
    assert_eq!(
        sideways,
        ["auth.rs: `auth` imports `throttle`, which is not below it"]
    );
    let unlisted = violations_in(lib, &files("ws.rs", "use crate::problem;"));
    assert_eq!(
        unlisted,
        ["ws.rs: module `ws` is not in lib.rs's layer list"]
    );
}

/// The parsing helpers: layers, re-exported names, comments and test modules, groups.
#[test]
fn imports_are_read_from_the_text() {
    let lib = "// layer: api\n// layer: problem\npub use api::{NinjaApi, Server};\n";
    assert_eq!(layers(lib).get("problem"), Some(&1));
    assert_eq!(
        root_names(lib).get("NinjaApi").map(String::as_str),
        Some("api")
    );
    let code = code_of(
        "/// [`x`](crate::docs_only)\nuse crate::{api::NinjaApi, problem};\nfn f() { crate::NinjaApi::new(); }\n#[cfg(test)]\nmod tests { use crate::testing; }",
    );
    assert_eq!(used_modules(&code), ["api", "problem", "NinjaApi"]);
}
