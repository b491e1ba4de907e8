/**
 * The Lua scripts of `RedisLimitStore`: each `LimitStore` change as one script, so it is atomic on
 * the server, and each reads Redis `TIME` as the one clock every worker shares. They transcribe
 * `tokenBucket.ts`, `leases.ts` and `circuit.ts` line for line (same floats: Lua numbers are
 * doubles), so the two stores decide alike; `redisStore.ts` says what was taken from which anchor.
 *
 * A system's scripts get three keys with one hash tag (one Redis Cluster slot, every key named in
 * KEYS as Cluster requires): KEYS[1] the state hash, KEYS[2] the leases ZSET, KEYS[3] learned limits,
 * KEYS[4] the accepted answers (a ZSET scored by when), KEYS[5] the senders waiting for their turn
 * (a hash). ARGV[1] is always the idle TTL (ms). Every
 * reply starts with the server's time (ms).
 */

/** Shared head of every script: the clock, number formats, the state hash and the token bucket. */
const PRELUDE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local idle = tonumber(ARGV[1])

-- Lua's own number-to-string keeps 14 digits: store and reply with 17 (round-trips a double).
local function num(x) return string.format('%.17g', x) end
local function int(x) return string.format('%d', math.ceil(x)) end

-- The state of a system; a missing one starts as MemoryLimitStore's does (a full bucket, now).
local function load(burst)
  local f = redis.call('HMGET', KEYS[1], 'tokens', 'at', 'paused', 'troubles',
    'cstate', 'creason', 'cuntil', 'ccause', 'cprobing',
    'rver', 'rrate', 'rstate', 'rdec', 'rat', 'rsender')
  local s = {}
  if f[2] then s.tokens = tonumber(f[1]); s.at = tonumber(f[2]) else s.tokens = burst; s.at = now end
  s.paused = tonumber(f[3]) or 0
  s.troubles = tonumber(f[4]) or 0
  s.cstate = f[5] or 'closed'
  s.creason = f[6] or ''
  s.cuntil = tonumber(f[7]) or 0
  s.ccause = f[8] or ''
  s.cprobing = f[9] == '1'
  s.rver = tonumber(f[10])
  s.rrate, s.rstate, s.rdec = tonumber(f[11]), f[12], tonumber(f[13])
  s.rat, s.rsender = tonumber(f[14]), f[15]
  return s
end

-- Writes the state back and keeps it for the idle TTL past the last time it mentions.
local function save(s)
  redis.call('HSET', KEYS[1], 'tokens', num(s.tokens), 'at', num(s.at), 'paused', num(s.paused),
    'troubles', num(s.troubles), 'cstate', s.cstate, 'creason', s.creason, 'cuntil', num(s.cuntil),
    'ccause', s.ccause, 'cprobing', s.cprobing and '1' or '0')
  if s.rver then
    redis.call('HSET', KEYS[1], 'rver', s.rver, 'rrate', num(s.rrate), 'rstate', s.rstate,
      'rdec', s.rdec and num(s.rdec) or '', 'rat', num(s.rat), 'rsender', s.rsender)
  end
  redis.call('PEXPIREAT', KEYS[1], int(math.max(now, s.at, s.paused, s.cuntil) + idle))
end

-- store.ts settleRate, transcribed. ARGV[i .. i+4]: the proposal's rate, state, last decrease
-- ('' none), sender, the version it was based on ('' none); ARGV[i] == '' or absent: no proposal,
-- the bucket refills at the caller's rate. Returns the rate to refill at.
local function rateOf(s, rate, i)
  if ARGV[i] == nil or ARGV[i] == '' then return rate end
  s.proposed = true
  local prate, pstate, pdec = tonumber(ARGV[i]), ARGV[i + 1], tonumber(ARGV[i + 2])
  local psender, pbased = ARGV[i + 3], tonumber(ARGV[i + 4])
  local version = nil
  if not s.rver then
    version = 1
  elseif pbased == s.rver then
    if not (prate == s.rrate and pstate == s.rstate and pdec == s.rdec) then version = s.rver + 1 end
  elseif pdec and pdec > (s.rdec or -math.huge) and prate < s.rrate then
    version = s.rver + 1
  end
  if version then
    s.rver, s.rrate, s.rstate, s.rdec, s.rat, s.rsender = version, prate, pstate, pdec, now, psender
  end
  return s.rrate
end

-- The shared rate as a reply's head: version ('0': none proposed), rate, state, decrease, at, sender.
local function rateReply(s)
  if not s.proposed then return '0', '', '', '', '', '' end
  return tostring(s.rver), num(s.rrate), s.rstate, s.rdec and num(s.rdec) or '', num(s.rat), s.rsender
end

-- tokenBucket.ts, transcribed.
local WHOLE = 1 - 1e-6
local function refill(s, rate, burst)
  if now < s.at then return end
  s.tokens = math.min(burst, s.tokens + ((now - s.at) / 1000) * rate)
  s.at = now
end
local function msUntilToken(s, rate)
  local ahead = 0
  if now < s.at then ahead = s.at - now end
  if s.tokens >= WHOLE then return ahead end
  return ahead + math.max(1, math.ceil(((1 - s.tokens) / rate) * 1000 - 1e-6))
end

-- circuit.ts circuitAt: an open circuit past its time is half-open, no probe out yet.
local function circuitAt(s)
  if s.cstate == 'open' and now >= s.cuntil then s.cstate = 'half-open'; s.cprobing = false end
end
`;

/**
 * ARGV: idle, rate, burst, concurrency, leaseMs, leaseId, then the rate proposal (7–11), then the
 * turn (12–14: sender, since, staleMs; '' none), store.ts TurnRequest: KEYS[5] holds each waiting
 * sender's "since,seenAt"; 15: how long a sender that yields waits (ms). Reply: now, the shared
 * rate (six fields, \`rateReply\`), then the admission.
 */
const ADMIT = `${PRELUDE}
local burst = tonumber(ARGV[3])
local concurrency, leaseMs, leaseId = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
local s = load(burst)
local rate = rateOf(s, tonumber(ARGV[2]), 7)
local turnSender = ARGV[12] or ''
local turnSince, turnStale = tonumber(ARGV[13]), tonumber(ARGV[14])
if turnSender ~= '' then
  redis.call('HSET', KEYS[5], turnSender, num(turnSince) .. ',' .. num(now))
  redis.call('PEXPIRE', KEYS[5], int(idle))
end
-- store.ts someoneWaitedLonger: another sender asked lately for a run that waited longer.
local function someoneWaitedLonger()
  local longer = false
  local all = redis.call('HGETALL', KEYS[5])
  for i = 1, #all, 2 do
    local comma = string.find(all[i + 1], ',', 1, true)
    local since = tonumber(string.sub(all[i + 1], 1, comma - 1))
    local seenAt = tonumber(string.sub(all[i + 1], comma + 1))
    if now - seenAt > turnStale then redis.call('HDEL', KEYS[5], all[i])
    elseif all[i] ~= turnSender and since < turnSince then longer = true end
  end
  return longer
end
circuitAt(s)
local function reply(...)
  save(s)
  local head = { num(now), rateReply(s) }
  for _, v in ipairs({ ... }) do table.insert(head, v) end
  return head
end
if s.cstate == 'open' then return reply('refused', s.creason) end
if s.paused > now then return reply('wait', num(s.paused - now), '1') end
local probe = s.cstate == 'half-open'
if probe and s.cprobing then return reply('full') end
local limit = concurrency
if probe then limit = 1 end
-- leases.ts heldLeases: a lease expiring at or before now is free again.
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', num(now))
if redis.call('ZCARD', KEYS[2]) >= limit then return reply('full') end
refill(s, rate, burst)
local wait = msUntilToken(s, rate)
if wait > 0 then return reply('wait', num(wait), '0') end
-- The token stays for the sender whose run waited longer (only the refill is kept).
if turnSender ~= '' and someoneWaitedLonger() then return reply('wait', ARGV[15], '0') end
if turnSender ~= '' then redis.call('HDEL', KEYS[5], turnSender) end
s.tokens = s.tokens - 1
redis.call('ZADD', KEYS[2], num(now + leaseMs), leaseId)
-- The ZSET lives as long as its last lease: a dead worker's slots leave nothing behind.
local last = redis.call('ZRANGE', KEYS[2], '-1', '-1', 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[2], int(tonumber(last[2]) + 1))
if probe then s.cprobing = true end
return reply('granted', leaseId, probe and '1' or '0', redis.call('ZCARD', KEYS[2]))
`;

/** ARGV: idle, leaseId. */
const RELEASE = `${PRELUDE}
save(load(1))
redis.call('ZREM', KEYS[2], ARGV[2])
return { num(now) }
`;

/**
 * ARGV: idle, until, rate, burst, then the rate proposal (5–9). tokenBucket.ts pacedFrom: one
 * token at the end, then paced.
 */
const PAUSE = `${PRELUDE}
local untilMs, burst = tonumber(ARGV[2]), tonumber(ARGV[4])
local s = load(burst)
local rate = rateOf(s, tonumber(ARGV[3]), 5)
if untilMs > s.paused then
  s.paused = untilMs
  refill(s, rate, burst)
  s.tokens = math.min(s.tokens, 1)
  s.at = math.max(untilMs, s.at)
end
save(s)
return { num(now) }
`;

/** ARGV: idle, remaining, rate, burst, then the rate proposal (5–9). tokenBucket.ts capTokens. */
const CAP_TOKENS = `${PRELUDE}
local remaining, burst = tonumber(ARGV[2]), tonumber(ARGV[4])
local s = load(burst)
local rate = rateOf(s, tonumber(ARGV[3]), 5)
refill(s, rate, burst)
s.tokens = math.min(s.tokens, remaining)
save(s)
return { num(now) }
`;

/**
 * ARGV: idle, serverTrouble ('1' | '0'), the accepted answer's id ('' if not accepted), how long
 * accepted answers are kept (ms). Accepted answers are members of KEYS[4] scored by when.
 */
const COUNT_ANSWER = `${PRELUDE}
local s = load(1)
if ARGV[2] == '1' then s.troubles = s.troubles + 1 else s.troubles = 0 end
save(s)
if ARGV[3] ~= '' then
  local kept = tonumber(ARGV[4])
  redis.call('ZADD', KEYS[4], num(now), ARGV[3])
  redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', '(' .. num(now - kept))
  redis.call('PEXPIRE', KEYS[4], int(kept))
end
return { num(now), num(s.troubles) }
`;

/** ARGV: idle, since (ms), how long accepted answers are kept (ms). Their times, oldest first. */
const ACCEPTED_SINCE = `${PRELUDE}
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', '(' .. num(now - tonumber(ARGV[3])))
local reply = { num(now) }
local found = redis.call('ZRANGEBYSCORE', KEYS[4], ARGV[2], '+inf', 'WITHSCORES')
for i = 2, #found, 2 do table.insert(reply, found[i]) end
return reply
`;

/** ARGV: idle, reason, until, cause. */
const OPEN_CIRCUIT = `${PRELUDE}
local s = load(1)
s.cstate, s.creason, s.cuntil, s.ccause, s.cprobing = 'open', ARGV[2], tonumber(ARGV[3]), ARGV[4], false
s.troubles = 0
save(s)
return { num(now) }
`;

/** ARGV: idle, answer, reason, cooldownMs. circuit.ts afterProbe, on the circuit as stored. */
const SETTLE_PROBE = `${PRELUDE}
local answer, reason, cooldown = ARGV[2], ARGV[3], tonumber(ARGV[4])
local s = load(1)
if s.cstate == 'half-open' then
  if answer ~= 'answered' and s.ccause == 'server' then
    s.cstate, s.creason, s.cuntil, s.cprobing = 'open', reason, now + cooldown, false
  elseif answer == 'transport_error' then
    s.cprobing = false
  else
    s.cstate, s.creason, s.cuntil, s.ccause, s.cprobing = 'closed', '', 0, '', false
  end
end
save(s)
return { num(now) }
`;

/** ARGV: idle, learned JSON, its TTL (ms). */
const SAVE_LEARNED = `${PRELUDE}
save(load(1))
redis.call('SET', KEYS[3], ARGV[2], 'PX', ARGV[3])
return { num(now) }
`;

/**
 * Scope evidence has a key of its own (KEYS[1], its own hash tag): ARGV[1] until. The later of
 * this and the evidence already there; the key expires with it (PEXPIREAT).
 */
const CONFIRM_SCOPE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local untilMs = math.max(tonumber(ARGV[1]), tonumber(redis.call('GET', KEYS[1]) or '0'))
if untilMs > now then
  redis.call('SET', KEYS[1], string.format('%.17g', untilMs))
  redis.call('PEXPIREAT', KEYS[1], string.format('%d', math.ceil(untilMs)))
end
return { string.format('%.17g', now) }
`;

/**
 * Compares with TIME rather than trusting expiry alone: Redis keeps a key through its expiry
 * millisecond (it expires when now > when), the evidence ends at it (until > now).
 */
const SCOPE_CONFIRMED = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local untilMs = tonumber(redis.call('GET', KEYS[1]) or '0')
local confirmed = '0'
if untilMs > now then confirmed = '1' else redis.call('DEL', KEYS[1]) end
return { string.format('%.17g', now), confirmed }
`;

// A sliding-window budget: one ZSET member per unit taken, scored by when (redis-semaphore's
// shape, without holders to release): drop what left the window, count, take all or none.
const TAKE_BUDGET = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local count = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local used = redis.call('ZCARD', KEYS[1])
if used + count > limit then
  local frees = now
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  if oldest[2] then frees = tonumber(oldest[2]) + window end
  return { string.format('%.17g', now), '0', tostring(used), string.format('%.17g', frees) }
end
for i = 1, count do redis.call('ZADD', KEYS[1], now, ARGV[4] .. ':' .. i) end
redis.call('PEXPIRE', KEYS[1], window)
return { string.format('%.17g', now), '1', tostring(used + count), '0' }
`;

export const SYSTEM_SCRIPTS = {
	offboardingAdmit: ADMIT,
	offboardingRelease: RELEASE,
	offboardingPause: PAUSE,
	offboardingCapTokens: CAP_TOKENS,
	offboardingCountAnswer: COUNT_ANSWER,
	offboardingAcceptedSince: ACCEPTED_SINCE,
	offboardingOpenCircuit: OPEN_CIRCUIT,
	offboardingSettleProbe: SETTLE_PROBE,
	offboardingSaveLearned: SAVE_LEARNED,
} as const;

export const SCOPE_SCRIPTS = {
	offboardingConfirmScope: CONFIRM_SCOPE,
	offboardingScopeConfirmed: SCOPE_CONFIRMED,
	offboardingTakeBudget: TAKE_BUDGET,
} as const;

export type SystemScript = keyof typeof SYSTEM_SCRIPTS;
export type ScopeScript = keyof typeof SCOPE_SCRIPTS;
