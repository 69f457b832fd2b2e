-- Creates: POST a new resource.
package.path = package.path .. ";" .. (os.getenv("FOLIO_BENCH_DIR") or ".") .. "/?.lua"
local common = require("common")
local counter = 0

function setup(thread) common.setup(thread) end

function init(args) counts = common.counts end

function request()
  counter = counter + 1
  return wrk.format("POST", "/api/v1/resources", {
    ["Authorization"] = "Bearer " .. common.token,
    ["Content-Type"] = "application/json",
  }, '{"name":"bench ' .. counter .. '","resource_type":"labor"}')
end

function response(status, headers, body) common.count(status) end

function done(summary, latency, requests) common.report(latency) end
