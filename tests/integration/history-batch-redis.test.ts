/**
 * Group sends with history that one process issues in one event-loop turn go
 * to Redis together (one script call per server): each is still stored and
 * published once, in the order issued, and settles with its own offset; a
 * failure rejects every send of the batch as a lone send's failure would.
 */
import { LayerUnavailable } from '../../src/errors';
import { HISTORY_BATCH_MESSAGES } from '../../src/layers/redis/history-batch';
import { historyKeys } from '../../src/layers/redis/history-keys';
import { RedisPubSubChannelLayer } from '../../src/layers/redis/redis-pubsub-channel-layer';
import { startThrowawayRedis, type ThrowawayRedis } from '../setup/redis-server';
import { testPrefix, within } from './redis-helpers';

const GROUPS = ['room.a', 'room.b', 'room.c'];
const PER_LAYER = 30; // per group and layer: more than one batch's worth in all
const history = [['room.*', { size: 1000, ttl: 60 }]] as const;

type Layer = RedisPubSubChannelLayer;
interface Received {
  text: string;
  __offset__: number;
  __epoch__: string;
}

let redis: ThrowawayRedis;
const layers: Layer[] = [];

function makeLayer(prefix: string, extra: Partial<ConstructorParameters<typeof RedisPubSubChannelLayer>[0]> = {}): Layer {
  const layer = new RedisPubSubChannelLayer({ url: redis.url, prefix, liveness: false, history: history.map(([p, r]) => [p, { ...r }]), ...extra });
  layers.push(layer);
  return layer;
}

/** A raw command on the throwaway server. */
async function redisCommand(args: string[]): Promise<unknown> {
  const { createClient } = await import('redis');
  const client = createClient({ url: redis.url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await client.sendCommand(args);
  } finally {
    await client.quit();
  }
}

async function commandCalls(): Promise<Record<string, number>> {
  const calls: Record<string, number> = {};
  for (const m of String(await redisCommand(['INFO', 'commandstats'])).matchAll(/cmdstat_(\w+):calls=(\d+)/g)) calls[m[1]!] = Number(m[2]);
  return calls;
}

beforeEach(async () => {
  redis = await startThrowawayRedis();
});

afterEach(async () => {
  await Promise.all(layers.splice(0).map((layer) => layer.close().catch(() => undefined)));
  if (redis.process.exitCode === null && redis.process.signalCode === null) {
    redis.process.kill('SIGCONT');
    await redis.stop();
  }
});

test('sends issued in one turn from two processes: every member gets each once, in offset order, offsets contiguous per group', async () => {
  const prefix = testPrefix('hist-batch');
  const [one, two] = [makeLayer(prefix), makeLayer(prefix)];
  // Two process-local members per group on each layer, and a named member of the first group.
  const members: Array<{ layer: Layer; channel: string; group: string }> = [];
  for (const layer of [one!, two!]) {
    for (const group of GROUPS) {
      for (let i = 0; i < 2; i++) {
        const channel = await layer.newChannel();
        await layer.groupAdd(group, channel);
        members.push({ layer, channel, group });
      }
    }
  }
  await one!.groupAdd(GROUPS[0]!, 'worker.batch');
  members.push({ layer: one!, channel: 'worker.batch', group: GROUPS[0]! });

  // Scripts loaded (a batch, a lone send and a named member's push), so every call below is one EVALSHA.
  await one!.groupAdd('room.warm', 'worker.warm');
  for (const layer of [one!, two!]) {
    await Promise.all([layer.groupSend('room.warm', { type: 'chat.message', text: 'w' }), layer.groupSend('room.warm', { type: 'chat.message', text: 'w' })]);
    await layer.groupSend('room.warm', { type: 'chat.message', text: 'w' });
  }
  await redisCommand(['CONFIG', 'RESETSTAT']);
  // All in one turn, interleaved across groups and layers.
  const sends: Array<{ layer: number; group: string; i: number; result: Promise<{ offset?: number; epoch?: string }> }> = [];
  for (let i = 0; i < PER_LAYER; i++) {
    for (const group of GROUPS) {
      [one!, two!].forEach((layer, n) => sends.push({ layer: n, group, i, result: layer.groupSend(group, { type: 'chat.message', text: `${n}:${i}` }) }));
    }
  }
  const results = await within(Promise.all(sends.map((send) => send.result)), 'the group sends');
  const calls = await commandCalls();
  // Each layer's 90 sends in ceil(90 / 64) = 2 script calls; plus one (PUSH_CAPPED) per send to the named member's group.
  expect(calls.evalsha ?? 0).toBe(2 * Math.ceil((GROUPS.length * PER_LAYER) / HISTORY_BATCH_MESSAGES) + 2 * PER_LAYER);
  expect(calls.eval ?? 0).toBe(0);

  for (const group of GROUPS) {
    const offsets = sends.flatMap((send, k) => (send.group === group ? [results[k]!.offset!] : []));
    expect([...offsets].sort((a, b) => a - b)).toEqual(Array.from({ length: 2 * PER_LAYER }, (_, k) => k + 1));
    expect(new Set(sends.flatMap((send, k) => (send.group === group ? [results[k]!.epoch] : []))).size).toBe(1);
    for (const n of [0, 1]) {
      // Each sender's order, in the offsets Redis gave.
      const own = sends.flatMap((send, k) => (send.group === group && send.layer === n ? [results[k]!.offset!] : []));
      expect(own).toEqual([...own].sort((a, b) => a - b));
    }
  }

  for (const { layer, channel, group } of members) {
    const got: Received[] = [];
    for (let k = 0; k < 2 * PER_LAYER; k++) got.push((await within(layer.receive(channel), `message ${k} on ${channel}`)) as unknown as Received);
    const offsets = got.map((m) => m.__offset__);
    const all = Array.from({ length: 2 * PER_LAYER }, (_, k) => k + 1);
    // Each offset once, stamped as the sender was told, and in offset order on every process-local
    // member, the senders' own included (their own messages reach them through the subscription too).
    // A named member's queue gets each sender's push after its script reply: each sender's in order.
    if (channel === 'worker.batch') expect([...offsets].sort((a, b) => a - b)).toEqual(all);
    else expect(offsets).toEqual(all);
    for (const n of [0, 1]) {
      const own = got.filter((m) => m.text.startsWith(`${n}:`));
      expect(own.map((m) => Number(m.text.split(':')[1]))).toEqual(Array.from({ length: PER_LAYER }, (_, k) => k));
      expect(own.map((m) => m.__offset__)).toEqual([...own.map((m) => m.__offset__)].sort((a, b) => a - b));
    }
    for (const m of got) {
      const k = sends.findIndex((send) => send.group === group && `${send.layer}:${send.i}` === m.text);
      expect(results[k]).toMatchObject({ offset: m.__offset__, epoch: m.__epoch__ });
    }
  }
});

test('a send the script refuses fails alone, with the error a lone send gets; the others of its batch go through', async () => {
  const prefix = testPrefix('hist-batch-refused');
  const layer = makeLayer(prefix);
  const channel = await layer.newChannel();
  await layer.groupAdd('room.a', channel);
  // room.b's history meta is a string: its append fails (WRONGTYPE).
  await redisCommand(['SET', historyKeys(prefix, 'room.b', `${prefix}:gt:room.b`).meta, 'x']);
  const lone = await layer.groupSend('room.b', { type: 'chat.message', text: 'lone' }).catch((error: unknown) => error);
  expect(String(lone)).toMatch(/WRONGTYPE/);

  const outcomes = await Promise.allSettled([
    layer.groupSend('room.a', { type: 'chat.message', text: '1' }),
    layer.groupSend('room.b', { type: 'chat.message', text: 'refused' }),
    layer.groupSend('room.a', { type: 'chat.message', text: '2' }),
  ]);
  expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  const refused = (outcomes[1] as PromiseRejectedResult).reason as Error;
  expect(refused.constructor).toBe((lone as Error).constructor);
  expect(refused.message).toContain('WRONGTYPE');
  const got = [await within(layer.receive(channel), 'message 1'), await within(layer.receive(channel), 'message 2')] as unknown as Received[];
  expect(got.map((m) => [m.text, m.__offset__])).toEqual([
    ['1', 1],
    ['2', 2],
  ]);
});

test('a batch whose connection fails rejects every send of it with the lone send error', async () => {
  const layer = makeLayer(testPrefix('hist-batch-fail'));
  const channel = await layer.newChannel();
  await layer.groupAdd('room.a', channel);
  await layer.groupSend('room.a', { type: 'chat.message', text: 'first' });
  await within(layer.receive(channel), 'the first message');

  // Frozen: the batch is written but never answered; killed: the connection fails under it.
  redis.process.kill('SIGSTOP');
  const pending = Array.from({ length: 5 }, (_, i) => layer.groupSend(GROUPS[i % GROUPS.length]!, { type: 'chat.message', text: String(i) }));
  const settled = Promise.allSettled(pending);
  await new Promise((resolve) => setImmediate(resolve));
  redis.process.kill('SIGKILL');
  const outcomes = await within(settled, 'the batch to fail');
  const reasons = outcomes.map((outcome) => (outcome.status === 'rejected' ? (outcome.reason as unknown) : outcome.value));
  // As a lone send: in flight (so an outage buffer does not replay it). Each send's named-member lookup
  // may fail first, so the error objects differ; their kind does not.
  for (const reason of reasons) {
    expect(reason).toBeInstanceOf(LayerUnavailable);
    expect((reason as LayerUnavailable).inFlight).toBe(true);
  }
});

test('sends refused while the server is down are held by the outage buffer, and delivered in order once it is back', async () => {
  const layer = makeLayer(testPrefix('hist-batch-outage'), { outageBuffer: { size: 100 } });
  const channel = await layer.newChannel();
  await layer.groupAdd('room.a', channel);
  await layer.groupSend('room.a', { type: 'chat.message', text: 'first' });
  await within(layer.receive(channel), 'the first message');

  const port = redis.port;
  const down = new Promise<void>((resolve) => layer.once('disconnected', () => resolve()));
  await redis.stop();
  await within(down, 'the layer to notice the server went away');
  const held = await Promise.all(Array.from({ length: 5 }, (_, i) => layer.groupSend('room.a', { type: 'chat.message', text: String(i) })));
  expect(held.every((result) => result.buffered === true)).toBe(true);

  const back = new Promise<void>((resolve) => layer.once('reconnected', () => resolve()));
  redis = await startThrowawayRedis([], port);
  await within(back, 'the layer to reconnect');
  const texts: string[] = [];
  for (let i = 0; i < 5; i++) texts.push(((await within(layer.receive(channel), `held message ${i}`)) as unknown as Received).text);
  expect(texts).toEqual(['0', '1', '2', '3', '4']);
});
