/**
 * Finding 4 of the security review: no token reaches an error hook or a
 * log. The token middleware strips the token from the scope it passes
 * inward; the server's own scope still holds it, so the server redacts every
 * scope it hands to `onError`.
 */
import jwt from 'jsonwebtoken';
import type { Application, Scope } from '../../../src/application';
import { TokenAuthMiddleware } from '../../../src/middleware/token-auth-middleware';
import { createServer } from '../../../src/server/server';
import { REDACTED, redactScope } from '../../../src/server/redact-scope';
import { redactQueryString, redactSubprotocols } from '../../../src/logging/redact';
import { closeAll, connectClient, deferred, registerCloser, tryConnect } from '../../helpers';

afterEach(closeAll);

const SECRET = 'finding-4-secret';
const token = jwt.sign({ sub: 'alice' }, SECRET, { expiresIn: 600 });

/** A server whose inner application fails after accept (`when: 'open'`) or during the handshake (`'handshake'`). */
async function failingServer(when: 'open' | 'handshake', options: { queryParam?: string; subprotocol?: string } = {}) {
  const reported = deferred<{ error: unknown; scope: Scope | null }>();
  const inner: Application = async (_scope, receive, send) => {
    await receive();
    if (when === 'handshake') throw new Error('boom before accept');
    await send({ type: 'websocket.accept' });
    await receive();
    throw new Error('boom after accept');
  };
  const server = createServer(TokenAuthMiddleware(inner, { secret: SECRET, ...options }), {
    closeLayers: false,
    onError: (error, scope) => reported.resolve({ error, scope }),
  });
  const { port } = await server.listen(0, '127.0.0.1');
  registerCloser(() => server.close({ timeoutMs: 2_000 }));
  return { url: `ws://127.0.0.1:${port}`, reported };
}

describe('finding 4: tokens never reach onError', () => {
  it.each([
    ['the token query parameter', { path: `/ws/?room=1&token=${token}`, connect: {} }, {}],
    ['a custom query parameter', { path: `/ws/?auth=${encodeURIComponent(token)}`, connect: {} }, { queryParam: 'auth' }],
    ['the bearer subprotocol', { path: '/ws/', connect: { protocols: ['chat', 'bearer', token] } }, {}],
    ['a custom subprotocol marker', { path: '/ws/', connect: { protocols: ['jwt', token] } }, { subprotocol: 'jwt' }],
    ['the Authorization header', { path: '/ws/', connect: { headers: { authorization: `Bearer ${token}`, cookie: `sid=${token}` } } }, {}],
  ])('after accept: %s is redacted from the scope the hook gets', async (_name, request, options) => {
    const { url, reported } = await failingServer('open', options);
    const client = await connectClient(`${url}${request.path}`, request.connect);
    client.send('fail now');
    const { error, scope } = await reported.promise;
    expect((error as Error).message).toBe('boom after accept');
    expect(scope).not.toBeNull();
    expect(JSON.stringify(scope)).not.toContain(token);
    expect(JSON.stringify(scope)).toContain(REDACTED);
    await client.closed();
  });

  it('a 500 during the handshake reports a redacted scope too', async () => {
    const { url, reported } = await failingServer('handshake');
    const outcome = await tryConnect(`${url}/ws/?token=${token}`, { protocols: ['bearer', token] });
    expect(outcome.ok ? 101 : outcome.status).toBe(500);
    const { scope } = await reported.promise;
    expect(JSON.stringify(scope)).not.toContain(token);
  });

  it('redactScope keeps everything else as it was', () => {
    const scope = {
      type: 'websocket',
      path: '/ws/',
      queryString: 'room=1&token=abc&x',
      subprotocols: ['chat', 'bearer', 'abc'],
      headers: { host: 'h', authorization: 'Bearer abc', 'sec-websocket-protocol': 'chat, bearer, abc' },
    } as unknown as Scope;
    expect(redactScope(scope)).toEqual({
      type: 'websocket',
      path: '/ws/',
      queryString: `room=1&token=${REDACTED}&x`,
      subprotocols: ['chat', 'bearer', REDACTED],
      headers: { host: 'h', authorization: REDACTED, 'sec-websocket-protocol': `chat, bearer, ${REDACTED}` },
    });
    expect((scope as { queryString: string }).queryString).toBe('room=1&token=abc&x');
  });

  it('names a TokenAuthMiddleware is configured with are redacted in hooks and log lines alike', () => {
    TokenAuthMiddleware((() => undefined) as unknown as Application, { verify: () => ({}), queryParam: 'ticket', subprotocol: 'x-key' });
    const scope = { type: 'websocket', queryString: 'ticket=s3cr3t&room=1', subprotocols: ['chat', 'x-key', 's3cr3t'], headers: {} } as unknown as Scope;
    expect(JSON.stringify(redactScope(scope))).not.toContain('s3cr3t');
    expect(redactQueryString('ticket=s3cr3t&room=1')).toBe(`ticket=${REDACTED}&room=1`);
    expect(redactSubprotocols(['chat', 'x-key', 's3cr3t'])).toEqual(['chat', 'x-key', REDACTED]);
  });
});
