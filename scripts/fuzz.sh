#!/usr/bin/env bash
# Bounded fuzzing: each cargo-fuzz target (fuzz/fuzz_targets) for SECONDS (default 60),
# starting from the seed corpus in fuzz/corpus. Needs a nightly toolchain (libFuzzer and the
# sanitizers); installs cargo-fuzz from crates.io when missing. Without nightly it says so
# and skips (exit 0): the fuzzers are an extra line of defence, the test suite is the gate.
#
# A crash leaves its input in fuzz/artifacts/<target>/; turn it into a regression test, fix,
# and add the input to the seed corpus.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds="${1:-60}"

if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  echo "SKIPPED fuzzing: no nightly toolchain (rustup toolchain install nightly)"
  exit 0
fi
if ! command -v cargo-fuzz >/dev/null; then
  echo "installing cargo-fuzz"
  cargo install cargo-fuzz --locked --quiet
fi

cargo +nightly fuzz build -O
for target in $(cargo +nightly fuzz list); do
  work="$(mktemp -d)"
  echo "fuzzing ${target} for ${seconds} s"
  # New inputs go to a scratch corpus; the checked-in seeds are only read.
  if ! cargo +nightly fuzz run -O "${target}" "${work}" "corpus/${target}" -- \
    -max_total_time="${seconds}" -rss_limit_mb=2048 -print_final_stats=1 >"${work}.log" 2>&1; then
    tail -40 "${work}.log"
    echo "fuzz target ${target} failed; the input is in fuzz/artifacts/${target}/"
    exit 1
  fi
  grep -E '^(Done|stat::number_of_executed_units)' "${work}.log" || tail -3 "${work}.log"
  rm -rf "${work}" "${work}.log"
done
