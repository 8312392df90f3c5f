"""The Lua scripts behind :class:`hookreceiver.stores.redis.RedisStore`.

Each script runs atomically inside Redis and names every key it touches in ``KEYS`` (all under the
store's one hash tag, so each works unchanged on Redis Cluster). A *claim* is a hash with the
fields ``state`` (pending/failed/done/dead), ``gen`` (bumped on every enqueue; an inbox entry
whose ``gen`` is not the claim's is stale and is dropped), ``attempt``, ``delivery`` (the codec
bytes, exactly as received), ``expires`` (the store clock's end of retention for a settled claim),
``error``, ``failed_at``, ``reclaims`` (how often in a row a worker died holding it) and ``run``
(bumped every time a worker starts it). A job's receipt carries ``gen`` and ``run``: a worker that
stalled while another took its job over holds an old ``run``, so its late outcome is refused and
its heartbeat stops. An inbox entry holds only ``k`` (the claim's member name) and ``g`` (its
generation).

Live claims (pending, failed) carry no Redis TTL: they always have an inbox entry or a delayed
entry, and a worker settles them. Settled claims (done, dead) get ``EXPIRE retention``; the store
also compares ``expires`` with its own clock, so tests can move time.
"""

from __future__ import annotations

__all__ = ["ADMIT", "BEAT", "EVICT", "PROMOTE", "PURGE", "RECORD", "REPLAY", "SETTLE", "START", "STATS"]

# A shebang (Redis 7+) makes Redis refuse a writing script up front on a full (OOM) or read-only
# server, instead of letting it run and fail half way through.
_SHEBANG = "#!lua\n"

# Common preamble: a settled claim whose logical retention has passed counts as absent.
_LIVE_STATE = """
local function current_state(state, expires, now)
  if (state == 'done' or state == 'dead') and tonumber(expires) <= now then return false end
  return state
end
"""

# KEYS: inbox, delayed, dead, settled, stats, claim_1 .. claim_n
# ARGV: now, expires, then per delivery: member, delivery
# -> per delivery 1 accepted, 0 duplicate. Deliveries are admitted one after another, so a
#    second one with the key of a first in the same call is its duplicate.
ADMIT = (
    _SHEBANG
    + _LIVE_STATE
    + """
local now, expires = tonumber(ARGV[1]), ARGV[2]
local out, admitted, duplicates = {}, 0, 0
for i = 6, #KEYS do
  local claim = KEYS[i]
  local member, delivery = ARGV[(i - 6) * 2 + 3], ARGV[(i - 6) * 2 + 4]
  local c = redis.call('HMGET', claim, 'state', 'expires', 'gen', 'attempt')
  local state = current_state(c[1], c[2], now)
  if state == 'pending' or state == 'done' then
    duplicates = duplicates + 1
    out[#out + 1] = 0
  else
    local attempt = 1
    if state == 'failed' then
      attempt = tonumber(c[4])
      redis.call('ZREM', KEYS[2], member)
    end
    local gen = (tonumber(c[3]) or 0) + 1
    redis.call('DEL', claim)
    redis.call('ZREM', KEYS[3], member)
    redis.call('ZREM', KEYS[4], member)
    redis.call('HSET', claim, 'state', 'pending', 'gen', gen, 'attempt', attempt,
               'delivery', delivery, 'expires', expires, 'reclaims', 0)
    redis.call('XADD', KEYS[1], '*', 'k', member, 'g', gen)
    admitted = admitted + 1
    out[#out + 1] = 1
  end
end
if admitted > 0 then redis.call('HINCRBY', KEYS[5], 'admitted', admitted) end
if duplicates > 0 then redis.call('HINCRBY', KEYS[5], 'duplicates', duplicates) end
return out
"""
)

# KEYS: claim, settled, stats
# ARGV: member, now, expires, delivery, ttl, retention
# -> 0 duplicate (any claim, live or settled, is left alone), else the size of the settled index
RECORD = (
    _SHEBANG
    + _LIVE_STATE
    + """
local now = tonumber(ARGV[2])
local c = redis.call('HMGET', KEYS[1], 'state', 'expires', 'gen')
if current_state(c[1], c[2], now) then
  redis.call('HINCRBY', KEYS[3], 'duplicates', 1)
  return 0
end
redis.call('HINCRBY', KEYS[3], 'unrouted', 1)
local gen = (tonumber(c[3]) or 0) + 1
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'state', 'done', 'gen', gen, 'attempt', 1, 'delivery', ARGV[4],
           'expires', ARGV[3], 'reclaims', 0)
redis.call('EXPIRE', KEYS[1], ARGV[5])
redis.call('ZADD', KEYS[2], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[6]))
return redis.call('ZCARD', KEYS[2])
"""
)

# KEYS: inbox, dead, claim_1 .. claim_n, stats
# ARGV: group, now, expires, ttl, max_reclaims, retention, length of the claim key prefix, then
#   per job "entry id|gen|reclaimed (0/1)" (one argument per job: each costs the client time)
# -> per live job {entry id, gen, attempt, delivery, run}; stale entries are acked and deleted,
#    and a job whose workers died max_reclaims times in a row is buried instead of run again.
START = (
    _SHEBANG
    + """
local group, now, expires, ttl, max_reclaims = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
local out = {}
local prefix = tonumber(ARGV[7])
for i = 3, #KEYS - 1 do
  local id, gen, reclaimed = string.match(ARGV[i + 5], '^([^|]*)|([^|]*)|([^|]*)$')
  local member = string.sub(KEYS[i], prefix + 1)
  local c = redis.call('HMGET', KEYS[i], 'state', 'gen', 'attempt', 'delivery', 'reclaims')
  local live = c[1] == 'pending' or c[1] == 'failed'
  if not live or c[2] ~= gen then
    redis.call('XACK', KEYS[1], group, id)
    redis.call('XDEL', KEYS[1], id)
  elseif reclaimed == '1' and tonumber(c[5] or 0) + 1 >= max_reclaims then
    redis.call('HSET', KEYS[i], 'state', 'dead', 'failed_at', now, 'expires', expires,
               'error', 'worker lost: a worker stopped while running this delivery ' ..
               max_reclaims .. ' times (crash, kill or lost connection)')
    redis.call('EXPIRE', KEYS[i], ttl)
    redis.call('ZADD', KEYS[2], now, member)
    redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', tonumber(now) - tonumber(ARGV[6]))
    redis.call('HINCRBY', KEYS[#KEYS], 'dead', 1)
    redis.call('XACK', KEYS[1], group, id)
    redis.call('XDEL', KEYS[1], id)
  else
    if reclaimed == '1' then redis.call('HINCRBY', KEYS[i], 'reclaims', 1) end
    redis.call('HSET', KEYS[i], 'state', 'pending')
    local run = redis.call('HINCRBY', KEYS[i], 'run', 1)
    out[#out + 1] = {id, gen, c[3], c[4], run}
  end
end
return out
"""
)

# KEYS: inbox, delayed, dead, settled, stats, claim_1 .. claim_n
# ARGV: group, now, expires, ttl, retention, length of the claim key prefix, then per job two
#   arguments: "entry id|gen|run|mode|due|attempt" and the error text
#   mode: complete | retry | bury | release
# -> per job: -1 stale (a newer job owns the claim), else for complete the size of the settled
#    index, else 0
# A stale outcome of the same generation means another worker took the entry over (a newer run):
# its entry is left alone. An older generation's entry is dropped (a newer entry replaced it).
SETTLE = (
    _SHEBANG
    + """
local group, now, expires, ttl = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]
local horizon = now - tonumber(ARGV[5])
local counts = {handled = 0, failed = 0, dead = 0}
local function settle(claim, id, job_gen, member, mode, due, err, attempt, run)
  local c = redis.call('HMGET', claim, 'gen', 'run')
  local gen = c[1]
  if gen == job_gen and c[2] ~= run then return -1 end
  redis.call('XACK', KEYS[1], group, id)
  redis.call('XDEL', KEYS[1], id)
  if gen ~= job_gen then return -1 end
  if mode == 'complete' then
    counts.handled = counts.handled + 1
    redis.call('HSET', claim, 'state', 'done', 'expires', expires)
    redis.call('EXPIRE', claim, ttl)
    redis.call('ZADD', KEYS[4], now, member)
    redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', horizon)
    return redis.call('ZCARD', KEYS[4])
  elseif mode == 'bury' then
    counts.failed, counts.dead = counts.failed + 1, counts.dead + 1
    redis.call('HSET', claim, 'state', 'dead', 'expires', expires, 'error', err,
               'failed_at', ARGV[2], 'attempt', attempt)
    redis.call('EXPIRE', claim, ttl)
    redis.call('ZADD', KEYS[3], now, member)
    redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', horizon)
    return 0
  end
  gen = tonumber(gen) + 1
  redis.call('HSET', claim, 'gen', gen, 'reclaims', 0)  -- the run ended: a new streak starts
  if mode == 'retry' then
    counts.failed = counts.failed + 1
    redis.call('HSET', claim, 'state', 'failed', 'error', err, 'attempt', attempt)
    if tonumber(due) > now then
      redis.call('ZADD', KEYS[2], due, member)
      return 0
    end
  end
  redis.call('XADD', KEYS[1], '*', 'k', member, 'g', gen)
  return 0
end
local prefix = tonumber(ARGV[6])
local out = {}
for i = 6, #KEYS do
  local b = 6 + (i - 6) * 2
  local id, job_gen, run, mode, due, attempt =
    string.match(ARGV[b + 1], '^([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)$')
  local member = string.sub(KEYS[i], prefix + 1)
  out[#out + 1] = settle(KEYS[i], id, job_gen, member, mode, due, ARGV[b + 2], attempt, run)
end
for name, n in pairs(counts) do
  if n > 0 then redis.call('HINCRBY', KEYS[5], name, n) end
end
return out
"""
)

# KEYS: inbox, claim_1 .. claim_n
# ARGV: group, then per job: entry id, consumer, gen, run
# -> entry ids this process no longer owns (settled, replayed, or taken over by a newer run);
#    the others are refreshed (XCLAIM to their own consumer, idle time reset).
BEAT = """
local lost = {}
for i = 2, #KEYS do
  local base = 1 + (i - 2) * 4
  local id, consumer, gen, run = ARGV[base + 1], ARGV[base + 2], ARGV[base + 3], ARGV[base + 4]
  local c = redis.call('HMGET', KEYS[i], 'state', 'gen', 'run')
  if c[1] == 'pending' and c[2] == gen and c[3] == run then
    redis.call('XCLAIM', KEYS[1], ARGV[1], consumer, 0, id, 'JUSTID')
  else
    lost[#lost + 1] = id
  end
end
return lost
"""

# KEYS: delayed, inbox, claim_1 .. claim_n
# ARGV: now, member_1 .. member_n
# -> how many due retries moved to the inbox
PROMOTE = (
    _SHEBANG
    + """
local now = tonumber(ARGV[1])
local moved = 0
for i = 3, #KEYS do
  local member = ARGV[i - 1]
  local due = redis.call('ZSCORE', KEYS[1], member)
  if due and tonumber(due) <= now then
    redis.call('ZREM', KEYS[1], member)
    local c = redis.call('HMGET', KEYS[i], 'state', 'gen')
    if c[1] == 'failed' then
      redis.call('XADD', KEYS[2], '*', 'k', member, 'g', c[2])
      moved = moved + 1
    end
  end
end
return moved
"""
)

# KEYS: claim, inbox, delayed, dead, settled, stats
# ARGV: member, now, expires
# -> 1 enqueued again as attempt 1, 0 not retained
REPLAY = (
    _SHEBANG
    + _LIVE_STATE
    + """
local now = tonumber(ARGV[2])
local c = redis.call('HMGET', KEYS[1], 'state', 'expires', 'gen')
if not current_state(c[1], c[2], now) then return 0 end
local gen = tonumber(c[3]) + 1
for i = 3, 5 do redis.call('ZREM', KEYS[i], ARGV[1]) end
redis.call('HSET', KEYS[1], 'state', 'pending', 'gen', gen, 'attempt', 1, 'expires', ARGV[3],
           'reclaims', 0)
redis.call('PERSIST', KEYS[1])
redis.call('XADD', KEYS[2], '*', 'k', ARGV[1], 'g', gen)
return 1
"""
)

# KEYS: dead, claim_1 .. claim_n ; ARGV: member_1 .. member_n
# -> how many dead claims were dropped (members that are no longer dead leave the index too)
PURGE = (
    _SHEBANG
    + """
local dropped = 0
for i = 2, #KEYS do
  if redis.call('HGET', KEYS[i], 'state') == 'dead' then
    redis.call('DEL', KEYS[i])
    dropped = dropped + 1
  end
  redis.call('ZREM', KEYS[1], ARGV[i - 1])
end
return dropped
"""
)

# KEYS: settled, claim_1 .. claim_n ; ARGV: member_1 .. member_n
# Drops the oldest DONE claims past the retained-count cap.
EVICT = (
    _SHEBANG
    + """
for i = 2, #KEYS do
  if redis.call('HGET', KEYS[i], 'state') == 'done' then redis.call('DEL', KEYS[i]) end
  redis.call('ZREM', KEYS[1], ARGV[i - 1])
end
return #KEYS - 1
"""
)

# KEYS: stats, inbox, delayed ; ARGV: group, now
# -> {counters as a flat field/value list, depth, running, scheduled, oldest age (text)}
# Read-only. depth: inbox entries the group has not handed out (stale ones included) plus due
# retries; running: entries handed out and not settled; the oldest age compares a stream entry's
# id with the server's TIME and a due retry's time with the store clock (``now``).
STATS = """
local now = tonumber(ARGV[2])
local counts = redis.call('HGETALL', KEYS[1])
local waiting, running, age = 0, 0, 0
if redis.call('EXISTS', KEYS[2]) == 1 then
  local start = '-'
  for _, g in ipairs(redis.call('XINFO', 'GROUPS', KEYS[2])) do
    local info = {}
    for i = 1, #g, 2 do info[g[i]] = g[i + 1] end
    if info['name'] == ARGV[1] then
      running = tonumber(info['pending'])
      start = '(' .. info['last-delivered-id']
    end
  end
  waiting = redis.call('XLEN', KEYS[2]) - running
  local first = redis.call('XRANGE', KEYS[2], start, '+', 'COUNT', 1)[1]
  if first then
    local t = redis.call('TIME')
    local ms = tonumber(string.match(first[1], '^(%d+)'))
    age = math.max(0, tonumber(t[1]) + tonumber(t[2]) / 1e6 - ms / 1000)
  end
end
local due = redis.call('ZCOUNT', KEYS[3], '-inf', now)
local earliest = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
if due > 0 then age = math.max(age, now - tonumber(earliest[2])) end
local scheduled = redis.call('ZCARD', KEYS[3]) - due
return {counts, math.max(0, waiting) + due, running, scheduled, tostring(age)}
"""
