-- The HTTP load of bench/run.py, when wrk is installed (apt-get install wrk).
--
-- wrk is a C load generator: Python client threads in the benchmark process
-- take a large share of the machine's two cores (0.8 ms of CPU per request
-- measured here) and, holding the GIL in turn, add their own waits to the
-- latencies they report.
--
--   wrk -t8 -c8 -d3s -s bench/wrk_load.lua http://127.0.0.1:PORT -- doses BASE TOKEN1 PROTOCOL1 ... TOKEN8 PROTOCOL8
--   wrk ... -- get /            (the minimal view; a header name and value may follow the path)
--   wrk ... -- insert /insert   (the plain Django insert)
--
-- One connection per thread, so each thread is one client; with "doses" each
-- is its own user. Dose times walk back one hour per request from BASE (epoch
-- seconds) with distinct amounts, as the Python clients' do, so no rule fires
-- and every answer must be 201 (anything else is counted in errors.status).

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("index", #threads)
end

function init(args)
  mode = args[1]
  if mode == "doses" then
    base = tonumber(args[2])
    token = args[2 * index + 1]
    protocol = args[2 * index + 2]
    headers = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }
  else
    path = args[2]
    if args[3] then
      get_headers = { [args[3]] = args[4] } -- a session cookie or a bearer token
    end
  end
  k = 0
end

function request()
  if mode == "doses" then
    k = k + 1
    local at = os.date("!%Y-%m-%dT%H:%M:%SZ", base - k * 3600)
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
