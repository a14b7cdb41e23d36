//! The example's OpenAPI document is checked in, compared here, and validated by an
//! independent OpenAPI 3.1 validator.
//!
//! After a deliberate API change, regenerate the golden file with
//! `NINJA_BLESS=1 cargo test -p examples --test openapi` and review the diff.

mod support;

use std::path::PathBuf;
use std::process::Command;

use examples::{hello, inputs};

fn golden(name: &str) -> PathBuf {
    support::workspace()
        .join("examples/openapi")
        .join(format!("{name}.json"))
}

/// The first differing line, with a little context from both sides.
fn first_difference(expected: &str, actual: &str) -> String {
    let (e, a): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    let at = e
        .iter()
        .zip(&a)
        .position(|(x, y)| x != y)
        .unwrap_or(e.len().min(a.len()));
    let from = at.saturating_sub(3);
    let show = |lines: &[&str], sign: char| {
        lines
            .iter()
            .enumerate()
            .skip(from)
            .take(8)
            .map(|(i, l)| format!("{sign}{:>5} {l}", i + 1))
            .collect::<Vec<_>>()
            .join("\n")
    };
    format!(
        "first difference at line {}:\n--- golden\n{}\n+++ generated\n{}",
        at + 1,
        show(&e, '-'),
        show(&a, '+')
    )
}

fn check_golden(name: &str, actual: &str) {
    let path = golden(name);
    if std::env::var_os("NINJA_BLESS").is_some() {
        std::fs::write(&path, actual).expect("golden file written");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    if expected == actual {
        return;
    }
    // Whether clients of the checked-in document would break, not only that bytes moved.
    let verdict = match (
        serde_json::from_str::<serde_json::Value>(&expected),
        serde_json::from_str::<serde_json::Value>(actual),
    ) {
        (Ok(old), Ok(new)) => {
            let breaks = ninja_core::openapi::breaking_changes(&old, &new);
            if breaks.is_empty() {
                "No breaking change for clients of the checked-in document.".to_owned()
            } else {
                format!(
                    "BREAKING for clients of the checked-in document:\n- {}",
                    breaks.join("\n- ")
                )
            }
        }
        _ => "The checked-in document is not JSON.".to_owned(),
    };
    panic!(
        "the OpenAPI document of `{name}` differs from {}.\n{}\n\n{verdict}\n\nIf the change is \
         intended, regenerate it with `NINJA_BLESS=1 cargo test -p examples --test openapi` and \
         review the diff.",
        path.display(),
        first_difference(&expected, actual)
    );
}

/// The semantic check the golden test reports with, on a real document: a version of the
/// shop without an operation and with a new required parameter is named breaking.
#[test]
fn breaking_changes_are_named_against_a_golden_document() {
    let golden: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(golden("shop-v1")).expect("the golden"))
            .expect("JSON");
    assert!(ninja_core::openapi::breaking_changes(&golden, &golden).is_empty());
    let mut changed = golden.clone();
    let paths = changed["paths"].as_object_mut().expect("paths");
    paths.remove("/api/v1/health");
    let list = &mut paths["/api/v1/products"]["get"]["parameters"];
    list.as_array_mut()
        .expect("parameters")
        .push(serde_json::json!(
            {"name": "shelf", "in": "query", "required": true, "schema": {"type": "string"}}
        ));
    assert_eq!(
        ninja_core::openapi::breaking_changes(&golden, &changed),
        [
            "GET /api/v1/health: the operation was removed",
            "GET /api/v1/products: new required query parameter `shelf`",
        ]
    );
}

#[test]
fn hello_document_matches_its_golden_file() {
    check_golden(
        "hello",
        &hello::api().openapi_json().expect("the example builds"),
    );
}

#[test]
fn inputs_document_matches_its_golden_file() {
    check_golden(
        "inputs",
        &inputs::api().openapi_json().expect("the example builds"),
    );
}

#[test]
fn live_document_matches_its_golden_file() {
    let api = examples::live::api(std::env::temp_dir());
    check_golden("live", &api.openapi_json().expect("the example builds"));
}

#[tokio::test]
async fn notes_document_matches_its_golden_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pool = examples::notes::open(&dir.path().join("notes.db"))
        .await
        .expect("the database opens");
    let api = examples::notes::api(pool, "token".to_owned());
    check_golden("notes", &api.openapi_json().expect("the example builds"));
}

#[test]
fn shop_documents_match_their_golden_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = examples::shop::db::open(&dir.path().join("shop.db")).expect("database opens");
    let v1 = examples::shop::v1(db.clone(), "token".to_owned());
    check_golden("shop-v1", &v1.openapi_json().expect("v1 builds"));
    let partners = examples::shop::Partners::new("http://127.0.0.1:1");
    let v2 = examples::shop::v2(db, partners);
    check_golden("shop-v2", &v2.openapi_json().expect("v2 builds"));
}

#[test]
fn golden_documents_pass_an_independent_validator() {
    let root = support::workspace();
    let venv_python = root.join("target/ci-venv/bin/python");
    let has_validator = venv_python.is_file()
        && Command::new(&venv_python)
            .args(["-c", "import openapi_spec_validator, jsonschema"])
            .status()
            .is_ok_and(|s| s.success());
    if !has_validator {
        support::missing(
            "openapi-spec-validator (in target/ci-venv)",
            "python3 -m venv target/ci-venv && target/ci-venv/bin/pip install openapi-spec-validator",
        );
        return;
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("examples/openapi"))
        .expect("examples/openapi exists")
        .map(|e| e.expect("readable").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no golden documents to validate");
    let out = Command::new(&venv_python)
        .arg(root.join("scripts/validate_openapi.py"))
        .args(&files)
        .output()
        .expect("the validator runs");
    assert!(
        out.status.success(),
        "a golden document is not valid:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
