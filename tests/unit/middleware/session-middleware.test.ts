import { sign } from 'cookie-signature';
import type { Scope } from '../../../src/application';
import { InvalidOption, MiddlewareOrderError } from '../../../src/errors';
import { CookieMiddleware } from '../../../src/middleware/cookie-middleware';
import { Session, type SessionStore } from '../../../src/middleware/scope-session';
import { SessionMiddleware, unsignSessionCookie } from '../../../src/middleware/session-middleware';
import { WebsocketCommunicator } from '../../../src/testing/websocket-communicator';
import { reporter } from './apps';
import { SECRET, startExpress, type ExpressFixture } from './express-fixture';

function sessionApp(store: SessionStore, seen: Scope[], secret: string | string[] = SECRET) {
  return CookieMiddleware(
    SessionMiddleware(
      reporter((s) => (s.session as Session).toJSON(), seen),
      { store, secret },
    ),
  );
}

function storeGet(store: SessionStore, sid: string): Promise<object | null | undefined> {
  return new Promise((resolve, reject) => store.get(sid, (error, data) => (error ? reject(error) : resolve(data))));
}

describe('SessionMiddleware with express-session', () => {
  let web: ExpressFixture;
  beforeEach(async () => {
    web = await startExpress();
  });
  afterEach(async () => {
    await web.close();
  });

  it('loads the session an express login created, from the same store and cookie', async () => {
    const cookie = await web.login('ada');
    const seen: Scope[] = [];
    const comm = new WebsocketCommunicator(sessionApp(web.store, seen), '/ws/', { headers: { cookie } });
    expect((await comm.connect()).connected).toBe(true);
    const data = await comm.receiveJsonFrom();
    expect(data.user).toEqual({ name: 'ada' });
    expect(data.cookie).toMatchObject({ httpOnly: true, path: '/' });
    const session = seen[0].session as Session;
    expect(session).toBeInstanceOf(Session);
    expect(session.isNew).toBe(false);
    expect(`connect.sid=${encodeURIComponent('s:' + sign(session.id, SECRET))}`).toBe(cookie);
    await comm.disconnect();
  });

  it('save() writes back in express-session format: express sees the change', async () => {
    const cookie = await web.login('ada');
    const seen: Scope[] = [];
    const comm = new WebsocketCommunicator(sessionApp(web.store, seen), '/', { headers: { cookie } });
    await comm.connect();
    const session = seen[0].session as Session;
    session.theme = 'dark';
    await session.save();
    const seenByExpress = await web.whoami(cookie);
    expect(seenByExpress.user).toEqual({ name: 'ada' });
    expect(seenByExpress.session.theme).toBe('dark');
    const raw = await storeGet(web.store, session.id);
    expect(Object.keys(raw as object).sort()).toEqual(['cookie', 'theme', 'user']);
    await comm.disconnect();
  });

  it('a wrong signature, an unsigned value or an unknown id give a new, empty session', async () => {
    const cookie = await web.login('ada');
    const sid = (unsignSessionCookie(decodeURIComponent(cookie.split('=')[1]), [SECRET]) as string);
    const forged = `connect.sid=${encodeURIComponent('s:' + sign(sid, 'not the secret'))}`;
    const unsigned = `connect.sid=${encodeURIComponent(sid)}`;
    const unknown = `connect.sid=${encodeURIComponent('s:' + sign('no-such-session', SECRET))}`;
    for (const header of [forged, unsigned, unknown, '']) {
      const seen: Scope[] = [];
      const comm = new WebsocketCommunicator(sessionApp(web.store, seen), '/', { headers: header ? { cookie: header } : {} });
      await comm.connect();
      const data = await comm.receiveJsonFrom();
      expect(data.user).toBeUndefined();
      const session = seen[0].session as Session;
      expect(session.isNew).toBe(true);
      expect(session.id).not.toBe(sid);
      expect(session.id).not.toBe('no-such-session');
      await comm.disconnect();
    }
  });

  it('accepts a cookie signed with any of several secrets (rotation)', async () => {
    const cookie = await web.login('ada');
    const seen: Scope[] = [];
    const comm = new WebsocketCommunicator(sessionApp(web.store, seen, ['new secret', SECRET]), '/', { headers: { cookie } });
    await comm.connect();
    expect((await comm.receiveJsonFrom()).user).toEqual({ name: 'ada' });
    await comm.disconnect();
  });

  it('reload() sees what the HTTP side changed since the connection opened', async () => {
    const cookie = await web.login('ada');
    const seen: Scope[] = [];
    const comm = new WebsocketCommunicator(sessionApp(web.store, seen), '/', { headers: { cookie } });
    await comm.connect();
    const session = seen[0].session as Session;
    await fetch(`${web.url}/login/bob`, { method: 'POST', headers: { cookie } }).then((r) => r.text());
    expect(session.user).toEqual({ name: 'ada' });
    await session.reload();
    expect(session.user).toEqual({ name: 'bob' });
    await session.destroy();
    expect(await storeGet(web.store, session.id)).toBeFalsy();
    expect(session.user).toBeUndefined();
    await comm.disconnect();
  });
});

describe('SessionMiddleware without express', () => {
  const store = (): SessionStore => {
    const data = new Map<string, string>();
    return {
      get: (sid, cb) => cb(null, data.has(sid) ? JSON.parse(data.get(sid) as string) : null),
      set: (sid, value, cb) => (data.set(sid, JSON.stringify(value)), cb?.()),
      destroy: (sid, cb) => (data.delete(sid), cb?.()),
    };
  };

  it('ignores a session whose cookie expired even if the store still returns it', async () => {
    const s = store();
    s.set('old', { cookie: { originalMaxAge: 1000, expires: new Date(Date.now() - 1000).toISOString() }, user: 'x' });
    const seen: Scope[] = [];
    const cookie = `connect.sid=${encodeURIComponent('s:' + sign('old', SECRET))}`;
    const comm = new WebsocketCommunicator(sessionApp(s, seen), '/', { headers: { cookie } });
    await comm.connect();
    expect((await comm.receiveJsonFrom()).user).toBeUndefined();
    expect((seen[0].session as Session).isNew).toBe(true);
    await comm.disconnect();
  });

  it('never copies __proto__ or method names from stored data onto the session', async () => {
    const s = store();
    const payload = JSON.parse('{"cookie":{"originalMaxAge":null},"__proto__":{"polluted":true},"save":1,"ok":2}');
    s.set('p', payload);
    const seen: Scope[] = [];
    const cookie = `connect.sid=${encodeURIComponent('s:' + sign('p', SECRET))}`;
    const comm = new WebsocketCommunicator(sessionApp(s, seen), '/', { headers: { cookie } });
    await comm.connect();
    const session = seen[0].session as Session;
    expect(session.ok).toBe(2);
    expect(typeof session.save).toBe('function');
    expect((session as unknown as { polluted?: boolean }).polluted).toBeUndefined();
    await comm.disconnect();
  });

  it('a store error refuses the handshake (500) instead of inventing an empty session', async () => {
    const failing: SessionStore = { get: (sid, cb) => cb(new Error('store down')), set: () => {}, destroy: () => {} };
    const cookie = `connect.sid=${encodeURIComponent('s:' + sign('x', SECRET))}`;
    const comm = new WebsocketCommunicator(sessionApp(failing, []), '/', { headers: { cookie } });
    expect(await comm.connect()).toMatchObject({ connected: false, status: 500 });
  });

  it('without CookieMiddleware: MiddlewareOrderError naming CookieMiddleware', async () => {
    const comm = new WebsocketCommunicator(SessionMiddleware(reporter(() => 1), { store: store(), secret: SECRET }), '/');
    const result = await comm.connect();
    expect(result).toMatchObject({ connected: false, status: 500 });
    const error = (result as { error?: unknown }).error;
    expect(error).toBeInstanceOf(MiddlewareOrderError);
    expect(error).toMatchObject({ code: 'ERR_MIDDLEWARE_ORDER' });
    expect((error as Error).message).toMatch(/SessionMiddleware needs scope\.cookies, which CookieMiddleware adds/);
  });

  it('checks its options', () => {
    const app = reporter(() => 1);
    expect(() => SessionMiddleware(app, { store: {} as SessionStore, secret: 'x' })).toThrow(InvalidOption);
    expect(() => SessionMiddleware(app, { store: store(), secret: '' })).toThrow(/options\.secret/);
    expect(() => SessionMiddleware(app, { store: store(), secret: [] })).toThrow(/options\.secret/);
    expect(() => SessionMiddleware(app, { store: store(), secret: 'x', name: '' })).toThrow(/options\.name/);
  });
});
