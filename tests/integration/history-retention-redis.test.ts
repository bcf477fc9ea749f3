/**
 * How the Redis layers keep a group's history between reads: trimming by age
 * on every HISTORY_TRIM_EVERY-th append (reads skip older entries before
 * that), the keys' expiry pushed back only when due yet always at least
 * `keep` ahead of the latest message, and a new epoch whenever the stored
 * history may have lost entries. Checked against the keys in Redis.
 */
import { FakeClock } from '../contract/harness';
import { prefixPerTest } from '../helpers/redis-keys';
import type { ChannelLayer } from '../../src/layers/channel-layer';
import { DEFAULT_TIMING, RedisNode } from '../../src/layers/redis/connection';
import { historyKeys, type HistoryKeys } from '../../src/layers/redis/history-keys';
import { HISTORY_TRIM_EVERY } from '../../src/layers/redis/lua';
import { RedisChannelLayer } from '../../src/layers/redis/redis-channel-layer';
import { RedisPubSubChannelLayer } from '../../src/layers/redis/redis-pubsub-channel-layer';

const url = process.env.REDIS_URL!;
const prefix = prefixPerTest('hist-keep', url);
const TTL_S = 10;
const GROUP_EXPIRY_S = 40;
const KEEP_MS = GROUP_EXPIRY_S * 1000; // the longer of ttl and groupExpiry
const group = 'trim.room';

interface Backend {
  name: string;
  make(clock: FakeClock): ChannelLayer & { prefix: string };
  keys(layer: { prefix: string }): HistoryKeys;
}

const backends: Backend[] = [
  {
    name: 'RedisChannelLayer',
    make: (clock) =>
      new RedisChannelLayer({ url, prefix: prefix(), clock: clock.now, groupExpiry: GROUP_EXPIRY_S, history: [['trim.*', { size: 100, ttl: TTL_S }]] }),
    keys: (layer) => historyKeys(layer.prefix, group),
  },
  {
    name: 'RedisPubSubChannelLayer',
    make: (clock) =>
      new RedisPubSubChannelLayer({ url, prefix: prefix(), clock: clock.now, groupExpiry: GROUP_EXPIRY_S, history: [['trim.*', { size: 100, ttl: TTL_S }]] }),
    keys: (layer) => historyKeys(layer.prefix, group, `${layer.prefix}:gt:${group}`),
  },
];

let node: RedisNode;
beforeAll(() => {
  node = new RedisNode(url, DEFAULT_TIMING);
});
afterAll(async () => {
  await node.close();
});

describe.each(backends)('$name history retention in Redis', (backend) => {
  let clock: FakeClock;
  let layer: ChannelLayer & { prefix: string };
  let keys: HistoryKeys;

  beforeEach(() => {
    clock = new FakeClock();
    layer = backend.make(clock);
    keys = backend.keys(layer);
  });
  afterEach(async () => {
    await layer.close();
  });

  const send = async (count: number): Promise<number> => {
    let offset = 0;
    for (let i = 0; i < count; i++) offset = (await layer.groupSend(group, { type: 'chat.message', n: i })).offset!;
    return offset;
  };
  const storedOffsets = async (): Promise<number[]> => {
    const entries = await node.command<Array<[string, string[]]>>(['XRANGE', keys.stream, '-', '+']);
    return entries.map(([id]) => Number(id.slice(id.indexOf('-') + 1)) + 1);
  };
  const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

  it(`removes entries past the ttl on the ${HISTORY_TRIM_EVERY}th append; until then they are stored but never read`, async () => {
    await send(3);
    clock.advance(TTL_S + 1); // offsets 1-3 are past the ttl from here on
    expect(await send(HISTORY_TRIM_EVERY - 4)).toBe(HISTORY_TRIM_EVERY - 1);
    // Still stored (no trim by age before the next multiple of HISTORY_TRIM_EVERY)...
    expect(await storedOffsets()).toEqual(range(1, HISTORY_TRIM_EVERY - 1));
    // ...but no read returns them, and a position inside them is not recovered.
    const all = await layer.groupHistory(group);
    expect(all.messages.map((m) => m.offset)).toEqual(range(4, HISTORY_TRIM_EVERY - 1));
    expect((await layer.groupHistory(group, { since: { offset: 1, epoch: all.epoch } })).recovered).toBe(false);
    const after3 = await layer.groupHistory(group, { since: { offset: 3, epoch: all.epoch } });
    expect(after3.recovered).toBe(true);
    expect(after3.messages.map((m) => m.offset)).toEqual(range(4, HISTORY_TRIM_EVERY - 1));
    // The HISTORY_TRIM_EVERY-th append trims them exactly (not only whole stream nodes).
    expect(await send(1)).toBe(HISTORY_TRIM_EVERY);
    expect(await storedOffsets()).toEqual(range(4, HISTORY_TRIM_EVERY));
    expect((await layer.groupHistory(group)).epoch).toBe(all.epoch);
  });

  it('keeps both keys alive at least `keep` after the latest message, pushing the expiry back once a quarter of it has passed', async () => {
    const pttls = async (): Promise<number[]> => [await node.command<number>(['PTTL', keys.stream]), await node.command<number>(['PTTL', keys.meta])];
    // Redis' own clock does not follow the fake one: age both keys by hand as `seconds` of real time would.
    const age = async (seconds: number): Promise<void> => {
      clock.advance(seconds);
      for (const [key, left] of [keys.stream, keys.meta].map((k, i) => [k, i] as const)) {
        const now = (await pttls())[left]!;
        await node.command(['PEXPIRE', key, String(now - seconds * 1000)]);
      }
    };
    // Two sends: a layer that had not yet read the server's run_id when it sent the first adopts it on the second.
    await send(2);
    for (const left of await pttls()) {
      expect(left).toBeGreaterThan(KEEP_MS);
      expect(left).toBeLessThanOrEqual(KEEP_MS * 1.25);
    }
    await age(KEEP_MS / 4000 - 2); // under a quarter: not pushed back, still over keep
    await send(1);
    for (const left of await pttls()) {
      expect(left).toBeGreaterThanOrEqual(KEEP_MS);
      expect(left).toBeLessThanOrEqual(KEEP_MS * 1.25 - (KEEP_MS / 4 - 2000) + 100);
    }
    await age(3); // a quarter and a second since the push: this append pushes it back
    await send(1);
    for (const left of await pttls()) expect(left).toBeGreaterThan(KEEP_MS * 1.25 - 1000);
  });

  it('starts a new epoch when the stream is gone while the meta says there were messages', async () => {
    const first = await layer.groupSend(group, { type: 'chat.message', n: 1 });
    await layer.groupSend(group, { type: 'chat.message', n: 2 });
    await node.command(['DEL', keys.stream]);
    const next = await layer.groupSend(group, { type: 'chat.message', n: 3 });
    expect(next.offset).toBe(1);
    expect(next.epoch).not.toBe(first.epoch);
    expect(await storedOffsets()).toEqual([1]);
    expect(await node.command<number>(['PTTL', keys.stream])).toBeGreaterThan(KEEP_MS - 1000);
    const history = await layer.groupHistory(group);
    expect(history).toMatchObject({ epoch: next.epoch, offset: 1, recovered: true });
    expect((await layer.groupHistory(group, { since: { offset: 2, epoch: first.epoch! } })).recovered).toBe(false);
  });

  it('starts a new epoch when the meta was written by another server (run_id)', async () => {
    const first = await layer.groupSend(group, { type: 'chat.message', n: 1 });
    await node.command(['HSET', keys.meta, 'r', 'a-server-that-is-gone']);
    const next = await layer.groupSend(group, { type: 'chat.message', n: 2 });
    expect(next.offset).toBe(1);
    expect(next.epoch).not.toBe(first.epoch);
    expect(await storedOffsets()).toEqual([1]);
    expect(await node.command(['HGET', keys.meta, 'r'])).not.toBe('a-server-that-is-gone');
  });

  it('starts a new epoch when the meta is gone, and carries on from a history read that started one', async () => {
    const first = await layer.groupSend(group, { type: 'chat.message', n: 1 });
    await node.command(['DEL', keys.meta]);
    const read = await layer.groupHistory(group);
    expect(read).toMatchObject({ messages: [], offset: 0, recovered: true });
    expect(read.epoch).not.toBe(first.epoch);
    const next = await layer.groupSend(group, { type: 'chat.message', n: 2 });
    expect(next).toMatchObject({ offset: 1, epoch: read.epoch });
    expect(await storedOffsets()).toEqual([1]);
    for (const key of [keys.stream, keys.meta]) expect(await node.command<number>(['PTTL', key])).toBeGreaterThan(KEEP_MS - 1000);
  });
});
