-- Reads: GET a random resource by id.
package.path = package.path .. ";" .. (os.getenv("FOLIO_BENCH_DIR") or ".") .. "/?.lua"
local common = require("common")
local ids

function setup(thread) common.setup(thread) end

function init(args)
  ids = common.read_ids()
  counts = common.counts
end

function request()
  return wrk.format("GET", "/api/v1/resources/" .. ids[math.random(#ids)],
                    {["Authorization"] = "Bearer " .. common.token})
end

function response(status, headers, body) common.count(status) end

function done(summary, latency, requests) common.report(latency) end
