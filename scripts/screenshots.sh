#!/usr/bin/env bash
# Retakes the README's screenshots of the fixtures under Xvfb (the 1.1 GB, allocation, profile
# and live ones need their own inputs and are taken by hand, see the README).
#
#     scripts/screenshots.sh [HEAPSIGHT]     (default: target/debug/heapsight)
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-target/debug/heapsight}"
cache=tests/fixtures/goldens/cache
express=tests/fixtures/doctor/express-leaks
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
shot() {
    local out="screenshots/$1"
    shift
    xvfb-run -a -s "-screen 0 1400x900x24" timeout 180 "$bin" "$@" --screenshot "$out" 2>/dev/null
    python3 scripts/check_screenshot.py "$out"
}
shot summary-retainers.png --select @83299
HEAPSIGHT_THEME=light shot summary-retainers-light.png --select @83299
shot findings-express.png $express/baseline.heapsnapshot.gz $express/target.heapsnapshot.gz $express/final.heapsnapshot.gz
shot comparison-cache.png $cache/baseline.heapsnapshot.gz $cache/final.heapsnapshot.gz --view comparison --select @79261
shot side-by-side-cache.png $cache/baseline.heapsnapshot.gz $cache/final.heapsnapshot.gz --view side-by-side
shot summary-allocated-between-cache.png $cache/baseline.heapsnapshot.gz $cache/final.heapsnapshot.gz --summary-filter baseline-target
shot summary-duplicated-strings-cache.png $cache/final.heapsnapshot.gz --summary-filter duplicated-strings --select @83311
shot duplicated-strings-cache.png $cache/final.heapsnapshot.gz --view strings --select @83311
shot leak-candidates-cache.png $cache/baseline.heapsnapshot.gz $cache/target.heapsnapshot.gz $cache/final.heapsnapshot.gz --view leaks
shot retainer-graph-cache-leak.png $cache/final.heapsnapshot.gz --view graph --select @79261
shot retainer-graph-deep-chain.png $express/final.heapsnapshot.gz --view graph --select @97675
shot retainer-graph-express-response.png $express/final.heapsnapshot.gz --view graph --select @179857
shot compare-ab-cache.png $cache/baseline.heapsnapshot.gz $cache/final.heapsnapshot.gz --compare-ab --select @79261
shot containment-revealed-leak.png $cache/final.heapsnapshot.gz --view containment --select @79261
shot dominators-cache-leak.png $cache/final.heapsnapshot.gz --view dominators --select @79261
shot statistics-cache.png $cache/final.heapsnapshot.gz --view statistics
shot about.png --view about
