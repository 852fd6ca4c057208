-- The HTTP load of the bench (bench/load.py), when wrk is installed (apt-get install wrk).
--
-- wrk is a C load generator: Python client threads in the benchmark process
-- take a large share of the machine's two cores (0.8 ms of CPU per request
-- measured here) and, holding the GIL in turn, add their own waits to the
-- latencies they report.
--
--   wrk -t8 -c8 -d3s -s bench/wrk_load.lua http://127.0.0.1:PORT -- doses TOKEN1 PROTOCOL1 BASE1 STEP1 K1 ... (8 times)
--   wrk ... -- get /            (the minimal view; a header name and value may follow the path)
--   wrk ... -- insert /insert   (the plain Django insert)
--
-- One connection per thread, so each thread is one client; with "doses" each
-- is its own user with its own stream (bench/load.py, DoseStream): dose k at
-- BASE + k × STEP (epoch seconds), amount 1 + k/1000 mg, k counting on from K.
-- No two doses share a time or an amount, so no rule fires and every answer
-- must be 201 (anything else is counted in errors.status).

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("index", #threads)
end

function init(args)
  mode = args[1]
  if mode == "doses" then
    local i = 1 + 5 * (index - 1)
    token = args[i + 1]
    protocol = args[i + 2]
    base = tonumber(args[i + 3])
    step = tonumber(args[i + 4])
    k = tonumber(args[i + 5])
    headers = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }
  else
    path = args[2]
    if args[3] then
      get_headers = { [args[3]] = args[4] } -- a session cookie or a bearer token
    end
  end
end

function request()
  if mode == "doses" then
    k = k + 1
    local at = os.date("!%Y-%m-%dT%H:%M:%SZ", base + k * step)
    local amount = string.format("%d.%03d", 1 + math.floor(k / 1000), k % 1000)
    local body = '{"protocol":"' .. protocol .. '","amount":"' .. amount .. '","occurred_at":"' .. at .. '"}'
    return wrk.format("POST", "/api/v1/doses", headers, body)
  elseif mode == "insert" then
    return wrk.format("POST", path, { ["Content-Type"] = "text/plain" }, "a plain row")
  end
  return wrk.format("GET", path, get_headers)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK requests=%d duration_us=%d p50_us=%d p95_us=%d status_errors=%d socket_errors=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    e.status, e.connect + e.read + e.write + e.timeout
  ))
end
