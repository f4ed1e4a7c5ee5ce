-- Sends the paths of a file once each, in order, across all connections of
-- one wrk thread (run wrk with -t1 so no path is sent twice). When they run
-- out before -d is over, the thread stops: no path is ever sent twice (a fresh
-- code stays fresh). wrk's own req/s divides by the whole -d, so done() prints
-- `rps`, the answers over the time actually run (first request to last path).
-- Usage: wrk -t1 -c64 -d10s -s paths.lua URL -- FILE KEY
local paths, i, key, threads = {}, 0, "", {}
-- Globals, so done() can read them with thread:get.
started, stopped = nil, nil

local function now()
  local date = io.popen("date +%s.%N")
  local t = tonumber(date:read("*l"))
  date:close()
  return t
end

function setup(thread)
  threads[#threads + 1] = thread
end

function init(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  key = args[2]
end

function request()
  if not started then started = now() end
  i = i + 1
  if i > #paths then
    if not stopped then
      stopped = now()
      wrk.thread:stop()
    end
    -- The loop ends before this request's answer is read; it is not counted.
    return wrk.format("GET", "/")
  end
  return wrk.format("GET", paths[i], { ["X-Authy-API-Key"] = key })
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local first, last = threads[1]:get("started"), threads[1]:get("stopped")
  if first and last then seconds = last - first end
  io.write(string.format("p99_ms %.2f\n", latency:percentile(99) / 1000))
  io.write(string.format("non2xx %d\n", summary.errors.status))
  io.write(string.format("seconds %.2f\n", seconds))
  io.write(string.format("rps %.0f\n", summary.requests / seconds))
end
