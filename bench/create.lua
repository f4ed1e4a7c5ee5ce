-- POSTs users/new with a new phone number each time (durable writes).
-- Usage: wrk -t1 -c64 -d10s -s create.lua URL -- KEY
local n, key = 0, ""

function init(args)
  key = args[1]
end

function request()
  n = n + 1
  local body = string.format('{"user":{"email":"load@example.com","cellphone":"3%09d","country_code":1},"send_install_link_via_sms":false}', n)
  return wrk.format("POST", "/protected/json/users/new", { ["X-Authy-API-Key"] = key, ["Content-Type"] = "application/json" }, body)
end

function done(summary, latency, requests)
  io.write(string.format("p99_ms %.2f\n", latency:percentile(99) / 1000))
  io.write(string.format("non2xx %d\n", summary.errors.status))
end
