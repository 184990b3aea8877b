/**
 * The shared store's Lua scripts. Redis runs a script atomically, so replicas cannot interleave between the check
 * and the record. Times are the server's (`TIME`, in µs), so replicas with skewed clocks agree. Numbers are
 * formatted with `%.0f` before they reach a command: Lua would print 16-digit numbers as `%.14g` and lose µs.
 * https://redis.io/docs/latest/develop/interact/programmability/eval-intro/
 */

/**
 * Lets a key live at least `ttl` ms from now, never less than it already would: an entry dated ahead of now (a call
 * that may still reach Graph, `ARRIVED_SCRIPT`) needs its key past one window from now.
 */
const KEEP_FOR = `
local function keepFor(key, ttl)
  local left = redis.call('PTTL', key)
  if left < 0 or left < tonumber(ttl) then redis.call('PEXPIRE', key, ttl) end
end`;

/**
 * Refuses the script up front when Redis is over `maxmemory`. Redis checks a script (one without flags) for memory
 * only at its first write, and only if that command may grow memory (ZADD may; ZREMRANGEBYSCORE and PEXPIRE may
 * not): a take that wrote first ran on, granting and recording under OOM, while the scripts that date late calls,
 * write back grants and share a hold were refused. This ZADD changes nothing (XX, and no member is named ''), so it
 * is the first write, and under OOM the whole script is refused: every replica falls back alike. `key` must name a
 * sorted set or nothing. `scriptVerifyOOM` in https://github.com/redis/redis/blob/7.0/src/script.c
 */
const oomGuard = (key: string) => `redis.call('ZADD', ${key}, 'XX', 0, '')`;

/**
 * Whether Redis still holds what the replica last saw (KEYS[2], an epoch key: ARGV[4] the epoch the replica expects
 * or '' when it does not know one, ARGV[5] one it proposes, ARGV[6] the key's life in ms, '0' for none). A missing key
 * is written with the proposal, so a replica that expected an epoch and finds another (or none) knows the windows
 * were lost: flushed, evicted, or a Redis that came back empty without the connection dropping. One Redis (or
 * Sentinel's master): one key for all, `igg:q:epoch`, without expiry, so every replica notices at its next take. A
 * Cluster: a script touches one slot, so each tenant has its own (`igg:q:{tenant}:e`), kept two windows past each
 * take (never shortened: replicas may run with different windows), expected only by a replica that took for the tenant
 * within a window. Returns the epoch in Redis, and whether it was the expected one.
 */
const EPOCH = `
local function epoch(key, expected, proposed, ttl)
  local current = redis.call('GET', key)
  if not current then
    if ttl == '0' then redis.call('SET', key, proposed) else redis.call('SET', key, proposed, 'PX', ttl) end
    current = proposed
  elseif ttl ~= '0' then
    keepFor(key, ttl)
  end
  return current, expected == '' or expected == current
end`;

/**
 * Takes up to ARGV[2] calls for one identity: the exact sliding window of `window.ts`, over sorted sets of call
 * times. KEYS[1] is the identity's block key, KEYS[2] an epoch key (`EPOCH`); KEYS[3…] its window keys. ARGV: window
 * µs, max, member prefix, expected epoch, proposed epoch, the epoch key's life, then one limit per window key. Returns
 * {granted, wait µs, now µs, short, epoch, count…}: `short` says what a take that got nothing was short of, as bits:
 * 1 for the block, 2^(i-2) for KEYS[i] (a window with no room); then each window's live entries after the take, every
 * replica's (what the replica knows of the window if Redis goes away). Granted is -1 when the epoch was not the
 * expected one: nothing is taken, the replica falls back and writes back what it granted. A max of 0 takes nothing:
 * the probe of a replica that fell back runs each command a take may run (those of a full window and of a grant too,
 * with no effect), and is refused as a take would be.
 */
export const TAKE_SCRIPT = `${KEEP_FOR}${EPOCH}
${oomGuard('KEYS[3]')}
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local window = tonumber(ARGV[1])
local granted = tonumber(ARGV[2])
local wait = 0
local short = 0
local counts = {}
local held, kept = epoch(KEYS[2], ARGV[4], ARGV[5], ARGV[6])
if not kept then return {-1, 0, now, 0, held} end
local blocked = redis.call('PTTL', KEYS[1])
if blocked > 0 then
  wait = blocked * 1000
  short = 1
end
for i = 3, #KEYS do
  local limit = tonumber(ARGV[i + 4])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', string.format('%.0f', now - window))
  local live = redis.call('ZCARD', KEYS[i])
  counts[i - 2] = live
  if limit - live < granted then granted = math.max(0, limit - live) end
  if live >= limit then
    short = short + 2 ^ (i - 2)
    local freeing = redis.call('ZRANGE', KEYS[i], live - limit, live - limit, 'WITHSCORES')
    wait = math.max(wait, tonumber(freeing[2]) + window - now)
  end
end
if ARGV[2] == '0' then
  -- The probe's dry run: each command a take may run, with no effect (the block key is missing), so that an ACL
  -- refusing one keeps the replica out rather than letting it return and fall at its first take.
  redis.call('ZRANGE', KEYS[3], 0, 0)
  redis.call('PEXPIRE', KEYS[1], 1)
  redis.call('SET', KEYS[1], '1', 'XX', 'PX', 1)
end
if wait > 0 or granted <= 0 then return {0, wait, now, short, held, unpack(counts)} end
local stamp = string.format('%.0f', now)
local ttl = string.format('%.0f', math.ceil(window / 1000))
for i = 3, #KEYS do
  local first = 1
  while first <= granted do
    local last = math.min(granted, first + 499)
    local args = {}
    for n = first, last do
      args[#args + 1] = stamp
      args[#args + 1] = ARGV[3] .. n
    end
    redis.call('ZADD', KEYS[i], unpack(args))
    first = last + 1
  end
  keepFor(KEYS[i], ttl)
  counts[i - 2] = counts[i - 2] + granted
end
return {granted, 0, now, 0, held, unpack(counts)}
`;

/**
 * Writes grants back into one identity's windows (KEYS: its window keys, as for the take) with their original
 * times: ARGV[1] is the window in µs, then (age µs, member prefix, count, raise) per grant. An entry is dated
 * `now − age` by Redis's clock, which the age (measured by the replica just before sending) makes no earlier than
 * the grant: it counts at least as long as it should (a negative age dates it ahead: a call that may still reach
 * Graph). Expired grants are skipped; `ZADD NX` keeps entries already there (a grant Redis still holds is not
 * moved), so writing the same grants twice adds nothing, unless `raise` is 1: the grant was dated later since
 * (a late arrival, `ARRIVED_SCRIPT`, that may not have reached Redis), and an earlier score is raised to it. Limits
 * are not checked: these calls were sent, they count whatever else the window holds. Returns the entries added to
 * KEYS[1]. Keys live a window past the latest date written.
 */
export const RESTORE_SCRIPT = `${KEEP_FOR}
${oomGuard('KEYS[1]')}
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local window = tonumber(ARGV[1])
local added = 0
local latest = now
local function raise(key, score, member)
  local current = redis.call('ZSCORE', key, member)
  if current and tonumber(current) >= score then return 0 end
  redis.call('ZADD', key, string.format('%.0f', score), member)
  if current then return 0 end
  return 1
end
for j = 2, #ARGV, 4 do
  local stamp = now - tonumber(ARGV[j])
  local count = tonumber(ARGV[j + 2])
  if stamp > now - window and count > 0 then
    latest = math.max(latest, stamp)
    local score = string.format('%.0f', stamp)
    for i = 1, #KEYS do
      local first = 1
      while first <= count do
        local last = math.min(count, first + 499)
        local n = 0
        if ARGV[j + 3] == '1' then
          for m = first, last do n = n + raise(KEYS[i], stamp, ARGV[j + 1] .. m) end
        else
          local args = {'NX'}
          for m = first, last do
            args[#args + 1] = score
            args[#args + 1] = ARGV[j + 1] .. m
          end
          n = redis.call('ZADD', KEYS[i], unpack(args))
        end
        if i == 1 then added = added + n end
        first = last + 1
      end
    end
  end
end
local ttl = string.format('%.0f', math.ceil((latest - now + window) / 1000))
for i = 1, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then keepFor(KEYS[i], ttl) end
end
return added
`;

/**
 * Dates a grant's entries later: their calls may have reached Graph late (`QuotaStoreResult.arrivedBy`). KEYS: its
 * window keys; ARGV: window µs, µs before Redis's now to date them (negative: after it), member prefix, count (the
 * entries `<prefix>1` … `<prefix><count>`, those not given back). An earlier score is raised, never lowered; an entry
 * already dropped is written again. Raised with ZSCORE and ZADD, not `ZADD GT`, which needs Redis 6.2. The keys live
 * a window past the new date at least.
 */
export const ARRIVED_SCRIPT = `${KEEP_FOR}
${oomGuard('KEYS[1]')}
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local window = tonumber(ARGV[1])
local score = now - tonumber(ARGV[2])
local stamp = string.format('%.0f', score)
local ttl = string.format('%.0f', math.ceil(math.max(window, score + window - now) / 1000))
for i = 1, #KEYS do
  for n = 1, tonumber(ARGV[4]) do
    local member = ARGV[3] .. n
    local current = redis.call('ZSCORE', KEYS[i], member)
    if not current or tonumber(current) < score then redis.call('ZADD', KEYS[i], stamp, member) end
  end
  keepFor(KEYS[i], ttl)
end
return 1
`;

/** Blocks an identity for ARGV[1] ms unless a longer block is already in force. KEYS[1]: its block key. */
export const BLOCK_SCRIPT = `
local ms = tonumber(ARGV[1])
if redis.call('PTTL', KEYS[1]) < ms then
  redis.call('SET', KEYS[1], '1', 'PX', string.format('%.0f', ms))
end
return 1
`;
