//! The modules of `src/` import only downward: each top-level module may use only modules
//! on lower lines of the `// layer:` list at the top of `lib.rs` (modules on one line use
//! none of each other). A module not on the list, or an import up or sideways, fails here
//! with the file that made it.
//!
//! Imports are read from the text: `crate::module`, `crate::{module, ..}` and `crate::Name`
//! for a name `lib.rs` re-exports from a module. Comments (doc links too) and
//! `#[cfg(test)] mod tests` blocks are not imports.

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
    let text = text.split("#[cfg(test)]\nmod tests").next().unwrap_or(text);
    text.lines()
        .map(|l| match l.find("//") {
            // `//` inside a string (a URL) is rare in imports; whole-line comments matter.
            Some(i) if l[..i].trim().is_empty() || !l[..i].contains('"') => &l[..i],
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

/// Every import that goes up or sideways: (file, from, to).
fn violations() -> Vec<String> {
    let lib = fs::read_to_string(Path::new(SRC).join("lib.rs")).expect("lib.rs");
    let layers = layers(&lib);
    assert!(
        layers.len() > 10,
        "lib.rs lists its layers: {:?}",
        layers.keys()
    );
    let roots = root_names(&lib);
    let mut files = Vec::new();
    rust_files(Path::new(SRC), &mut files);
    let mut bad = BTreeSet::new();
    for file in files {
        let rel = file.strip_prefix(SRC).expect("under src/");
        let module = rel
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .map(|s| s.trim_end_matches(".rs").to_owned())
            .expect("a name");
        if module == "lib" {
            continue;
        }
        let Some(&here) = layers.get(&module) else {
            bad.insert(format!(
                "{}: module `{module}` is not in lib.rs's layer list",
                rel.display()
            ));
            continue;
        };
        let text = fs::read_to_string(&file).expect("readable");
        for used in used_modules(&code_of(&text)) {
            let used = roots.get(&used).cloned().unwrap_or(used);
            if used == module || matches!(used.as_str(), "http" | "__private" | "prelude") {
                continue;
            }
            match layers.get(&used) {
                Some(&there) if there > here => {}
                Some(_) => {
                    bad.insert(format!(
                        "{}: `{module}` imports `{used}`, which is not below it",
                        rel.display()
                    ));
                }
                None => {
                    bad.insert(format!(
                        "{}: `{module}` imports `{used}`, which is not in the layer list",
                        rel.display()
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
        bad.is_empty(),
        "imports against the layering:\n{}",
        bad.join("\n")
    );
}

/// The check itself: an upward import in a file is found.
#[test]
fn an_upward_import_is_found() {
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
