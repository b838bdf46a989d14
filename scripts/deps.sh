#!/bin/sh
# Install the Debian packages socc needs, when any is missing.
# Usage: scripts/deps.sh run|test|fuzz
set -eu

pkgs="gcc make pkg-config libmicrohttpd-dev libssl-dev libsqlite3-dev
libzip-dev zlib1g-dev libexpat1-dev libsodium-dev libhiredis-dev
libcurl4-openssl-dev"
case "${1:-run}" in
test)
    pkgs="$pkgs libcmocka-dev curl cppcheck redis-server chromium openssl"
    # Node.js drives the browser and tus-client tests; a machine that has
    # one (any packaging) keeps it, a bare one gets Debian's.
    command -v node >/dev/null 2>&1 || pkgs="$pkgs nodejs"
    command -v npm >/dev/null 2>&1 || pkgs="$pkgs npm"
    ;;
fuzz) pkgs="$pkgs clang libclang-rt-dev" ;;
esac

missing=""
for p in $pkgs; do
    st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$st" in
    *"install ok installed"*) ;;
    *) missing="$missing $p" ;;
    esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
    echo "socc: missing packages:$missing" >&2
    echo "socc: run as root: apt-get install -y$missing" >&2
    exit 1
fi
echo "socc: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq $missing >/dev/null
