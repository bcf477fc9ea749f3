import type { Application, Scope } from '../../../src/application';
import { InvalidOption, MiddlewareOrderError } from '../../../src/errors';
import {
  AnonymousUser,
  AuthMiddleware,
  AuthMiddlewareStack,
  isAuthenticated,
  login,
  logout,
} from '../../../src/middleware/auth-middleware';
import { CookieMiddleware } from '../../../src/middleware/cookie-middleware';
import type { Session } from '../../../src/middleware/scope-session';
import { WebsocketCommunicator } from '../../../src/testing/websocket-communicator';
import { reporter } from './apps';
import { SECRET, startExpress, type ExpressFixture } from './express-fixture';

/** Accepts; a text frame `login:<name>` logs in, `logout` logs out; replies with scope.user. */
const loginApp: Application = async (scope, receive, send) => {
  await receive();
  await send({ type: 'websocket.accept' });
  for (;;) {
    const event = await receive();
    if (event.type === 'websocket.disconnect') return;
    const text = String(event.text);
    if (text.startsWith('login:')) await login(scope, { name: text.slice(6) });
    if (text === 'logout') await logout(scope);
    await send({ type: 'websocket.send', text: JSON.stringify({ user: scope.user, authenticated: isAuthenticated(scope.user) }) });
  }
};

describe('AuthMiddleware / AuthMiddlewareStack', () => {
  let web: ExpressFixture;
  beforeEach(async () => {
    web = await startExpress();
  });
  afterEach(async () => {
    await web.close();
  });

  it('a user who logged in through express is the same user on the websocket', async () => {
    const cookie = await web.login('ada');
    const app = AuthMiddlewareStack(reporter((s) => ({ user: s.user, ok: isAuthenticated(s.user) })), { store: web.store, secret: SECRET });
    const comm = new WebsocketCommunicator(app, '/ws/', { headers: { cookie } });
    await comm.connect();
    expect(await comm.receiveJsonFrom()).toEqual({ user: { name: 'ada' }, ok: true });
    await comm.disconnect();
  });

  it('no cookie or a forged one: an AnonymousUser', async () => {
    const seen: Scope[] = [];
    const app = AuthMiddlewareStack(reporter(() => null, seen), { store: web.store, secret: SECRET });
    for (const headers of [{}, { cookie: 'connect.sid=s%3Aabc.forgedsignature' }] as Array<Record<string, string>>) {
      const comm = new WebsocketCommunicator(app, '/', { headers });
      await comm.connect();
      await comm.receiveJsonFrom();
      await comm.disconnect();
    }
    expect(seen).toHaveLength(2);
    for (const scope of seen) {
      expect(scope.user).toBeInstanceOf(AnonymousUser);
      expect(isAuthenticated(scope.user)).toBe(false);
    }
  });

  it('deserializeUser turns the stored value into the user; null means anonymous', async () => {
    const cookie = await web.login('ada');
    const users = new Map([['ada', { id: 'ada', admin: true }]]);
    const app = (known: boolean) =>
      AuthMiddlewareStack(reporter((s) => s.user), {
        store: web.store,
        secret: SECRET,
        deserializeUser: async (stored) => (known ? users.get((stored as { name: string }).name) : null),
      });
    const a = new WebsocketCommunicator(app(true), '/', { headers: { cookie } });
    await a.connect();
    expect(await a.receiveJsonFrom()).toEqual({ id: 'ada', admin: true });
    const b = new WebsocketCommunicator(app(false), '/', { headers: { cookie } });
    await b.connect();
    expect(await b.receiveJsonFrom()).toEqual({ isAuthenticated: false, isAnonymous: true });
    await Promise.all([a.disconnect(), b.disconnect()]);
  });

  it('login() saves the user where express reads it; logout() clears it', async () => {
    const cookie = await web.login('ada');
    const app = AuthMiddlewareStack(loginApp, { store: web.store, secret: SECRET });
    const comm = new WebsocketCommunicator(app, '/', { headers: { cookie } });
    await comm.connect();
    await comm.sendTo({ text: 'login:grace' });
    expect(await comm.receiveJsonFrom()).toEqual({ user: { name: 'grace' }, authenticated: true });
    expect((await web.whoami(cookie)).user).toEqual({ name: 'grace' });
    await comm.sendTo({ text: 'logout' });
    expect(await comm.receiveJsonFrom()).toEqual({ user: { isAuthenticated: false, isAnonymous: true }, authenticated: false });
    const after = await web.whoami(cookie);
    expect(after.user).toBeNull();
    expect(Object.keys(after.session)).toEqual(['cookie']);
    await comm.disconnect();
  });

  it('sessionKey may be a dotted path (passport.user) with serializeUser', async () => {
    const cookie = await web.login('ada');
    const seen: Scope[] = [];
    const inner: Application = async (scope, receive, send) => {
      seen.push(scope);
      await receive();
      await login(scope, { id: 42, name: 'lin' });
      await send({ type: 'websocket.accept' });
      await receive();
    };
    const app = AuthMiddlewareStack(inner, {
      store: web.store,
      secret: SECRET,
      sessionKey: 'passport.user',
      serializeUser: (user: { id: number }) => user.id,
      deserializeUser: (id) => ({ id: id as number }),
    });
    const comm = new WebsocketCommunicator(app, '/', { headers: { cookie } });
    await comm.connect();
    expect((await web.whoami(cookie)).session.passport).toEqual({ user: 42 });
    await comm.disconnect();
    const again = new WebsocketCommunicator(
      AuthMiddlewareStack(reporter((s) => s.user), { store: web.store, secret: SECRET, sessionKey: 'passport.user', deserializeUser: (id) => ({ id }) }),
      '/',
      { headers: { cookie } },
    );
    await again.connect();
    expect(await again.receiveJsonFrom()).toEqual({ id: 42 });
    await again.disconnect();
    expect((seen[0].session as Session).user).toEqual({ name: 'ada' }); // other keys untouched
  });

  it('AuthMiddleware without SessionMiddleware: an order error naming SessionMiddleware', async () => {
    const comm = new WebsocketCommunicator(CookieMiddleware(AuthMiddleware(reporter(() => 1))), '/');
    const result = await comm.connect();
    expect(result).toMatchObject({ connected: false, status: 500 });
    const error = (result as { error?: Error }).error;
    expect(error).toBeInstanceOf(MiddlewareOrderError);
    expect(error?.message).toMatch(/AuthMiddleware needs scope\.session, which SessionMiddleware adds/);
  });

  it('login() without a session: an order error naming SessionMiddleware', async () => {
    const comm = new WebsocketCommunicator(loginApp, '/');
    await comm.connect();
    await comm.sendTo({ text: 'login:x' });
    await expect(comm.receiveFrom()).rejects.toMatchObject({ code: 'ERR_MIDDLEWARE_ORDER' });
  });

  it('checks its options', () => {
    const app = reporter(() => 1);
    expect(() => AuthMiddleware(app, { sessionKey: '' })).toThrow(InvalidOption);
    expect(() => AuthMiddleware(app, { sessionKey: 'a.__proto__' })).toThrow(/sessionKey/);
    expect(() => AuthMiddleware(app, { deserializeUser: 3 as never })).toThrow(/deserializeUser/);
  });
});

describe('isAuthenticated', () => {
  it('is false for nothing, anonymous users and objects that say so', () => {
    expect(isAuthenticated(null)).toBe(false);
    expect(isAuthenticated(undefined)).toBe(false);
    expect(isAuthenticated(new AnonymousUser())).toBe(false);
    expect(isAuthenticated({ isAuthenticated: false })).toBe(false);
    expect(isAuthenticated({ id: 1 })).toBe(true);
  });
});
