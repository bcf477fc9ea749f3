import type { Application, Event } from '../../../src/application';
import { CloseCode } from '../../../src/close-codes';
import { InvalidOption } from '../../../src/errors';
import { RATE_LIMITED_FRAME, RateLimitMiddleware, TokenBucket, type RateLimitOptions } from '../../../src/middleware/rate-limit';
import { WebsocketCommunicator } from '../../../src/testing/websocket-communicator';

const clock = { now: 1_000 };
const now = () => clock.now;

/** Echoes every text frame; records the events it saw and whether its disconnect ran. */
function echo(events: Event[]): Application {
  return async (scope, receive, send) => {
    await receive();
    await send({ type: 'websocket.accept' });
    for (;;) {
      const event = await receive();
      events.push(event);
      if (event.type === 'websocket.disconnect') {
        await send({ type: 'websocket.send', text: 'bye' }); // dropped: the socket is closed
        return;
      }
      await send({ type: 'websocket.send', text: String(event.text) });
    }
  };
}

async function open(options: Partial<RateLimitOptions>, events: Event[] = []) {
  const comm = new WebsocketCommunicator(RateLimitMiddleware(echo(events), { messagesPerSecond: 2, burst: 3, now, ...options }), '/');
  expect((await comm.connect()).connected).toBe(true);
  return comm;
}

describe('TokenBucket', () => {
  it('allows a burst, then refills at the rate, never above capacity', () => {
    const bucket = new TokenBucket(2, 3, 0);
    expect([bucket.take(0), bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([true, true, true, false]);
    expect(bucket.take(499)).toBe(false);
    expect(bucket.take(500)).toBe(true);
    expect(bucket.take(10_000)).toBe(true); // refilled to 3, took 1
    expect([bucket.take(10_000), bucket.take(10_000), bucket.take(10_000)]).toEqual([true, true, false]);
  });
});

describe('RateLimitMiddleware', () => {
  beforeEach(() => {
    clock.now = 1_000;
  });

  it('close mode: over the limit closes with 1008 and the inner app gets websocket.disconnect', async () => {
    const events: Event[] = [];
    const comm = await open({}, events);
    for (const text of ['a', 'b', 'c']) {
      await comm.sendTo({ text });
      expect(await comm.receiveFrom()).toBe(text);
    }
    await comm.sendTo({ text: 'd' });
    expect(await comm.receiveClose()).toEqual({ code: CloseCode.POLICY_VIOLATION, reason: 'rate limit exceeded' });
    await comm.wait();
    expect(events.map((e) => e.type)).toEqual(['websocket.receive', 'websocket.receive', 'websocket.receive', 'websocket.disconnect']);
    expect(events[3]).toMatchObject({ code: 1008 });
    expect(await comm.receiveNothing(20)).toBe(true); // the 'bye' after disconnect went nowhere
  });

  it('refills over time on the monotonic clock', async () => {
    const comm = await open({});
    for (let i = 0; i < 3; i++) {
      await comm.sendTo({ text: String(i) });
      await comm.receiveFrom();
    }
    clock.now += 500; // one token back at 2/s
    await comm.sendTo({ text: 'later' });
    expect(await comm.receiveFrom()).toBe('later');
    await comm.disconnect();
  });

  it('error-frame mode: drops frames over the limit and sends throttled error frames', async () => {
    const events: Event[] = [];
    const comm = await open({ onLimit: 'error-frame', errorFrameIntervalMs: 1000 }, events);
    for (const text of ['a', 'b', 'c', 'd', 'e', 'f']) await comm.sendTo({ text });
    expect([await comm.receiveFrom(), await comm.receiveFrom(), await comm.receiveFrom()]).toEqual(['a', 'b', 'c']);
    expect(JSON.parse((await comm.receiveFrom()) as string)).toEqual({ type: 'error', code: 'ERR_RATE_LIMITED', detail: 'rate limit exceeded' });
    expect(await comm.receiveNothing(20)).toBe(true); // e and f dropped, no second error frame
    clock.now += 1000; // two tokens back, and the error throttle reopens
    for (const text of ['g', 'h', 'i']) await comm.sendTo({ text });
    expect([await comm.receiveFrom(), await comm.receiveFrom(), await comm.receiveFrom()]).toEqual(['g', 'h', RATE_LIMITED_FRAME]);
    await comm.disconnect();
    expect(events.filter((e) => e.type === 'websocket.receive').map((e) => e.text)).toEqual(['a', 'b', 'c', 'g', 'h']);
  });

  it('counts each connection separately', async () => {
    const a = await open({});
    const b = await open({});
    for (let i = 0; i < 3; i++) await a.sendTo({ text: 'a' });
    await a.sendTo({ text: 'over' });
    for (let i = 0; i < 3; i++) await b.sendTo({ text: 'b' });
    for (let i = 0; i < 3; i++) expect(await b.receiveFrom()).toBe('b');
    for (let i = 0; i < 3; i++) await a.receiveFrom();
    expect((await a.receiveClose()).code).toBe(1008);
    await b.disconnect();
  });

  it('passes http scopes through', async () => {
    const { HttpCommunicator } = await import('../../../src/testing/http-communicator');
    const app = RateLimitMiddleware(async (scope, receive, send) => {
      await receive();
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body' });
    }, { messagesPerSecond: 1 });
    expect((await new HttpCommunicator(app, 'GET', '/').getResponse()).status).toBe(200);
  });

  it('checks its options', () => {
    const inner: Application = async () => {};
    expect(() => RateLimitMiddleware(inner, { messagesPerSecond: 0 })).toThrow(InvalidOption);
    expect(() => RateLimitMiddleware(inner, { messagesPerSecond: 1, burst: 0.5 })).toThrow(/burst/);
    expect(() => RateLimitMiddleware(inner, { messagesPerSecond: 1, onLimit: 'drop' as never })).toThrow(/onLimit/);
  });
});
