-- POST the body in $WRK_BODY_FILE with a platform token; every $WRK_BAD_EVERY-th request (if set)
-- carries a bad token instead.
local function read(path)
  local f = assert(io.open(path, "rb"))
  local data = f:read("*a")
  f:close()
  return data
end

local body = read(os.getenv("WRK_BODY_FILE"))
local good = "Bearer " .. os.getenv("WRK_TOKEN")
local bad = "Bearer " .. (os.getenv("WRK_BAD_TOKEN") or "")
local bad_every = tonumber(os.getenv("WRK_BAD_EVERY") or "0")
local sent = 0

request = function()
  sent = sent + 1
  local auth = good
  if bad_every > 0 and sent % bad_every == 0 then
    auth = bad
  end
  return wrk.format("POST", "/", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = auth,
  }, body)
end
