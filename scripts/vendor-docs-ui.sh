#!/usr/bin/env bash
# Refreshes the vendored ReDoc and Scalar bundles from the npm registry (the only place
# they are fetched from; never at build or run time): scripts/vendor-docs-ui.sh 3.0.1 1.76.0
set -euo pipefail
cd "$(dirname "$0")/.."
redoc=${1:?redoc version}
scalar=${2:?@scalar/api-reference version}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
curl -sSf "https://registry.npmjs.org/redoc/-/redoc-$redoc.tgz" | tar xz -C "$tmp" package/bundles/redoc.standalone.js
gzip -9 -c "$tmp/package/bundles/redoc.standalone.js" > ninja-core/assets/redoc.standalone.js.gz
rm -rf "$tmp/package"
curl -sSf "https://registry.npmjs.org/@scalar/api-reference/-/api-reference-$scalar.tgz" | tar xz -C "$tmp" package/dist/browser/standalone.js
gzip -9 -c "$tmp/package/dist/browser/standalone.js" > ninja-core/assets/scalar.standalone.js.gz
echo "vendored redoc $redoc and @scalar/api-reference $scalar; update ninja-core/assets/README.md"
