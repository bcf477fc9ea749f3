/**
 * Several Redis servers: groups, direct sends and named channels spread by
 * channels_redis's CRC-32 rule over three throwaway servers, for both layers.
 */
import { createClient } from 'redis';
import type { ChannelLayer } from '../../src/layers/channel-layer';
import { nonLocalName } from '../../src/layers/names';
import { encodeMessage, queueMemberFor } from '../../src/layers/redis/codec';
import { scaled } from '../setup/calibrate';
import { RedisChannelLayer } from '../../src/layers/redis/redis-channel-layer';
import { RedisPubSubChannelLayer } from '../../src/layers/redis/redis-pubsub-channel-layer';
import { shardIndex } from '../../src/layers/redis/sharding';
import { startThrowawayRedis, type ThrowawayRedis } from '../setup/redis-server';
import { testPrefix, within } from './redis-helpers';

type Raw = ReturnType<typeof createClient>;

let servers: ThrowawayRedis[] = [];
let raw: Raw[] = [];
let hosts: string[] = [];
// Three fresh servers on a busy machine answer slowly at first: connection deadlines scale with the calibration.
const LOADED = { connectTimeout: scaled(2_000), commandTimeout: scaled(3_000) };

beforeAll(async () => {
  servers = await Promise.all([0, 1, 2].map(() => startThrowawayRedis()));
  hosts = servers.map((s) => s.url);
  raw = await Promise.all(
    hosts.map(async (url) => {
      const client = createClient({ url });
      client.on('error', () => undefined);
      await client.connect();
      return client as Raw;
    }),
  );
});

afterAll(async () => {
  for (const client of raw) client.destroy();
  await Promise.all(servers.map((s) => s.stop()));
});

const GROUPS = Array.from({ length: 12 }, (_, i) => `room.${i}`);

describe.each([
  ['RedisChannelLayer', (prefix: string): ChannelLayer => new RedisChannelLayer({ hosts, prefix, ...LOADED })],
  ['RedisPubSubChannelLayer', (prefix: string): ChannelLayer => new RedisPubSubChannelLayer({ hosts, prefix, ...LOADED })],
])('%s on three Redis servers', (name, make) => {
  const layers: ChannelLayer[] = [];
  afterEach(async () => {
    await Promise.all(layers.splice(0).map((l) => l.close()));
  });

  it('spreads groups over the servers and delivers every group send', async () => {
    const prefix = testPrefix('multi');
    const a = make(prefix);
    const b = make(prefix);
    layers.push(a, b);
    const locals = new Map<string, string>();
    for (const group of GROUPS) {
      const channel = await a.newChannel();
      locals.set(group, channel);
      await a.groupAdd(group, channel);
      await b.groupAdd(group, `named.${group}`);
    }
    // Each group's membership lives exactly on the server the CRC-32 rule names.
    const used = new Set<number>();
    for (const group of GROUPS) {
      const where = await Promise.all(raw.map((client) => client.exists(`${prefix}:group:${group}`)));
      const expected = shardIndex(group, 3);
      expect(where).toEqual([0, 1, 2].map((i) => (i === expected ? 1 : 0)));
      used.add(expected);
    }
    expect(used.size).toBeGreaterThan(1);
    for (const [i, group] of GROUPS.entries()) await b.groupSend(group, { type: 'hello', i });
    for (const [i, group] of GROUPS.entries()) {
      expect(await within(a.receive(locals.get(group)!), `${name} local member of ${group}`)).toEqual({ type: 'hello', i });
      expect(await within(b.receive(`named.${group}`), `${name} named member of ${group}`)).toEqual({ type: 'hello', i });
    }
  });

  it('delivers direct sends to process-local and named channels on every shard', async () => {
    const prefix = testPrefix('multi');
    const a = make(prefix);
    const b = make(prefix);
    layers.push(a, b);
    const channels: string[] = [];
    for (const p of ['alpha', 'beta', 'gamma', 'delta', 'eps']) channels.push(await a.newChannel(p));
    const named = Array.from({ length: 8 }, (_, i) => `worker.${i}`);
    for (const [i, channel] of [...channels, ...named].entries()) await b.send(channel, { type: 'direct', i });
    for (const [i, channel] of [...channels, ...named].entries()) {
      expect(await within(a.receive(channel), `${name} direct to ${channel}`)).toEqual({ type: 'direct', i });
    }
  });
});

it('RedisChannelLayer receives what channels_redis puts on the shard of the full channel name (its bug #1492)', async () => {
  const prefix = testPrefix('multi');
  const layer = new RedisChannelLayer({ hosts, prefix, ...LOADED });
  try {
    let channel = await layer.newChannel();
    for (let i = 0; i < 100 && shardIndex(channel, 3) === shardIndex(nonLocalName(channel), 3); i++) channel = await layer.newChannel();
    expect(shardIndex(channel, 3)).not.toBe(shardIndex(nonLocalName(channel), 3));
    // What channels_redis's send() writes: on the full name's shard, scored now, under the non-local key.
    const member = queueMemberFor(encodeMessage({ type: 'from.python' }), channel);
    await raw[shardIndex(channel, 3)]!.zAdd(prefix + nonLocalName(channel), { score: Date.now() / 1000, value: member });
    expect(await within(layer.receive(channel), 'a message on the "wrong" shard')).toEqual({ type: 'from.python' });
  } finally {
    await layer.close();
  }
});
