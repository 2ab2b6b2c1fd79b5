-- wrk script: PUT 100-byte values to random keys of Cairn's KV API.
local value = string.rep("v", 100)
local n = 0
request = function()
  n = n + 1
  local key = "bench-" .. math.random(1, 1000000)
  return wrk.format("PUT", "/v1/kv/" .. key, nil, value)
end
