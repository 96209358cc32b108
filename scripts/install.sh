#!/usr/bin/env bash
# Installs heapsight for the current user, as a desktop application:
#   BIN/heapsight                                   the release binary
#   DATA/applications/heapsight.desktop             menu entry (Exec=heapsight %F)
#   DATA/icons/hicolor/{16..256}/apps/heapsight.png the icon (and scalable/apps/heapsight.svg)
#   DATA/mime/packages/heapsight.xml                .heapsnapshot, .heapsnapshot.gz, .heapprofile
# and makes heapsight the default handler of those types ([Default Applications] in
# $XDG_CONFIG_HOME/mimeapps.list). BIN is ~/.local/bin and DATA $XDG_DATA_HOME (~/.local/share),
# or PREFIX/bin and PREFIX/share with --prefix.
#
#   scripts/install.sh [--prefix PREFIX] [--binary PATH]   build (cargo build --release) and install
#   scripts/install.sh [--prefix PREFIX] --uninstall       remove exactly what install put there
#
# --binary installs an already-built binary instead of building (the tests use target/debug).
# Running it twice changes nothing: a file whose content is already there is left alone.
# Uses only coreutils, awk and (when present) update-mime-database; the icons are committed PNGs.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"

usage() {
    sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
}

prefix=""
binary=""
uninstall=0
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) prefix="${2:?--prefix needs a directory}"; shift 2 ;;
        --prefix=*) prefix="${1#--prefix=}"; shift ;;
        --binary) binary="${2:?--binary needs a path}"; shift 2 ;;
        --binary=*) binary="${1#--binary=}"; shift ;;
        --uninstall) uninstall=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "install.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
done

if [ -n "$prefix" ]; then
    mkdir -p "$prefix"
    prefix="$(cd "$prefix" && pwd)"
    bindir="$prefix/bin"
    datadir="$prefix/share"
else
    bindir="$HOME/.local/bin"
    datadir="${XDG_DATA_HOME:-$HOME/.local/share}"
fi
mimeapps="${XDG_CONFIG_HOME:-$HOME/.config}/mimeapps.list"

desktop_id=heapsight.desktop
mime_types=(application/x-heapsnapshot application/x-heapsnapshot-gzip application/x-heapprofile)
sizes=(16 32 48 64 128 256)
mimedir="$datadir/mime"
hicolor="$datadir/icons/hicolor"

say() { echo "install.sh: $*" >&2; }

# Every file this script installs, as "SOURCE DEST MODE" (SOURCE relative to the repo).
manifest() {
    echo "BINARY $bindir/heapsight 755"
    echo "assets/heapsight.desktop $datadir/applications/$desktop_id 644"
    for s in "${sizes[@]}"; do
        echo "assets/icons/heapsight-$s.png $hicolor/${s}x${s}/apps/heapsight.png 644"
    done
    echo "assets/heapsight.svg $hicolor/scalable/apps/heapsight.svg 644"
    echo "assets/heapsight-mime.xml $mimedir/packages/heapsight.xml 644"
}

# Copies SRC to DEST unless DEST already has that content; returns 1 if it changed nothing.
put() {
    local src="$1" dest="$2" mode="$3"
    if [ -f "$dest" ] && cmp -s "$src" "$dest"; then
        return 1
    fi
    mkdir -p "$(dirname "$dest")"
    # Copy beside it and rename: replaces a running binary safely.
    cp "$src" "$dest.tmp.$$"
    chmod "$mode" "$dest.tmp.$$"
    mv -f "$dest.tmp.$$" "$dest"
    say "installed $dest"
}

# Removes the directories of DEST up to (not including) the install roots, while empty.
prune_dirs() {
    local dir
    dir="$(dirname "$1")"
    while [ "$dir" != "$datadir" ] && [ "$dir" != "$bindir" ] && [ "$dir" != "/" ] \
        && [ "$dir" != "$(dirname "$mimeapps")" ]; do
        rmdir "$dir" 2>/dev/null || break
        dir="$(dirname "$dir")"
    done
}

# The shared-mime-info database under DATA/mime, rebuilt from its packages.
update_mime_db() {
    if command -v update-mime-database >/dev/null 2>&1; then
        update-mime-database "$mimedir"
    else
        say "update-mime-database not found (Debian: shared-mime-info); file types register at next login"
    fi
}

# An icon cache is only refreshed where one exists (GTK scans a theme without one).
update_icon_cache() {
    if [ -f "$hicolor/icon-theme.cache" ] && command -v gtk-update-icon-cache >/dev/null 2>&1; then
        gtk-update-icon-cache -q -t "$hicolor" || say "gtk-update-icon-cache failed (ignored)"
    fi
}

# Writes mimeapps.list with heapsight as the default of our types (mode add) or without those
# entries (mode remove), dropping a [Default Applications] section left empty and the file
# if nothing remains. Leaves the file alone when the result is the same.
edit_mimeapps() {
    local mode="$1" entries="" t new
    for t in "${mime_types[@]}"; do
        entries="$entries$t=$desktop_id"$'\n'
    done
    if [ "$mode" = remove ] && [ ! -f "$mimeapps" ]; then
        return 0
    fi
    new="$(mktemp)"
    # shellcheck disable=SC2016
    awk -v mode="$mode" -v entries="$entries" '
        BEGIN {
            n = split(entries, E, "\n") - 1
            for (i = 1; i <= n; i++) { split(E[i], kv, "="); ours[kv[1]] = E[i] }
        }
        { L[++count] = $0 }
        END {
            # Section of each line (0 before the first header) and which is [Default Applications].
            sec = 0
            for (i = 1; i <= count; i++) {
                if (L[i] ~ /^\[/) { sec++; header[sec] = i; isdef[sec] = (L[i] == "[Default Applications]") }
                S[i] = sec
                if (isdef[sec] && L[i] !~ /^\[/) {
                    split(L[i], kv, "=")
                    # Our types: dropped here (and written once after the header when adding).
                    if (kv[1] in ours && (mode == "add" || L[i] == ours[kv[1]])) { drop[i] = 1; continue }
                    if (L[i] !~ /^[ \t]*$/) used[sec] = 1
                }
            }
            done = 0
            for (s = 1; s <= sec; s++) if (isdef[s] && mode == "add" && !done) { used[s] = 1; adds[s] = 1; done = 1 }
            for (i = 1; i <= count; i++) if (isdef[S[i]] && !used[S[i]]) drop[i] = 1
            # Trailing blank lines before a dropped section at the end go with it.
            last = count
            while (last > 0 && drop[last]) last--
            if (last < count) while (last > 0 && L[last] ~ /^[ \t]*$/ && !drop[last]) drop[last--] = 1
            for (i = 1; i <= count; i++) {
                if (drop[i]) continue
                out[++m] = L[i]
                if (i == header[S[i]] && adds[S[i]]) for (j = 1; j <= n; j++) out[++m] = E[j]
            }
            if (mode == "add" && !done) {
                if (m > 0 && out[m] !~ /^[ \t]*$/) out[++m] = ""
                out[++m] = "[Default Applications]"
                for (j = 1; j <= n; j++) out[++m] = E[j]
            }
            nonblank = 0
            for (i = 1; i <= m; i++) if (out[i] !~ /^[ \t]*$/) nonblank = 1
            if (nonblank) for (i = 1; i <= m; i++) print out[i]
        }
    ' "$( [ -f "$mimeapps" ] && echo "$mimeapps" || echo /dev/null )" >"$new"
    if [ ! -s "$new" ]; then
        rm -f "$new"
        if [ -f "$mimeapps" ]; then
            rm -f "$mimeapps"
            say "removed $mimeapps"
        fi
    elif [ -f "$mimeapps" ] && cmp -s "$new" "$mimeapps"; then
        rm -f "$new"
    else
        mkdir -p "$(dirname "$mimeapps")"
        cat "$new" >"$mimeapps"
        rm -f "$new"
        say "updated $mimeapps"
    fi
}

if [ "$uninstall" -eq 1 ]; then
    mime_changed=0
    icons_changed=0
    while read -r _src dest _mode; do
        if [ -e "$dest" ] || [ -L "$dest" ]; then
            rm -f "$dest"
            say "removed $dest"
            case "$dest" in
                "$mimedir"/*) mime_changed=1 ;;
                "$hicolor"/*) icons_changed=1 ;;
            esac
        fi
        prune_dirs "$dest"
    done < <(manifest)
    edit_mimeapps remove
    if [ "$mime_changed" -eq 1 ]; then
        if [ -d "$mimedir/packages" ] && [ -n "$(ls -A "$mimedir/packages")" ]; then
            update_mime_db
        elif [ -d "$mimedir" ]; then
            # No package left: the rest of DATA/mime is update-mime-database's output.
            rm -rf "$mimedir"
            say "removed $mimedir (generated database, no package left)"
        fi
    fi
    [ "$icons_changed" -eq 0 ] || update_icon_cache
    say "uninstalled"
    exit 0
fi

if [ -z "$binary" ]; then
    say "building the release binary (cargo build --release --locked)"
    (cd "$repo" && cargo build --release --locked)
    binary="${CARGO_TARGET_DIR:-$repo/target}/release/heapsight"
fi
if [ ! -x "$binary" ]; then
    echo "install.sh: not an executable: $binary" >&2
    exit 1
fi

mime_changed=0
icons_changed=0
while read -r src dest mode; do
    if [ "$src" = BINARY ]; then
        src="$binary"
    else
        src="$repo/$src"
    fi
    if put "$src" "$dest" "$mode"; then
        case "$dest" in
            "$mimedir"/*) mime_changed=1 ;;
            "$hicolor"/*) icons_changed=1 ;;
        esac
    fi
done < <(manifest)
if [ "$mime_changed" -eq 1 ] || [ ! -f "$mimedir/mime.cache" ]; then
    update_mime_db
fi
[ "$icons_changed" -eq 0 ] || update_icon_cache
edit_mimeapps add

case ":$PATH:" in
    *":$bindir:"*) ;;
    *) say "note: $bindir is not on PATH; the menu entry runs \"heapsight\" from PATH, so add it" ;;
esac
say "installed heapsight $("$bindir/heapsight" -V | sed 's/^heapsight //')"
