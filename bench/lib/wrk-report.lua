-- Prints one machine-readable line after wrk's own summary. Latencies are in microseconds.
-- "q": the latency quantile function on bench/lib/quantiles.mjs's GRID ([percentile, µs] pairs), for pooling rounds.
done = function(summary, latency, requests)
  local e = summary.errors
  local q = {}
  local function add(p) q[#q + 1] = string.format('[%s,%d]', p, latency:percentile(p)) end
  for i = 1, 89 do add(i) end
  for i = 900, 999 do add(i / 10) end
  for i = 9991, 9999 do add(i / 100) end
  add(99.995)
  q[#q + 1] = string.format('[100,%d]', latency.max)
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"durationUs":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,"status":%d,' ..
    '"timeout":%d,"p50Us":%d,"p90Us":%d,"p99Us":%d,"p999Us":%d,"maxUs":%d,"meanUs":%.1f,"q":[%s]}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    latency.max, latency.mean, table.concat(q, ',')))
end
