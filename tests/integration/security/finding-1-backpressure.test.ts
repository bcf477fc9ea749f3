/**
 * Finding 1 of the security review: backpressure must hold however the
 * application wraps `receive`. A consumer behind RateLimitMiddleware (or a
 * user's own wrapper) pulls client events instead of taking them by push;
 * it used to pull every frame into its own unbounded queue, so the server
 * never paused the client. Now the pull stops at the consumer's bound and
 * the server's `maxQueuedMessages` pauses the socket.
 */
import { WebSocket } from 'ws';
import type { Application, Receive } from '../../../src/application';
import { WebsocketConsumer } from '../../../src/consumers';
import { RateLimitMiddleware } from '../../../src/middleware/rate-limit';
import { closeAll, connectClient, deferred, startServer, withTimeout } from '../../helpers';

afterEach(closeAll);

/** A user's wrapper written the documented way (BaseMiddleware docs: wrap receive in `call`), counting what it pulls. */
function countingWrapper(inner: Application, counter: { pulled: number }): Application {
  return (scope, receive, send) => {
    const counted: Receive = async () => {
      const event = await receive();
      counter.pulled++;
      return event;
    };
    return inner(scope, counted, send);
  };
}

const wrappers: Array<[string, (app: Application) => Application]> = [
  ['RateLimitMiddleware', (app) => RateLimitMiddleware(app, { messagesPerSecond: 1e6, burst: 1e6 })],
  ['a user wrapper', (app) => app],
];

describe('finding 1: backpressure behind a middleware that wraps receive', () => {
  it.each(wrappers)('a flooding client is paused behind %s, then resumed; the consumer reads a bounded number ahead', async (_name, wrap) => {
    const BOUND = 16;
    const MAX_FRAMES = 4_000; // 8 KiB each: 32 MiB if nothing pushed back
    const pauses = deferred();
    const resumes = deferred();
    const { pause: realPause, resume: realResume } = WebSocket.prototype;
    const pause = jest.spyOn(WebSocket.prototype, 'pause').mockImplementation(function (this: WebSocket) {
      pauses.resolve();
      realPause.call(this);
    });
    const resume = jest.spyOn(WebSocket.prototype, 'resume').mockImplementation(function (this: WebSocket) {
      resumes.resolve();
      realResume.call(this);
    });
    const gate = deferred();
    let handled = 0;
    let expected = -1;
    const all = deferred();
    class Slow extends WebsocketConsumer {
      static override maxClientBacklog = BOUND;
      override async receive(text?: string): Promise<void> {
        await gate.promise;
        if (Number(String(text).split(':')[0]) !== handled) throw new Error(`out of order: ${text?.slice(0, 10)}`);
        handled++;
        if (handled === expected) all.resolve();
      }
    }
    const counter = { pulled: 0 };
    try {
      const server = await startServer(countingWrapper(wrap(Slow.asApp()), counter), { maxQueuedMessages: 8 });
      const client = await connectClient(`${server.url}/ws/`);
      const payload = 'x'.repeat(8 * 1024);
      // Flood until the client itself is blocked (its socket buffer backs up), bounded in count:
      // that happens only if the server stopped reading.
      let sent = 0;
      while (sent < MAX_FRAMES && client.ws.bufferedAmount < 1024 * 1024) {
        for (let i = 0; i < 64; i++) client.send(`${sent++}:${payload}`);
        await new Promise((resolve) => setImmediate(resolve));
      }
      expected = sent;
      // The handler is stuck on the first frame: the server must have paused the socket ...
      await withTimeout(pauses.promise, 5_000, 'the server to pause the flooding client');
      // ... and the consumer read only connect + its backlog bound (+1 in the pump's hand), not the flood.
      expect(sent).toBeLessThan(MAX_FRAMES);
      expect(counter.pulled).toBeLessThanOrEqual(BOUND + 2);
      gate.resolve();
      await withTimeout(resumes.promise, 5_000, 'the server to resume the client');
      await withTimeout(all.promise, 30_000, `all ${sent} frames to be handled`);
      expect(handled).toBe(sent);
    } finally {
      pause.mockRestore();
      resume.mockRestore();
    }
  });
});
