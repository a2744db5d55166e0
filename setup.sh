#!/usr/bin/env bash
# Set-up for a fresh Debian 12 machine: install what is missing, build
# (release), and run the main job: every [[expect]] of the bundled models.
#   ./setup.sh            install + build + proxycheck ci models/
#   ./setup.sh --build    install + build only
set -eu
cd "$(dirname "$0")"
packages="meson ninja-build g++ pkg-config libboost-graph-dev libcli11-dev doctest-dev libxxhash-dev libtomlplusplus-dev nlohmann-json3-dev"
missing=""
for p in $packages; do
    dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" = 0 ]; then
        echo "setup: installing$missing"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq $missing >/dev/null
    else
        echo "setup: missing packages; run as root:"
        echo "  apt-get install -y$missing"
        exit 1
    fi
fi
[ -f build/build.ninja ] || meson setup build --buildtype=release >/dev/null
ninja -C build
[ "${1:-}" = "--build" ] && exit 0
./build/src/proxycheck ci models/
