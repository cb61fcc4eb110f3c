-- wrk's script for compare.sh: `wrk ... -s load.lua <url> -- conversations|chat <id,id,...>`.
-- Each request goes to the next user of the list, round robin, so every user gets the same share,
-- with that user's token (compare.sh stores "peer-token-<id>" for each user).
-- At the end it prints one line compare.sh reads (times in microseconds):
--   RESULT <requests> <duration> <p50> <p99> <socket errors> <non-2xx answers>

local endpoint, users = "conversations", {}
local next_user = 0
-- The same question as the bench's chat (tools/bench/src/http.rs): the offline agent answers it.
local chat_body = '{"question": "Why does a connection pool make a server faster?"}'

function init(args)
  endpoint = args[1]
  for id in string.gmatch(args[2], "%d+") do
    users[#users + 1] = id
  end
end

function request()
  next_user = next_user % #users + 1
  local user = users[next_user]
  local auth = "Bearer peer-token-" .. user
  if endpoint == "chat" then
    return wrk.format("POST", "/users/" .. user .. "/chat",
      { ["Content-Type"] = "application/json", ["Authorization"] = auth }, chat_body)
  end
  return wrk.format("GET", "/users/" .. user .. "/conversations", { ["Authorization"] = auth })
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d\n",
    summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
