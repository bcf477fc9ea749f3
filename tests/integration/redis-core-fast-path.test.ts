/**
 * The Redis core layer's local fast path: a message for a channel of the
 * sending process that someone reads goes straight into its mailbox, without
 * a push to Redis and a pop back. Each test runs its own redis-server, so
 * INFO commandstats counts this test's commands alone.
 */
import { createClient } from 'redis';
import { LayerUnavailable } from '../../src/errors';
import { RedisChannelLayer } from '../../src/layers/redis/redis-channel-layer';
import type { RedisLayerOptions } from '../../src/layers/redis/redis-options';
import { startThrowawayRedis, type ThrowawayRedis } from '../setup/redis-server';
import { nextEvent, testPrefix, within } from './redis-helpers';

const FAST: RedisLayerOptions = { retryMinDelay: 50, retryMaxDelay: 300, connectTimeout: 500, commandTimeout: 1000, blockTimeout: 1, liveness: false };

let redis: ThrowawayRedis;
const layers: RedisChannelLayer[] = [];
let raw: ReturnType<typeof createClient> | undefined;
let prefix: string;

beforeEach(async () => {
  prefix = testPrefix('fast');
  redis = await startThrowawayRedis();
  raw = createClient({ url: redis.url });
  raw.on('error', () => undefined);
  await raw.connect();
});

afterEach(async () => {
  raw?.destroy();
  raw = undefined;
  await Promise.all(layers.splice(0).map((layer) => layer.close()));
  await redis.stop();
});

function layer(options: RedisLayerOptions = {}): RedisChannelLayer {
  const made = new RedisChannelLayer({ ...FAST, url: redis.url, prefix, ...options });
  layers.push(made);
  return made;
}

/** Calls per command since the server started (INFO commandstats; scripts' inner calls included). */
async function calls(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const match of (await raw!.info('commandstats')).matchAll(/cmdstat_(\w+(?:\|\w+)?):calls=(\d+)/g)) out[match[1]!] = Number(match[2]);
  return out;
}

/** Resolves once a client is blocked in BZMPOP (the pop loop started with the first reader), so counts that follow are stable. */
async function blockedPopLoop(): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!String(await raw!.sendCommand(['CLIENT', 'LIST'])).includes('cmd=bzmpop')) {
    if (Date.now() > deadline) throw new Error('no pop loop blocked in BZMPOP within 5 s');
    await new Promise((r) => setTimeout(r, 10));
  }
}

function delta(before: Record<string, number>, after: Record<string, number>, command: string): number {
  return (after[command] ?? 0) - (before[command] ?? 0);
}

it('serves own read members of a group and direct sends to them without pushing to Redis or popping back', async () => {
  const l = layer();
  const group = 'room';
  const a = await l.newChannel();
  const b = await l.newChannel();
  await l.groupAdd(group, a);
  await l.groupAdd(group, b);
  const readA = l.receive(a);
  const readB = l.receive(b);
  await blockedPopLoop();
  const before = await calls();
  expect(await l.groupSend(group, { type: 'g', n: 1 })).toEqual({ dropped: 0 });
  expect(await within(readA, 'a')).toEqual({ type: 'g', n: 1 });
  expect(await within(readB, 'b')).toEqual({ type: 'g', n: 1 });
  const direct = l.receive(a);
  await l.send(a, { type: 'd' });
  expect(await within(direct, 'the direct send')).toEqual({ type: 'd' });
  const after = await calls();
  expect(delta(before, after, 'zadd')).toBe(0);
  expect(delta(before, after, 'zpopmin') + delta(before, after, 'bzpopmin')).toBe(0);
  // The group send's one command: the script that reads the live members.
  expect(delta(before, after, 'evalsha') + delta(before, after, 'eval')).toBe(1);
});

it('keeps per-sender order when own messages already wait in Redis: later ones queue behind them', async () => {
  const l = layer();
  const channel = await l.newChannel();
  await l.groupAdd('room', channel);
  // Nobody reads yet: these wait in Redis, as before.
  await l.send(channel, { type: 'm', n: 1 });
  await l.groupSend('room', { type: 'm', n: 2 });
  // A reader now, while 1 and 2 are still in Redis: 3 and 4 must not overtake them.
  const first = l.receive(channel);
  await l.send(channel, { type: 'm', n: 3 });
  await l.groupSend('room', { type: 'm', n: 4 });
  const got = [(await within(first, 'the first message')).n];
  for (let i = 0; i < 3; i++) got.push((await within(l.receive(channel), `message ${i + 2}`)).n);
  expect(got).toEqual([1, 2, 3, 4]);
  // Once ours have been popped, the fast path is back: 5 never reaches Redis.
  const fifth = l.receive(channel);
  await blockedPopLoop();
  const before = await calls();
  await l.send(channel, { type: 'm', n: 5 });
  expect(await within(fifth, 'message 5')).toEqual({ type: 'm', n: 5 });
  expect(delta(before, await calls(), 'zadd')).toBe(0);
});

it('pushes only to other processes; both get every message in order, and a group with history stamps own members once', async () => {
  const history = [['hist.*', { size: 10, ttl: 60 }]] as const;
  const sender = layer({ history });
  const other = layer({ history });
  const mine = await sender.newChannel();
  const theirs = await other.newChannel();
  for (const group of ['room', 'hist.room']) {
    await sender.groupAdd(group, mine);
    await other.groupAdd(group, theirs);
  }
  const got: { mine: unknown[]; theirs: unknown[] } = { mine: [], theirs: [] };
  const read = async (l: RedisChannelLayer, channel: string, into: unknown[], count: number): Promise<void> => {
    for (let i = 0; i < count; i++) into.push(await l.receive(channel));
  };
  const reading = Promise.all([read(sender, mine, got.mine, 21), read(other, theirs, got.theirs, 21)]);
  for (let n = 1; n <= 20; n++) await sender.groupSend('room', { type: 'm', n });
  const stamped = await sender.groupSend('hist.room', { type: 'h' });
  await within(reading, 'every delivery');
  const expected = [...Array.from({ length: 20 }, (_, i) => ({ type: 'm', n: i + 1 })), { type: 'h', __offset__: 1, __epoch__: stamped.epoch }];
  expect(got.mine).toEqual(expected);
  expect(got.theirs).toEqual(expected);
  expect(stamped.offset).toBe(1);
  // Exactly once: nothing more for our own member.
  await sender.send(mine, { type: 'end' });
  expect(await within(sender.receive(mine), 'the end marker')).toEqual({ type: 'end' });
});

it('takes a batch of another process\'s messages per wake-up with one BZMPOP, none with BZPOPMIN or ZPOPMIN', async () => {
  const receiver = layer();
  const sender = layer();
  const channel = await receiver.newChannel();
  const first = receiver.receive(channel);
  await blockedPopLoop();
  const before = await calls();
  const sends = [];
  for (let n = 1; n <= 50; n++) sends.push(sender.send(channel, { type: 'm', n }));
  await Promise.all(sends);
  const got = [(await within(first, 'the first message')).n];
  for (let n = 2; n <= 50; n++) got.push((await within(receiver.receive(channel), `message ${n}`)).n);
  expect(got).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  const after = await calls();
  expect(delta(before, after, 'bzmpop')).toBeGreaterThan(0);
  expect(delta(before, after, 'bzmpop')).toBeLessThanOrEqual(50);
  expect(delta(before, after, 'bzpopmin') + delta(before, after, 'zpopmin')).toBe(0);
});

it('while Redis is down, a group send to own read members rejects with LayerUnavailable and delivers nowhere', async () => {
  const l = layer();
  const channel = await l.newChannel();
  await l.groupAdd('room', channel);
  const reading = l.receive(channel);
  reading.catch(() => undefined); // awaited below
  const down = nextEvent(l, 'disconnected');
  redis.process.kill('SIGKILL');
  await down;
  const error = await l.groupSend('room', { type: 'during' }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LayerUnavailable);
  // A direct send to an own read channel needs no Redis: it is delivered.
  await l.send(channel, { type: 'direct.during' });
  expect(await within(reading, 'the direct send during the outage')).toEqual({ type: 'direct.during' });
  const up = nextEvent(l, 'reconnected');
  redis = await startThrowawayRedis([], redis.port);
  raw!.destroy();
  raw = createClient({ url: redis.url });
  raw.on('error', () => undefined);
  await raw.connect();
  await up;
  await l.groupAdd('room', channel);
  const next = l.receive(channel);
  await l.groupSend('room', { type: 'after' });
  expect(await within(next, 'the group send after the outage')).toEqual({ type: 'after' });
});
