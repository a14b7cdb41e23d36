"""Validates OpenAPI 3.1 documents independently of Ninja.

Two checks per file: the document against the OpenAPI 3.1 specification
(openapi-spec-validator), and every schema in it against the JSON Schema 2020-12
meta-schema (jsonschema), which the first check does not look inside.

Usage: python scripts/validate_openapi.py FILE...   (exit 1 on any error)
"""

import json
import sys

from jsonschema import Draft202012Validator
from openapi_spec_validator import validate


def schemas(doc):
    """Yields (where, schema) for every schema the document holds."""
    for name, schema in doc.get("components", {}).get("schemas", {}).items():
        yield f"components.schemas.{name}", schema
    for path, item in doc.get("paths", {}).items():
        for method, op in item.items():
            where = f"{method.upper()} {path}"
            for p in op.get("parameters", []):
                yield f"{where} parameter {p['name']}", p["schema"]
            body = op.get("requestBody", {}).get("content", {})
            for media, m in body.items():
                yield f"{where} request body {media}", m["schema"]
            for status, r in op.get("responses", {}).items():
                for media, m in r.get("content", {}).items():
                    yield f"{where} response {status} {media}", m["schema"]


def main(files):
    failed = False
    for file in files:
        with open(file, encoding="utf-8") as f:
            doc = json.load(f)
        try:
            validate(doc)
        except Exception as e:  # the validator raises several error types
            print(f"{file}: not a valid OpenAPI document: {e}")
            failed = True
            continue
        for where, schema in schemas(doc):
            try:
                Draft202012Validator.check_schema(schema)
            except Exception as e:
                print(f"{file}: {where}: not a valid JSON Schema 2020-12 schema: {e.message}")
                failed = True
        if not failed:
            print(f"{file}: OK")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
