#!/usr/bin/env bash
# The bundled `compare`, cross-checked with a load generator that is not ours: Debian's wrk.
#
#   scripts/wrk.sh [rounds] [seconds]        (default 3 rounds of 10 s)
#   BEFORE=1 scripts/wrk.sh                  (also target/release/server-ninja-before, a
#                                             build of an older commit copied there)
#
# Each variant's server is started pinned to CPU 0, wrk (1 thread, 64 connections) pinned to
# CPU 1; every round runs every variant once, in rotating order. Prints per variant the
# median req/s and p99 over the rounds, the ratio to raw hyper on the same path, and the
# median (and range) of each round's ratio to hyper's run in that round; and the server's CPU
# time (user + system, all threads) per request: once the server's CPU is the bottleneck,
# req/s goes as its inverse. In a quiet hour runs of one binary agree on it within ~2 %; when
# the host is busy it inflates as req/s drops, so compare it within one run only.
set -euo pipefail
# `sort` and `join` pair rounds by key: one collation whatever the user's locale.
export LC_ALL=C
cd "$(dirname "$0")/.."
rounds=${1:-3}
seconds=${2:-10}
command -v wrk >/dev/null || { echo "wrk is not installed (apt install wrk)" >&2; exit 1; }
cargo build --quiet --release -p benches --bins
# label | server binary (+stack: the typical middleware) | path
variants=(
  "hyper hello|hyper|/hello"
  "ninja async hello|ninja|/hello"
  "ninja sync hello|ninja|/hello-sync"
  "hyper path+query|hyper|/items/42?q=x"
  "ninja async path+query|ninja|/items/42?q=x"
  "axum+stack hello|axum+stack|/hello"
  "hyper+stack hello|hyper+stack|/hello"
${BEFORE:+"ninja-before async hello|ninja-before|/hello"}
${BEFORE:+"ninja-before sync hello|ninja-before|/hello-sync"}
${BEFORE:+"ninja-before async path+query|ninja-before|/items/42?q=x"}
${BEFORE:+"ninja-before+stack hello|ninja-before+stack|/hello"}
  "ninja+stack hello|ninja+stack|/hello"
)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
port=3290
n=${#variants[@]}
for ((round = 0; round < rounds; round++)); do
  for ((k = 0; k < n; k++)); do
    IFS='|' read -r label server path <<<"${variants[$(((k + round) % n))]}"
    extra=()
    [[ $server == *+stack ]] && extra=(--stack)
    port=$((port + 1))
    taskset -c 0 "target/release/server-${server%+stack}" --addr "127.0.0.1:$port" "${extra[@]}" >/dev/null 2>&1 &
    pid=$!
    for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done
    taskset -c 1 wrk -t1 -c64 -d1s "http://127.0.0.1:$port$path" >/dev/null 2>&1 # warm-up
    cpu0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    taskset -c 1 wrk -t1 -c64 -d"${seconds}s" --latency "http://127.0.0.1:$port$path" >"$out/run" 2>&1
    cpu1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
    rps=$(awk '/Requests\/sec/ {print $2}' "$out/run")
    p99=$(awk '$1 == "99%" {print $2}' "$out/run")
    # µs of server CPU per request (clock ticks over the requests wrk counted).
    cpu=$(awk -v t=$((cpu1 - cpu0)) -v k="$(getconf CLK_TCK)" '/requests in/ { printf "%.3f", t / k * 1e6 / $1 }' "$out/run")
    echo "$rps $p99 $round $cpu" >>"$out/${label// /_}"
  done
done
to_us() { awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); print v} else if (v ~ /ms$/) {sub(/ms$/,"",v); print v*1000} else {sub(/s$/,"",v); print v*1000000}}'; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf '| variant | req/s (median of %s × %s s) | p99 | vs raw hyper (req/s) | same-round ratio: median [min, max] | vs raw hyper (p99) | server CPU per request | vs raw hyper (CPU) |\n|---|---|---|---|---|---|---|---|\n' "$rounds" "$seconds"
for v in "${variants[@]}"; do
  IFS='|' read -r label server path <<<"$v"
  f="$out/${label// /_}"
  rps=$(cut -d' ' -f1 "$f" | median)
  p99=$(cut -d' ' -f2 "$f" | to_us | median)
  case $path in /items*) base="hyper_path+query" ;; *) base="hyper_hello" ;; esac
  brps=$(cut -d' ' -f1 "$out/$base" | median)
  bp99=$(cut -d' ' -f2 "$out/$base" | to_us | median)
  cpu=$(cut -d' ' -f4 "$f" | median)
  bcpu=$(cut -d' ' -f4 "$out/$base" | median)
  # Each round's ratio to hyper's run of the same round (minutes apart at most), whose
  # median is steadier than a ratio of medians when the machine's speed drifts.
  ratios=$(join -1 3 -2 3 <(sort -k3 "$f") <(sort -k3 "$out/$base") | awk '{print $2 / $5}')
  rmed=$(echo "$ratios" | median)
  rmin=$(echo "$ratios" | sort -g | head -1)
  rmax=$(echo "$ratios" | sort -g | tail -1)
  awk -v l="$label" -v r="$rps" -v p="$p99" -v br="$brps" -v bp="$bp99" -v m="$rmed" -v lo="$rmin" -v hi="$rmax" -v c="$cpu" -v bc="$bcpu" \
    'BEGIN { printf "| %s | %.0f | %.0f µs | %.2f× | %.2f× [%.2f, %.2f] | %.2f× | %.2f µs | %.2f× |\n", l, r, p, r / br, m, lo, hi, p / bp, c, c / bc }'
done
echo
# Over axum with the same layers: Ninja, and raw hyper's handler behind them (the ceiling
# of that ratio for any framework on hyper).
for v in ninja+stack hyper+stack ${BEFORE:+ninja-before+stack}; do
  ratios=$(join -1 3 -2 3 <(sort -k3 "$out/${v}_hello") <(sort -k3 "$out/axum+stack_hello") | awk '{print $2 / $5}')
  echo "$v ÷ axum+stack, same round: median $(echo "$ratios" | median)×, range $(echo "$ratios" | sort -g | head -1)–$(echo "$ratios" | sort -g | tail -1)"
  c=$(cut -d' ' -f4 "$out/${v}_hello" | median)
  ca=$(cut -d' ' -f4 "$out/axum+stack_hello" | median)
  echo "  server CPU per request, axum+stack ÷ $v: $(awk -v a="$ca" -v n="$c" 'BEGIN { printf "%.2f", a / n }')× ($ca vs $c µs)"
done
