#!/usr/bin/env bash
# Installs what the heapsight window needs where there is no display (Debian/Ubuntu):
# Xvfb and xauth (a virtual X server), Mesa's software Vulkan/GL drivers (lavapipe, llvmpipe)
# for wgpu, libxkbcommon-x11 for winit, zenity (File -> Open without a desktop portal), and
# desktop-file-utils, shared-mime-info and xdg-utils for scripts/test-desktop.sh, and chromium
# (headless, for the live-capture test against a real page).
# Idempotent: installs only what is missing, and only as root (otherwise it says what to run).
set -euo pipefail

packages=(xvfb xauth mesa-vulkan-drivers libvulkan1 libgl1-mesa-dri libegl1 libxkbcommon-x11-0 zenity
    desktop-file-utils shared-mime-info xdg-utils chromium)

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup.sh: apt-get not found; install these yourself: ${missing[*]}" >&2
    exit 1
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "setup.sh: missing packages: ${missing[*]}" >&2
    echo "setup.sh: run as root, or: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi

echo "setup.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
