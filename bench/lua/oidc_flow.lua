-- SPDX-License-Identifier: MIT
-- wrk driver for the authorization-code flow (bench/run.sh), one script for four modes
-- chosen by $FLOW_MODE, because codes and refresh tokens are single use and every request
-- needs a fresh one:
--   flow      authorize (signed-in session, consent skipped) -> code -> token exchange ->
--             userinfo with the new access token; done() prints the completed flows.
--   codes     authorize only; every code is appended to $FLOW_FILE.<thread>.
--   exchange  token exchange only, codes read from $FLOW_FILE.* (written by `codes`);
--             every refresh token received is appended to $FLOW_OUT.<thread>.
--   refresh   refresh_token grant, tokens read from $FLOW_FILE.*; each answer's new refresh
--             token (rotation) goes back in the pool, so the run sustains itself.
-- wrk cannot tell which connection a response came from: the pools are per thread.
local mode = os.getenv("FLOW_MODE") or "flow"
local authorize = os.getenv("FLOW_AUTHORIZE") -- path and query, without nonce
local cookie = os.getenv("FLOW_COOKIE")
local basic = os.getenv("FLOW_BASIC")
local redirect = os.getenv("FLOW_REDIRECT_ENC")
local token_path = os.getenv("FLOW_TOKEN_PATH") or "/oauth/token"
local userinfo_path = os.getenv("FLOW_USERINFO_PATH") or "/oauth/userinfo"
local file = os.getenv("FLOW_FILE")
local out_file = os.getenv("FLOW_OUT")
local seed = os.getenv("FLOW_SEED") or "0"

local threads = {}
local codes, tokens, refresh = {}, {}, {}
local counter = 0
-- Globals, not locals: done() reads them from every thread with thread:get().
flows, starved = 0, 0
local debug = os.getenv("FLOW_DEBUG")
local out = nil

-- wrk may start a thread before the next one's setup(): the thread count comes from
-- $FLOW_THREADS (wrk -t), not from counting setup() calls.
local nthreads = tonumber(os.getenv("FLOW_THREADS") or "2")

function setup(thread)
    thread:set("id", #threads)
    table.insert(threads, thread)
end

local function load_pool(pool)
    -- Every line of every $FLOW_FILE.<n>, split between the threads.
    local i = 0
    for n = 0, 63 do
        local f = io.open(file .. "." .. n, "r")
        if f then
            for line in f:lines() do
                if line ~= "" then
                    if i % nthreads == id then table.insert(pool, line) end
                    i = i + 1
                end
            end
            f:close()
        end
    end
end

function init(args)
    if mode == "codes" or (mode == "exchange" and out_file) then
        local path = (mode == "codes" and file or out_file) .. "." .. id
        out = io.open(path, "w")
        out:setvbuf("line")
    end
    if mode == "exchange" then load_pool(codes) end
    if mode == "refresh" then load_pool(refresh) end
end

local form = { ["Authorization"] = nil, ["Content-Type"] = "application/x-www-form-urlencoded" }

local function exchange(code)
    form["Authorization"] = basic
    return wrk.format("POST", token_path, form,
        "grant_type=authorization_code&code=" .. code .. "&redirect_uri=" .. redirect)
end

local function authorize_request()
    counter = counter + 1
    return wrk.format("GET", authorize .. "&nonce=n" .. seed .. "t" .. id .. "c" .. counter,
        { ["Cookie"] = cookie })
end

function request()
    if mode == "flow" then
        local t = table.remove(tokens)
        if t then return wrk.format("GET", userinfo_path, { ["Authorization"] = "Bearer " .. t }) end
        local c = table.remove(codes)
        if c then return exchange(c) end
        return authorize_request()
    elseif mode == "codes" then
        return authorize_request()
    elseif mode == "exchange" then
        local c = table.remove(codes)
        if not c then starved = starved + 1; c = "exhausted" end
        return exchange(c)
    else
        local r = table.remove(refresh)
        if not r then starved = starved + 1; r = "exhausted" end
        form["Authorization"] = basic
        return wrk.format("POST", token_path, form, "grant_type=refresh_token&refresh_token=" .. r)
    end
end

function response(status, headers, body)
    if debug and status >= 400 then io.stderr:write(status, " ", body:sub(1, 200), "\n") end
    if status == 302 then
        local loc = headers["Location"] or headers["location"] or ""
        local code = loc:match("[?&]code=([^&]+)")
        if code then
            if out then out:write(code, "\n") else table.insert(codes, code) end
        end
    elseif status == 200 then
        local at = body:match('"access_token":"([^"]+)"')
        if at then
            if mode == "flow" then table.insert(tokens, at) end
            local rt = body:match('"refresh_token":"([^"]+)"')
            if rt and mode == "refresh" then table.insert(refresh, rt) end
            if rt and out then out:write(rt, "\n") end
        elseif mode == "flow" and body:find('"sub"', 1, true) then
            flows = flows + 1
        end
    end
end

function done(summary, latency, requests)
    local total, short = 0, 0
    for _, t in ipairs(threads) do
        total = total + (t:get("flows") or 0)
        short = short + (t:get("starved") or 0)
    end
    local seconds = summary.duration / 1e6
    io.write(string.format("Flows: %d\nFlows/sec: %.1f\nStarved: %d\n", total, total / seconds, short))
end
