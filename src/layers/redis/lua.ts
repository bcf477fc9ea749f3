/**
 * Server-side scripts. Each runs atomically, so a capacity check and the
 * push it guards cannot interleave with another sender's.
 */
import { createHash } from 'node:crypto';

/** A Lua script with its SHA1, for EVALSHA with an EVAL fallback. */
export interface LuaScript {
  readonly name: string;
  readonly source: string;
  readonly sha: string;
}

function script(name: string, source: string): LuaScript {
  return { name, source, sha: createHash('sha1').update(source).digest('hex') };
}

/**
 * Push one member onto each of N channel queues, honouring capacity.
 * KEYS: the N queue keys (distinct). ARGV: N members, N capacities, then
 * score (send time, float seconds), cutoff (members scored at or below it
 * have expired) and ttl (whole seconds). Returns N flags: 1 = queue was full,
 * 0 = pushed. A direct send is the N = 1 case.
 */
export const PUSH_CAPPED = script(
  'push-capped',
  `
local n = #KEYS
local score = ARGV[2 * n + 1]
local cutoff = ARGV[2 * n + 2]
local ttl = ARGV[2 * n + 3]
local full = {}
for i = 1, n do
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', cutoff)
  if redis.call('ZCARD', KEYS[i]) < tonumber(ARGV[n + i]) then
    redis.call('ZADD', KEYS[i], score, ARGV[i])
    redis.call('EXPIRE', KEYS[i], ttl)
    full[i] = 0
  else
    full[i] = 1
  end
end
return full
`,
);

/**
 * Drop expired members of a group, then list the rest.
 * KEYS[1]: the group key. ARGV[1]: cutoff (join times at or below it have expired).
 */
export const GROUP_LIVE_MEMBERS = script(
  'group-live-members',
  `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
return redis.call('ZRANGE', KEYS[1], 0, -1)
`,
);

/**
 * Add members to a group (sorted set scored by join time) and refresh its TTL.
 * KEYS[1]: the group key. ARGV[1]: ttl (whole seconds), then score/member pairs.
 */
export const GROUP_ADD = script(
  'group-add',
  `
for i = 2, #ARGV, 2 do
  redis.call('ZADD', KEYS[1], ARGV[i], ARGV[i + 1])
end
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 1
`,
);

/**
 * Make the blocked pop loop of one process return at once, so it picks up a
 * changed set of keys. KEYS[1]: the process's wake key.
 */
export const WAKE = script(
  'wake',
  `
redis.call('ZADD', KEYS[1], 0, 'wake')
redis.call('EXPIRE', KEYS[1], 30)
return 1
`,
);

/**
 * Pub/sub layer, direct send to another process's local channel: publish to
 * its inbox, and only when nobody listens, keep the message in that
 * channel's queue (capacity applies) for the process to drain when it
 * subscribes. Atomic, so a subscriber either got it live or finds it queued.
 * KEYS[1]: queue key. ARGV: topic, envelope, member, capacity, score, cutoff, ttl.
 * Returns receivers (> 0), 0 when queued, -1 when the queue is full.
 */
export const PUBLISH_OR_QUEUE = script(
  'publish-or-queue',
  `
local receivers = redis.call('PUBLISH', ARGV[1], ARGV[2])
if receivers > 0 then return receivers end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[6])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return -1 end
redis.call('ZADD', KEYS[1], ARGV[5], ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[7])
return 0
`,
);

// ---------------------------------------------------------------- history
//
// A group's history is a stream plus a meta hash (fields e: epoch, n: 1 once
// the epoch has a message, r: run_id of the server that wrote it, x: time the
// keys' expiry was last pushed back). Stream ids are `1-<offset - 1>`: XADD
// with the id `1-*` numbers entries itself, one more than the last, so the
// offset costs no read or write of its own; each entry holds `m` (the message
// map, its header already counting the stamp's two entries, which a read
// appends) and `t` (the sender's time, ms). The epoch starts afresh, with no
// messages, whenever entries may be gone: the meta is missing (flushed,
// evicted, expired), the stream is missing while the meta says there were
// messages, or the server is not the one that wrote the meta (a restart or a
// failover, which may lose the latest writes).
//
// An append does what keeps those rules and no more (each redis.call costs
// 1-4 us in the script, paid per groupSend): one HMGET, the XADD (NOMKSTREAM:
// a missing stream shows as a nil reply, so no EXISTS), the publish or pushes.
// Trimming by age runs on every TRIM_EVERY-th offset only, since reads
// already skip entries older than the ttl and MAXLEN ~ on every XADD bounds
// the length: it reads the oldest entry's time and, only when that one is
// past the ttl, finds the first entry within it by bisection (ids are
// consecutive) and trims up to it. The keys' expiry is pushed back to keep +
// keep/4 only once a quarter of `keep` has passed since the last push, so
// they still outlive the latest entry by at least `keep`.

/** Appends between two trims of a group's history by age. */
export const HISTORY_TRIM_EVERY = 16;

const HISTORY_STATE = `
local function history_state(stream, meta, candidate, runid, keep)
  local st = redis.call('HMGET', meta, 'e', 'n', 'r')
  local epoch = st[1]
  if epoch and (runid == '' or st[3] == runid or st[3] == '') then
    if st[2] ~= '1' then return epoch, 0 end
    local last = redis.call('XREVRANGE', stream, '+', '-', 'COUNT', 1)[1]
    if last then
      if st[3] == '' and runid ~= '' then redis.call('HSET', meta, 'r', runid) end
      return epoch, tonumber(string.sub(last[1], 3)) + 1
    end
  end
  redis.call('DEL', stream)
  redis.call('HSET', meta, 'e', candidate, 'n', 0, 'r', runid, 'x', 0)
  redis.call('PEXPIRE', meta, keep)
  return candidate, 0
end
`;

const HISTORY_APPEND = `
local function history_stamp(offset, epoch)
  return '\\170__offset__' .. struct.pack('>BI8', 207, offset) .. '\\169__epoch__' .. string.char(160 + #epoch) .. epoch
end

-- Entries of offsets before the first one written at or after cutoff (ms) go.
local function history_trim_age(stream, newest, cutoff)
  local oldest = redis.call('XRANGE', stream, '-', '+', 'COUNT', 1)[1]
  local limit = tonumber(cutoff)
  if not oldest or tonumber(oldest[2][4]) >= limit then return end
  -- Sequence numbers lo (past the ttl) < hi (within it: newest was just written).
  local lo, hi = tonumber(string.sub(oldest[1], 3)), newest
  while hi - lo > 1 do
    local mid = math.floor((lo + hi) / 2)
    local entry = redis.call('XRANGE', stream, '1-' .. mid, '1-' .. mid)[1]
    if entry and tonumber(entry[2][4]) >= limit then hi = mid else lo = mid end
  end
  redis.call('XTRIM', stream, 'MINID', '1-' .. hi)
end

-- The id of the next entry: Redis 7 numbers it itself (1-*); before 7 (no
-- REDIS_VERSION_NUM, no <ms>-* ids) it is read from the last entry.
local function history_next_id(stream)
  if redis.REDIS_VERSION_NUM then return '1-*' end
  local last = redis.call('XREVRANGE', stream, '+', '-', 'COUNT', 1)[1]
  if last then return '1-' .. (tonumber(string.sub(last[1], 3)) + 1) end
  return '1-0'
end

local function history_append(stream, meta, candidate, runid, keep, now, trim, size, message)
  local st = redis.call('HMGET', meta, 'e', 'n', 'r', 'x')
  local epoch, owner = st[1], st[3]
  local id, first = nil, false
  if epoch and (runid == '' or owner == runid or owner == '') then
    if st[2] == '1' then
      id = redis.call('XADD', stream, 'NOMKSTREAM', 'MAXLEN', '~', size, history_next_id(stream), 'm', message, 't', now)
    else
      -- The epoch's first message (a read started it).
      redis.call('DEL', stream)
      id, first = redis.call('XADD', stream, 'MAXLEN', '~', size, '1-0', 'm', message, 't', now), true
    end
  end
  if not id then
    redis.call('DEL', stream)
    epoch, owner, first = candidate, runid, true
    id = redis.call('XADD', stream, 'MAXLEN', '~', size, '1-0', 'm', message, 't', now)
  end
  local seq = tonumber(string.sub(id, 3))
  local offset = seq + 1
  if not first and offset % ${HISTORY_TRIM_EVERY} == 0 then history_trim_age(stream, seq, trim) end
  local quarter = math.floor(tonumber(keep) / 4)
  local due = tonumber(st[4])
  if first or due == nil or tonumber(now) - due >= quarter or (owner == '' and runid ~= '') then
    if not owner or owner == '' then owner = runid end
    redis.call('HSET', meta, 'e', epoch, 'n', 1, 'r', owner, 'x', now)
    redis.call('PEXPIRE', stream, tonumber(keep) + quarter)
    redis.call('PEXPIRE', meta, tonumber(keep) + quarter)
  end
  return offset, epoch, history_stamp(offset, epoch)
end
`;

/**
 * Read a group's history (starting its epoch when there is none).
 * KEYS: stream, meta. ARGV: 1 candidate epoch, 2 run_id ('' = unchecked),
 * 3 keep (ms), 4 oldest time kept (ms), 5 size, 6 since offset ('' = none),
 * 7 since epoch, 8 limit ('' = none). Returns the newest entries the answer
 * can need: those after a current `since`, else the newest `limit`, never
 * more than `size`, and only the newest ones written at or after the oldest
 * time kept (newest first): {epoch, latest offset, XREVRANGE entries}.
 */
export const HISTORY_READ = script(
  'history-read',
  `${HISTORY_STATE}
local epoch, latest = history_state(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3])
local size = tonumber(ARGV[5])
local since = tonumber(ARGV[6])
local count
if since and ARGV[7] == epoch and since <= latest then count = latest - since else count = tonumber(ARGV[8]) or size end
if count > size then count = size end
local entries = {}
if count > 0 and latest > 0 then
  local oldest = tonumber(ARGV[4])
  for _, entry in ipairs(redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', count)) do
    if tonumber(entry[2][4]) < oldest then break end
    entries[#entries + 1] = entry
  end
end
return {epoch, latest, entries}
`,
);

/**
 * Core layer group send to a group with history: check the member list the
 * sender read is still the group's, store the message, then push it, stamped,
 * to each queue (capacity as in PUSH_CAPPED), all at once.
 * KEYS: stream, meta, group, then N queue keys.
 * ARGV: 1 candidate epoch, 2 run_id, 3 keep ms, 4 now ms, 5 oldest time kept (ms), 6 size,
 * 7 membership cutoff, 8 sha1 of the members read (joined by "\\n"; '*'
 * skips the check), 9 map
 * header of the stored message, 10 map body, 11 score, 12 queue cutoff,
 * 13 queue ttl, then N member prefixes, N member suffixes, N capacities.
 * Returns {-1, members} when the members changed (nothing written), else
 * {offset, epoch, N full flags}.
 */
export const GROUP_SEND_HISTORY = script(
  'group-send-history',
  `${HISTORY_APPEND}
local members = redis.call('ZRANGEBYSCORE', KEYS[3], '(' .. ARGV[7], '+inf')
if ARGV[8] ~= '*' and redis.sha1hex(table.concat(members, '\\n')) ~= ARGV[8] then return {-1, members} end
local offset, epoch, stamp = history_append(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[9] .. ARGV[10])
local n = #KEYS - 3
local out = {offset, epoch}
for i = 1, n do
  local key = KEYS[3 + i]
  redis.call('ZREMRANGEBYSCORE', key, '-inf', ARGV[12])
  if redis.call('ZCARD', key) < tonumber(ARGV[13 + 2 * n + i]) then
    redis.call('ZADD', key, ARGV[11], ARGV[13 + i] .. ARGV[10] .. stamp .. ARGV[13 + n + i])
    redis.call('EXPIRE', key, ARGV[13])
    out[2 + i] = 0
  else
    out[2 + i] = 1
  end
end
return out
`,
);

/**
 * Pub/sub layer group send to a group with history: store the message and
 * publish it, stamped, in one step.
 * KEYS: stream, meta. ARGV: 1 candidate epoch, 2 run_id, 3 keep ms, 4 now ms,
 * 5 oldest time kept (ms), 6 size, 7 PUBLISH or SPUBLISH, 8 topic, 9 envelope header,
 * 10 the message map, its header counting the stamp's two entries (see
 * `mapWithStampRoom`). Returns {offset, epoch}.
 */
export const PUBLISH_HISTORY = script(
  'publish-history',
  `${HISTORY_APPEND}
local offset, epoch, stamp = history_append(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[10])
redis.call(ARGV[7], ARGV[8], ARGV[9] .. ARGV[10] .. stamp)
return {offset, epoch}
`,
);

/**
 * PUBLISH_HISTORY for N group sends in one call (the sends one process issued
 * in one event-loop turn to one server), each also reading its group's named
 * members, which a send without history asks for in a command of its own.
 * Each is stored and published exactly as PUBLISH_HISTORY would, in the order
 * given. Each runs under pcall, so one that fails (wrong key type...) leaves
 * the others as separate calls would. What the sends share is passed once: a
 * call's arguments are parsed by Redis and turned into Lua strings one by
 * one, a cost paid per argument.
 * KEYS: 3 per send: stream, meta, named-member set. ARGV: 1 PUBLISH or
 * SPUBLISH, 2 run_id, 3 candidate epoch, 4 now ms, 5 where the topic starts
 * in a stream key (it is the key's hash tag, see historyKeys), 6 named-member
 * cutoff (exclusive minimum score, '(<score>'), 7 R, then R retentions of 3
 * values (keep ms, oldest time kept, size), then 3 per send: its retention (1..R),
 * envelope header, message map (see PUBLISH_HISTORY). Returns 3N values per
 * send: offset, epoch and named members (a list, or the error message when
 * reading them failed), or 0, the error message and an empty list for a send
 * that failed.
 */
export const PUBLISH_HISTORY_BATCH = script(
  'publish-history-batch',
  `${HISTORY_APPEND}
local publish, runid, candidate, now, cutoff = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[6]
local from = tonumber(ARGV[5])
local sends = 7 + 3 * tonumber(ARGV[7])
local out = {}
local none = {}
for i = 1, #KEYS / 3 do
  local a = sends + 3 * (i - 1)
  local r = 5 + 3 * tonumber(ARGV[a + 1])
  local stream = KEYS[3 * i - 2]
  local ok, offset, epoch, stamp = pcall(history_append, stream, KEYS[3 * i - 1], candidate, runid, ARGV[r], now, ARGV[r + 1], ARGV[r + 2], ARGV[a + 3])
  local err = offset
  if ok then ok, err = pcall(redis.call, publish, string.sub(stream, from, -2), ARGV[a + 2] .. ARGV[a + 3] .. stamp) end
  local k = 3 * i
  if ok then
    out[k - 2], out[k - 1] = offset, epoch
    local named
    ok, named = pcall(redis.call, 'ZRANGEBYSCORE', KEYS[k], cutoff, '+inf')
    -- Stored and published, but the send fails as a failed member lookup failed it alone: with the error, a string.
    if ok then out[k] = named elseif type(named) == 'table' then out[k] = named.err else out[k] = tostring(named) end
  else
    if type(err) == 'table' then err = err.err end
    out[k - 2], out[k - 1], out[k] = 0, tostring(err), none
  end
end
return out
`,
);
