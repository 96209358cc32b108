#!/usr/bin/env bash
# A long local run of the stable-toolchain fuzzer (tests/fuzz.rs): mutated real snapshots
# through the loader and every analysis, in the debug build (integer overflow checks on).
#
#   scripts/fuzz.sh [SECS] [SEED]
#
# Defaults: 600 seconds, seed = the current Unix time (printed, so a run can be repeated).
# CI runs the same test for 60 s with seed 1 (`cargo test --no-default-features`).
# Failing inputs are saved to $HEAPSIGHT_FUZZ_OUT (default target/tmp/fuzz-failures) and each
# failure prints the case seed to replay it alone:
#   HEAPSIGHT_FUZZ_CASE=<seed> cargo test --no-default-features --test integration fuzz::fuzz_loader_and_analyses -- --nocapture
# Keep a minimized copy of each crashing input in tests/fixtures/fuzz/ once the bug is fixed.
#
# Runs at nice 10: the machine is shared.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-600}"
seed="${2:-$(date +%s)}"
echo "fuzzing for ${secs} s with HEAPSIGHT_FUZZ_SEED=${seed}" >&2
HEAPSIGHT_FUZZ_SECS="$secs" HEAPSIGHT_FUZZ_SEED="$seed" exec nice -n 10 \
    cargo test --no-default-features --test integration fuzz::fuzz_loader_and_analyses -- --nocapture
