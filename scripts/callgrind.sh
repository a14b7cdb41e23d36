#!/usr/bin/env bash
# Instructions per request, counted by callgrind: stable where req/s is not (shared machine).
#
#   scripts/callgrind.sh [path] [servers...]     e.g. scripts/callgrind.sh /hello hyper ninja
#   EXPECT=404 scripts/callgrind.sh /nope         (the status loadgen counts as a success)
#   scripts/callgrind.sh /hello axum+stack ninja+stack   (`+stack`: the typical middleware)
#   scripts/callgrind.sh /hello ninja-before ninja       (a copied build of an older commit)
#   CONNS=1 scripts/callgrind.sh ...                     (connections of the load; default 8)
# Runs of one binary vary by ~5% (how requests batch per wake-up): interleave and compare medians.
#
# Each server runs twice under callgrind, serving a short and a longer load of `path` from
# `loadgen` (8 connections); the difference in instructions over the difference in requests
# is the cost of one request, start-up and shut-down cancelled out. User-space only: the
# kernel's share (syscalls, TCP) is not counted, so the ratio overstates the one in req/s.
set -euo pipefail
cd "$(dirname "$0")/.."
path=${1:-/hello}
shift || true
servers=("${@:-hyper axum ninja}")
read -r -a servers <<<"${servers[*]}"
command -v valgrind >/dev/null || { echo "valgrind is not installed (apt install valgrind)" >&2; exit 1; }
cargo build --quiet --release -p benches --bins
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
port=3190

# One run: prints "<requests> <instructions>".
measure() {
    local server=$1 seconds=$2 file=$out/$1.$2
    local extra=()
    [[ $server == *+stack ]] && extra=(--stack)
    taskset -c 0 valgrind --tool=callgrind --callgrind-out-file="$file" \
        "target/release/server-${server%+stack}" --addr "127.0.0.1:$port" "${extra[@]}" >/dev/null 2>&1 &
    local pid=$!
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
        sleep 0.1
    done
    local requests
    requests=$(taskset -c 1 target/release/loadgen "http://127.0.0.1:$port$path" -c "${CONNS:-8}" -d "$seconds" \
        --expect "${EXPECT:-200}" \
        | sed -n 's/.* \([0-9]*\) requests.*/\1/p')
    kill -TERM "$pid"
    wait "$pid" 2>/dev/null || true
    echo "$requests $(sed -n 's/^summary: //p' "$file")"
}

printf '| server | instructions per request (%s) | vs hyper |\n|---|---|---|\n' "$path"
base=""
for server in "${servers[@]}"; do
    read -r r1 i1 <<<"$(measure "$server" 1)"
    read -r r2 i2 <<<"$(measure "$server" 6)"
    per=$(((i2 - i1) / (r2 - r1)))
    [[ $server == hyper ]] && base=$per
    ratio=$([[ -n $base ]] && awk -v a="$per" -v b="$base" 'BEGIN { printf "%.2f×", a / b }' || echo "–")
    echo "| $server | $per | $ratio |"
done
