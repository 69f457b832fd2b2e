-- Shared by the wrk scripts: the token, the entity ids, per-thread version tracking and
-- status counting. Environment: FOLIO_TOKEN, FOLIO_IDS_FILE (one id per line).
local M = {}

M.token = os.getenv("FOLIO_TOKEN") or error("FOLIO_TOKEN is not set")

function M.read_ids(limit)
  local path = os.getenv("FOLIO_IDS_FILE") or error("FOLIO_IDS_FILE is not set")
  local ids = {}
  for line in io.lines(path) do
    if line ~= "" then ids[#ids + 1] = line end
    if limit and #ids >= limit then break end
  end
  return ids
end

-- Status counts of this thread, merged in done() through wrk's thread table.
M.counts = {}
function M.count(status)
  M.counts[status] = (M.counts[status] or 0) + 1
end

M.threads = {}
function M.setup(thread)
  M.threads[#M.threads + 1] = thread
end

function M.report(latency)
  local totals = {}
  for _, thread in ipairs(M.threads) do
    local counts = thread:get("counts")
    for status, n in pairs(counts) do totals[status] = (totals[status] or 0) + n end
  end
  local all = 0
  for _, n in pairs(totals) do all = all + n end
  io.write("statuses:")
  for status, n in pairs(totals) do io.write(string.format(" %s=%d", status, n)) end
  io.write("\n")
  if all > 0 then
    io.write(string.format("conflict_share: %.3f\n", (totals[409] or 0) / all))
  end
  for _, p in ipairs({50, 99}) do
    io.write(string.format("p%d_ms: %.2f\n", p, latency:percentile(p) / 1000.0))
  end
end

return M
