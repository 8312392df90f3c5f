-- wrk script: POST one signed GitHub pull_request delivery, a new X-GitHub-Delivery per request.
-- args (after --): BODY_FILE SIGNATURE ID_PREFIX [DUPLICATE_SHARE]
-- With DUPLICATE_SHARE 0.2, every 5th request repeats the id of the one before (a duplicate).
-- done() prints one WRK_RESULT line that bench_http.py parses.

local counter = 0
local prefix = "bench"
local dup_every = 0

function init(args)
  local file = assert(io.open(args[1], "rb"))
  wrk.body = file:read("*a")
  file:close()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["User-Agent"] = "GitHub-Hookshot/bench"
  wrk.headers["X-GitHub-Event"] = "pull_request"
  wrk.headers["X-Hub-Signature-256"] = args[2]
  prefix = args[3]
  local share = tonumber(args[4] or "0")
  if share > 0 then
    dup_every = math.floor(1 / share + 0.5)
  end
end

function request()
  counter = counter + 1
  local n = counter
  if dup_every > 0 and counter % dup_every == 0 then
    n = counter - 1
  end
  wrk.headers["X-GitHub-Delivery"] = prefix .. "-" .. n
  return wrk.format()
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK_RESULT requests=%d duration_us=%d non2xx=%d connect=%d read=%d write=%d timeout=%d " ..
    "p50_us=%d p99_us=%d max_us=%d\n",
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
