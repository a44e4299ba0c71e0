/**
 * The fleet's Lua scripts: every state change of a replica's shared budget is one script, so it is atomic
 * (Redis runs one script at a time) and costs one round trip. Time is Redis time (`TIME`) in every script:
 * lease expiry never reads a process's clock, so clock skew between machines cannot break leases.
 *
 * Keys of one replica (one hash tag, so a Redis Cluster keeps them in one slot), `base = <key>:{<replica>}`:
 * - KEYS[1] `base:state`  hash: `format` = "augserve-fleet/1", `budget` (global tokens in flight), `leased`;
 * - KEYS[2] `base:live`   sorted set: process id -> lease expiry (Redis ms);
 * - KEYS[3] `base:demand` hash: process id -> "held,need,rank,score,inflight,queued";
 * - KEYS[4] `base:samples` hash: the fleet's latency samples since the controller last took them;
 * - KEYS[5] `base:ctl`    string: the id of the process that makes the budget decisions (with a TTL).
 *
 * Invariants (each script keeps them; docs/shared.md, "Protocol"):
 * - I1 `leased` = the sum of `held` over the demand hash, and the demand hash and the live set have the same
 *   members: expired members are removed with their tokens, by whichever script runs first after the expiry.
 * - I2 a grant never raises `leased` above `budget`, except to cover a process's own tokens in flight (its
 *   `floor`: what it already dispatched cannot be recalled, after a budget cut or a rejoin).
 * - I3 a grant never takes tokens that a more urgent blocked process needs (`reserved`): rank first
 *   (promoted, then each tier in order), then score, both clock-independent.
 * - I4 a value under a fleet key that the scripts did not write is reported, never overwritten: an error
 *   reply `AUGSERVE_KEY <foreign|malformed> <key> <what>` (FleetKeyError on the client).
 */

const PRELUDE = `
local FORMAT = 'augserve-fleet/1'
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
-- A demand record: held, need, rank, score, inflight, queued (numbers), or nil when malformed.
local function parse(rec)
  local r = {}
  for part in string.gmatch(rec, '([^,]+)') do r[#r + 1] = tonumber(part) end
  if #r ~= 6 then return nil end
  for i = 1, 6 do if r[i] == nil then return nil end end
  if r[1] < 0 or r[1] ~= math.floor(r[1]) then return nil end
  return r
end
local function int_field(v)
  return v and string.match(v, '^%d+$') ~= nil
end
-- Loads (or creates) the state: budget, leased; or nil and an error reply.
local function load_state(init_budget)
  if redis.call('EXISTS', KEYS[1]) == 0 then
    -- No state (first process, or Redis restarted empty): start from the caller's last known budget. Leases
    -- recorded without a state cannot be trusted (I1), so they go too.
    redis.call('DEL', KEYS[2], KEYS[3])
    redis.call('HSET', KEYS[1], 'format', FORMAT, 'budget', init_budget, 'leased', 0)
    return init_budget, 0, nil
  end
  local s = redis.call('HMGET', KEYS[1], 'format', 'budget', 'leased')
  if s[1] ~= FORMAT then return nil, nil, fail('foreign', KEYS[1], 'format=' .. tostring(s[1])) end
  if not int_field(s[2]) or tonumber(s[2]) < 1 then
    return nil, nil, fail('malformed', KEYS[1] .. '#budget', 'budget=' .. tostring(s[2]))
  end
  if not int_field(s[3]) then return nil, nil, fail('malformed', KEYS[1] .. '#leased', 'leased=' .. tostring(s[3])) end
  return tonumber(s[2]), tonumber(s[3]), nil
end
-- Removes the members whose lease expired (Redis time), with their tokens (I1).
local function reclaim(now, leased)
  local dead = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
  for _, member in ipairs(dead) do
    local rec = redis.call('HGET', KEYS[3], member)
    if rec then
      local r = parse(rec)
      if r == nil then return nil, fail('malformed', KEYS[3] .. '#' .. member, rec) end
      leased = leased - r[1]
    end
    redis.call('HDEL', KEYS[3], member)
    redis.call('ZREM', KEYS[2], member)
  end
  if leased < 0 then leased = 0 end
  return leased, nil
end
`;

/**
 * `sync`: one process's renewal, grant and return, and its demand and samples published, in one step.
 *
 * ARGV: 1 pid, 2 ttlMs, 3 floor (the least it may be granted: what it may have in flight when this runs), 4 need
 * (its tokens in flight + the charge of its next call, when one waits), 5 want (what it would like to hold: need plus a chunk), 6 rank, 7 score (its head's urgency,
 * lower first), 8 initial budget (used only when there is no state), 9 queued calls, 10-14 samples (TTFT sum,
 * TTFT count, per-token ms sum, tokens, errors), 15 latest server signals ("" or "waiting,running,kv,preempt"),
 * 16 "1" to take the controller role if it is free, 17 the notice channel, 18 its tokens in flight now.
 *
 * The grant: `room = budget - (leased - held) - reserved`, where `reserved` is the unmet need of every blocked
 * process more urgent than this one (I3). If `room >= need` the process holds `min(want, room)` (up to one
 * chunk beyond its next call, or gives back what it holds beyond `want`); else, if more urgent work waits,
 * it keeps only its floor (yields); else it is the most urgent blocked process and accumulates `room` toward
 * its need (a call larger than what is free gathers tokens as others return them). Never below `floor` (I2).
 *
 * Returns {held, budget, leased, live processes, Redis now ms, blocked others, leader (1/0), blocked others more
 * urgent than this process}.
 */
export const SYNC_LUA = `${PRELUDE}
local e = check_types(); if e then return e end
local now = now_ms()
local budget, leased
budget, leased, e = load_state(tonumber(ARGV[8])); if e then return e end
leased, e = reclaim(now, leased); if e then return e end
local pid = ARGV[1]
local held = 0
local mine = redis.call('HGET', KEYS[3], pid)
if mine then
  local r = parse(mine)
  if r == nil then return fail('malformed', KEYS[3] .. '#' .. pid, mine) end
  held = r[1]
end
local floor_ = tonumber(ARGV[3])
local need = math.max(floor_, math.min(tonumber(ARGV[4]), budget))
local want = math.max(need, math.min(tonumber(ARGV[5]), math.max(budget, floor_)))
local rank, score = tonumber(ARGV[6]), tonumber(ARGV[7])

local reserved, waiters, above = 0, 0, 0
local all = redis.call('HGETALL', KEYS[3])
for i = 1, #all, 2 do
  if all[i] ~= pid then
    local r = parse(all[i + 1])
    if r == nil then return fail('malformed', KEYS[3] .. '#' .. all[i], all[i + 1]) end
    if r[2] > r[1] then
      waiters = waiters + 1
      if r[3] < rank or (r[3] == rank and r[4] < score) then
        reserved = reserved + (r[2] - r[1])
        above = above + 1
      end
    end
  end
end

local others = leased - held
local room = budget - others - reserved
local new
if room >= need then new = math.min(want, room)
elseif reserved > 0 then new = floor_
else new = math.max(room, 0) end
if new < floor_ then new = floor_ end
new = math.floor(new)
leased = others + new
redis.call('HSET', KEYS[1], 'leased', leased)
redis.call('HSET', KEYS[3], pid, table.concat({ new, need, rank, score, tonumber(ARGV[18]), ARGV[9] }, ','))
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), pid)

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
  redis.call('SET', KEYS[5], pid, 'PX', tonumber(ARGV[2]))
  leader = pid
end
if new < held and waiters > 0 then redis.call('PUBLISH', ARGV[17], 'freed ' .. pid)
elseif new < need then redis.call('PUBLISH', ARGV[17], 'wanted ' .. pid) end
return { new, budget, leased, redis.call('ZCARD', KEYS[2]), now, waiters, leader == pid and 1 or 0, above }
`;

/**
 * `leave`: a process that closes returns everything it holds and gives up the controller role.
 * ARGV: 1 pid, 2 the notice channel. Returns the tokens returned.
 */
export const LEAVE_LUA = `${PRELUDE}
local e = check_types(); if e then return e end
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local budget, leased
budget, leased, e = load_state(1); if e then return e end
local pid = ARGV[1]
local held = 0
local mine = redis.call('HGET', KEYS[3], pid)
if mine then
  local r = parse(mine)
  if r == nil then return fail('malformed', KEYS[3] .. '#' .. pid, mine) end
  held = r[1]
end
redis.call('HDEL', KEYS[3], pid)
redis.call('ZREM', KEYS[2], pid)
redis.call('HSET', KEYS[1], 'leased', math.max(0, leased - held))
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
local budget, leased
budget, leased, e = load_state(1); if e then return e end
local now = now_ms()
local s = redis.call('HMGET', KEYS[4], 'ttftSum', 'ttftCount', 'tokenMsSum', 'tokens', 'errors', 'server')
redis.call('DEL', KEYS[4])
local inflight, queued = 0, 0
local all = redis.call('HGETALL', KEYS[3])
for i = 1, #all, 2 do
  local r = parse(all[i + 1])
  if r == nil then return fail('malformed', KEYS[3] .. '#' .. all[i], all[i + 1]) end
  inflight = inflight + r[5]
  queued = queued + r[6]
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
local budget, leased
budget, leased, e = load_state(tonumber(ARGV[2])); if e then return e end
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
