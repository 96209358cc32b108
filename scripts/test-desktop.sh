#!/usr/bin/env bash
# Desktop-integration checks (issue 16), run by scripts/test.sh after cargo test:
#   - assets/heapsight.desktop passes desktop-file-validate; the MIME package is valid XML;
#   - scripts/install.sh --binary BIN into a temporary HOME installs the binary, the entry, the
#     icons and the MIME package, and `xdg-mime query default` answers heapsight.desktop for
#     every type; the installed `heapsight --version` names the commit and the DevTools version;
#   - installing twice changes no file (names, sizes, times); --uninstall leaves exactly the
#     directories that were there before; the same with --prefix.
# Needs desktop-file-utils, shared-mime-info, xdg-utils and python3 (scripts/setup.sh).
#
#   scripts/test-desktop.sh [BIN]    (default: target/debug/heapsight, built by cargo test)
set -euo pipefail
cd "$(dirname "$0")/.."

bin="${1:-${CARGO_TARGET_DIR:-target}/debug/heapsight}"
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
types=(application/x-heapsnapshot application/x-heapsnapshot-gzip application/x-heapprofile)

fail() {
    echo "test-desktop.sh: FAIL: $*" >&2
    exit 1
}

echo "== desktop-file-validate, MIME XML" >&2
desktop-file-validate assets/heapsight.desktop || fail "desktop-file-validate"
python3 - assets/heapsight-mime.xml <<'EOF' || fail "MIME package"
import sys
import xml.etree.ElementTree as ET

ns = "{http://www.freedesktop.org/standards/shared-mime-info}"
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == ns + "mime-info", root.tag
globs = {g.get("pattern") for g in root.iter(ns + "glob")}
want = {"*.heapsnapshot", "*.heapsnapshot.gz", "*.heapprofile"}
assert globs == want, globs
EOF

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
home="$tmp/home"
mkdir -p "$home/.local/bin" "$home/.local/share" "$home/.config"
# A clean environment: no desktop session, so xdg-mime uses the freedesktop.org lookup.
in_home() {
    env -i HOME="$home" PATH=/usr/local/bin:/usr/bin:/bin \
        XDG_DATA_HOME="$home/.local/share" XDG_CONFIG_HOME="$home/.config" "$@"
}
listing() {
    find "$1" -printf '%y %P %s %T@ %m\n' | sort
}

echo "== install into a temporary HOME" >&2
before="$(listing "$home")"
in_home bash scripts/install.sh --binary "$bin"
first="$(listing "$home")"
data="$home/.local/share"
for f in "$home/.local/bin/heapsight" "$data/applications/heapsight.desktop" \
    "$data/icons/hicolor/48x48/apps/heapsight.png" "$data/icons/hicolor/scalable/apps/heapsight.svg" \
    "$data/mime/packages/heapsight.xml" "$data/mime/mime.cache"; do
    [ -f "$f" ] || fail "not installed: $f"
done
desktop-file-validate "$data/applications/heapsight.desktop" || fail "installed entry"
grep -qx 'Exec=heapsight %F' "$data/applications/heapsight.desktop" || fail "Exec line"
for t in "${types[@]}"; do
    got="$(in_home xdg-mime query default "$t")"
    [ "$got" = heapsight.desktop ] || fail "xdg-mime query default $t: \"$got\""
    echo "xdg-mime query default $t: $got" >&2
done
for g in '*.heapsnapshot' '*.heapsnapshot.gz' '*.heapprofile'; do
    grep -qF ":$g" "$data/mime/globs2" || fail "$g not in the MIME database"
done
version="$("$home/.local/bin/heapsight" --version)"
echo "$version" >&2
grep -Eq '^commit ([0-9a-f]{12}|unknown)$' <<<"$version" || fail "--version: no commit"
grep -q 'chrome-devtools-frontend 1\.0\.1705227' <<<"$version" || fail "--version: no DevTools version"

echo "== install again: nothing changes" >&2
in_home bash scripts/install.sh --binary "$bin"
second="$(listing "$home")"
diff <(echo "$first") <(echo "$second") || fail "a second install changed files"

echo "== uninstall: nothing stray" >&2
in_home bash scripts/install.sh --uninstall
after="$(listing "$home")"
diff <(echo "$before" | cut -d' ' -f1,2) <(echo "$after" | cut -d' ' -f1,2) \
    || fail "uninstall left or removed files"

echo "== --prefix" >&2
prefix="$tmp/prefix"
in_home bash scripts/install.sh --prefix "$prefix" --binary "$bin"
[ -x "$prefix/bin/heapsight" ] || fail "--prefix: no binary"
[ -f "$prefix/share/applications/heapsight.desktop" ] || fail "--prefix: no entry"
in_home bash scripts/install.sh --prefix "$prefix" --uninstall
stray="$(find "$prefix" "$home" -type f)"
[ -z "$stray" ] || fail "--prefix uninstall left: $stray"

echo "test-desktop.sh: desktop integration OK" >&2
