/**
 * The fleet's Lua scripts: every state change of a replica's shared budget is one script, so it is atomic
 * (Redis runs one script at a time) and costs one round trip. Time is Redis time (`TIME`) in every script:
 * lease expiry never reads a process's clock, so clock skew between machines cannot break leases.
 *
 * Keys of one replica (one hash tag, so a Redis Cluster keeps them in one slot), `base = <key>:{<replica>}`:
 * - KEYS[1] `base:state`  hash: `format` = "augserve-fleet/2", `budget` (global tokens in flight), `leased`
 *   (the sum of the holds, rewritten by every sync: informative, never read), `recover` (Redis ms until which
 *   the fleet is recovering lost state, 0 when not);
 * - KEYS[2] `base:live`   sorted set: process id -> lease expiry (Redis ms);
 * - KEYS[3] `base:demand` hash: process id -> its record, JSON `{h, a, f, d, n, q, r, s, t}`: held,
 *   allocation, in-flight tokens, demand (in flight + queued + one chunk), need (in flight + the head's
 *   charge), queued calls, head rank and score, and per tenant `[in flight, demand, weight]`;
 * - KEYS[4] `base:samples` hash: the fleet's latency samples since the controller last took them;
 * - KEYS[5] `base:ctl`    string: the id of the process that makes the budget decisions (with a TTL).
 *
 * Invariants (each script keeps them; docs/shared.md, "Protocol"):
 * - I1 the sum of the leases is computed from the holds themselves on every sync (never from a stored
 *   counter), over members whose lease has not expired (Redis time) and who are in the live set.
 * - I2 a grant never raises the sum of the holds above `budget`, except to cover a process's own `floor` (its
 *   tokens in flight, which cannot be recalled: after a budget cut, or a rejoin).
 * - I3 allocations follow weighted max-min fair shares between tenants, fleet-wide; within a tenant, tokens
 *   in flight first, then demand by head rank (promoted, then each tier in order), proportionally within one.
 * - I4 a value under a fleet key that the scripts did not write is reported, never overwritten: an error
 *   reply `AUGSERVE_KEY <foreign|malformed> <key> <what>` (FleetKeyError on the client).
 * - I5 lost state (no state while the caller held a lease, or the caller's record gone) starts a recovery of
 *   one lease TTL, during which no process is granted more than the lease it last held (the members' last
 *   leases were within the budget together, whichever of them Redis has heard from again), nor a newcomer
 *   more than its tokens in flight.
 */

const PRELUDE = `
local FORMAT = 'augserve-fleet/2'
local function fail(kind, key, found)
  return redis.error_reply('AUGSERVE_KEY ' .. kind .. ' ' .. key .. ' ' .. found)
end
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- Each key is absent or of the type the fleet writes (I4).
local function check_types()
  local want = { 'hash', 'zset', 'hash', 'hash', 'string' }
  for i = 1, #KEYS do
    local t = redis.call('TYPE', KEYS[i])['ok']
    if t ~= 'none' and t ~= want[i] then return fail('foreign', KEYS[i], 'a ' .. t .. ', expected a ' .. want[i]) end
  end
  return nil
end
local function nonneg(x) return type(x) == 'number' and x == x and x >= 0 and x < 1e15 end
-- A demand record (JSON), or nil when malformed.
local function parse(rec)
  local ok, r = pcall(cjson.decode, rec)
  if not ok or type(r) ~= 'table' then return nil end
  for _, k in ipairs({ 'h', 'a', 'f', 'd', 'q', 'n' }) do if not nonneg(r[k]) then return nil end end
  if type(r.r) ~= 'number' or type(r.s) ~= 'number' or type(r.t) ~= 'table' then return nil end
  if r.h ~= math.floor(r.h) then return nil end
  for id, v in pairs(r.t) do
    if type(id) ~= 'string' or type(v) ~= 'table' or not nonneg(v[1]) or not nonneg(v[2]) or not nonneg(v[3]) then return nil end
  end
  return r
end
local function int_field(v)
  return v and string.match(v, '^%d+$') ~= nil
end
-- Loads (or creates) the state: budget, recovery end; or nil and an error reply. A missing state found by a
-- process that held a lease is lost state (a flush, a restart): recovery for one TTL (I5).
local function load_state(init_budget, lost, now, ttl)
  if redis.call('EXISTS', KEYS[1]) == 0 then
    -- Records without a state cannot be trusted (I1): they go too.
    redis.call('DEL', KEYS[2], KEYS[3])
    local recover = lost and (now + ttl) or 0
    redis.call('HSET', KEYS[1], 'format', FORMAT, 'budget', init_budget, 'leased', 0, 'recover', recover)
    return init_budget, recover, nil
  end
  local s = redis.call('HMGET', KEYS[1], 'format', 'budget', 'recover')
  if s[1] ~= FORMAT then return nil, nil, fail('foreign', KEYS[1], 'format=' .. tostring(s[1])) end
  if not int_field(s[2]) or tonumber(s[2]) < 1 then
    return nil, nil, fail('malformed', KEYS[1] .. '#budget', 'budget=' .. tostring(s[2]))
  end
  if s[3] and not int_field(s[3]) then return nil, nil, fail('malformed', KEYS[1] .. '#recover', 'recover=' .. tostring(s[3])) end
  return tonumber(s[2]), tonumber(s[3] or '0'), nil
end
-- Removes the members whose lease expired (Redis time) and records without a live entry; returns the live
-- records by id, or nil and an error reply (a record that does not parse is reported, I4).
local function load_members(now)
  local dead = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
  for _, member in ipairs(dead) do
    redis.call('HDEL', KEYS[3], member)
    redis.call('ZREM', KEYS[2], member)
  end
  local recs = {}
  local all = redis.call('HGETALL', KEYS[3])
  for i = 1, #all, 2 do
    if redis.call('ZSCORE', KEYS[2], all[i]) then
      local r = parse(all[i + 1])
      if r == nil then return nil, fail('malformed', KEYS[3] .. '#' .. all[i], all[i + 1]) end
      recs[all[i]] = r
    else
      redis.call('HDEL', KEYS[3], all[i])
    end
  end
  return recs, nil
end
`;

/**
 * `sync`: one process's renewal, allocation, grant or return, and its demand and samples published, in one
 * step (a Doorman-style capacity lease: refreshed every `renewIntervalMs`, sized by the share algorithm).
 *
 * ARGV: 1 pid, 2 ttlMs, 3 floor (the least it may be granted: its tokens in flight), 4 its record (JSON
 * `{f, d, n, q, r, s, t}`, see the module comment), 5 initial budget (used only when there is no state), 6-7 the
 * least and most budget it accepts (a stored budget outside them is clamped: a stray write cannot raise the
 * fleet above the configured maximum), 8 "1" when the caller holds a lease (its record must exist, else state
 * was lost: I5), 9 the most live processes it saw recently (informative),
 * 10-14 samples (TTFT sum, TTFT count, per-token ms sum, tokens, errors), 15 latest server signals ("" or
 * "waiting,running,kv,preempt"), 16 "1" to take the controller role if it is free, 17 the notice channel,
 * 18 hysteresis tokens (tokens returned below this are not worth a `freed` notice), 19 the
 * lease it last held (its grant while recovering lost state is at most this: I5).
 *
 * The allocation (I3): tenants' demands summed over the fleet get weighted max-min fair shares of the budget;
 * each tenant's share goes to its tokens in flight first, then to its members' demand in head-rank order,
 * proportionally within one rank and in whole calls (shares are fractions, calls are not: the remainders go
 * call by call to the largest, then to the next rank). The member's allocation is the sum over its tenants.
 * The grant:
 * `held = max(floor, min(target, budget - sum of the others' holds))` (I1, I2), where the target is the
 * allocation while another member waits (blocked, holding less than its allocation), else the demand (free
 * tokens are borrowed: work-conserving), and while recovering (I5) at most the lease it last held.
 *
 * Returns {held, allocation, budget, sum of holds, live processes, Redis now ms, waiters (other members
 * that are blocked and hold less than their allocation), leader (1/0), recovering (1/0), per-tenant allocations
 * of this member as a flat list id, tokens, ...}.
 */
export const SYNC_LUA = `${PRELUDE}
local e = check_types(); if e then return e end
local now = now_ms()
local pid, ttl = ARGV[1], tonumber(ARGV[2])
local known = ARGV[8] == '1'
local budget, recover
budget, recover, e = load_state(tonumber(ARGV[5]), known, now, ttl); if e then return e end
budget = math.max(tonumber(ARGV[6]), math.min(tonumber(ARGV[7]), budget))
local recs
recs, e = load_members(now); if e then return e end
if known and recs[pid] == nil and recover <= now then
  -- This process held a lease that Redis no longer knows: state was lost (I5).
  recover = now + ttl
  redis.call('HSET', KEYS[1], 'recover', recover)
end
local recovering = recover > now
local held = recs[pid] and recs[pid].h or 0
local floor_ = tonumber(ARGV[3])
local mine = cjson.decode(ARGV[4])
mine.h, mine.a = held, 0
recs[pid] = mine

-- Tenants over the fleet: demand, in flight, weight, members.
local T, members = {}, 0
for id, r in pairs(recs) do
  members = members + 1
  for tid, v in pairs(r.t) do
    local t = T[tid]
    if not t then t = { d = 0, f = 0, w = 0, m = {} }; T[tid] = t end
    t.d = t.d + v[2]; t.f = t.f + v[1]
    if v[3] > t.w then t.w = v[3] end
    t.m[#t.m + 1] = { id = id, f = v[1], d = v[2], r = r.r, c = math.max(0, r.n - r.f) }
  end
end
-- Weighted max-min fair shares of the budget between tenants (water-filling).
local A, active, rest = {}, {}, budget
for tid, t in pairs(T) do A[tid] = 0; if t.d > 0 and t.w > 0 then active[tid] = true end end
while rest > 1e-6 do
  local sw = 0
  for tid in pairs(active) do sw = sw + T[tid].w end
  if sw <= 0 then break end
  local unit, capped = rest / sw, false
  for tid in pairs(active) do
    local t = T[tid]
    if t.d - A[tid] <= unit * t.w then
      rest = rest - (t.d - A[tid]); A[tid] = t.d; active[tid] = nil; capped = true
    end
  end
  if not capped then
    for tid in pairs(active) do A[tid] = A[tid] + unit * T[tid].w end
    rest = 0
  end
end
-- Within a tenant: tokens in flight first, then demand by rank, proportionally within one rank and in whole
-- calls (each member's head charge): a share smaller than a call strands tokens nobody can use, so what is
-- left after whole calls goes, call by call, to the largest remainders, then to the next rank.
local alloc, mineT = {}, {}
for tid, t in pairs(T) do
  local a = A[tid]
  local k = t.f > 0 and math.min(1, a / t.f) or 0
  for _, m in ipairs(t.m) do m.g = m.f * k end
  a = math.max(0, a - t.f)
  table.sort(t.m, function(x, y) if x.r ~= y.r then return x.r < y.r end return x.id < y.id end)
  local i = 1
  while i <= #t.m and a > 0 do
    local j, sum, group = i, 0, {}
    while j <= #t.m and t.m[j].r == t.m[i].r do
      sum = sum + math.max(0, t.m[j].d - t.m[j].f); group[#group + 1] = t.m[j]; j = j + 1
    end
    local share = sum > 0 and math.min(1, a / sum) or 0
    local used = 0
    for _, m in ipairs(group) do
      local want = math.max(0, m.d - m.f)
      local g = want * share
      m.rem = 0
      if share < 1 and m.c > 0 then
        local whole = math.floor(g / m.c) * m.c
        m.rem = g - whole; g = whole
      end
      m.want = want; m.add = g; m.g = m.g + g; used = used + g
    end
    if share < 1 then
      local left = math.min(a, sum) - used
      table.sort(group, function(x, y) if x.rem ~= y.rem then return x.rem > y.rem end return x.id < y.id end)
      for _, m in ipairs(group) do
        if m.c > 0 and m.c <= left and m.add + m.c <= m.want then
          m.g = m.g + m.c; left = left - m.c; used = used + m.c
        end
      end
    end
    a = a - used
    i = j
  end
  for _, m in ipairs(t.m) do
    alloc[m.id] = (alloc[m.id] or 0) + m.g
    if m.id == pid then mineT[#mineT + 1] = tid; mineT[#mineT + 1] = tostring(math.floor(m.g)) end
  end
end

local others, waiters = 0, 0
local hyst = tonumber(ARGV[18])
for id, r in pairs(recs) do
  if id ~= pid then
    others = others + r.h
    -- A waiter is blocked (its next call does not fit what it holds) and entitled to that call (allocations
    -- as computed now, from every member's latest demand).
    if r.n > r.h and (alloc[id] or 0) >= r.n then waiters = waiters + 1 end
  end
end
local live = redis.call('ZCARD', KEYS[2])
if not redis.call('ZSCORE', KEYS[2], pid) then live = live + 1 end
local mya = math.floor((alloc[pid] or 0) + 1e-6)
local room = budget - others
-- Recovering lost state (I5): the holds Redis forgot are unknown, but the leases the members last held were
-- within the budget together, so no one is granted more than it last held until the recovery ends.
local target = mya
if recovering then target = math.min(mya, tonumber(ARGV[19]))
elseif waiters == 0 then
  -- Nobody is short of its share: free tokens may be borrowed up to the demand (work-conserving). A borrower
  -- stops admitting beyond its share, and returns the rest, as soon as someone waits (the client's side).
  target = math.max(mya, math.min(mine.d, budget))
end
local new = math.floor(math.max(floor_, math.min(target, room)))
mine.h, mine.a = new, mya
redis.call('HSET', KEYS[1], 'leased', others + new)
redis.call('HSET', KEYS[3], pid, cjson.encode(mine))
redis.call('ZADD', KEYS[2], now + ttl, pid)

if tonumber(ARGV[11]) > 0 then
  redis.call('HINCRBYFLOAT', KEYS[4], 'ttftSum', ARGV[10])
  redis.call('HINCRBY', KEYS[4], 'ttftCount', ARGV[11])
end
if tonumber(ARGV[13]) > 0 then
  redis.call('HINCRBYFLOAT', KEYS[4], 'tokenMsSum', ARGV[12])
  redis.call('HINCRBYFLOAT', KEYS[4], 'tokens', ARGV[13])
end
if tonumber(ARGV[14]) > 0 then redis.call('HINCRBY', KEYS[4], 'errors', ARGV[14]) end
if ARGV[15] ~= '' then redis.call('HSET', KEYS[4], 'server', ARGV[15] .. ',' .. now) end

local leader = redis.call('GET', KEYS[5])
if not leader and ARGV[16] == '1' then
  redis.call('SET', KEYS[5], pid, 'PX', ttl)
  leader = pid
end
if held - new >= hyst and waiters > 0 then redis.call('PUBLISH', ARGV[17], 'freed ' .. pid)
elseif mine.n > new and mya > new then redis.call('PUBLISH', ARGV[17], 'wanted ' .. pid) end
return { new, mya, budget, others + new, live, now, waiters, leader == pid and 1 or 0, recovering and 1 or 0, mineT }
`;

/**
 * `leave`: a process that closes returns everything it holds and gives up the controller role.
 * ARGV: 1 pid, 2 the notice channel. Returns the tokens returned.
 */
export const LEAVE_LUA = `${PRELUDE}
local e = check_types(); if e then return e end
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local budget, recover
budget, recover, e = load_state(1, false, 0, 0); if e then return e end
local pid = ARGV[1]
local held = 0
local mine = redis.call('HGET', KEYS[3], pid)
if mine then
  local r = parse(mine)
  if r == nil then return fail('malformed', KEYS[3] .. '#' .. pid, mine) end
  held = r.h
end
redis.call('HDEL', KEYS[3], pid)
redis.call('ZREM', KEYS[2], pid)
local recs
recs, e = load_members(now_ms())
if recs then
  local sum = 0
  for _, r in pairs(recs) do sum = sum + r.h end
  redis.call('HSET', KEYS[1], 'leased', sum)
end
if redis.call('GET', KEYS[5]) == pid then redis.call('DEL', KEYS[5]) end
if held > 0 then redis.call('PUBLISH', ARGV[2], 'freed ' .. pid) end
return held
`;

/**
 * `take`: the controller (the process named in KEYS[5]) renews its role and takes the fleet's samples since
 * its last decision (they are deleted: each sample enters one decision). ARGV: 1 pid, 2 ttlMs.
 * Returns {0} when the caller is not the controller, else {1, budget, ttftSum, ttftCount, tokenMsSum, tokens,
 * errors, server ("" or "waiting,running,kv,preempt,at"), fleet tokens in flight, fleet queued calls, Redis now}
 * (floats as strings: Lua numbers become integers in a reply).
 */
export const TAKE_LUA = `${PRELUDE}
local e = check_types(); if e then return e end
if redis.call('GET', KEYS[5]) ~= ARGV[1] then return { 0 } end
redis.call('PEXPIRE', KEYS[5], tonumber(ARGV[2]))
local budget, recover
budget, recover, e = load_state(1, false, 0, 0); if e then return e end
local now = now_ms()
local s = redis.call('HMGET', KEYS[4], 'ttftSum', 'ttftCount', 'tokenMsSum', 'tokens', 'errors', 'server')
redis.call('DEL', KEYS[4])
local recs
recs, e = load_members(now); if e then return e end
local inflight, queued = 0, 0
for _, r in pairs(recs) do
  inflight = inflight + r.f
  queued = queued + r.q
end
return { 1, budget, s[1] or '0', s[2] or '0', s[3] or '0', s[4] or '0', s[5] or '0', s[6] or '', tostring(inflight), tostring(queued), now }
`;

/**
 * `setBudget`: the controller's decision, fenced: applied only if the caller still holds the role (a paused
 * former controller cannot overwrite its successor's decision). ARGV: 1 pid, 2 new budget (integer >= 1),
 * 3 the notice channel. Returns 1 when applied, 0 when not the controller.
 */
export const SET_BUDGET_LUA = `${PRELUDE}
local e = check_types(); if e then return e end
if redis.call('GET', KEYS[5]) ~= ARGV[1] then return 0 end
local budget, recover
budget, recover, e = load_state(tonumber(ARGV[2]), false, 0, 0); if e then return e end
redis.call('HSET', KEYS[1], 'budget', math.max(1, math.floor(tonumber(ARGV[2]))))
redis.call('PUBLISH', ARGV[3], 'budget ' .. ARGV[1])
return 1
`;

/** The Redis keys and the notice channel of one replica's budget. */
export interface FleetKeys {
  state: string;
  live: string;
  demand: string;
  samples: string;
  ctl: string;
  channel: string;
  /** The five keys in script order. */
  all: [string, string, string, string, string];
}

/** Key names for `key` (the fleet prefix) and `replica`, all in one Redis Cluster hash slot. */
export function fleetKeys(key: string, replica: string): FleetKeys {
  const base = `${key}:{${replica}}`;
  const k = {
    state: `${base}:state`,
    live: `${base}:live`,
    demand: `${base}:demand`,
    samples: `${base}:samples`,
    ctl: `${base}:ctl`,
    channel: `${base}:events`,
  };
  return { ...k, all: [k.state, k.live, k.demand, k.samples, k.ctl] };
}
