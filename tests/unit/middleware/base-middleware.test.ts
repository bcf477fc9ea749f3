import type { Application, Scope } from '../../../src/application';
import { InvalidOption, OriginRejected } from '../../../src/errors';
import { BaseMiddleware, type ScopeAdditions } from '../../../src/middleware/base-middleware';
import { CookieMiddleware } from '../../../src/middleware/cookie-middleware';
import { HttpCommunicator } from '../../../src/testing/http-communicator';
import { WebsocketCommunicator } from '../../../src/testing/websocket-communicator';
import { reporter } from './apps';

class TenantMiddleware extends BaseMiddleware {
  constructor(inner: Application, readonly suffix: string) {
    super(inner);
  }
  protected override extendScope(scope: Scope): ScopeAdditions {
    const host = (scope as { headers: Record<string, string> }).headers.host ?? '';
    if (host === 'evil.test') throw new OriginRejected(host);
    return { tenant: host.split('.')[0] + this.suffix };
  }
}

describe('BaseMiddleware', () => {
  it('copies the scope and only adds keys; the caller scope is untouched', async () => {
    const seen: Scope[] = [];
    const app = TenantMiddleware.wrap(reporter((s) => s.tenant, seen), '-t');
    const comm = new WebsocketCommunicator(app, '/ws/', { headers: { host: 'acme.example.com' } });
    expect((await comm.connect()).connected).toBe(true);
    expect(await comm.receiveJsonFrom()).toBe('acme-t');
    expect(seen[0]).not.toBe(comm.scope);
    expect(comm.scope.tenant).toBeUndefined();
    expect(seen[0].path).toBe('/ws/');
    await comm.disconnect();
  });

  it('keeps no per-connection state: concurrent connections see their own keys', async () => {
    const app = new TenantMiddleware(reporter((s) => s.tenant), '').asApp();
    const a = new WebsocketCommunicator(app, '/', { headers: { host: 'a.example.com' } });
    const b = new WebsocketCommunicator(app, '/', { headers: { host: 'b.example.com' } });
    await Promise.all([a.connect(), b.connect()]);
    expect(await a.receiveJsonFrom()).toBe('a');
    expect(await b.receiveJsonFrom()).toBe('b');
    await Promise.all([a.disconnect(), b.disconnect()]);
  });

  it('asApp() returns the same function every time', () => {
    const mw = new TenantMiddleware(reporter(() => 1), '');
    expect(mw.asApp()).toBe(mw.asApp());
  });

  it('refuses the handshake with the status of the error thrown before inner', async () => {
    let innerCalled = false;
    const app = TenantMiddleware.wrap(async () => void (innerCalled = true), '');
    const comm = new WebsocketCommunicator(app, '/', { headers: { host: 'evil.test' } });
    const result = await comm.connect();
    expect(result).toMatchObject({ connected: false, status: 403 });
    expect((result as { error?: { code?: string } }).error?.code).toBe('ERR_ORIGIN_REJECTED');
    expect(innerCalled).toBe(false);
  });

  it('rejects a missing inner application with InvalidOption naming the middleware', () => {
    expect(() => CookieMiddleware(undefined as unknown as Application)).toThrow(InvalidOption);
    expect(() => CookieMiddleware(undefined as unknown as Application)).toThrow(/^CookieMiddleware needs the application it wraps/);
  });

  it('works for http scopes too', async () => {
    const app = TenantMiddleware.wrap(async (scope, receive, send) => {
      await receive();
      await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'text/plain']] });
      await send({ type: 'http.response.body', body: new TextEncoder().encode(String(scope.tenant)) });
    }, '!');
    const comm = new HttpCommunicator(app, 'GET', '/', { headers: { host: 'shop.example.com' } });
    const response = await comm.getResponse();
    expect(response.status).toBe(200);
    expect(Buffer.from(response.body).toString()).toBe('shop!');
  });
});
