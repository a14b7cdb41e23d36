#!/usr/bin/env bash
# The independent fuzzer of issue 16: schemathesis (from PyPI), knowing each example only
# by its published /openapi.json, against the example served on a loopback port. Every
# check is on (no 5xx; only documented statuses, content types, headers and schemas;
# schema-valid requests accepted; auth enforced) but one: negative_data_rejection, which
# wants schema-invalid requests refused, while Ninja reads booleans leniently on purpose
# (`1/0`, `yes/no`, `on/off`, as FastAPI does; README "Inputs"). Run by
# scripts/test.sh after the Rust tests; installs schemathesis into target/ci-venv if missing.
# Bounded: a fixed seed and at most 30 examples per operation and phase.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=target/ci-venv
version=4.32.5
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$version"; then
  echo "installing schemathesis $version into $venv"
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install -q "schemathesis==$version"
fi

cargo build --quiet --examples
# Servers' logs and schemathesis' reports stay here for a look after a failure.
logs=target/schemathesis
rm -rf "$logs" && mkdir -p "$logs"
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
echo "schemathesis logs: $logs"
trap cleanup EXIT

# serve NAME PORT [ENV=VALUE...]: starts the example, waits until it answers.
serve() {
  local name=$1 port=$2
  shift 2
  env NINJA_ADDR="127.0.0.1:$port" RUST_LOG=warn "$@" "target/debug/examples/$name" >"$logs/$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do
    if python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=1)" \
      "http://127.0.0.1:$port/" 2>/dev/null ||
      python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', int(sys.argv[1])), 1)" "$port" 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  echo "$name did not start:"; cat "$logs/$name.log"; return 1
}

failed=()
# fuzz LABEL URL [schemathesis options...]
fuzz() {
  local label=$1 url=$2
  shift 2
  echo "== schemathesis: $label ($url)"
  # One worker: hypothesis' lambda descriptions crash under threads on CPython 3.11.
  if ! "$venv/bin/schemathesis" run "$url" --checks all --exclude-checks negative_data_rejection \
    -n 30 --workers 1 --seed 1 \
    --request-timeout 10 --no-color --output-truncate true "$@" >"$logs/st-$label.log" 2>&1; then
    failed+=("$label")
    # The failures and the summary; the whole report is in the log.
    sed -n '/= FAILURES =/,$p' "$logs/st-$label.log"
    grep -B2 -A6 "= ERRORS =" "$logs/st-$label.log" | cut -c1-300 || true
  else
    grep -E "generated|No issues" "$logs/st-$label.log" | tr -s ' ' | head -2
  fi
}

serve hello 18101
# say_after/say_sync sleep for `delay` seconds (up to 60) by design.
fuzz hello http://127.0.0.1:18101/openapi.json \
  --exclude-operation-id say_after --exclude-operation-id say_sync

serve inputs 18102
fuzz inputs http://127.0.0.1:18102/openapi.json

serve live 18103 LIVE_UPLOADS="$work/uploads"
# schemathesis does not speak WebSocket: tests/live.rs checks the sockets.
# schemathesis reads every body to its end, and here an event stream lasts count ×
# interval_ms (up to days) and a download is up to 1 TiB: tests/live.rs and
# tests/contract.rs (which judges streams by their head) check /events and /download.
fuzz live http://127.0.0.1:18103/openapi.json --exclude-path-regex '^/(ws|events|download)'


serve notes 18104 NOTES_DB="$work/notes.db" NOTES_TOKEN=fuzz-token
fuzz notes http://127.0.0.1:18104/openapi.json -H "Authorization: Bearer fuzz-token"

serve shop 18105 SHOP_DB="$work/shop.db" SHOP_ADMIN_TOKEN=fuzz-admin
for v in v1 v2; do
  fuzz "shop-$v" "http://127.0.0.1:18105/api/$v/openapi.json" \
    -H "X-API-Key: ada-key" -H "Authorization: Bearer fuzz-admin"
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "schemathesis found problems in: ${failed[*]}"
  exit 1
fi
echo "schemathesis: no issues in any example"
