-- OneTouch: creates approval requests and reads the status of each one once.
-- Every create's answer queues its uuid, and the next request reads that
-- status, so about half the requests are creates and half are status reads.
-- Usage: wrk -t1 -c64 -d10s -s onetouch.lua URL -- VALID_PATHS_FILE KEY
-- (the users are the ones with a device, taken from the verify paths).
local ids, n, key, uuids = {}, 0, "", {}

function init(args)
  for line in io.lines(args[1]) do ids[#ids + 1] = line:match("/(%d+)$") end
  key = args[2]
end

function request()
  local uuid = table.remove(uuids)
  if uuid then
    return wrk.format("GET", "/onetouch/json/approval_requests/" .. uuid, { ["X-Authy-API-Key"] = key })
  end
  n = n + 1
  local id = ids[((n - 1) % #ids) + 1]
  return wrk.format("POST", "/onetouch/json/users/" .. id .. "/approval_requests",
    { ["X-Authy-API-Key"] = key, ["Content-Type"] = "application/x-www-form-urlencoded" },
    "message=Login+requested&details%5BUsername%5D=bench&seconds_to_expire=120")
end

function response(status, headers, body)
  -- Only a create's answer is this short; a status answer starts with "_app_name".
  local uuid = body:match('^{"approval_request":{"uuid":"([^"]+)"}')
  if uuid then uuids[#uuids + 1] = uuid end
end

function done(summary, latency, requests)
  io.write(string.format("p99_ms %.2f\n", latency:percentile(99) / 1000))
  io.write(string.format("non2xx %d\n", summary.errors.status))
end
