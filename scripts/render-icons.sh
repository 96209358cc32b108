#!/usr/bin/env bash
# Renders the app icon (assets/heapsight.svg; assets/heapsight-small.svg for 16 and 32 px)
# to the hicolor sizes in assets/icons/, which are committed: installing needs no SVG tools.
# Needs rsvg-convert (Debian: apt-get install librsvg2-bin). Run after editing an SVG.
set -euo pipefail
cd "$(dirname "$0")/.."

for size in 16 32 48 64 128 256; do
    src=assets/heapsight.svg
    if [ "$size" -le 32 ]; then
        src=assets/heapsight-small.svg
    fi
    rsvg-convert -w "$size" -h "$size" "$src" -o "assets/icons/heapsight-$size.png"
done
