#!/bin/bash
# SPDX-License-Identifier: MIT
# Benchmarks Canaille the way it is deployed: nginx (the shipped snippet) in front of
# `canaille fcgi --workers 2`, everything on loopback, once per store backend: SQLite (a
# file) and PostgreSQL (a private server from initdb, on a unix socket, default durability
# settings). Measures throughput and latency with wrk (login page, /health, and the
# session-load path: a signed-in GET /profile/<user>, which loads the session and the user),
# the SQL statements per request on PostgreSQL (pg_stat_statements), worker memory and
# start-up time, and appends the figures to bench/RESULTS.md with the date and the machine.
# Not a test: nothing here passes or fails.
#
#   bench/run.sh                 # release build in build-bench/, 10 s per endpoint
#   BENCH_DURATION=30s BUILD_DIR=build bench/run.sh
#   BENCH_BACKENDS=sqlite bench/run.sh   # one backend only
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD="${BUILD_DIR:-$ROOT/build-bench}"
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
DURATION="${BENCH_DURATION:-10s}"
THREADS=2
CONNECTIONS=16
NGINX="${NGINX_BIN:-/usr/sbin/nginx}"
RESULTS="${BENCH_RESULTS:-$ROOT/bench/RESULTS.md}"
BACKENDS="${BENCH_BACKENDS:-sqlite postgresql}"
# Requests whose SQL statements are counted (PostgreSQL, session-load path).
COUNTED_REQUESTS=500

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
pg_data=""
cleanup() {
    [ -n "$nginx_pid" ] && kill -TERM "$nginx_pid" 2>/dev/null || true
    [ -n "$fcgi_pid" ] && kill -TERM "$fcgi_pid" 2>/dev/null || true
    [ -n "$pg_data" ] && pg_run pg_ctl -D "$pg_data" -m fast -w stop >/dev/null 2>&1 || true
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

# PostgreSQL refuses to run as root: its programs run as the `postgres` system user then.
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
pg_run() {
    local prog=$1
    shift
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$PG_BIN/$prog" "$@"
    else
        "$PG_BIN/$prog" "$@"
    fi
}

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

# --- nginx, shared by every backend -----------------------------------------------------
SOCKET="$WORK/canaille.sock"
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
CSS=$(cd "$ROOT/assets" && ls css/*.css 2>/dev/null | head -1 || true)

# --- a private PostgreSQL ----------------------------------------------------------------
PG_SOCK="$WORK/pg/sock"
PG_PORT=5432
pg_start() {
    [ -n "$PG_BIN" ] || die "PostgreSQL is missing (apt-get install postgresql)"
    mkdir -p "$PG_SOCK"
    [ "$(id -u)" -eq 0 ] && chown -R postgres: "$WORK/pg"
    pg_run initdb -D "$WORK/pg/data" -U postgres -E UTF8 --no-locale --auth=trust \
        >"$WORK/pg/initdb.log" 2>&1 || die "initdb failed: $(tail -5 "$WORK/pg/initdb.log")"
    pg_data="$WORK/pg/data"
    # Default durability (fsync, synchronous_commit on): what a production server does.
    pg_run pg_ctl -D "$pg_data" -l "$WORK/pg/server.log" -w -t 60 \
        -o "-k $PG_SOCK -p $PG_PORT -c listen_addresses='' \
            -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all" \
        start >/dev/null || die "PostgreSQL did not start: $(tail -5 "$WORK/pg/server.log")"
    pg_sql postgres "CREATE DATABASE canaille"
    pg_sql canaille "CREATE EXTENSION pg_stat_statements"
}
pg_sql() {
    local db=$1
    shift
    pg_run psql -h "$PG_SOCK" -p "$PG_PORT" -U postgres -d "$db" -X -A -t -q -v ON_ERROR_STOP=1 \
        -c "$*"
}

# --- load --------------------------------------------------------------------------------
declare -a rows=()
declare -a extra=()
bench_one() {
    local backend=$1 name=$2 path=$3 out rps p50 p99 errors
    shift 3
    log "$backend: wrk $name ($DURATION)"
    out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@" "$BASE$path")
    rps=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' <<<"$out")
    p50=$(awk '$1 == "50%" { print $2 }' <<<"$out")
    p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
    errors=$(awk '/Non-2xx or 3xx responses:/ { print $5 } /Socket errors:/ { print "socket errors" }' <<<"$out" | paste -sd' ')
    rows+=("| $backend | \`GET $path\` | $name | ${rps:-?} | ${p50:-?} | ${p99:-?} | ${errors:-0} |")
}

# Signs in as the bench user through nginx; prints the session cookie value.
sign_in() {
    local jar=$WORK/cookies.txt csrf
    rm -f "$jar"
    csrf=$(curl -s -c "$jar" -b "$jar" "$BASE/login" |
        sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -1)
    [ -n "$csrf" ] || die "no CSRF token on /login"
    local status
    status=$(curl -s -o /dev/null -w '%{http_code}' -c "$jar" -b "$jar" \
        --data-urlencode "login=bench" --data-urlencode "password=$PASSWORD" \
        --data-urlencode "csrf_token=$csrf" "$BASE/login")
    [ "$status" = 302 ] || die "sign-in failed with HTTP $status"
    awk '$6 == "canaille" { print $7 }' "$jar" | tail -1
}

run_backend() {
    local backend=$1 uri
    case "$backend" in
        sqlite) uri="sqlite:///$WORK/canaille.sqlite" ;;
        postgresql)
            pg_start
            uri="postgresql:///canaille?host=$PG_SOCK&port=$PG_PORT&user=postgres"
            ;;
        *) die "unknown backend $backend (sqlite, postgresql)" ;;
    esac
    local config="$WORK/canaille-$backend.yaml"
    cat >"$config" <<YAML
SECRET_KEY: "$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')"
PREFERRED_URL_SCHEME: http
CANAILLE:
  NAME: Bench
CANAILLE_SQL:
  DATABASE_URI: "$uri"
YAML
    # Serving OIDC needs a signing key where the binary knows `jwk create`.
    if "$CANAILLE" jwk create rsa >"$WORK/jwks-$backend.json" 2>/dev/null; then
        printf 'CANAILLE_OIDC:\n  ACTIVE_JWKS: "%s"\n' "$WORK/jwks-$backend.json" >>"$config"
    fi
    PASSWORD="bench password $(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')"
    "$CANAILLE" --config "$config" install >/dev/null
    "$CANAILLE" --config "$config" create user --user-name bench --emails bench@example.org \
        --password "$PASSWORD" >/dev/null

    # Start-up time: from exec of the supervisor to the first request answered through nginx.
    local t0 startup_ms
    t0=$(now_ns)
    "$CANAILLE" --config "$config" fcgi --listen "unix:$SOCKET" --workers 2 \
        2>"$WORK/fcgi-$backend.log" &
    fcgi_pid=$!
    wait_for_status "$BASE/health" 200 ||
        die "canaille did not answer /health: $(tail -5 "$WORK/fcgi-$backend.log")"
    startup_ms=$(( ($(now_ns) - t0) / 1000000 ))
    log "$backend: start-up ${startup_ms} ms"
    for _ in $(seq 1 20); do
        curl -s -o /dev/null "$BASE/login"
        curl -s -o /dev/null "$BASE/health"
    done
    local mem_idle cookie
    mem_idle=$(memory_line "$fcgi_pid")
    cookie=$(sign_in)
    [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: canaille=$cookie" \
        "$BASE/profile/bench")" = 200 ] || die "the signed-in profile page is not a 200"

    bench_one "$backend" "login page (HTML, new session)" /login
    bench_one "$backend" "health (small JSON)" /health
    bench_one "$backend" "session load: signed-in profile (session + user)" /profile/bench \
        -H "Cookie: canaille=$cookie"
    if [ "$backend" = postgresql ]; then
        # Statements per request on the session-load path: pg_stat_statements counts every
        # execution (prepared statements and BEGIN/COMMIT included) during a fixed number of
        # requests over one keep-alive connection.
        local curlcfg="$WORK/curl-profile.cfg" calls detail
        : >"$curlcfg"
        for _ in $(seq 1 "$COUNTED_REQUESTS"); do
            printf 'url = "%s/profile/bench"\noutput = "/dev/null"\n' "$BASE" >>"$curlcfg"
        done
        pg_sql canaille "SELECT pg_stat_statements_reset()" >/dev/null
        curl -s -H "Cookie: canaille=$cookie" -K "$curlcfg"
        calls=$(pg_sql canaille "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements
            WHERE dbid = (SELECT oid FROM pg_database WHERE datname = 'canaille')
              AND query NOT LIKE '%pg_stat_statements%'")
        detail=$(pg_sql canaille "SELECT round(calls::numeric / $COUNTED_REQUESTS, 2) || ' × ' ||
                regexp_replace(left(query, 70), '\s+', ' ', 'g')
            FROM pg_stat_statements
            WHERE dbid = (SELECT oid FROM pg_database WHERE datname = 'canaille')
              AND query NOT LIKE '%pg_stat_statements%'
            ORDER BY calls DESC LIMIT 6" | sed 's/^/  - /')
        extra+=("| postgresql: SQL statements per session-load request ($COUNTED_REQUESTS requests, pg_stat_statements) | $(awk -v c="$calls" -v n="$COUNTED_REQUESTS" 'BEGIN { printf "%.2f", c / n }') |")
        STATEMENTS_DETAIL="$detail"
    fi
    if [ -n "$CSS" ] && [ "$backend" = sqlite ]; then
        bench_one "$backend" "static file by nginx (ceiling)" "/static/$CSS"
    fi
    extra+=("| $backend: start-up (exec to first 200 through nginx) | $startup_ms ms |")
    extra+=("| $backend: RSS idle | $mem_idle |")
    extra+=("| $backend: RSS after load | $(memory_line "$fcgi_pid") |")

    kill -TERM "$fcgi_pid" 2>/dev/null || true
    wait "$fcgi_pid" 2>/dev/null || true
    fcgi_pid=""
    if [ "$backend" = postgresql ]; then
        pg_run pg_ctl -D "$pg_data" -m fast -w stop >/dev/null 2>&1 || true
        pg_data=""
    fi
}

STATEMENTS_DETAIL=""
# Other work on the machine skews every figure: recorded with the results.
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for backend in $BACKENDS; do
    run_backend "$backend"
done

# --- results ---------------------------------------------------------------------------
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
machine="$(nproc) cores, ${cpu:-unknown CPU}, $(uname -sr)"
if [ ! -f "$RESULTS" ]; then
    cat >"$RESULTS" <<'HEAD'
# Benchmark results

Written by `bench/run.sh`: nginx (deploy/nginx/canaille.conf, one worker process) in front
of `canaille fcgi --workers 2`, wrk on the same machine over loopback. Figures are noisy:
compare runs from the same machine, and medians over several runs.
HEAD
fi
{
    printf '\n## %s — %s\n\n' "$(date -u '+%Y-%m-%d %H:%M UTC')" "$machine"
    printf 'wrk -t%s -c%s -d%s --latency; backends: %s; build: %s; load average before: %s\n\n' \
        "$THREADS" "$CONNECTIONS" "$DURATION" "$BACKENDS" \
        "$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo 'uncommitted')" \
        "$LOAD_BEFORE"
    printf '| backend | endpoint | what | requests/s | p50 | p99 | non-2xx/3xx |\n'
    printf '| --- | --- | --- | ---: | ---: | ---: | ---: |\n'
    printf '%s\n' "${rows[@]}"
    printf '\n| measure | value |\n| --- | --- |\n'
    printf '%s\n' "${extra[@]}"
    if [ -n "$STATEMENTS_DETAIL" ]; then
        printf '\nStatements per session-load request on PostgreSQL, most frequent first:\n\n%s\n' \
            "$STATEMENTS_DETAIL"
    fi
} >>"$RESULTS"
log "results appended to $RESULTS"
tail -n 30 "$RESULTS"
