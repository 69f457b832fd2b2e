-- GET of one fixed address (FOLIO_PATH), with the bearer token when FOLIO_TOKEN is set:
-- the HTTP floor (an unauthenticated 404, /healthz) for the comparison harness.
package.path = package.path .. ";" .. (os.getenv("FOLIO_BENCH_DIR") or ".") .. "/?.lua"
local common = require("common")
local path = os.getenv("FOLIO_PATH") or "/healthz"
local token = os.getenv("FOLIO_TOKEN")

function setup(thread) common.setup(thread) end

function init(args) counts = common.counts end

function request()
  local headers = {}
  if token and token ~= "" then headers["Authorization"] = "Bearer " .. token end
  return wrk.format("GET", path, headers)
end

function response(status, headers, body) common.count(status) end

function done(summary, latency, requests) common.report(latency) end
