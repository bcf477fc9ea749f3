/**
 * The pub/sub layer's publishAck: 'written' mode: a groupSend to a group
 * without history resolves once the PUBLISH is written, own members have it
 * at once, other processes get it in the order sent, and a PUBLISH that fails
 * after the groupSend resolved is reported as a 'dropped' event, never as an
 * unhandled rejection. A paused (SIGSTOP) throwaway redis-server shows that
 * nothing waits for its reply.
 */
import { InvalidChannelLayerConfig, InvalidOption, LayerUnavailable } from '../../src/errors';
import type { ChannelLayer, ChannelLayerEvents } from '../../src/layers/channel-layer';
import { HISTORY_EPOCH_KEY, HISTORY_OFFSET_KEY } from '../../src/layers/history';
import { checkChannelLayerUrl, createChannelLayer } from '../../src/layers/registry';
import { RedisPubSubChannelLayer } from '../../src/layers/redis/redis-pubsub-channel-layer';
import { parseRedisLayerUrl } from '../../src/layers/redis/url-backend';
import { prefixPerTest } from '../helpers/redis-keys';
import { startThrowawayRedis, type ThrowawayRedis } from '../setup/redis-server';
import { nextEvent, within } from './redis-helpers';

const url = process.env.REDIS_URL!;
const prefix = prefixPerTest('puback', url);
const layers: ChannelLayer[] = [];
let redis: ThrowawayRedis | undefined;

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
beforeAll(() => process.on('unhandledRejection', onUnhandled));
afterAll(() => process.off('unhandledRejection', onUnhandled));

afterEach(async () => {
  redis?.process.kill('SIGCONT');
  await Promise.all(layers.splice(0).map((l) => l.close()));
  await redis?.stop();
  redis = undefined;
  // A promise that nobody handles is reported on a later turn: give it one before the check.
  await new Promise((r) => setImmediate(r));
  expect(unhandled).toEqual([]);
});

function track<L extends ChannelLayer>(layer: L): L {
  layers.push(layer);
  return layer;
}

/** Every 'dropped' event of `layer`, as it comes. */
function dropsOf(layer: ChannelLayer): Array<ChannelLayerEvents['dropped'][0]> {
  const seen: Array<ChannelLayerEvents['dropped'][0]> = [];
  layer.on('dropped', (info) => seen.push(info));
  return seen;
}

/** A layer on a throwaway server that declares a silent connection dead quickly. */
async function pausableLayer(options: ConstructorParameters<typeof RedisPubSubChannelLayer>[0] = {}): Promise<RedisPubSubChannelLayer> {
  redis ??= await startThrowawayRedis();
  const layer = track(
    new RedisPubSubChannelLayer({
      url: redis.url,
      prefix: prefix(),
      publishAck: 'written',
      // Long enough that a loaded machine does not declare the paused server dead before the checks that precede it.
      commandTimeout: 2000,
      connectTimeout: 1000,
      retryMinDelay: 50,
      retryMaxDelay: 200,
      liveness: false,
      ...options,
    }),
  );
  return layer;
}

describe("publishAck: 'written'", () => {
  it('resolves without Redis reply, own members have it at once; the in-flight PUBLISH lost with the connection is a dropped event; then LayerUnavailable', async () => {
    const layer = await pausableLayer({ history: [['hist.*', { size: 10 }]] });
    const mine = await layer.newChannel();
    await layer.groupAdd('room', mine);
    await layer.groupAdd('hist.room', mine);
    const drops = dropsOf(layer);
    const lost = nextEvent(layer, 'dropped');
    const down = nextEvent(layer, 'disconnected');

    redis!.process.kill('SIGSTOP');
    // A group with history waits for its offset from Redis: still pending below.
    let historySettled = false;
    const withHistory = layer.groupSend('hist.room', { type: 'h' }).then(
      () => (historySettled = true),
      (error: unknown) => {
        historySettled = true;
        return error;
      },
    );
    expect(await within(layer.groupSend('room', { type: 'm', n: 1 }), 'a groupSend with Redis paused')).toEqual({ dropped: 0 });
    expect(await within(layer.receive(mine), 'the own member')).toEqual({ type: 'm', n: 1 });
    expect(historySettled).toBe(false);

    // The watchdog declares the silent connection dead: the written PUBLISH failed in flight.
    const [info] = await lost;
    expect(info).toMatchObject({ group: 'room', count: 1 });
    expect(info.reason).toMatch(/in-flight PUBLISH failed/);
    await down;
    expect(drops.filter((d) => d.group === 'room')).toHaveLength(1);
    expect(await withHistory).toBeInstanceOf(LayerUnavailable);

    // Known down: refused on the spot, as in the default mode, and nobody got it.
    const refused = await layer.groupSend('room', { type: 'm', n: 2 }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(LayerUnavailable);
    expect((refused as LayerUnavailable).inFlight).toBe(false);
    const extra = await Promise.race([layer.receive(mine).then(() => 'more'), new Promise((r) => setTimeout(() => r('none'), 100))]);
    expect(extra).toBe('none');
  });

  it('while known down, the outage buffer holds the send and delivers it once Redis is back', async () => {
    const layer = await pausableLayer({ outageBuffer: { size: 10 } });
    const mine = await layer.newChannel();
    await layer.groupAdd('room', mine);
    const down = nextEvent(layer, 'disconnected');
    redis!.process.kill('SIGSTOP');
    // A command waiting on the silent server lets the watchdog declare it dead.
    void layer.groupMembers('room').catch(() => undefined);
    await down;
    const up = nextEvent(layer, 'reconnected');
    expect(await layer.groupSend('room', { type: 'held' })).toEqual({ dropped: 0, buffered: true });
    redis!.process.kill('SIGCONT');
    await up;
    expect(await within(layer.receive(mine), 'the held message')).toEqual({ type: 'held' });
  });

  it('keeps one sender’s order across processes over 1,000 sends; the sender skips its own echo', async () => {
    const p = prefix();
    const sender = track(new RedisPubSubChannelLayer({ url, prefix: p, publishAck: 'written', capacity: 2000 }));
    const other = track(new RedisPubSubChannelLayer({ url, prefix: p, capacity: 2000 }));
    const mine = await sender.newChannel();
    const theirs = await other.newChannel();
    await sender.groupAdd('room', mine);
    await other.groupAdd('room', theirs);
    const drops = [...dropsOf(sender), ...dropsOf(other)];
    for (let n = 0; n < 1000; n++) await sender.groupSend('room', { type: 'm', n });
    const local: number[] = [];
    const remote: number[] = [];
    for (let i = 0; i < 1000; i++) local.push((await sender.receive(mine)).n as number);
    for (let i = 0; i < 1000; i++) remote.push((await within(other.receive(theirs), `remote message ${i}`)).n as number);
    const expected = Array.from({ length: 1000 }, (_, n) => n);
    expect(local).toEqual(expected);
    expect(remote).toEqual(expected);
    const extra = await Promise.race([sender.receive(mine).then(() => 'more'), new Promise((r) => setTimeout(() => r('none'), 200))]);
    expect(extra).toBe('none');
    expect(drops).toEqual([]);
  });

  it('named members still get the message (pushed in the background); a full one is a dropped event', async () => {
    const p = prefix();
    const sender = track(new RedisPubSubChannelLayer({ url, prefix: p, publishAck: 'written', capacity: 1 }));
    const worker = track(new RedisPubSubChannelLayer({ url, prefix: p, capacity: 1 }));
    await sender.groupAdd('jobs', 'worker.a');
    await sender.groupAdd('jobs', 'worker.b');
    await sender.send('worker.b', { type: 'filler' });
    const dropped = nextEvent(sender, 'dropped');
    expect(await sender.groupSend('jobs', { type: 'job' })).toEqual({ dropped: 0 });
    expect(await within(worker.receive('worker.a'), 'the named member')).toEqual({ type: 'job' });
    const [info] = await dropped;
    expect(info).toMatchObject({ group: 'jobs', count: 1, reason: 'channel full' });
    expect(await within(worker.receive('worker.b'), 'the full member')).toEqual({ type: 'filler' });
  });

  it('a group with history still carries offset and epoch', async () => {
    const p = prefix();
    const sender = track(new RedisPubSubChannelLayer({ url, prefix: p, publishAck: 'written', history: [['hist.*', { size: 10 }]] }));
    const other = track(new RedisPubSubChannelLayer({ url, prefix: p, history: [['hist.*', { size: 10 }]] }));
    const theirs = await other.newChannel();
    await other.groupAdd('hist.room', theirs);
    const result = await sender.groupSend('hist.room', { type: 'h' });
    expect(result).toMatchObject({ dropped: 0, offset: expect.any(Number), epoch: expect.any(String) });
    const got = await within(other.receive(theirs), 'the history message');
    expect(got).toMatchObject({ type: 'h', [HISTORY_OFFSET_KEY]: result.offset, [HISTORY_EPOCH_KEY]: result.epoch });
  });

  it('is refused when misspelt, and read from a layer URL (pub/sub only)', async () => {
    expect(() => new RedisPubSubChannelLayer({ url, publishAck: 'sent' as never })).toThrow(InvalidOption);
    expect(track(new RedisPubSubChannelLayer({ url, prefix: prefix(), liveness: false })).publishAck).toBe('reply');
    expect(parseRedisLayerUrl(new URL('redis+pubsub://h:1?publishAck=written'))).toMatchObject({ pubsub: true, publishAck: 'written' });
    expect(() => checkChannelLayerUrl('redis+pubsub://h:1?publishAck=later')).toThrow(InvalidChannelLayerConfig);
    expect(() => createChannelLayer('redis://h:1?publishAck=written')).toThrow(/publishAck needs the pub\/sub layer/);
    const host = new URL(url).host;
    const fromUrl = track(createChannelLayer(`redis+pubsub://${host}?prefix=${prefix()}&publishAck=written`) as RedisPubSubChannelLayer);
    expect(fromUrl.publishAck).toBe('written');
  });
});
