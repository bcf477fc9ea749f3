/**
 * Redis going away under traffic, for both Redis layers: each test runs its
 * own throwaway redis-server, SIGKILLs it and restarts it on the same port.
 * Nothing crashes, calls fail fast with LayerUnavailable while it is down,
 * the layers announce the outage and the recovery, subscriptions and pop
 * loops come back, and memberships are written back after the restart.
 */
import { LayerUnavailable } from '../../src/errors';
import type { ChannelLayer } from '../../src/layers/channel-layer';
import { RedisChannelLayer } from '../../src/layers/redis/redis-channel-layer';
import { RedisPubSubChannelLayer } from '../../src/layers/redis/redis-pubsub-channel-layer';
import type { RedisLayerOptions } from '../../src/layers/redis/redis-options';
import { startThrowawayRedis, type ThrowawayRedis } from '../setup/redis-server';
import { nextEvent, testPrefix, within } from './redis-helpers';

const FAST: RedisLayerOptions = { retryMinDelay: 50, retryMaxDelay: 300, connectTimeout: 500, commandTimeout: 1000, blockTimeout: 1 };

const backends: Array<[string, (options: RedisLayerOptions) => ChannelLayer]> = [
  ['RedisChannelLayer', (options) => new RedisChannelLayer(options)],
  ['RedisPubSubChannelLayer', (options) => new RedisPubSubChannelLayer(options)],
];

describe.each(backends)('%s through a Redis outage', (_name, make) => {
  let redis: ThrowawayRedis;
  const layers: ChannelLayer[] = [];

  afterEach(async () => {
    await Promise.all(layers.splice(0).map((layer) => layer.close()));
    await redis?.stop();
  });

  it('fails fast while down, reconnects, restores loops, subscriptions and memberships', async () => {
    redis = await startThrowawayRedis();
    const options = { ...FAST, url: redis.url, prefix: testPrefix('outage') };
    const a = make(options);
    const b = make(options);
    layers.push(a, b);
    const chanA = await a.newChannel();
    const chanB = await b.newChannel();
    await a.groupAdd('room', chanA);
    await b.groupAdd('room', chanB);
    await b.groupSend('room', { type: 'before', n: 1 });
    expect(await within(a.receive(chanA), 'a group message before the outage')).toEqual({ type: 'before', n: 1 });
    expect(await within(b.receive(chanB), 'b own group message')).toEqual({ type: 'before', n: 1 });

    // A receive that spans the outage.
    const spanning = a.receive(chanA);
    spanning.catch(() => undefined); // awaited below; only guards an early failure
    const downA = nextEvent(a, 'disconnected');
    const downB = nextEvent(b, 'disconnected');
    redis.process.kill('SIGKILL');
    const [errorA] = await downA;
    await downB;
    expect(typeof errorA.message).toBe('string');

    const started = Date.now();
    const failures = await Promise.allSettled([
      b.groupSend('room', { type: 'during' }),
      b.send(chanA, { type: 'during' }),
      b.send('named.during', { type: 'during' }),
      b.groupAdd('room', 'named.member'),
    ]);
    expect(Date.now() - started).toBeLessThan(500);
    for (const failure of failures) {
      expect(failure.status).toBe('rejected');
      expect((failure as PromiseRejectedResult).reason).toBeInstanceOf(LayerUnavailable);
      expect((failure as PromiseRejectedResult).reason.code).toBe('ERR_LAYER_UNAVAILABLE');
    }

    const upA = nextEvent(a, 'reconnected');
    const upB = nextEvent(b, 'reconnected');
    redis = await startThrowawayRedis([], redis.port);
    await Promise.all([upA, upB]);

    // The restarted server lost everything; both processes wrote their memberships back.
    expect((await a.groupMembers('room')).sort()).toEqual([chanA, chanB].sort());
    await b.groupSend('room', { type: 'after', n: 2 });
    expect(await within(spanning, 'the receive that spanned the outage')).toEqual({ type: 'after', n: 2 });
    expect(await within(b.receive(chanB), 'b after the outage')).toEqual({ type: 'after', n: 2 });
    await b.send(chanA, { type: 'direct.after' });
    expect(await within(a.receive(chanA), 'a direct send after the outage')).toEqual({ type: 'direct.after' });
    await a.send('named.after', { type: 'named' });
    expect(await within(b.receive('named.after'), 'a named channel after the outage')).toEqual({ type: 'named' });
  });

  it('starts a new history epoch after a restart, so positions from before are not recovered', async () => {
    redis = await startThrowawayRedis();
    const history = [['hist.*', { size: 10, ttl: 60 }]] as const;
    const layer = make({ ...FAST, url: redis.url, prefix: testPrefix('epoch'), history });
    layers.push(layer);
    const channel = await layer.newChannel();
    await layer.groupAdd('hist.room', channel);
    const before = await layer.groupSend('hist.room', { type: 'm', n: 1 });
    expect(await within(layer.receive(channel), 'the message before the restart')).toMatchObject({ __offset__: 1, __epoch__: before.epoch });
    const down = nextEvent(layer, 'disconnected');
    redis.process.kill('SIGKILL');
    await down;
    const up = nextEvent(layer, 'reconnected');
    redis = await startThrowawayRedis([], redis.port);
    await up;
    const after = await layer.groupHistory('hist.room', { since: { offset: 1, epoch: before.epoch! } });
    expect(after.epoch).not.toBe(before.epoch);
    expect(after).toMatchObject({ messages: [], offset: 0, recovered: false });
    const next = await layer.groupSend('hist.room', { type: 'm', n: 2 });
    expect(next).toMatchObject({ offset: 1, epoch: after.epoch });
    expect(await within(layer.receive(channel), 'the message after the restart')).toMatchObject({ n: 2, __offset__: 1, __epoch__: after.epoch });
  });

  it('reports LayerUnavailable when Redis is not there at all, then recovers when it starts', async () => {
    const probe = await startThrowawayRedis();
    const port = probe.port;
    await probe.stop();
    const layer = make({ ...FAST, url: `redis://127.0.0.1:${port}`, prefix: testPrefix('late') });
    layers.push(layer);
    const down = nextEvent(layer, 'disconnected');
    const error = await layer.groupSend('g', { type: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LayerUnavailable);
    await down;
    const up = nextEvent(layer, 'reconnected');
    redis = await startThrowawayRedis([], port);
    await up;
    const channel = await layer.newChannel();
    await layer.groupAdd('g', channel);
    await layer.groupSend('g', { type: 'hello' });
    expect(await within(layer.receive(channel), 'a message after a late start')).toEqual({ type: 'hello' });
  });
});
