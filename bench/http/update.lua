-- Optimistic updates: PATCH a resource with the version last seen (If-Match). Versions are
-- tracked from 200 bodies ("version") and 409 bodies ("current_version"), as a client
-- would. FOLIO_HOT=N restricts the run to the first N ids (a hot set: many conflicts).
-- FOLIO_VERSIONS_OUT=file writes the versions last seen at the end ("id version" lines),
-- FOLIO_VERSIONS_IN=file starts from them (else from 1): a run that goes on where one ended.
package.path = package.path .. ";" .. (os.getenv("FOLIO_BENCH_DIR") or ".") .. "/?.lua"
local common = require("common")

local ids = nil
versions = {}  -- global: done() reads each thread's through thread:get
local counter = 0

-- FOLIO_PARTITION=N (the number of wrk threads): each thread updates only its share of the
-- ids, so that threads do not make each other's versions stale (conflicts then come only
-- from a thread's own connections racing for one id).
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("part", threads)
  common.setup(thread)
end

function init(args)
  ids = common.read_ids(tonumber(os.getenv("FOLIO_HOT") or ""))
  local parts = tonumber(os.getenv("FOLIO_PARTITION") or "")
  if parts and part then
    local mine = {}
    for i, id in ipairs(ids) do
      if i % parts == part - 1 then mine[#mine + 1] = id end
    end
    ids = mine
  end
  for _, id in ipairs(ids) do versions[id] = 1 end
  local known = os.getenv("FOLIO_VERSIONS_IN")
  if known and known ~= "" then
    for line in io.lines(known) do
      local id, version = line:match("^(%S+) (%d+)$")
      if id and versions[id] then versions[id] = tonumber(version) end
    end
  end
  counts = common.counts
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16) % 100000)
end

function request()
  counter = counter + 1
  local id = ids[math.random(#ids)]
  local body = '{"description":"edit ' .. counter .. '"}'
  return wrk.format("PATCH", "/api/v1/resources/" .. id, {
    ["Authorization"] = "Bearer " .. common.token,
    ["Content-Type"] = "application/json",
    ["If-Match"] = '"' .. versions[id] .. '"',
  }, body)
end

function response(status, headers, body)
  common.count(status)
  if status == 200 then
    local id = body:match('"id":"([%x%-]+)"')
    local version = tonumber(body:match('"version":(%d+)'))
    if id and version then versions[id] = version end
  elseif status == 409 then
    local id = body:match('"entity_id":"([%x%-]+)"')
    local version = tonumber(body:match('"current_version":(%d+)'))
    if id and version then versions[id] = version end
  end
end

function done(summary, latency, requests)
  common.report(latency)
  local out = os.getenv("FOLIO_VERSIONS_OUT")
  if out and out ~= "" then
    local file = assert(io.open(out, "w"))
    for _, thread in ipairs(common.threads) do
      for id, version in pairs(thread:get("versions")) do
        file:write(id, " ", version, "\n")
      end
    end
    file:close()
  end
end
