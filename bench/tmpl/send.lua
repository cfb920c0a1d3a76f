-- send.lua - wrk script for bench/tmpl/send.sh: POST /v1/messages with
-- the receipt template (MODE=template: ~40 variables and 10 line items
-- as data) or with the same message already rendered (MODE=plain).
local mode = os.getenv("MODE") or "template"
local key = os.getenv("API_KEY") or "bench-key"

local function items(fmt)
  local t = {}
  for i = 1, 10 do t[i] = string.format(fmt, i, i, i * 3, i * 2.5) end
  return table.concat(t, ",")
end

local vars = {}
for i = 1, 28 do vars[i] = string.format('"v%d":"value number %d"', i, i) end

local data = '{"order":"A-10042","name":"Ann Example","email":"ann@example.net",' ..
  '"date":"2026-12-08","street":"1 Main St","city":"Springfield","zip":"12345",' ..
  '"country":"US","total":"123.45","tax":"9.87","shipping":"5.00",' ..
  '"currency":"USD",' .. table.concat(vars, ",") .. ',' ..
  '"items":[' .. items('{"sku":"SKU-%d","name":"Item %d","qty":%d,"price":"%.2f"}') .. ']}'

-- What the template renders (for the plain run): the same sizes.
local rows = {}
for i = 1, 10 do
  rows[i] = string.format('<tr><td>SKU-%d</td><td>Item %d</td><td>%d</td><td>%.2f</td></tr>',
    i, i, i * 3, i * 2.5)
end
local html = '<h1>Receipt A-10042</h1><p>Hello Ann Example</p><table>' ..
  table.concat(rows) .. '</table>' .. string.rep('<p>value number 1</p>', 28)
local text = 'Receipt A-10042 for Ann Example ' .. string.rep('line value number 1\\n', 40)

wrk.method = "POST"
wrk.path = "/v1/messages"
wrk.headers["Authorization"] = "Bearer " .. key
wrk.headers["Content-Type"] = "application/json"
if mode == "template" then
  wrk.body = '{"from":"shop@example.com","to":"rcpt@example.net",' ..
    '"template":{"name":"receipt","data":' .. data .. '}}'
else
  wrk.body = '{"from":"shop@example.com","to":"rcpt@example.net",' ..
    '"subject":"Your receipt A-10042","html":"' .. html .. '","text":"' .. text .. '"}'
end

local bad = 0
function response(status, headers, body)
  if status ~= 202 then
    bad = bad + 1
    if bad <= 3 then io.stderr:write("status " .. status .. ": " .. body .. "\n") end
  end
end
