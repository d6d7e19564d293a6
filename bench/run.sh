#!/bin/bash
# SPDX-License-Identifier: MIT
# Benchmarks Canaille the way it is deployed: nginx (the shipped snippet) in front of
# `canaille fcgi --workers 2` on SQLite, everything on loopback. Measures throughput and
# latency with wrk, worker memory, and start-up time, and appends the figures to
# bench/RESULTS.md with the date and the machine. Not a test: nothing here passes or fails.
#
#   bench/run.sh                 # release build in build-bench/, 10 s per endpoint
#   BENCH_DURATION=30s BUILD_DIR=build bench/run.sh
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD="${BUILD_DIR:-$ROOT/build-bench}"
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
DURATION="${BENCH_DURATION:-10s}"
THREADS=2
CONNECTIONS=16
NGINX="${NGINX_BIN:-/usr/sbin/nginx}"
RESULTS="$ROOT/bench/RESULTS.md"

log() { printf 'bench: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
command -v wrk >/dev/null || die "wrk is missing (scripts/install-deps.sh)"
command -v curl >/dev/null || die "curl is missing (scripts/install-deps.sh)"

if [ ! -f "$BUILD/build.ninja" ]; then
    meson setup "$BUILD" "$ROOT" --buildtype=release >/dev/null
fi
ninja -C "$BUILD" app/canaille >/dev/null
CANAILLE="$BUILD/app/canaille"
[ -x "$CANAILLE" ] || die "no binary at $CANAILLE"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/canaille-bench-XXXXXX")
chmod 0755 "$WORK"  # nginx workers run as nobody: they must reach the socket
fcgi_pid=""
nginx_pid=""
cleanup() {
    [ -n "$nginx_pid" ] && kill -TERM "$nginx_pid" 2>/dev/null || true
    [ -n "$fcgi_pid" ] && kill -TERM "$fcgi_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
now_ns() { date +%s%N; }
# Bounded wait for an HTTP status on a URL: 2000 tries, 5 ms apart, ~10 s plus curl time.
wait_for_status() {
    local url=$1 want=$2
    for _ in $(seq 1 2000); do
        if [ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$url" || true)" = "$want" ]; then
            return 0
        fi
        sleep 0.005
    done
    return 1
}
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo "?"; }
workers_of() { cat "/proc/$1/task/$1/children" 2>/dev/null || true; }
memory_line() {
    local sup=$1 out
    out="supervisor $(rss_kb "$sup") kB"
    for w in $(workers_of "$sup"); do out="$out, worker $(rss_kb "$w") kB"; done
    printf '%s' "$out"
}

# --- the stack -------------------------------------------------------------------------
CONFIG="$WORK/canaille.yaml"
SOCKET="$WORK/canaille.sock"
cat >"$CONFIG" <<YAML
SECRET_KEY: "$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')"
PREFERRED_URL_SCHEME: http
CANAILLE:
  NAME: Bench
CANAILLE_SQL:
  DATABASE_URI: "sqlite:///$WORK/canaille.sqlite"
YAML
"$CANAILLE" --config "$CONFIG" install >/dev/null
"$CANAILLE" --config "$CONFIG" create user --user-name bench --emails bench@example.org \
    --password "bench password $(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')" >/dev/null

PORT=$(free_port)
mkdir -p "$WORK/nginx"
sed -e "s#/run/canaille/canaille.sock#$SOCKET#" \
    -e "s#/usr/share/canaille/assets/#$ROOT/assets/#" \
    -e "s#include fastcgi_params;#include /etc/nginx/fastcgi_params;#" \
    "$ROOT/deploy/nginx/canaille.conf" >"$WORK/nginx/canaille.conf"
user_line=""
[ "$(id -u)" -eq 0 ] && user_line="user nobody nogroup;"
cat >"$WORK/nginx/nginx.conf" <<NGINX
$user_line
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 1024; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    client_body_temp_path $WORK/nginx/client_body;
    fastcgi_temp_path $WORK/nginx/fastcgi;
    proxy_temp_path $WORK/nginx/proxy;
    scgi_temp_path $WORK/nginx/scgi;
    uwsgi_temp_path $WORK/nginx/uwsgi;
    server {
        listen 127.0.0.1:$PORT;
        include $WORK/nginx/canaille.conf;
    }
}
NGINX
"$NGINX" -p "$WORK/nginx/" -c "$WORK/nginx/nginx.conf" -g 'daemon off;' \
    2>"$WORK/nginx/stderr.log" &
nginx_pid=$!
BASE="http://127.0.0.1:$PORT"
# nginx is up when the app location answers 502 (no workers yet).
wait_for_status "$BASE/health" 502 || die "nginx did not start: $(cat "$WORK/nginx/stderr.log")"

# Start-up time: from exec of the supervisor to the first request answered through nginx.
t0=$(now_ns)
"$CANAILLE" --config "$CONFIG" fcgi --listen "unix:$SOCKET" --workers 2 2>"$WORK/fcgi.log" &
fcgi_pid=$!
wait_for_status "$BASE/health" 200 || die "canaille did not answer /health: $(tail -5 "$WORK/fcgi.log")"
startup_ms=$(( ($(now_ns) - t0) / 1000000 ))
log "start-up ${startup_ms} ms"

CSS=$(cd "$ROOT/assets" && ls css/*.css 2>/dev/null | head -1 || true)
for _ in $(seq 1 20); do
    curl -s -o /dev/null "$BASE/login"
    curl -s -o /dev/null "$BASE/health"
done
mem_idle=$(memory_line "$fcgi_pid")

# --- load ------------------------------------------------------------------------------
declare -a rows=()
bench_one() {
    local name=$1 path=$2 out rps p50 p99 errors
    log "wrk $name ($DURATION)"
    out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$BASE$path")
    rps=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' <<<"$out")
    p50=$(awk '$1 == "50%" { print $2 }' <<<"$out")
    p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
    errors=$(awk '/Non-2xx or 3xx responses:/ { print $5 } /Socket errors:/ { print "socket errors" }' <<<"$out" | paste -sd' ')
    rows+=("| \`GET $path\` | $name | ${rps:-?} | ${p50:-?} | ${p99:-?} | ${errors:-0} |")
}
bench_one "login page (HTML, new session)" /login
bench_one "health (small JSON)" /health
if [ -n "$CSS" ]; then
    bench_one "static file by nginx (ceiling)" "/static/$CSS"
fi
mem_loaded=$(memory_line "$fcgi_pid")

# --- results ---------------------------------------------------------------------------
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
machine="$(nproc) cores, ${cpu:-unknown CPU}, $(uname -sr)"
if [ ! -f "$RESULTS" ]; then
    cat >"$RESULTS" <<'HEAD'
# Benchmark results

Written by `bench/run.sh`: nginx (deploy/nginx/canaille.conf, one worker process) in front
of `canaille fcgi --workers 2` on SQLite, wrk on the same machine over loopback. Figures
are noisy: compare runs from the same machine, and medians over several runs.
HEAD
fi
{
    printf '\n## %s — %s\n\n' "$(date -u '+%Y-%m-%d %H:%M UTC')" "$machine"
    printf 'wrk -t%s -c%s -d%s --latency; build: %s\n\n' "$THREADS" "$CONNECTIONS" "$DURATION" \
        "$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo 'uncommitted')"
    printf '| endpoint | what | requests/s | p50 | p99 | non-2xx/3xx |\n'
    printf '| --- | --- | ---: | ---: | ---: | ---: |\n'
    printf '%s\n' "${rows[@]}"
    printf '\n| measure | value |\n| --- | --- |\n'
    printf '| start-up (exec to first 200 through nginx) | %s ms |\n' "$startup_ms"
    printf '| RSS idle | %s |\n' "$mem_idle"
    printf '| RSS after load | %s |\n' "$mem_loaded"
} >>"$RESULTS"
log "results appended to $RESULTS"
tail -n 16 "$RESULTS"
