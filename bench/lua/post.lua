-- SPDX-License-Identifier: MIT
-- wrk: the same form POST on every request (bench/run.sh): $POST_BODY, with
-- $POST_AUTHORIZATION as the Authorization header when set.
wrk.method = "POST"
wrk.body = os.getenv("POST_BODY") or ""
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
local auth = os.getenv("POST_AUTHORIZATION")
if auth and auth ~= "" then wrk.headers["Authorization"] = auth end
