-- wrk script: POST /v1/events/ingest, one new trace of 50 spans (the SDK's batch size)
-- per request. Each thread counts the batches acknowledged with 200 and
-- `"accepted":50`, so the driver can check that exactly those events were stored.
local threads = {}
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("tid", next_id)
  table.insert(threads, thread)
end

counter = 0
acked = 0
other = 0
local key = os.getenv("PREFLIGHT_LOAD_KEY")
local payload = string.rep("x", 200)

function init(args)
  tid = tid or 0
end

function request()
  counter = counter + 1
  local trace = string.format("load-%d-%d", tid, counter)
  local spans = {}
  -- Traces fall into 200 sessions per thread (the threads page has work to do), and
  -- every tenth call was blocked (the audit log has rows).
  local session = string.format("load-session-%d-%d", tid, counter % 200)
  for i = 0, 49 do
    local kind = (i % 2 == 0) and "tool_call" or "llm_call"
    local status = (i % 10 == 9) and "blocked" or "ok"
    spans[#spans + 1] = string.format(
      '{"type":"span","trace_id":"%s","span_id":"%s-s%d","kind":"%s","name":"tool.%d",' ..
      '"sequence":%d,"timestamp":"2026-11-01T10:00:00Z","status":"%s","session_id":"%s",' ..
      '"agent_name":"load-bot","cost_usd":0.001,"payload":{"args":"%s"}}',
      trace, trace, i, kind, i % 7, i, status, session, payload)
  end
  local body = '{"events":[' .. table.concat(spans, ",") .. ']}'
  return wrk.format("POST", "/v1/events/ingest", {
    ["Authorization"] = "Bearer " .. key,
    ["Content-Type"] = "application/json",
  }, body)
end

function response(status, headers, body)
  if status == 200 and string.find(body, '"accepted":50', 1, true) then
    acked = acked + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local total_acked, total_other = 0, 0
  for _, thread in ipairs(threads) do
    total_acked = total_acked + thread:get("acked")
    total_other = total_other + thread:get("other")
  end
  io.write(string.format("ACKED_BATCHES %d\nFAILED_BATCHES %d\n", total_acked, total_other))
  io.write(string.format("P99_MS %.2f\n", latency:percentile(99) / 1000))
end
