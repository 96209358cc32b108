#!/usr/bin/env bash
# Leak doctor benchmark: the doctor's own work against the time to load its snapshots.
#
#   scripts/bench-doctor.sh [SIZE_MB] [DIR]
#
# Writes a baseline/target/final family of one leaking process of about SIZE_MB MB each
# (default 500; `heapsight synth SIZE_MB DIR --family`, skipped when DIR already holds one),
# reads the files once into the page cache, then runs
#   /usr/bin/time -v heapsight doctor --timings DIR/baseline DIR/target DIR/final
# and prints the load time, the diagnosis time, their ratio (the issue asks for at most 1/5),
# the peak RSS and the top finding.
#
# Environment: HEAPSIGHT, the binary (default target/release/heapsight; build it first).

set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
size=${1:-500}
dir=${2:-${TMPDIR:-/tmp}/heapsight-family-$size}
bin=${HEAPSIGHT:-$repo/target/release/heapsight}
[[ -x $bin ]] || { echo "no heapsight binary at $bin (cargo build --release)" >&2; exit 2; }
files=("$dir/baseline.heapsnapshot" "$dir/target.heapsnapshot" "$dir/final.heapsnapshot")
if [[ ! -f ${files[2]} ]]; then
    "$bin" synth "$size" "$dir" --family
fi
cat "${files[@]}" > /dev/null
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
/usr/bin/time -v "$bin" doctor --timings "${files[@]}" > "$log.out" 2> "$log"
status=$?
set -e
grep -E "^doctor timings" "$log"
grep -E "Maximum resident set size" "$log" | awk '{printf "peak RSS: %.2f GiB\n", $6/1048576}'
grep -E "Elapsed \(wall clock\)" "$log" | sed 's/^\s*/wall: /'
grep -m1 -E "^1\. " "$log.out" || true
rm -f "$log.out"
# doctor exits 1 when it finds a leak (the family has one): that is the expected outcome.
[[ $status -le 1 ]]
