#!/usr/bin/env bash
# End-to-end benchmark: heapsight against the DevTools oracle on one .heapsnapshot file.
#
#   scripts/bench.sh [--no-oracle] [--oracle-json FILE] SNAPSHOT
#
# Runs, one after the other (never at the same time, so neither steals the other's cores), each
# after reading the file once so both start from the page cache:
#   /usr/bin/time -v target/release/heapsight bench SNAPSHOT
#   /usr/bin/time -v node --max-old-space-size=20000 $ORACLE/oracle.js SNAPSHOT --sections totals,statistics,summary
# then prints wall seconds and peak RSS (GiB) of each, and the ratios
# (time: oracle / heapsight, memory: heapsight / oracle).
#
# Options:
#   --no-oracle         Skip the oracle (e.g. for the 4.5 GB synthetic file: scaling from the 1 GB
#                       make-big file, 4 GiB RSS for 14.5 M nodes, the oracle would need ~18 GiB).
#   --oracle-json FILE  Reuse cached oracle figures instead of rerunning the oracle. FILE is either a
#                       JSON file this script wrote ({"wall_secs":…,"max_rss_kib":…}) or a log holding
#                       `/usr/bin/time -v` output (such as the oracle.stderr files beside the big
#                       snapshots). If FILE does not exist yet, the oracle runs and its figures are
#                       saved to FILE for next time.
#
# Environment:
#   HEAPSIGHT  heapsight binary (default: target/release/heapsight in this repository; not built here:
#              run `cargo build --release` first).
#   ORACLE     oracle directory with lib/ set up (default: ../shared/oracle copied once to
#              ${TMPDIR:-/tmp}/heapsight-oracle, where setup.sh is run if lib/ is missing).
#   NODE_HEAP_MB  --max-old-space-size for the oracle (default 20000).
#
# Exit status: 0 if every run that was attempted succeeded, 1 otherwise, 2 on usage errors.

set -euo pipefail

usage() {
    sed -n '2,/^$/s/^# \{0,1\}//p' "$0" >&2
    exit 2
}

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
run_oracle=1
oracle_json=""
snapshot=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --no-oracle) run_oracle=0 ;;
        --oracle-json)
            [[ $# -ge 2 ]] || usage
            oracle_json=$2
            shift
            ;;
        --oracle-json=*) oracle_json=${1#--oracle-json=} ;;
        -h | --help) usage ;;
        -*)
            echo "bench.sh: unknown option $1" >&2
            usage
            ;;
        *)
            [[ -z "$snapshot" ]] || usage
            snapshot=$1
            ;;
    esac
    shift
done
[[ -n "$snapshot" ]] || usage
[[ -f "$snapshot" ]] || {
    echo "bench.sh: no such file: $snapshot" >&2
    exit 2
}
[[ -x /usr/bin/time ]] || {
    echo "bench.sh: needs GNU time at /usr/bin/time (apt-get install time)" >&2
    exit 2
}

heapsight=${HEAPSIGHT:-$repo/target/release/heapsight}
node_heap_mb=${NODE_HEAP_MB:-20000}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/heapsight-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# Wall seconds from a `/usr/bin/time -v` log ("Elapsed (wall clock) time (h:mm:ss or m:ss): 1:36.76").
wall_secs() {
    sed -n 's/.*Elapsed (wall clock) time[^:]*: *//p' "$1" | tail -n 1 |
        awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.2f", s }'
}

# Peak RSS in KiB from a `/usr/bin/time -v` log.
max_rss_kib() {
    sed -n 's/.*Maximum resident set size (kbytes): *//p' "$1" | tail -n 1
}

# Value of a flat numeric key in a one-level JSON object written by this script.
json_number() {
    sed -n "s/.*\"$2\": *\([0-9.][0-9.]*\).*/\1/p" "$1" | head -n 1
}

# Sets up the default oracle directory on first use.
ensure_oracle() {
    if [[ -n "${ORACLE:-}" ]]; then
        oracle=$ORACLE
    else
        oracle=${TMPDIR:-/tmp}/heapsight-oracle
        if [[ ! -f "$oracle/oracle.js" ]]; then
            local shared=$repo/../shared/oracle
            [[ -f "$shared/oracle.js" ]] || {
                echo "bench.sh: no oracle at $shared; set ORACLE" >&2
                return 1
            }
            echo "bench.sh: copying $shared to $oracle" >&2
            cp -r "$shared" "$oracle"
            chmod -R u+w "$oracle" # The shared copy is read-only.
        fi
    fi
    if [[ ! -d "$oracle/lib" ]]; then
        echo "bench.sh: running setup.sh in $oracle (once)" >&2
        (cd "$oracle" && ./setup.sh) >&2
    fi
}

# Reads the file once so that both programs start with it in the page cache (whichever runs
# first would otherwise pay for the disk alone).
warm_cache() {
    cat "$snapshot" >/dev/null
}

hs_status="not run"
hs_secs=""
hs_kib=""
if [[ -x "$heapsight" ]]; then
    echo "== heapsight bench $snapshot" >&2
    warm_cache
    if /usr/bin/time -v -o "$tmp/heapsight.time" "$heapsight" bench "$snapshot"; then
        hs_status=ok
    else
        hs_status="failed (exit $?)"
    fi
    hs_secs=$(wall_secs "$tmp/heapsight.time")
    hs_kib=$(max_rss_kib "$tmp/heapsight.time")
else
    hs_status="missing: $heapsight (cargo build --release)"
fi

or_status="skipped"
or_secs=""
or_kib=""
if [[ -n "$oracle_json" && -f "$oracle_json" ]]; then
    if grep -q 'Elapsed (wall clock)' "$oracle_json"; then
        or_secs=$(wall_secs "$oracle_json")
        or_kib=$(max_rss_kib "$oracle_json")
    else
        or_secs=$(json_number "$oracle_json" wall_secs)
        or_kib=$(json_number "$oracle_json" max_rss_kib)
    fi
    if [[ -n "$or_secs" && -n "$or_kib" ]]; then
        or_status="cached ($oracle_json)"
    else
        echo "bench.sh: no wall_secs/max_rss_kib in $oracle_json" >&2
        or_status="bad cache"
    fi
elif [[ $run_oracle -eq 1 ]]; then
    ensure_oracle
    echo "== oracle $snapshot" >&2
    warm_cache
    if /usr/bin/time -v -o "$tmp/oracle.time" node --max-old-space-size="$node_heap_mb" \
        "$oracle/oracle.js" "$snapshot" --sections totals,statistics,summary \
        >"$tmp/oracle.json" 2>"$tmp/oracle.stderr"; then
        or_status=ok
    else
        or_status="failed (exit $?)"
        tail -n 5 "$tmp/oracle.stderr" >&2
    fi
    or_secs=$(wall_secs "$tmp/oracle.time")
    or_kib=$(max_rss_kib "$tmp/oracle.time")
    if [[ $or_status == ok && -n "$oracle_json" ]]; then
        timings=$(sed -n 's/^oracle timings //p' "$tmp/oracle.stderr" | tail -n 1)
        printf '{"file": "%s", "file_bytes": %s, "wall_secs": %s, "max_rss_kib": %s, "oracle_timings": %s}\n' \
            "$(basename "$snapshot")" "$(stat -c %s "$snapshot")" "$or_secs" "$or_kib" "${timings:-null}" \
            >"$oracle_json"
        echo "bench.sh: saved oracle figures to $oracle_json" >&2
    fi
fi

gib() {
    [[ -n "$1" ]] && awk -v k="$1" 'BEGIN { printf "%.2f", k / 1048576 }' || printf -- "-"
}

ratio() {
    [[ -n "$1" && -n "$2" ]] && awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "-" }' ||
        printf -- "-"
}

echo
printf 'snapshot: %s (%s bytes)\n' "$snapshot" "$(stat -c %s "$snapshot")"
printf '%-10s %10s %10s  %s\n' "" "wall s" "peak GiB" "status"
printf '%-10s %10s %10s  %s\n' heapsight "${hs_secs:--}" "$(gib "$hs_kib")" "$hs_status"
printf '%-10s %10s %10s  %s\n' oracle "${or_secs:--}" "$(gib "$or_kib")" "$or_status"
printf 'time   oracle/heapsight: %s x\n' "$(ratio "$or_secs" "$hs_secs")"
printf 'memory heapsight/oracle: %s x\n' "$(ratio "$hs_kib" "$or_kib")"

[[ $hs_status == ok ]] || exit 1
case "$or_status" in ok | skipped | cached*) exit 0 ;; *) exit 1 ;; esac
