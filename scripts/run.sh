#!/usr/bin/env bash
# Runs the heapsight window: `scripts/run.sh [FILE...] [--screenshot OUT.png] ...`.
#
# On a desktop (DISPLAY or WAYLAND_DISPLAY set) this is just `cargo run --release -- "$@"`.
# Without a display it first installs Xvfb and Mesa (scripts/setup.sh, as root) and runs the
# app on a virtual screen; that is mostly useful with --screenshot OUT.png.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; then
    exec cargo run --release -- "$@"
fi

bash scripts/setup.sh
if [ -z "${XDG_RUNTIME_DIR:-}" ]; then
    XDG_RUNTIME_DIR="$(mktemp -d)"
    chmod 700 "$XDG_RUNTIME_DIR"
    export XDG_RUNTIME_DIR
fi
cargo build --release
echo "run.sh: no display; running under Xvfb (use --screenshot OUT.png to see the window)" >&2
exec xvfb-run -a -s "-screen 0 1400x900x24" target/release/heapsight "$@"
