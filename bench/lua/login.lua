-- SPDX-License-Identifier: MIT
-- wrk driver for the sign-in POST (bench/run.sh): POST /login with the right password.
-- The anonymous CSRF token is HMAC(SECRET_KEY, cookie) and stateless (app/web.cpp), so a
-- cookie + token pair fetched from GET /login stays valid; each request still takes the
-- next pair of a pool ($LOGIN_FILE, one "cookie token" per line, fetched by run.sh) so the
-- requests look like distinct visitors. $LOGIN_BODY is the urlencoded form without the
-- token. A right password answers 302; anything else (a 200 is the form again with an
-- error, e.g. a wrong password or a lockout) is counted, and done() prints the counts.
local file = os.getenv("LOGIN_FILE")
local body = os.getenv("LOGIN_BODY") or ""
local path = os.getenv("LOGIN_PATH") or "/login"

local threads = {}
local pool = {}
local next_pair = 0
-- Globals, not locals: done() reads them from every thread with thread:get().
signed_in, refused = 0, 0
local debug = os.getenv("LOGIN_DEBUG")

function setup(thread)
    thread:set("id", #threads)
    table.insert(threads, thread)
end

function init(args)
    local f = assert(io.open(file, "r"), "cannot open $LOGIN_FILE")
    for line in f:lines() do
        local cookie, token = line:match("^(%S+)%s+(%S+)$")
        if cookie then table.insert(pool, { cookie = cookie, token = token }) end
    end
    f:close()
    assert(#pool > 0, "empty $LOGIN_FILE")
    -- Threads start at different places in the pool.
    next_pair = (id * 7) % #pool
end

function request()
    next_pair = next_pair % #pool + 1
    local p = pool[next_pair]
    return wrk.format("POST", path, {
        ["Content-Type"] = "application/x-www-form-urlencoded",
        ["Cookie"] = "canaille=" .. p.cookie,
    }, body .. "&csrf_token=" .. p.token)
end

function response(status, headers, resp_body)
    if status == 302 then
        signed_in = signed_in + 1
    else
        refused = refused + 1
        if debug then io.stderr:write(status, " ", resp_body:sub(1, 300), "\n") end
    end
end

function done(summary, latency, requests)
    local ok, bad = 0, 0
    for _, t in ipairs(threads) do
        ok = ok + (t:get("signed_in") or 0)
        bad = bad + (t:get("refused") or 0)
    end
    local seconds = summary.duration / 1e6
    io.write(string.format("Signed in: %d\nSign-ins/sec: %.1f\nRefused: %d\n", ok, ok / seconds,
        bad))
end
