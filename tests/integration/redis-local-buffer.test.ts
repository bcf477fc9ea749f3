/**
 * The per-process buffers between Redis and receive(): bounded by capacity,
 * dropping (and reporting) instead of growing when a consumer stops reading.
 */
import { createClient } from 'redis';
import { prefixPerTest } from '../helpers/redis-keys';
import type { ChannelLayer } from '../../src/layers/channel-layer';
import { RedisChannelLayer } from '../../src/layers/redis/redis-channel-layer';
import { RedisPubSubChannelLayer } from '../../src/layers/redis/redis-pubsub-channel-layer';
import { nextEvent, within } from './redis-helpers';

const url = process.env.REDIS_URL!;
const prefix = prefixPerTest('buffer', url);
const layers: ChannelLayer[] = [];

afterEach(async () => {
  await Promise.all(layers.splice(0).map((l) => l.close()));
});

it('RedisChannelLayer: a local consumer that stops reading keeps its newest `capacity` messages; the oldest is dropped and reported', async () => {
  const p = prefix();
  const layer = new RedisChannelLayer({ url, prefix: p, capacity: 3 });
  layers.push(layer);
  const idle = await layer.newChannel();
  const busy = await layer.newChannel();
  const queueKey = p + idle.slice(0, idle.indexOf('!') + 1);
  const raw = createClient({ url });
  raw.on('error', () => undefined);
  await raw.connect();
  // While `busy` waits, the pop loop drains the process's queue, `idle`'s messages included.
  const waiting = layer.receive(busy);
  waiting.catch(() => undefined); // awaited below; guards an early failure
  const dropped = nextEvent(layer, 'dropped');
  try {
    for (let i = 0; i < 4; i++) {
      await layer.send(idle, { type: 'm', i });
      // Bounded wait until the loop has moved it out of Redis into the local buffer.
      const deadline = Date.now() + 5000;
      while ((await raw.zCard(queueKey)) > 0) {
        if (Date.now() > deadline) throw new Error('the pop loop did not drain the queue within 5 s');
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  } finally {
    raw.destroy();
  }
  const [info] = await dropped;
  expect(info).toMatchObject({ channel: idle, count: 1 });
  await layer.send(busy, { type: 'wake' });
  expect(await within(waiting, 'the busy channel')).toEqual({ type: 'wake' });
  const got = [];
  for (let i = 0; i < 3; i++) got.push((await within(layer.receive(idle), 'the idle channel')).i);
  expect(got).toEqual([1, 2, 3]);
});

it('RedisPubSubChannelLayer: a remote group message to a full local member is dropped and reported by the receiving process', async () => {
  const p = prefix();
  const receiver = new RedisPubSubChannelLayer({ url, prefix: p, capacity: 1 });
  const sender = new RedisPubSubChannelLayer({ url, prefix: p, capacity: 1 });
  layers.push(receiver, sender);
  const full = await receiver.newChannel();
  const fine = await receiver.newChannel();
  await receiver.groupAdd('room', full);
  await receiver.groupAdd('room', fine);
  await receiver.send(full, { type: 'filler' });
  const dropped = nextEvent(receiver, 'dropped');
  expect(await sender.groupSend('room', { type: 'news' })).toEqual({ dropped: 0 }); // the sender cannot see remote buffers
  const [info] = await dropped;
  expect(info).toMatchObject({ group: 'room', count: 1 });
  expect(await within(receiver.receive(fine), 'the member with room')).toEqual({ type: 'news' });
  expect(await within(receiver.receive(full), 'the full member')).toEqual({ type: 'filler' });
});

it('RedisPubSubChannelLayer localFirst: own members get a group message before Redis answers; other processes get it through Redis, in order', async () => {
  const p = prefix();
  const sender = new RedisPubSubChannelLayer({ url, prefix: p, localFirst: true });
  const other = new RedisPubSubChannelLayer({ url, prefix: p, localFirst: true });
  layers.push(sender, other);
  const mine = await sender.newChannel();
  const theirs = await other.newChannel();
  await sender.groupAdd('room', mine);
  await other.groupAdd('room', theirs);
  let settled = false;
  const sends = [1, 2, 3].map((n) => sender.groupSend('room', { type: 'm', n }));
  void Promise.all(sends).then(() => (settled = true));
  // No I/O turn has passed (only microtasks): the PUBLISH replies cannot have arrived yet.
  const local = [await sender.receive(mine), await sender.receive(mine), await sender.receive(mine)];
  expect(settled).toBe(false);
  expect(local.map((m) => m.n)).toEqual([1, 2, 3]);
  await Promise.all(sends);
  const remote = [];
  for (let i = 0; i < 3; i++) remote.push(await within(other.receive(theirs), 'the other process'));
  expect(remote.map((m) => m.n)).toEqual([1, 2, 3]);
  // The sender skipped its own echo: nothing more for its member.
  const extra = await Promise.race([sender.receive(mine).then(
      () => 'more',
      () => 'closed',
    ), within(new Promise((r) => setTimeout(() => r('none'), 200)), 'quiet')]);
  expect(extra).toBe('none');
});
