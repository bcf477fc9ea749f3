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
