/**
 * Refused handshakes are logged with their reason at `debug` (one switch:
 * `logLevel`, SWITCHYARD_LOG, or a pino logger's level), never at the
 * default level, and never with a token.
 */
import { Writable } from 'node:stream';
import jwt from 'jsonwebtoken';
import pino from 'pino';
import { WebsocketConsumer } from '../../src/consumers/websocket-consumer';
import { createLogger } from '../../src/logging/line-logger';
import { setLogger } from '../../src/logging/process-logger';
import { OriginValidator } from '../../src/middleware/origin-validator';
import { TokenAuthMiddleware } from '../../src/middleware/token-auth-middleware';
import { URLRouter, path } from '../../src/routing/url-router';
import type { ServerOptions } from '../../src/server/options';
import { closeAll, connectClient, startServer, tryConnect } from '../helpers';

const SECRET = 'test-secret-of-enough-length-for-hs256';
const ORIGIN = { Origin: 'http://localhost' };

class EchoConsumer extends WebsocketConsumer {
  override async connect(): Promise<void> {
    await this.accept();
  }
}

/** Forgets to call accept() in connect(): the handshake times out. */
class ForgetfulConsumer extends WebsocketConsumer {
  override async connect(): Promise<void> {
    // (no accept)
  }
}

const app = OriginValidator(
  TokenAuthMiddleware(URLRouter([path('ws/echo/', EchoConsumer.asApp()), path('ws/forgot/', ForgetfulConsumer.asApp())]), { secret: SECRET }),
  ['http://localhost'],
);

function capture(): { stream: { write(chunk: string): boolean }; lines: () => string[] } {
  let text = '';
  return { stream: { write: (chunk: string) => ((text += chunk), true) }, lines: () => text.split('\n').filter(Boolean) };
}

async function debugServer(extra: ServerOptions = {}) {
  const out = capture();
  const server = await startServer(app, { logger: createLogger({ stream: out.stream, level: 'debug', env: {} }), ...extra });
  return { server, refusals: () => out.lines().filter((line) => line.includes('handshake refused')) };
}

const good = jwt.sign({ sub: 'alice' }, SECRET, { algorithm: 'HS256' });
const forged = jwt.sign({ sub: 'mallory' }, 'another-secret-of-enough-length', { algorithm: 'HS256' });

afterEach(closeAll);

describe('refused handshakes at debug level', () => {
  it('name the origin, the route, the auth failure and the over-limit refusal', async () => {
    const { server, refusals } = await debugServer({ maxConnections: 2 });
    const base = `${server.url}/ws`;

    const noOrigin = await tryConnect(`${base}/echo/?token=${good}`);
    expect(noOrigin.ok ? 0 : noOrigin.status).toBe(403);
    const noRoute = await tryConnect(`${base}/nowhere/?token=${good}`, { headers: ORIGIN });
    expect(noRoute.ok ? 0 : noRoute.status).toBe(404);
    const badToken = await tryConnect(`${base}/echo/?token=${forged}`, { headers: ORIGIN });
    expect(badToken.ok ? 0 : badToken.status).toBe(401);
    const badSubprotocol = await tryConnect(`${base}/echo/`, { headers: ORIGIN, protocols: ['bearer', forged] });
    expect(badSubprotocol.ok ? 0 : badSubprotocol.status).toBe(401);

    const first = await connectClient(`${base}/echo/?token=${good}`, { headers: ORIGIN });
    const second = await connectClient(`${base}/echo/?token=${good}`, { headers: ORIGIN });
    const busy = await tryConnect(`${base}/echo/?token=${good}`, { headers: ORIGIN });
    expect(busy.ok ? 0 : busy.status).toBe(503);
    first.close();
    second.close();

    const lines = refusals();
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/^\[switchyard\] DEBUG handshake refused with 403: origin: origin \(missing\) is not allowed .*kind=origin code=ERR_ORIGIN_REJECTED/);
    expect(lines[0]).toMatch(/ conn=\d+ /);
    expect(lines[1]).toMatch(/handshake refused with 404: route not found: no route found for path "\/ws\/nowhere\/" .*kind=route/);
    expect(lines[2]).toMatch(/handshake refused with 401: auth: token rejected: invalid signature .*kind=auth code=ERR_AUTHENTICATION_FAILED/);
    expect(lines[3]).toMatch(/handshake refused with 401: auth: .* subprotocols=\["bearer","\*\*\*"\]/);
    expect(lines[4]).toMatch(/handshake refused with 503: over limits: server is at its connection limit \(2\) .*code=ERR_SERVER_BUSY/);
    // Never a token: not from the query, not from the subprotocol offer.
    for (const line of lines) {
      expect(line).not.toContain(forged.split('.')[2]);
      expect(line).not.toContain(good.split('.')[2]);
    }
  });

  it('name the consumer that did not call accept() when the handshake times out', async () => {
    const { server, refusals } = await debugServer({ handshakeTimeout: 200 });
    const outcome = await tryConnect(`${server.url}/ws/forgot/?token=${good}`, { headers: ORIGIN });
    expect(outcome.ok ? 0 : outcome.status).toBe(504);
    expect(refusals()).toEqual([
      expect.stringMatching(/handshake refused with 504: timeout: ForgetfulConsumer did not call accept\(\) or deny within 200 ms \(handshakeTimeout\) .*kind=timeout/),
    ]);
  });

  it('share the connection id with the application error line of the same connection', async () => {
    const out = capture();
    const failing = async (): Promise<void> => {
      throw new TypeError('broken before accept');
    };
    // No onError: the default one logs through the server's logger.
    const { createServer } = await import('../../src/server/server');
    const server = createServer(failing, { closeLayers: false, logger: createLogger({ stream: out.stream, level: 'debug', format: 'json', env: {} }) });
    const { port } = await server.listen(0, '127.0.0.1');
    try {
      const outcome = await tryConnect(`ws://127.0.0.1:${port}/ws/x/?token=${good}`);
      expect(outcome.ok ? 0 : outcome.status).toBe(500);
    } finally {
      await server.close({ timeoutMs: 1_000 });
    }
    const records = out.lines().map((line) => JSON.parse(line) as Record<string, any>);
    const error = records.find((r) => r.msg === 'application error')!;
    const refusal = records.find((r) => String(r.msg).startsWith('handshake refused with 500: the application failed before accepting (TypeError'))!;
    expect(error).toMatchObject({ level: 50, err: { type: 'TypeError', message: 'broken before accept' }, scope: { type: 'websocket', path: '/ws/x/', query: 'token=***' } });
    expect(refusal.kind).toBe('error');
    expect(error.conn).toEqual(expect.any(Number));
    expect(refusal.conn).toBe(error.conn);
    expect(out.lines().join('\n')).not.toContain(good.split('.')[2]);
  });

  it('are not logged at the default level', async () => {
    const out = capture();
    const server = await startServer(app, { logger: createLogger({ stream: out.stream, env: {} }) });
    const outcome = await tryConnect(`${server.url}/ws/echo/`);
    expect(outcome.ok ? 0 : outcome.status).toBe(403);
    expect(out.lines().filter((line) => line.includes('handshake refused'))).toEqual([]);
  });

  it('are logged when SWITCHYARD_LOG=debug, with no logging option at all', async () => {
    const saved = process.env.SWITCHYARD_LOG;
    const written: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      process.env.SWITCHYARD_LOG = 'debug';
      setLogger(null); // the built-in process logger re-reads SWITCHYARD_LOG
      const { createServer } = await import('../../src/server/server');
      const server = createServer(app, { closeLayers: false });
      const { port } = await server.listen(0, '127.0.0.1');
      try {
        const outcome = await tryConnect(`ws://127.0.0.1:${port}/ws/echo/`);
        expect(outcome.ok ? 0 : outcome.status).toBe(403);
      } finally {
        await server.close({ timeoutMs: 1_000 });
      }
    } finally {
      spy.mockRestore();
      if (saved === undefined) delete process.env.SWITCHYARD_LOG;
      else process.env.SWITCHYARD_LOG = saved;
      setLogger(null);
    }
    expect(written.join('')).toMatch(/\[switchyard\] DEBUG handshake refused with 403: origin: origin \(missing\) is not allowed/);
  });

  it('go through a pino logger given as is, as JSON records with the connection id', async () => {
    const records: Array<Record<string, unknown>> = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) records.push(JSON.parse(line));
        done();
      },
    });
    const server = await startServer(app, { logger: pino({ level: 'debug' }, destination) });
    const outcome = await tryConnect(`${server.url}/ws/echo/?token=${forged}`, { headers: ORIGIN });
    expect(outcome.ok ? 0 : outcome.status).toBe(401);
    const refusal = records.find((record) => String(record.msg).startsWith('handshake refused'));
    expect(refusal).toMatchObject({ level: 20, status: 401, kind: 'auth', conn: expect.any(Number), path: '/ws/echo/', query: 'token=***' });
    expect(JSON.stringify(records)).not.toContain(forged.split('.')[2]);
    expect(records.some((record) => String(record.msg).startsWith('listening on http://127.0.0.1:'))).toBe(true);
  });
});
