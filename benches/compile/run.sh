#!/usr/bin/env bash
# Compile time of one API of N routes (mixed path, query, body arguments), Ninja against
# axum + utoipa: the crate's own clean build (its dependencies already built) and an
# incremental rebuild after one handler's body changes. Debug profile, as while developing.
#
#   benches/compile/run.sh [routes=200] [rounds=3]
#
# Dependencies are built once in target/compile-bench (not counted). Prints medians.
set -euo pipefail
cd "$(dirname "$0")/../.."
routes=${1:-200}
rounds=${2:-3}
out=target/compile-bench/src
export CARGO_TARGET_DIR=$PWD/target/compile-bench
python3 benches/compile/generate.py "$out" "$routes"
for c in ninja axum; do
    cp Cargo.lock "$out/$c/"
    (cd "$out/$c" && cargo build --quiet)
done

seconds() { local s; s=$(date +%s.%N); "$@" >/dev/null 2>&1; echo "$(date +%s.%N) - $s" | bc; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -A clean incr
for r in $(seq "$rounds"); do
    for c in ninja axum; do
        dir="$out/$c"
        (cd "$dir" && cargo clean --quiet -p "compile-bench-$c")
        clean[$c]+="$(cd "$dir" && seconds cargo build --quiet)"$'\n'
        # One handler's body changes: h1's created name.
        sed -i "0,/name: b.name, tags: b.tags/s//name: b.name + \"$r\", tags: b.tags/" "$dir/src/main.rs"
        incr[$c]+="$(cd "$dir" && seconds cargo build --quiet)"$'\n'
    done
done
echo "| $routes routes, debug, median of $rounds | clean build of the crate (s) | rebuild after one handler changes (s) |"
echo "|---|---:|---:|"
for c in ninja axum; do
    echo "| $c | $(printf '%s' "${clean[$c]}" | median) | $(printf '%s' "${incr[$c]}" | median) |"
done
