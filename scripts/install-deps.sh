#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs every Debian 12 package needed to build, test, benchmark and demo Canaille.
# Idempotent: apt-get skips what is installed. Run as root (or through sudo).
set -eu

PACKAGES="
meson ninja-build pkg-config g++ clang-format clang libclang-rt-14-dev llvm-14
libfcgi-dev spawn-fcgi libboost-dev libssl-dev libcpp-jwt-dev libsqlite3-dev
libctemplate-dev rapidjson-dev libyaml-cpp-dev libargon2-dev libcurl4-openssl-dev
libsystemd-dev catch2 libpqxx-dev postgresql
slapd ldap-utils libldap-dev
nginx wrk curl python3 sqlite3 openssl
python3-authlib python3-requests apache2 libapache2-mod-auth-openidc
"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi

# Skip apt entirely when everything is already there: re-runs are instant and offline.
missing=""
for pkg in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $pkg"
    fi
done
# nginx-light (or -core) also provides nginx.
case "$missing" in
    *" nginx"*)
        if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then
            missing=$(printf '%s\n' $missing | grep -vx nginx | tr '\n' ' ')
        fi
        ;;
esac

# The npm relying party of the e2e tests (test/e2e/rp): the exact versions of its lock
# file, only when node is there (the e2e test is registered only when meson finds node).
install_npm_deps() {
    rp_dir="$(dirname "$0")/../test/e2e/rp"
    if [ -f "$rp_dir/package-lock.json" ] && command -v npm >/dev/null 2>&1; then
        npm ci --prefix "$rp_dir" --no-audit --no-fund --loglevel=error
    fi
}

if [ -z "$(printf '%s' "$missing" | tr -d ' ')" ]; then
    echo "install-deps: all packages present"
    install_npm_deps
    exit 0
fi

echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# The tests start their own slapd (test/fixtures/slapd_server.cpp) and never use the
# system one. Installing the package starts a system slapd on port 389: when this run is
# what installs it, stop and disable that service afterwards; a slapd that was already
# there is somebody else's and is left alone.
stop_system_slapd=no
case " $missing " in
    *" slapd "*)
        if ! pidof slapd >/dev/null 2>&1; then
            stop_system_slapd=yes
        fi
        ;;
esac
$SUDO apt-get update -qq
# shellcheck disable=SC2086 # word splitting of the package list is intended
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
if [ "$stop_system_slapd" = yes ]; then
    if [ -d /run/systemd/system ]; then
        $SUDO systemctl disable --now slapd >/dev/null 2>&1 || true
    else
        $SUDO invoke-rc.d slapd stop >/dev/null 2>&1 || true
        $SUDO update-rc.d slapd disable >/dev/null 2>&1 || true
    fi
fi
install_npm_deps
echo "install-deps: done"
