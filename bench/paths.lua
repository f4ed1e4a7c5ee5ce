-- Replays the paths of a file once each, in order, across all connections of
-- one wrk thread (run wrk with -t1 so no path is sent twice).
-- Usage: wrk -t1 -c64 -d10s -s paths.lua URL -- FILE KEY
local paths, i, key = {}, 0, ""

function init(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  key = args[2]
end

function request()
  i = i + 1
  local path = paths[((i - 1) % #paths) + 1]
  return wrk.format("GET", path, { ["X-Authy-API-Key"] = key })
end

function done(summary, latency, requests)
  io.write(string.format("p99_ms %.2f\n", latency:percentile(99) / 1000))
  io.write(string.format("non2xx %d\n", summary.errors.status))
end
