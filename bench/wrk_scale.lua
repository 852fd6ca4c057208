-- The scale scenario's load (bench/scenarios/scale.py): many users over many connections, writes and reads mixed.
--
--   wrk -t4 -c32 -d10s -s bench/wrk_scale.lua http://127.0.0.1:PORT -- USERS_FILE
--
-- USERS_FILE has one line per user: TOKEN PROTOCOL_UID SESSION_COOKIE BASE STEP (epoch seconds). The users are
-- split between wrk's threads (user j goes to thread j mod T), so no two threads write for the same user, and
-- each thread takes its users in turn, one request each, round after round; each user cycles through two dose
-- records (POST /api/v1/doses, dose k of a user at BASE + k × STEP, amount 1 + k/1000 mg: distinct, so no rule
-- fires and every answer must be 201), the dose list (GET /api/v1/doses) and the history page (GET /history/ with
-- the user's session), and each round mixes the four. Any answer that
-- is not 2xx or 3xx counts in errors.status.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("index", #threads)
  thread:set("count", 0)
end

function init(args)
  users = {}
  local total = 0
  for line in io.lines(args[1]) do
    local token, protocol, cookie, base, step = line:match("^(%S+) (%S+) (%S+) (%S+) (%S+)$")
    if total % nthreads() == index - 1 then
      table.insert(users, { token = token, protocol = protocol, cookie = cookie,
                            base = tonumber(base), step = tonumber(step), k = 0 })
    end
    total = total + 1
  end
  turn = 0
end

function nthreads()
  return tonumber(os.getenv("WRK_THREADS") or "4")
end

function request()
  -- The users in turn, so one user's requests are #users apart and never in flight together: two doses of one
  -- user racing could commit out of order, and the later-stamped one would then warn (off_schedule), a 409.
  -- Each round mixes the four kinds (user i does kind (round + i) mod 4), and each user cycles through them.
  turn = turn + 1
  local i = (turn - 1) % #users
  local user = users[i + 1]
  local op = (math.floor((turn - 1) / #users) + i) % 4
  if op < 2 then
    user.k = user.k + 1
    local at = os.date("!%Y-%m-%dT%H:%M:%SZ", user.base + user.k * user.step)
    local amount = string.format("%d.%03d", 1 + math.floor(user.k / 1000), user.k % 1000)
    local body = '{"protocol":"' .. user.protocol .. '","amount":"' .. amount .. '","occurred_at":"' .. at .. '"}'
    return wrk.format("POST", "/api/v1/doses",
      { ["Authorization"] = "Bearer " .. user.token, ["Content-Type"] = "application/json" }, body)
  elseif op == 2 then
    return wrk.format("GET", "/api/v1/doses", { ["Authorization"] = "Bearer " .. user.token })
  end
  return wrk.format("GET", "/history/", { ["Cookie"] = user.cookie })
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK requests=%d duration_us=%d p50_us=%d p95_us=%d status_errors=%d socket_errors=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    e.status, e.connect + e.read + e.write + e.timeout
  ))
end
