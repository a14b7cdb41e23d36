#!/usr/bin/env bash
# Runs every test. First installs what some tests need, when it is missing:
#   - Debian's chromium and chromium-driver (the docs-page browser test),
#   - Debian's redis-server (the Redis throttle store tests start their own on loopback),
#   - Debian's postgresql: scripts/postgres.sh starts a throwaway server on a free loopback port
#     for the notes tests over PostgreSQL (NINJA_TEST_POSTGRES), stopped at the end,
#   - a Python venv in target/ci-venv with openapi-spec-validator (the golden-spec check)
#     and schemathesis (installed by scripts/schemathesis.sh, run last).
# Then runs the workspace tests, every feature on (TLS), with NINJA_REQUIRE_TOOLS=1, so a missing tool fails the run
# instead of being skipped; then schemathesis (scripts/schemathesis.sh) and the cluster check
# (scripts/cluster.sh: HAProxy, PostgreSQL and Redis, which it installs when missing).
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  echo "installing chromium and chromium-driver (Debian packages)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
fi

if ! command -v redis-server >/dev/null; then
  echo "installing redis-server (Debian package)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
fi
# Debian starts the packaged service; the tests start their own on free ports.
if command -v systemctl >/dev/null; then as_root systemctl disable --now redis-server >/dev/null 2>&1 || true; fi

if ! target/ci-venv/bin/python -c "import openapi_spec_validator, jsonschema" 2>/dev/null; then
  echo "installing openapi-spec-validator into target/ci-venv"
  python3 -m venv target/ci-venv
  target/ci-venv/bin/pip install -q "openapi-spec-validator==0.9.0"
fi

pg_dir=$(mktemp -d /tmp/ninja-pg.XXXXXX)
trap 'scripts/postgres.sh stop "$pg_dir"' EXIT
# A free loopback port (a server left from an earlier run cannot answer for this one).
pg_port=${NINJA_PG_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
NINJA_TEST_POSTGRES=$(scripts/postgres.sh start "$pg_dir" "$pg_port")
export NINJA_TEST_POSTGRES

NINJA_REQUIRE_TOOLS=1 cargo test --workspace --all-features

# The independent fuzzer: schemathesis against each example, from its published document.
scripts/schemathesis.sh

# Scale-out: three notes instances behind HAProxy over PostgreSQL and Redis, under load,
# through a rolling restart and a SIGKILL (about a minute, plus a release build).
scripts/cluster.sh
