#!/bin/bash
# SPDX-License-Identifier: MIT
# Benchmarks Canaille the way it is deployed: nginx (the shipped snippet) in front of
# `canaille fcgi --workers 2`, everything on loopback, once per store backend: SQLite (a
# file), PostgreSQL (a private server from initdb, on a unix socket, default durability
# settings) and OpenLDAP (a private slapd from a generated cn=config, on a loopback port,
# the project's schemas, memberof + refint + ppolicy, as test/fixtures/slapd_server.cpp).
# Measures throughput and latency with wrk (login page, /health, sign-in: POST /login with
# the right password, the session-load path: a signed-in GET /profile/<user>, which loads
# the session and the user, and the OIDC endpoints), the SQL statements per request on
# PostgreSQL (pg_stat_statements), worker memory and start-up time, and appends the
# figures to bench/RESULTS.md with the date and the machine.
# Not a test: nothing here passes or fails.
#
# Sign-in verifies the password where the store keeps it: on SQL, Argon2id in the worker
# (lib/auth/password.hpp defaults: t=2, m=19456 KiB, p=1, costly by design); on LDAP, a
# simple bind as the user with the ppolicy control on a short-lived second connection
# (the hash slapd checks: {SSHA}, what Password Modify writes with olcPasswordHash {SSHA} as
# in the test fixture; or, with BENCH_LDAP_HASH=argon2, the SQL stores' Argon2id hash,
# same parameters, checked by slapd's argon2 module).
#
#   bench/run.sh                 # release build in build-bench/, 10 s per endpoint
#   BENCH_DURATION=30s BUILD_DIR=build bench/run.sh
#   BENCH_BACKENDS=sqlite bench/run.sh   # one backend only (sqlite, postgresql, ldap)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD="${BUILD_DIR:-$ROOT/build-bench}"
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
DURATION="${BENCH_DURATION:-10s}"
THREADS=2
CONNECTIONS=16
NGINX="${NGINX_BIN:-/usr/sbin/nginx}"
RESULTS="${BENCH_RESULTS:-$ROOT/bench/RESULTS.md}"
BACKENDS="${BENCH_BACKENDS:-sqlite postgresql ldap}"
# slapd password hash for the LDAP backend: ssha (as the test fixture) or argon2.
LDAP_HASH="${BENCH_LDAP_HASH:-ssha}"
# Cookie + CSRF pairs fetched from GET /login for the sign-in run (bench/lua/login.lua).
LOGIN_PAIRS=64
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
slapd_pid=""
cleanup() {
    [ -n "$nginx_pid" ] && kill -TERM "$nginx_pid" 2>/dev/null || true
    [ -n "$fcgi_pid" ] && kill -TERM "$fcgi_pid" 2>/dev/null || true
    [ -n "$pg_data" ] && pg_run pg_ctl -D "$pg_data" -m fast -w stop >/dev/null 2>&1 || true
    [ -n "$slapd_pid" ] && kill -TERM "$slapd_pid" 2>/dev/null || true
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
# PSS (shared pages divided among the processes mapping them) and USS (private pages).
pss_kb() { awk '/^Pss:/ { print $2 }' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0; }
uss_kb() {
    awk '/^Private_(Clean|Dirty):/ { s += $2 } END { print s + 0 }' \
        "/proc/$1/smaps_rollup" 2>/dev/null || echo 0
}
workers_of() { cat "/proc/$1/task/$1/children" 2>/dev/null || true; }
# VmRSS of each process of the pool (counts every shared library page in each process),
# then the pool's PSS and USS sums: PSS counts a page shared by the pool once in all (and
# less when other processes share it too, e.g. libc), USS only the pool's private pages.
memory_line() {
    local sup=$1 out rss pss uss
    rss=$(rss_kb "$sup")
    pss=$(pss_kb "$sup")
    uss=$(uss_kb "$sup")
    out="VmRSS supervisor $(rss_kb "$sup") kB"
    for w in $(workers_of "$sup"); do
        out="$out, worker $(rss_kb "$w") kB"
        rss=$((rss + $(rss_kb "$w")))
        pss=$((pss + $(pss_kb "$w")))
        uss=$((uss + $(uss_kb "$w")))
    done
    printf '%s; pool VmRSS sum %d kB, PSS sum %d kB, USS sum %d kB' "$out" "$rss" "$pss" "$uss"
}

# --- nginx, shared by every backend -----------------------------------------------------
SOCKET="$WORK/canaille.sock"
PORT=$(free_port)
mkdir -p "$WORK/nginx"
PORT_DIRECT=$(free_port)
mkdir -p "$WORK/nginx"
render_snippet() {
    sed -e "s#/run/canaille/canaille.sock#$SOCKET#" \
        -e "s#/usr/share/canaille/assets/#$ROOT/assets/#" \
        -e "s#include fastcgi_params;#include /etc/nginx/fastcgi_params;#" \
        "$ROOT/deploy/nginx/canaille.conf"
}
render_snippet >"$WORK/nginx/canaille.conf"
# The same snippet without its cached metadata location: a second port where discovery and
# JWKS go through FastCGI on every request (what the workers themselves sustain).
render_snippet | sed '/^location ~ /,/^}/d' >"$WORK/nginx/canaille-direct.conf"
sed -e "s#/var/cache/nginx/canaille#$WORK/nginx/cache#" \
    -e "s#/run/canaille/canaille.sock#$SOCKET#" \
    "$ROOT/deploy/nginx/canaille-http.conf" >"$WORK/nginx/canaille-http.conf"
user_line=""
[ "$(id -u)" -eq 0 ] && user_line="user nobody nogroup;"
# Debian's nginx.conf runs `worker_processes auto` (one per core); BENCH_NGINX_WORKERS=1
# compares with the earlier single-worker figures.
cat >"$WORK/nginx/nginx.conf" <<NGINX
$user_line
worker_processes ${BENCH_NGINX_WORKERS:-auto};
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 1024; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    access_log off;
    client_body_temp_path $WORK/nginx/client_body;
    fastcgi_temp_path $WORK/nginx/fastcgi;
    proxy_temp_path $WORK/nginx/proxy;
    scgi_temp_path $WORK/nginx/scgi;
    uwsgi_temp_path $WORK/nginx/uwsgi;
    include $WORK/nginx/canaille-http.conf;
    server {
        listen 127.0.0.1:$PORT;
        include $WORK/nginx/canaille.conf;
    }
    server {
        listen 127.0.0.1:$PORT_DIRECT;
        include $WORK/nginx/canaille-direct.conf;
    }
}
NGINX
"$NGINX" -p "$WORK/nginx/" -c "$WORK/nginx/nginx.conf" -g 'daemon off;' \
    2>"$WORK/nginx/stderr.log" &
nginx_pid=$!
BASE="http://127.0.0.1:$PORT"
DIRECT="http://127.0.0.1:$PORT_DIRECT"
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

# --- a private slapd (the approach of test/fixtures/slapd_server.cpp) ----------------------
LDAP_SUFFIX="dc=bench,dc=example"
LDAP_ADMIN_DN="cn=admin,$LDAP_SUFFIX"
LDAP_ADMIN_PW=""
LDAP_PORT=""
LDAP_URI=""
LDAPI_URI=""
# ldap-utils read ~/.ldaprc and /etc/ldap/ldap.conf unless told not to.
ldap_tool() { LDAPNOINIT=1 "$@"; }
# A cn=config .ldif without comment and blank lines: the files are concatenated into one
# LDIF where entries are separated by one blank line.
ldif_entry() { sed -e 's/\r$//' -e '/^#/d' -e '/^$/d' "$1"; echo; }
ldap_start() {
    [ -x /usr/sbin/slapd ] && [ -x /usr/sbin/slapadd ] && command -v ldapsearch >/dev/null ||
        die "slapd is missing (apt-get install slapd ldap-utils)"
    local d="$WORK/ldap" modules="" schemas="" s
    mkdir -p "$d/slapd.d" "$d/data"
    LDAP_ADMIN_PW="admin-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')"
    case "$LDAP_HASH" in
        ssha) ;;
        # slapd verifies {ARGON2} values with its argon2 module (run_backend writes the
        # user's Argon2id hash itself, see there).
        argon2) modules="olcModuleLoad: {4}argon2"$'\n' ;;
        *) die "BENCH_LDAP_HASH must be ssha or argon2, not $LDAP_HASH" ;;
    esac
    for s in /etc/ldap/schema/{core,cosine,inetorgperson,nis}.ldif \
        "$ROOT"/ldap-schemas/{oauth2-openldap,canaille-cpp}.ldif; do
        schemas+=$(ldif_entry "$s")$'\n\n'
    done
    # Unlike the test fixture, no olcDbNoSync: default durability, as the PostgreSQL run.
    # Indexes: the fixture's plus those doc/store-ldap.md recommends and the OAuth lookups.
    cat >"$d/config.ldif" <<LDIF
dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: $d/slapd.pid
olcArgsFile: $d/slapd.args
olcLogLevel: none
olcPasswordHash: {SSHA}

dn: cn=module{0},cn=config
objectClass: olcModuleList
cn: module{0}
olcModulePath: /usr/lib/ldap
olcModuleLoad: {0}back_mdb
olcModuleLoad: {1}memberof
olcModuleLoad: {2}refint
olcModuleLoad: {3}ppolicy
${modules}
dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

${schemas}dn: olcDatabase={-1}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {-1}frontend
olcSizeLimit: unlimited
olcAccess: {0}to * by dn.exact=gidNumber=0+uidNumber=0,cn=peercred,cn=external,cn=auth manage by * break
olcAccess: {1}to dn.base="" by * read
olcAccess: {2}to dn.base="cn=subschema" by * read

dn: olcDatabase={0}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {0}config
olcAccess: {0}to * by dn.exact=gidNumber=0+uidNumber=0,cn=peercred,cn=external,cn=auth manage by * break

dn: olcDatabase={1}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {1}mdb
olcDbDirectory: $d/data
olcSuffix: $LDAP_SUFFIX
olcRootDN: $LDAP_ADMIN_DN
olcRootPW: $LDAP_ADMIN_PW
olcDbMaxSize: 1073741824
olcDbIndex: objectClass eq
olcDbIndex: entryUUID eq
olcDbIndex: uid eq,sub
olcDbIndex: cn eq,sub
olcDbIndex: mail eq,sub
olcDbIndex: member eq
olcDbIndex: ccppSubject eq
olcDbIndex: ccppExpires eq
olcDbIndex: oauthSubject eq
olcDbIndex: oauthCode eq
olcDbIndex: oauthAccessToken eq
olcDbIndex: oauthRefreshToken eq
olcAccess: {0}to attrs=userPassword by self write by anonymous auth by * none
olcAccess: {1}to * by self write by * read

dn: olcOverlay={0}memberof,olcDatabase={1}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcMemberOf
olcOverlay: {0}memberof
olcMemberOfRefInt: TRUE
olcMemberOfGroupOC: groupOfNames
olcMemberOfMemberAD: member
olcMemberOfMemberOfAD: memberOf

dn: olcOverlay={1}refint,olcDatabase={1}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcRefintConfig
olcOverlay: {1}refint
olcRefintAttribute: member owner oauthSubject oauthClient oauthAudience ccppSubject
olcRefintNothing: cn=nobody,$LDAP_SUFFIX

dn: olcOverlay={2}ppolicy,olcDatabase={1}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcPPolicyConfig
olcOverlay: {2}ppolicy
olcPPolicyDefault: cn=default,ou=policies,$LDAP_SUFFIX
olcPPolicyHashCleartext: TRUE
olcPPolicyUseLockout: TRUE
LDIF
    # The base entries: the suffix (ROOT_DN; `canaille install` creates the rest) and the
    # fixture's default password policy.
    cat >"$d/data.ldif" <<LDIF
dn: $LDAP_SUFFIX
objectClass: dcObject
objectClass: organization
dc: bench
o: bench

dn: ou=policies,$LDAP_SUFFIX
objectClass: organizationalUnit
ou: policies

dn: cn=default,ou=policies,$LDAP_SUFFIX
objectClass: organizationalRole
objectClass: pwdPolicy
cn: default
pwdAttribute: userPassword
pwdLockout: TRUE
pwdMaxFailure: 5
pwdLockoutDuration: 0
pwdFailureCountInterval: 0
pwdMustChange: FALSE
pwdAllowUserChange: TRUE
pwdCheckQuality: 0
pwdInHistory: 0
LDIF
    ldap_tool /usr/sbin/slapadd -n0 -F "$d/slapd.d" -l "$d/config.ldif" >"$d/slapadd.log" 2>&1 ||
        die "slapadd -n0 failed: $(tail -5 "$d/slapadd.log")"
    ldap_tool /usr/sbin/slapadd -F "$d/slapd.d" -b "$LDAP_SUFFIX" -l "$d/data.ldif" \
        >>"$d/slapadd.log" 2>&1 ||
        die "slapadd of the base entries failed: $(tail -5 "$d/slapadd.log")"
    LDAPI_URI="ldapi://$(urlencode "$d/ldapi")"
    # free_port() can race with another process: slapd then exits at once; retry.
    local attempt
    for attempt in 1 2 3 4 5; do
        LDAP_PORT=$(free_port)
        LDAP_URI="ldap://127.0.0.1:$LDAP_PORT"
        # -d 0: stays in the foreground, so $! is slapd itself (stopped by PID).
        /usr/sbin/slapd -F "$d/slapd.d" -h "$LDAP_URI/ $LDAPI_URI" -d 0 >"$d/slapd.log" 2>&1 &
        slapd_pid=$!
        for _ in $(seq 1 500); do
            kill -0 "$slapd_pid" 2>/dev/null || break
            if ldap_tool ldapsearch -x -H "$LDAP_URI" -o nettimeout=2 -b "" -s base -LLL \
                objectClass >/dev/null 2>&1 &&
                ldap_tool ldapsearch -Q -Y EXTERNAL -H "$LDAPI_URI" -b "" -s base -LLL \
                    objectClass >/dev/null 2>&1; then
                return 0
            fi
            sleep 0.02
        done
        kill -TERM "$slapd_pid" 2>/dev/null || true
        wait "$slapd_pid" 2>/dev/null || true
        slapd_pid=""
    done
    die "slapd did not start: $(tail -5 "$d/slapd.log")"
}
ldap_stop() {
    [ -n "$slapd_pid" ] || return 0
    kill -TERM "$slapd_pid" 2>/dev/null || true
    wait "$slapd_pid" 2>/dev/null || true
    slapd_pid=""
}

# --- load --------------------------------------------------------------------------------
declare -a rows=()
declare -a extra=()
bench_one() {
    local backend=$1 name=$2 path=$3
    shift 3
    bench_url "$backend" "$name" "GET $path" "$BASE$path" "$@"
}
# bench_url BACKEND WHAT LABEL URL [wrk options]: one wrk run, one row of the table.
# BENCH_THREADS / BENCH_CONNECTIONS override -t / -c for one call.
bench_url() {
    local backend=$1 name=$2 label=$3 url=$4 out rps p50 p99 errors
    shift 4
    local t=${BENCH_THREADS:-$THREADS} c=${BENCH_CONNECTIONS:-$CONNECTIONS}
    export FLOW_THREADS=$t  # bench/lua/oidc_flow.lua splits its token pools by thread
    log "$backend: wrk -t$t -c$c $name ($DURATION)"
    out=$(wrk -t"$t" -c"$c" -d"$DURATION" --latency "$@" "$url")
    LAST_WRK=$out
    rps=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' <<<"$out")
    p50=$(awk '$1 == "50%" { print $2 }' <<<"$out")
    p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
    errors=$(awk '/Non-2xx or 3xx responses:/ { print $5 } /Socket errors:/ { print "socket errors" }' <<<"$out" | paste -sd' ')
    rows+=("| $backend | \`$label\` | $name | ${rps:-?} | ${p50:-?} | ${p99:-?} | ${errors:-0} | $(cut -d' ' -f1 /proc/loadavg) |")
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

# Sign-in throughput: POST /login with the right password (bench/lua/login.lua), each
# request with one of $LOGIN_PAIRS anonymous cookie + CSRF token pairs from GET /login.
# Every success creates a session (a row, or an entry on LDAP).
bench_sign_in() {
    local backend=$1 pairs="$WORK/login-pairs-$backend" page cookie csrf body status what
    : >"$pairs"
    for _ in $(seq 1 "$LOGIN_PAIRS"); do
        page=$(curl -s -D - "$BASE/login")
        cookie=$(sed -n 's/^[Ss]et-[Cc]ookie: canaille=\([^;]*\).*/\1/p' <<<"$page" | head -1)
        csrf=$(sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' <<<"$page" | head -1)
        [ -n "$cookie" ] && [ -n "$csrf" ] || die "GET /login gave no cookie or CSRF token"
        printf '%s %s\n' "$cookie" "$csrf" >>"$pairs"
    done
    body="login=bench&password=$(urlencode "$PASSWORD")"
    read -r cookie csrf <"$pairs"
    status=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: canaille=$cookie" \
        --data "$body&csrf_token=$csrf" "$BASE/login")
    [ "$status" = 302 ] || die "$backend: POST /login with a fetched pair answered $status, not 302"
    case "$backend" in
        ldap) what="sign-in: bind as the user (ppolicy control, $LDAP_SCHEME hash) + new session" ;;
        *) what="sign-in: Argon2id verify (t=2, m=19456 KiB, p=1) + new session" ;;
    esac
    LOGIN_FILE="$pairs" LOGIN_BODY="$body" \
        bench_url "$backend" "$what" "POST /login" "$BASE/" -s "$ROOT/bench/lua/login.lua"
    local counts
    counts=$(awk '/^Signed in:/ { s = $3 } /^Refused:/ { r = $2 } END { print s " / " r }' \
        <<<"$LAST_WRK")
    extra+=("| $backend: sign-ins completed (302) / refused (not 302) | $counts |")
}

json_field() {  # the first string value of "$1" in the JSON on stdin
    tr ',' '\n' | sed -n "s/.*\"$1\": *\"\([^\"]*\)\".*/\1/p" | head -n 1
}
urlencode() { /usr/bin/python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }

# The OIDC endpoints of issue 3. Clients: one RS256 and one ES256 (authorization_code,
# refresh_token, client_credentials; client_secret_basic; redirect URI on the trusted
# bench host). A signed-in session ($3) drives the authorization endpoint.
bench_oidc() {
    local backend=$1 config=$2 cookie=$3 json id secret basic id_es secret_es basic_es
    local redirect="https://rp.bench.example/cb" redirect_enc
    redirect_enc=$(urlencode "$redirect")
    mk_client() {
        "$CANAILLE" --config "$config" create client --client-name "$1" \
            --redirect-uris "$redirect" --grant-types authorization_code \
            --grant-types refresh_token --grant-types client_credentials \
            --response-types code --token-endpoint-auth-method client_secret_basic \
            --scope openid --scope profile --scope email --id-token-signed-response-alg "$2"
    }
    json=$(mk_client "Bench RS256" RS256)
    id=$(json_field client_id <<<"$json")
    secret=$(json_field client_secret <<<"$json")
    basic="Basic $(printf '%s:%s' "$id" "$secret" | base64 -w0)"
    json=$(mk_client "Bench ES256" ES256)
    id_es=$(json_field client_id <<<"$json")
    secret_es=$(json_field client_secret <<<"$json")
    basic_es="Basic $(printf '%s:%s' "$id_es" "$secret_es" | base64 -w0)"
    [ -n "$id" ] && [ -n "$secret" ] && [ -n "$id_es" ] || die "could not create the bench clients"

    local authorize="/oauth/authorize?response_type=code&client_id=$id&redirect_uri=$redirect_enc&scope=openid%20profile%20email&state=bench"
    # One code flow by hand for a user access token (userinfo, introspection).
    local location code token_json access
    location=$(curl -s -o /dev/null -w '%{redirect_url}' -H "Cookie: canaille=$cookie" \
        "$BASE$authorize&nonce=first$$")
    code=$(sed -n 's/.*[?&]code=\([^&]*\).*/\1/p' <<<"$location")
    [ -n "$code" ] || die "authorize gave no code (Location: $location)"
    token_json=$(curl -s -H "Authorization: $basic" --data "grant_type=authorization_code" \
        --data "code=$code" --data "redirect_uri=$redirect_enc" "$BASE/oauth/token")
    access=$(json_field access_token <<<"$token_json")
    [ -n "$access" ] || die "code exchange failed: $token_json"
    [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $access" \
        "$BASE/oauth/userinfo")" = 200 ] || die "userinfo refused the new access token"

    # Metadata: through FastCGI on every request, then as the shipped config serves it.
    local p
    for p in /.well-known/openid-configuration /oauth/jwks.json; do
        bench_url "$backend" "through FastCGI (no nginx cache)" "GET $p" "$DIRECT$p"
    done
    for p in /.well-known/openid-configuration /.well-known/oauth-authorization-server \
        /oauth/jwks.json; do
        curl -s -o /dev/null "$BASE$p"  # fills the cache
        bench_url "$backend" "shipped config (nginx cache)" "GET $p" "$BASE$p"
    done

    bench_url "$backend" "userinfo (Bearer, token lookup + user)" "GET /oauth/userinfo" \
        "$BASE/oauth/userinfo" -H "Authorization: Bearer $access"
    POST_BODY="token=$access&token_type_hint=access_token" POST_AUTHORIZATION="$basic" \
        bench_url "$backend" "introspection (client auth + token lookup)" \
        "POST /oauth/introspect" "$BASE/oauth/introspect" -s "$ROOT/bench/lua/post.lua"
    POST_BODY="grant_type=client_credentials&scope=profile" POST_AUTHORIZATION="$basic" \
        bench_url "$backend" "client_credentials, RS256 (1 signature + token row)" \
        "POST /oauth/token" "$BASE/oauth/token" -s "$ROOT/bench/lua/post.lua"
    POST_BODY="grant_type=client_credentials&scope=profile" POST_AUTHORIZATION="$basic_es" \
        bench_url "$backend" "client_credentials, ES256 (1 signature + token row)" \
        "POST /oauth/token" "$BASE/oauth/token" -s "$ROOT/bench/lua/post.lua"

    # Single-use codes and refresh tokens: bench/lua/oidc_flow.lua pre-generates them.
    export FLOW_AUTHORIZE="$authorize" FLOW_COOKIE="canaille=$cookie" FLOW_BASIC="$basic"
    # Nonces must never repeat (reuse is refused): FLOW_SEED changes with every wrk run.
    export FLOW_REDIRECT_ENC="$redirect_enc"
    local pool="$WORK/flow-$backend"
    FLOW_MODE=codes FLOW_FILE="$pool-codes" FLOW_SEED="c$$$(date +%s%N)" \
        bench_url "$backend" "authorization (signed in, trusted client: code issued)" \
        "GET /oauth/authorize" "$BASE/" -s "$ROOT/bench/lua/oidc_flow.lua"
    FLOW_MODE=exchange FLOW_FILE="$pool-codes" FLOW_OUT="$pool-refresh" \
        bench_url "$backend" "code exchange (2 RS256 signatures: access + ID token)" \
        "POST /oauth/token" "$BASE/" -s "$ROOT/bench/lua/oidc_flow.lua"
    extra+=("| $backend: code exchange starved of codes | $(awk '/^Starved:/ { print $2 }' <<<"$LAST_WRK") requests |")
    FLOW_MODE=refresh FLOW_FILE="$pool-refresh" \
        bench_url "$backend" "refresh (rotation; 2 RS256 signatures)" \
        "POST /oauth/token" "$BASE/" -s "$ROOT/bench/lua/oidc_flow.lua"
    extra+=("| $backend: refresh starved of tokens | $(awk '/^Starved:/ { print $2 }' <<<"$LAST_WRK") requests |")
    local n threads flows sampler=""
    for n in 1 4 16; do
        threads=2
        [ "$n" -eq 1 ] && threads=1
        if [ "$n" -eq 16 ]; then
            # Memory under load, sampled in the middle of the heaviest run.
            (sleep "$(( ${DURATION%s} / 2 ))"; memory_line "$fcgi_pid" >"$WORK/mem-load") &
            sampler=$!
        fi
        FLOW_MODE=flow FLOW_SEED="f$n-$$$(date +%s%N)" BENCH_THREADS=$threads BENCH_CONNECTIONS=$n \
            bench_url "$backend" "complete code flows, $n client(s): authorize + token + userinfo" \
            "flow" "$BASE/" -s "$ROOT/bench/lua/oidc_flow.lua"
        flows=$(awk '/^Flows\/sec:/ { print $2 }' <<<"$LAST_WRK")
        extra+=("| $backend: completed code flows/s, $n concurrent client(s) | ${flows:-?} |")
    done
    [ -n "$sampler" ] && wait "$sampler"
    MEM_LOAD=$(cat "$WORK/mem-load" 2>/dev/null || echo "?")
}

run_backend() {
    local backend=$1 uri="" store_config
    case "$backend" in
        sqlite) uri="sqlite:///$WORK/canaille.sqlite" ;;
        postgresql)
            pg_start
            uri="postgresql:///canaille?host=$PG_SOCK&port=$PG_PORT&user=postgres"
            ;;
        ldap) ldap_start ;;
        *) die "unknown backend $backend (sqlite, postgresql, ldap)" ;;
    esac
    if [ "$backend" = ldap ]; then
        # As test/fixtures/canaille_fixture.cpp: the rootdn binds, `install` creates the
        # bases under ROOT_DN (the schemas are in cn=config already; CONFIG_URI lets it
        # check them and load the argon2 module over ldapi EXTERNAL).
        store_config="  DATABASE: ldap
CANAILLE_LDAP:
  URI: \"$LDAP_URI\"
  ROOT_DN: \"$LDAP_SUFFIX\"
  BIND_DN: \"$LDAP_ADMIN_DN\"
  BIND_PW: \"$LDAP_ADMIN_PW\"
  TIMEOUT: 10
  USER_BASE: \"ou=users,$LDAP_SUFFIX\"
  GROUP_BASE: \"ou=groups,$LDAP_SUFFIX\"
  CONFIG_URI: \"$LDAPI_URI\"
  SCHEMA_DIR: \"$ROOT/ldap-schemas\""
    else
        store_config="CANAILLE_SQL:
  DATABASE_URI: \"$uri\""
    fi
    local config="$WORK/canaille-$backend.yaml"
    cat >"$config" <<YAML
SECRET_KEY: "$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')"
PREFERRED_URL_SCHEME: http
CANAILLE:
  NAME: Bench
$store_config
YAML
    # Two active keys: RSA (RS256, the default) and P-256 (ES256, for the client that asks
    # for it with id_token_signed_response_alg). The bench relying party's host is trusted,
    # so signed-in authorizations skip the consent page.
    "$CANAILLE" jwk create rsa >"$WORK/rsa.json"
    "$CANAILLE" jwk create ec >"$WORK/ec.json"
    printf '{"keys": [%s, %s]}\n' "$(cat "$WORK/rsa.json")" "$(cat "$WORK/ec.json")" \
        >"$WORK/jwks-$backend.json"
    cat >>"$config" <<YAML
CANAILLE_OIDC:
  ACTIVE_JWKS: "$WORK/jwks-$backend.json"
  TRUSTED_DOMAINS: ["rp.bench.example"]
YAML
    PASSWORD="bench password $(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')"
    "$CANAILLE" --config "$config" install >/dev/null
    if [ "$backend" = ldap ] && [ "$LDAP_HASH" = argon2 ]; then
        # The SQL stores' Argon2id hash (lib/auth/password.hpp parameters) moved to LDAP the
        # way a migration does: created in a scratch SQLite store, dumped, restored (the
        # LDAP store writes a bare $argon2id$ hash as {ARGON2}$argon2id$...). Not through
        # olcPasswordHash {ARGON2}: on slapd 2.5.13 a Password Modify with it and the
        # ppolicy overlay fails ("Password policy only allows one password value").
        local scratch="$WORK/scratch-argon2"
        mkdir -p "$scratch"
        printf 'SECRET_KEY: "%s"\nCANAILLE_SQL:\n  DATABASE_URI: "sqlite:///%s/s.sqlite"\n' \
            "$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')" "$scratch" >"$scratch/c.yaml"
        "$CANAILLE" --config "$scratch/c.yaml" install >/dev/null
        "$CANAILLE" --config "$scratch/c.yaml" create user --user-name bench \
            --emails bench@example.org --password "$PASSWORD" >/dev/null
        "$CANAILLE" --config "$scratch/c.yaml" dump |
            "$CANAILLE" --config "$config" restore >/dev/null
    else
        "$CANAILLE" --config "$config" create user --user-name bench --emails bench@example.org \
            --password "$PASSWORD" >/dev/null
    fi
    LDAP_SCHEME=""
    if [ "$backend" = ldap ]; then
        # The scheme of the hash the bind is checked against, named in the sign-in row.
        LDAP_SCHEME=$(ldap_tool ldapsearch -x -H "$LDAP_URI" -D "$LDAP_ADMIN_DN" \
            -w "$LDAP_ADMIN_PW" -b "ou=users,$LDAP_SUFFIX" -LLL -o ldif-wrap=no "(uid=bench)" \
            userPassword |
            sed -n 's/^userPassword:: //p' | base64 -d 2>/dev/null | sed -n 's/^\({[^}]*}\).*/\1/p')
        [ -n "$LDAP_SCHEME" ] || die "ldap: the bench user has no hashed userPassword"
        log "ldap: userPassword scheme $LDAP_SCHEME"
    fi

    # Start-up time: from exec of the supervisor to the first request answered through
    # nginx, polled every millisecond (bench/startup.py starts canaille and prints its PID).
    local startup_ms
    startup_ms=$(/usr/bin/python3 "$ROOT/bench/startup.py" "$BASE/health" \
        "$WORK/fcgi-$backend.log" -- "$CANAILLE" --config "$config" fcgi \
        --listen "unix:$SOCKET" --workers 2 2>"$WORK/startup-$backend.pid") ||
        die "canaille did not answer /health: $(tail -5 "$WORK/fcgi-$backend.log")"
    fcgi_pid=$(tail -1 "$WORK/startup-$backend.pid")
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
    bench_sign_in "$backend"
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
    bench_oidc "$backend" "$config" "$cookie"
    if [ -n "$CSS" ] && [ "$backend" = sqlite ]; then
        bench_one "$backend" "static file by nginx (ceiling)" "/static/$CSS"
    fi
    extra+=("| $backend: start-up (exec to first 200 through nginx) | $startup_ms ms |")
    extra+=("| $backend: memory idle (after 40 requests) | $mem_idle |")
    extra+=("| $backend: memory under load (during the flow run, 16 clients) | $MEM_LOAD |")
    extra+=("| $backend: memory after load | $(memory_line "$fcgi_pid") |")

    kill -TERM "$fcgi_pid" 2>/dev/null || true
    # Not a child of this shell (bench/startup.py started it): poll until it has drained.
    for _ in $(seq 1 200); do kill -0 "$fcgi_pid" 2>/dev/null || break; sleep 0.05; done
    fcgi_pid=""
    if [ "$backend" = postgresql ]; then
        pg_run pg_ctl -D "$pg_data" -m fast -w stop >/dev/null 2>&1 || true
        pg_data=""
    fi
    if [ "$backend" = ldap ]; then ldap_stop; fi
}

# The raw signing rates the token endpoint is compared with (issue 3): one core and both.
speed_line() {
    openssl speed -seconds 1 "$@" 2>/dev/null | awk '/^rsa 2048 bits|^ *256 bits ecdsa/ { print $(NF-1) " sign/s" ; exit }'
}
SPEED_RSA1=$(speed_line rsa2048)
SPEED_RSA2=$(speed_line -multi 2 rsa2048)
SPEED_EC2=$(speed_line -multi 2 ecdsap256)

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
    printf '| backend | endpoint | what | requests/s | p50 | p99 | non-2xx/3xx | load after |\n'
    printf '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |\n'
    printf '%s\n' "${rows[@]}"
    printf '\n| measure | value |\n| --- | --- |\n'
    printf '| openssl speed rsa2048, 1 process / -multi 2 | %s / %s |\n' "$SPEED_RSA1" "$SPEED_RSA2"
    printf '| openssl speed ecdsap256, -multi 2 | %s |\n' "$SPEED_EC2"
    printf '%s\n' "${extra[@]}"
    if [ -n "$STATEMENTS_DETAIL" ]; then
        printf '\nStatements per session-load request on PostgreSQL, most frequent first:\n\n%s\n' \
            "$STATEMENTS_DETAIL"
    fi
} >>"$RESULTS"
log "results appended to $RESULTS"
tail -n 30 "$RESULTS"
