/**
 * Finding 9 of the security review: handshake edge cases. RFC 6455 requires
 * HTTP/1.1 and a Host header; a partial request head gets the documented 408
 * at the header timeout; Sec-WebSocket-Protocol parsing is linear and capped.
 */
import { MAX_SUBPROTOCOLS, parseSubprotocols } from '../../../src/server/request-scope';
import { closeAll, echoApp, handshakeRequest, rawConnect, startServer } from '../../helpers';

afterEach(closeAll);

async function answer(request: string, options = {}): Promise<{ status: number; body: string }> {
  const server = await startServer(echoApp, options);
  const raw = await rawConnect(server.port);
  raw.write(request);
  const head = await raw.readHttpHead();
  return { status: head.status, body: head.body };
}

describe('finding 9: handshake edge cases', () => {
  it('an upgrade without Host is refused with 400', async () => {
    expect(await answer(handshakeRequest('/ws/', { Host: null }))).toEqual({ status: 400, body: 'Missing Host header\n' });
  });

  it('an HTTP/1.0 upgrade is refused with 400', async () => {
    const request = handshakeRequest('/ws/').replace('HTTP/1.1', 'HTTP/1.0');
    expect(await answer(request)).toEqual({ status: 400, body: 'WebSocket handshakes need HTTP/1.1 or later\n' });
  });

  it('a well-formed upgrade still gets 101', async () => {
    expect((await answer(handshakeRequest('/ws/'))).status).toBe(101);
  });

  it('a partial request head gets 408 at headersTimeout, even when idleSocketTimeout is shorter', async () => {
    const server = await startServer(echoApp, { headersTimeout: 400, idleSocketTimeout: 150 });
    const raw = await rawConnect(server.port);
    raw.write('GET /ws/ HTTP/1.1\r\nHost: 127.0.0.1\r\n'); // never finished
    await raw.waitClosed();
    expect(raw.buffered.toString('latin1')).toMatch(/^HTTP\/1\.1 408/);
  });

  it('a connection that sends nothing is still closed at idleSocketTimeout', async () => {
    const server = await startServer(echoApp, { headersTimeout: 5_000, idleSocketTimeout: 150 });
    const raw = await rawConnect(server.port);
    await raw.waitClosed(2_000);
    expect(raw.buffered.length).toBe(0);
  });

  it(`Sec-WebSocket-Protocol: more than ${MAX_SUBPROTOCOLS} entries get 400, ${MAX_SUBPROTOCOLS} are accepted`, async () => {
    const names = (n: number): string => Array.from({ length: n }, (_, i) => `p${i}`).join(', ');
    expect((await answer(handshakeRequest('/ws/', { 'Sec-WebSocket-Protocol': names(MAX_SUBPROTOCOLS + 1) }))).status).toBe(400);
    expect((await answer(handshakeRequest('/ws/', { 'Sec-WebSocket-Protocol': names(MAX_SUBPROTOCOLS) }))).status).toBe(101);
  });

  it('parseSubprotocols stops at the cap without reading the rest, and still refuses duplicates', () => {
    const huge = Array.from({ length: 100_000 }, () => 'a').join(',');
    expect(parseSubprotocols(huge)).toBeNull();
    expect(parseSubprotocols('a, b, a')).toBeNull();
    expect(parseSubprotocols('chat, bearer, x.y-z')).toEqual(['chat', 'bearer', 'x.y-z']);
  });
});
