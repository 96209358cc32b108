#!/usr/bin/env bash
# The README's test command (and what .ci/run runs):
#   1. installs Xvfb + Mesa where missing (scripts/setup.sh, as root),
#   2. cargo test --locked: unit, CLI, golden (DevTools oracle) and egui_kittest UI tests
#      (the UI tests drive the real app state and assert on what it shows; pixel snapshots
#      are opt-in with --features snapshot, since renderers differ between machines),
#   3. checks the desktop integration: .desktop entry, MIME package, install.sh into a
#      temporary HOME and its --uninstall (scripts/test-desktop.sh),
#   4. runs the real window once under Xvfb with the bundled demo snapshot, saves a
#      screenshot and checks it is not blank (scripts/check_screenshot.py).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

if [ -z "${XDG_RUNTIME_DIR:-}" ]; then
    XDG_RUNTIME_DIR="$(mktemp -d)"
    chmod 700 "$XDG_RUNTIME_DIR"
    export XDG_RUNTIME_DIR
fi

echo "== cargo test --locked" >&2
cargo test --locked

echo "== desktop integration (scripts/test-desktop.sh)" >&2
bash scripts/test-desktop.sh

echo "== smoke test: the real window under Xvfb" >&2
# Same features as the tests, so the binary is already built.
cargo build --locked
shot_dir="$(mktemp -d)"
shot="$shot_dir/heapsight.png"
xvfb-run -a -s "-screen 0 1400x900x24" timeout 120 "${CARGO_TARGET_DIR:-target}/debug/heapsight" --screenshot "$shot"
python3 scripts/check_screenshot.py "$shot"
rm -rf "$shot_dir"
echo "test.sh: all tests passed" >&2
