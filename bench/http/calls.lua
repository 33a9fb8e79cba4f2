-- Call start+end pairs for wrk: every other request starts a new call; the others end the call
-- started 256 requests earlier on this thread, so that its start has surely been answered
-- (a thread has far fewer connections than that). Each request is one durable transaction.
-- wrk -s calls.lua URL -- TOKEN TENANT UPN RUN (RUN: a label unique to this run)
local lag = 256
local started, ended, odd = 0, 0, false
local threads = 0
local prefix

function setup(thread)
  threads = threads + 1
  thread:set("index", threads)
end

function init(args)
  token, tenant, upn = args[1], args[2], args[3]
  prefix = string.format("%s-%d", args[4], wrk.thread:get("index"))
  headers = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }
end

-- Each call is dated by the clock, started 30 s before now: the service refuses a start or an
-- end minutes away from its own clock.
local function stamp(offset)
  return os.date("!%Y-%m-%dT%H:%M:%SZ", os.time() + offset)
end

function request()
  odd = not odd
  if odd or ended + lag >= started then
    started = started + 1
    return wrk.format("POST", string.format("/v1/tenants/%s/calls/%s-%d/start", tenant, prefix, started), headers,
      string.format('{"requestNumber":1,"callType":"user_out","upn":"%s","callerNumber":"+14255550100","calleeNumber":"+14255550199","startTime":"%s"}', upn, stamp(-30)))
  end
  ended = ended + 1
  return wrk.format("POST", string.format("/v1/tenants/%s/calls/%s-%d/end", tenant, prefix, ended), headers,
    string.format('{"requestNumber":2,"durationSeconds":30,"endTime":"%s"}', stamp(0)))
end

local failures = 0
function response(status, headers, body)
  if status ~= 200 then
    failures = failures + 1
    if failures <= 3 then io.stderr:write("answer " .. status .. ": " .. body .. "\n") end
  end
end
