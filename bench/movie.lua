-- wrk script for `make bench`: GET /movie for a random movie of the benchmark data set, and a
-- machine-readable summary (one line starting with BENCH_JSON) at the end of the run.
local movies = tonumber(os.getenv("BENCH_MOVIES") or "10000")

init = function(args)
  -- Each wrk thread has its own Lua state: seed each differently.
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16))
end

request = function()
  return wrk.format("GET", string.format("/movie?id=bench-movie-%05d", math.random(0, movies - 1)))
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.1f}}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
