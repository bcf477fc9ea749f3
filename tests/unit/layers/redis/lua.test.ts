/** The Lua scripts, run on the test Redis under a random prefix (keys deleted afterwards). */
import { createHash, randomBytes } from 'node:crypto';
import { DEFAULT_TIMING, RedisNode } from '../../../../src/layers/redis/connection';
import { deleteByPrefix } from '../../../../src/layers/redis/flush-prefix';
import { GROUP_ADD, GROUP_LIVE_MEMBERS, PUBLISH_HISTORY, PUBLISH_OR_QUEUE, PUSH_CAPPED, WAKE, type LuaScript } from '../../../../src/layers/redis/lua';

const prefix = `sy-lua-${randomBytes(4).toString('hex')}:`;
let node: RedisNode;

beforeAll(() => {
  node = new RedisNode(process.env.REDIS_URL!, DEFAULT_TIMING);
});

afterAll(async () => {
  await deleteByPrefix(node, prefix);
  await node.close();
});

const key = (name: string): string => prefix + name;

describe('PUSH_CAPPED', () => {
  it('pushes under capacity, flags full queues, sets the TTL, and works for several keys at once', async () => {
    const [a, b] = [key('a'), key('b')];
    expect(await node.eval(PUSH_CAPPED, [a, b], ['m1', 'm2', '1', '2', '100.5', '0', '60'])).toEqual([0, 0]);
    expect(await node.eval(PUSH_CAPPED, [a, b], ['m3', 'm4', '1', '2', '101.5', '0', '60'])).toEqual([1, 0]);
    expect(await node.command(['ZRANGE', a, '0', '-1', 'WITHSCORES'])).toEqual(['m1', '100.5']);
    expect(await node.command(['ZRANGE', b, '0', '-1'])).toEqual(['m2', 'm4']);
    const ttl = await node.command<number>(['TTL', a]);
    expect(ttl).toBeGreaterThan(55);
    expect(ttl).toBeLessThanOrEqual(60);
  });

  it('drops members scored at or below the cutoff before counting', async () => {
    const q = key('expiring');
    await node.eval(PUSH_CAPPED, [q], ['old', '1', '10', '0', '60']);
    // cutoff 10: "old" (score 10) has expired, so the queue has room again.
    expect(await node.eval(PUSH_CAPPED, [q], ['new', '1', '20', '10', '60'])).toEqual([0]);
    expect(await node.command(['ZRANGE', q, '0', '-1'])).toEqual(['new']);
  });
});

describe('groups', () => {
  it('GROUP_ADD scores members by join time and refreshes the TTL; GROUP_LIVE_MEMBERS drops expired ones', async () => {
    const g = key('group:room');
    await node.eval(GROUP_ADD, [g], ['500', '100', 'a', '150', 'b']);
    expect(await node.command<number>(['TTL', g])).toBeGreaterThan(490);
    expect((await node.eval<string[]>(GROUP_LIVE_MEMBERS, [g], ['99'])).sort()).toEqual(['a', 'b']);
    expect(await node.eval(GROUP_LIVE_MEMBERS, [g], ['100'])).toEqual(['b']);
    expect(await node.command(['ZCARD', g])).toBe(1);
  });
});

describe('PUBLISH_OR_QUEUE', () => {
  it('queues (with capacity) when nobody listens', async () => {
    const q = key('inbox!');
    const args = (member: string) => [key('topic'), 'envelope', member, '1', '10', '0', '60'];
    expect(await node.eval(PUBLISH_OR_QUEUE, [q], args('m1'))).toBe(0);
    expect(await node.eval(PUBLISH_OR_QUEUE, [q], args('m2'))).toBe(-1);
    expect(await node.command(['ZRANGE', q, '0', '-1'])).toEqual(['m1']);
  });

  it('only publishes when someone listens', async () => {
    const subscriber = await node.dedicated('subscriber');
    const got: string[] = [];
    await subscriber.subscribe(key('live'), (message: string) => got.push(message));
    const q = key('live-inbox!');
    expect(await node.eval(PUBLISH_OR_QUEUE, [q], [key('live'), 'hello', 'member', '5', '10', '0', '60'])).toBe(1);
    expect(await node.command(['EXISTS', q])).toBe(0);
    await subscriber.unsubscribe(key('live'));
    expect(got).toEqual(['hello']);
  });
});

it('WAKE leaves one short-lived member in the wake key', async () => {
  const w = key('wake:x');
  await node.eval(WAKE, [w], []);
  await node.eval(WAKE, [w], []);
  expect(await node.command(['ZCARD', w])).toBe(1);
  expect(await node.command<number>(['TTL', w])).toBeLessThanOrEqual(30);
});

describe('PUBLISH_HISTORY before Redis 7', () => {
  // Servers before 7 have no REDIS_VERSION_NUM and no `<ms>-*` ids: the script reads the next id instead.
  const source = PUBLISH_HISTORY.source.replace('if redis.REDIS_VERSION_NUM then', 'if false then');
  const old: LuaScript = { name: 'publish-history-before-7', source, sha: createHash('sha1').update(source).digest('hex') };

  const append = (script: LuaScript, stream: string, meta: string, n: number): Promise<[number, string]> =>
    node.eval<[number, string]>(script, [stream, meta], [`cand${n}`, '', '60000', String(1000 + n), '1', '100', 'PUBLISH', key('nobody'), '', Buffer.from([0x82])]);

  it('numbers entries as Redis 7 does, and either script carries on from the other', async () => {
    expect(source).not.toBe(PUBLISH_HISTORY.source);
    const [stream, meta] = [key('h:stream'), key('h:meta')];
    const offsets: number[] = [];
    for (let n = 1; n <= 6; n++) offsets.push((await append(n % 2 === 0 ? old : PUBLISH_HISTORY, stream, meta, n))[0]);
    expect(offsets).toEqual([1, 2, 3, 4, 5, 6]);
    const ids = await node.command<Array<[string, string[]]>>(['XRANGE', stream, '-', '+']);
    expect(ids.map(([id]) => id)).toEqual(['1-0', '1-1', '1-2', '1-3', '1-4', '1-5']);
  });

  it('still starts a new epoch when the stream is gone', async () => {
    const [stream, meta] = [key('h2:stream'), key('h2:meta')];
    const [, epoch] = await append(old, stream, meta, 1);
    await append(old, stream, meta, 2);
    await node.command(['DEL', stream]);
    const [offset, next] = await append(old, stream, meta, 3);
    expect(offset).toBe(1);
    expect(next).not.toBe(epoch);
    expect(next).toBe('cand3');
  });
});
