-- The buyers of bench/flash_sale_http.py, for wrk (https://github.com/wg/wrk).
--
-- wrk runs with as many threads as connections (-t N -c N), so one thread is one buyer's
-- browser: it sends a request, waits for the answer, sends the next. Every request names a
-- new buyer (a fresh email, and a client address of its own in X-Forwarded-For, which the
-- server believes from 127.0.0.1: the per-client rate limit of placeOrder then counts each
-- buyer, as behind a load balancer).
--
-- BENCH_MODE (environment):
--   get       the URL given to wrk, a static request (no Lua per request: the cheapest
--             load generator, for getEvent and the bare route)
--   place     POST /v1/orders for BENCH_SLUG / BENCH_TICKET_TYPE, one ticket
--   purchase  place, then POST the payment_url's /pay/<reference> (the local provider's
--             checkout page), then the next buyer; the latency of a purchase is from the
--             place request to the payment's answer (LuaJIT's ffi reads the clock)
-- BENCH_SCENARIO: a number that keeps client addresses and emails unique across runs.
-- BENCH_WINDOW_START_US, BENCH_WINDOW_END_US: CLOCK_MONOTONIC microseconds; the answers
--   (and purchases) that arrive in between are counted apart: the window the server's CPU
--   is measured over.
-- BENCH_OUT: where done() writes the run's figures as JSON (latencies in microseconds).

local ffi = require("ffi")
ffi.cdef([[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]])
local CLOCK_MONOTONIC = 1
local clock = ffi.new("bench_timespec")
local function now_us()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, clock)
  return tonumber(clock.tv_sec) * 1000000 + tonumber(clock.tv_nsec) / 1000
end

local mode = os.getenv("BENCH_MODE") or "get"
local slug = os.getenv("BENCH_SLUG") or ""
local ticket_type = os.getenv("BENCH_TICKET_TYPE") or ""
local scenario = tonumber(os.getenv("BENCH_SCENARIO") or "0") % 65536
local window_start = tonumber(os.getenv("BENCH_WINDOW_START_US") or "0")
local window_end = tonumber(os.getenv("BENCH_WINDOW_END_US") or "0")
local json_headers = { ["Content-Type"] = "application/json" }

-- the main state: number the threads, and keep them for done()
local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

-- each thread's state
function init(args)
  buyer = 0
  statuses = {}      -- "place 201" -> count
  purchases = 0
  latencies = {}     -- purchase latencies, microseconds
  window_requests = 0
  window_purchases = 0
  pay_path = nil     -- the checkout page of the order just placed
  sent = nil
  started = 0
end

local function place()
  buyer = buyer + 1
  -- an IPv6 client is keyed by its /64: scenario, thread and buyer make the first 64 bits
  json_headers["X-Forwarded-For"] = string.format("fd00:%x:%x:%x::1", scenario, id, buyer % 65536)
  local body = string.format(
    '{"event_slug":"%s","items":[{"ticket_type_id":"%s","quantity":1}],'
      .. '"customer_email":"b%d-%d-%d@example.com"}',
    slug, ticket_type, scenario, id, buyer)
  sent = "place"
  started = now_us()
  return wrk.format("POST", "/v1/orders", json_headers, body)
end

local function pay()
  sent = "pay"
  local path = pay_path
  pay_path = nil
  return wrk.format("POST", path, {}, "")  -- an empty form: Content-Length: 0
end

if mode == "place" or mode == "purchase" then
  function request()
    if pay_path ~= nil then
      return pay()
    end
    return place()
  end

  function response(status, headers, body)
    local now = now_us()
    local inside = now >= window_start and now < window_end
    local key = sent .. " " .. status
    statuses[key] = (statuses[key] or 0) + 1
    if inside then
      window_requests = window_requests + 1
    end
    if mode ~= "purchase" then
      return
    end
    if sent == "place" and status == 201 then
      pay_path = string.match(body, '"payment_url":"[^"]-(/pay/[^"]+)"')
    elseif sent == "pay" and status == 200 and string.find(body, "Payment received", 1, true) then
      purchases = purchases + 1
      latencies[#latencies + 1] = now - started
      if inside then
        window_purchases = window_purchases + 1
      end
    end
  end
end

-- JSON for the few shapes done() writes: numbers, strings, arrays and string-keyed tables
local function encode(value)
  local kind = type(value)
  if kind == "number" then
    return string.format("%.17g", value)
  elseif kind == "string" then
    return '"' .. value:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end) .. '"'
  elseif kind == "table" then
    local parts = {}
    if #value > 0 then
      for _, item in ipairs(value) do parts[#parts + 1] = encode(item) end
      return "[" .. table.concat(parts, ",") .. "]"
    end
    for k, item in pairs(value) do parts[#parts + 1] = encode(tostring(k)) .. ":" .. encode(item) end
    return "{" .. table.concat(parts, ",") .. "}"
  end
  return "null"
end

function done(summary, latency, requests)
  local merged, all_latencies, total_purchases = {}, {}, 0
  local window = { requests = 0, purchases = 0 }
  for _, thread in ipairs(threads) do
    for key, count in pairs(thread:get("statuses") or {}) do
      merged[key] = (merged[key] or 0) + count
    end
    for _, us in ipairs(thread:get("latencies") or {}) do
      all_latencies[#all_latencies + 1] = us
    end
    total_purchases = total_purchases + (thread:get("purchases") or 0)
    window.requests = window.requests + (thread:get("window_requests") or 0)
    window.purchases = window.purchases + (thread:get("window_purchases") or 0)
  end
  local e = summary.errors
  local out = assert(io.open(os.getenv("BENCH_OUT"), "w"))
  out:write(encode({
    duration_us = summary.duration,
    requests = summary.requests,
    bytes = summary.bytes,
    errors = { connect = e.connect, read = e.read, write = e.write, status = e.status,
               timeout = e.timeout },
    latency_us = { p50 = latency:percentile(50), p99 = latency:percentile(99),
                   mean = latency.mean, max = latency.max },
    statuses = merged,
    purchases = total_purchases,
    purchase_latencies_us = all_latencies,
    window = window,
  }))
  out:close()
end
