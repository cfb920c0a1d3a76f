-- send.lua - wrk script: POST /v1/messages with a 1 KiB JSON message.
-- BATCH=N in the environment sends POST /v1/messages/batch with N items.
local batch = tonumber(os.getenv("BATCH") or "0")
local key = os.getenv("API_KEY") or "bench-key"
local text = string.rep("The quick brown fox jumps over the lazy dog. ", 20)

local function one(i)
  return string.format(
    '{"from":"bench@example.com","to":["rcpt%d@example.net"],' ..
    '"subject":"bench %d","text":"%s"}', i, i, text)
end

wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. key
wrk.headers["Content-Type"] = "application/json"
if batch > 0 then
  wrk.path = "/v1/messages/batch"
  local items = {}
  for i = 1, batch do items[i] = one(i) end
  wrk.body = '{"messages":[' .. table.concat(items, ",") .. ']}'
else
  wrk.path = "/v1/messages"
  wrk.body = one(1)
end

local bad = 0
function response(status, headers, body)
  if status ~= 202 and status ~= 200 then
    bad = bad + 1
    if bad <= 3 then io.stderr:write("status " .. status .. ": " .. body .. "\n") end
  end
end
