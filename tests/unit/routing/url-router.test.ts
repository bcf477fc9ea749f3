import type { Application, Scope, WebsocketScope } from '../../../src/application';
import { RouteNotFound } from '../../../src/errors';
import { URLRouter, path, rePath, routeKwargs } from '../../../src/routing/url-router';
import { WebsocketCommunicator } from '../../../src/testing/websocket-communicator';

function scopeFor(p: string, extra: Partial<WebsocketScope> = {}): WebsocketScope {
  return {
    type: 'websocket',
    scheme: 'ws',
    path: p,
    rawPath: p,
    queryString: '',
    headers: {},
    client: null,
    server: null,
    rootPath: '',
    subprotocols: [],
    ...extra,
  };
}

/** Named no-op applications, so resolve() results can be told apart. */
function app(name: string): Application {
  const fn: Application = async () => {};
  Object.defineProperty(fn, 'name', { value: name });
  return fn;
}

describe('URLRouter.resolve', () => {
  const a = app('a');
  const b = app('b');

  it('tries routes in order; the first match wins', () => {
    const router = URLRouter([path('ws/<x>/', a), path('ws/fixed/', b)]);
    expect(router.resolve(scopeFor('/ws/fixed/'))?.application).toBe(a);
  });

  it('treats the leading / as optional in patterns and paths alike', () => {
    for (const pattern of ['ws/echo/', '/ws/echo/']) {
      const router = URLRouter([path(pattern, a)]);
      expect(router.resolve(scopeFor('/ws/echo/'))?.application).toBe(a);
      expect(router.resolve(scopeFor('ws/echo/'))?.application).toBe(a);
    }
  });

  it('requires a whole-path match for a non-router application', () => {
    const router = URLRouter([path('ws/echo/', a)]);
    expect(router.resolve(scopeFor('/ws/echo/extra'))).toBeNull();
    expect(router.resolve(scopeFor('/ws/ech'))).toBeNull();
  });

  it('adds urlRoute and pathRemaining to a copy of the scope', () => {
    const router = URLRouter([path('chat/<roomName>/<int:id>/', a)]);
    const original = scopeFor('/chat/lobby/7/');
    const resolved = router.resolve(original);
    expect(resolved?.scope).toMatchObject({ urlRoute: { args: [], kwargs: { roomName: 'lobby', id: 7 } }, pathRemaining: '' });
    expect(resolved?.scope).not.toBe(original);
    expect(original.urlRoute).toBeUndefined();
    expect(original.pathRemaining).toBeUndefined();
  });

  it('returns null for channel scopes, which have no path', () => {
    expect(URLRouter([path('<x>', a)]).resolve({ type: 'channel', channel: 'x' })).toBeNull();
  });
});

describe('nesting', () => {
  const leaf = app('leaf');
  const other = app('other');

  it('matches an inner router against pathRemaining and merges kwargs outer-then-inner', () => {
    const router = URLRouter([
      path('org/<org>/', URLRouter([path('room/<room>/', leaf)])),
    ]);
    const resolved = router.resolve(scopeFor('/org/acme/room/lobby/'));
    expect(resolved?.application).toBe(leaf);
    expect(resolved?.scope).toMatchObject({ urlRoute: { kwargs: { org: 'acme', room: 'lobby' } }, pathRemaining: '' });
  });

  it('lets an inner kwarg of the same name override the outer one', () => {
    const router = URLRouter([path('<id>/', URLRouter([path('<int:id>/', leaf)]))]);
    expect(router.resolve(scopeFor("/outer/5/"))?.scope.urlRoute).toEqual({ args: [], kwargs: { id: 5 } });
  });

  it('concatenates positional args outer-then-inner (rePath)', () => {
    const router = URLRouter([rePath(/^(\w+)\//, URLRouter([rePath(/^(\d+)\/$/, leaf)]))]);
    expect(router.resolve(scopeFor('/abc/42/'))?.scope.urlRoute).toEqual({ args: ['abc', '42'], kwargs: {} });
  });

  it('a miss in an inner router lets the outer router try its next route', () => {
    const router = URLRouter([
      path('ws/', URLRouter([path('chat/<room>/', leaf)])),
      path('ws/<path:rest>', other),
    ]);
    expect(router.resolve(scopeFor('/ws/chat/lobby/'))?.application).toBe(leaf);
    const fallback = router.resolve(scopeFor('/ws/news/today/'));
    expect(fallback?.application).toBe(other);
    expect(fallback?.scope.urlRoute).toEqual({ args: [], kwargs: { rest: 'news/today/' } });
  });

  it('leaves pathRemaining for an outer rePath that does not reach the end', () => {
    const router = URLRouter([rePath('^api/', leaf)]);
    expect(router.resolve(scopeFor('/api/v1/x'))?.scope.pathRemaining).toBe('v1/x');
  });

  it('three levels deep', () => {
    const router = URLRouter([path('a/<x>/', URLRouter([path('b/<y>/', URLRouter([path('c/<int:z>/', leaf)]))]))]);
    const resolved = router.resolve(scopeFor('/a/1/b/2/c/3/'));
    expect(resolved?.application).toBe(leaf);
    expect((resolved?.scope.urlRoute as { kwargs?: unknown } | undefined)?.kwargs).toEqual({ x: '1', y: '2', z: 3 });
  });
});

describe('rePath', () => {
  const a = app('a');

  it('named groups become kwargs (strings), in JS or Python syntax', () => {
    for (const pattern of [/^ws\/chat\/(?<room>\w+)\/$/, '^ws/chat/(?P<room>\\w+)/$', '^/ws/chat/(?P<room>\\w+)/$']) {
      const resolved = URLRouter([rePath(pattern, a)]).resolve(scopeFor('/ws/chat/lobby/'));
      expect(resolved?.scope.urlRoute).toEqual({ args: [], kwargs: { room: 'lobby' } });
    }
  });

  it('unnamed groups become args when there are no named groups', () => {
    const resolved = URLRouter([rePath(/^items\/(\d+)\/(\w+)\/$/, a)]).resolve(scopeFor('/items/12/red/'));
    expect(resolved?.scope.urlRoute).toEqual({ args: ['12', 'red'], kwargs: {} });
  });

  it('leaves out optional named groups that did not take part', () => {
    const resolved = URLRouter([rePath(/^p\/(?<a>x)?(?<b>y)$/, a)]).resolve(scopeFor('/p/y'));
    expect((resolved?.scope.urlRoute as { kwargs?: unknown } | undefined)?.kwargs).toEqual({ b: 'y' });
  });

  it('is anchored at the start of the path', () => {
    expect(URLRouter([rePath(/chat/, a)]).resolve(scopeFor('/ws/chat/'))).toBeNull();
  });

  it('ignores a g or y flag (no lastIndex state between connections)', () => {
    const router = URLRouter([rePath(/^x\/$/g, a)]);
    expect(router.resolve(scopeFor('/x/'))).not.toBeNull();
    expect(router.resolve(scopeFor('/x/'))).not.toBeNull();
  });

  it('refuses a pattern that does not compile', () => {
    expect(() => rePath('(unclosed', a)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ROUTE_PATTERN' }));
  });
});

describe('URLRouter as an application', () => {
  it('calls the matched application with the routed scope', async () => {
    let seen: Scope | undefined;
    const probe: Application = async (scope, receive, send) => {
      seen = scope;
      await receive();
      await send({ type: 'websocket.accept' });
    };
    const comm = new WebsocketCommunicator(URLRouter([path('ws/<int:n>/', probe)]), '/ws/5/');
    expect(await comm.connect()).toMatchObject({ connected: true });
    expect(seen?.urlRoute).toEqual({ args: [], kwargs: { n: 5 } });
    expect(routeKwargs<'ws/<int:n>/'>(seen as Scope).n).toBe(5);
    await comm.disconnect();
  });

  it('a miss throws RouteNotFound (ERR_ROUTE_NOT_FOUND), a 404 handshake', async () => {
    const router = URLRouter([path('ws/echo/', app('a'))]);
    await expect(router(scopeFor('/ws/other/'), async () => ({ type: 'websocket.connect' }), async () => {})).rejects.toMatchObject({
      code: 'ERR_ROUTE_NOT_FOUND',
      status: 404,
      path: '/ws/other/',
    });
    const comm = new WebsocketCommunicator(router, '/ws/other/');
    expect(await comm.connect()).toMatchObject({ connected: false, status: 404 });
  });

  it('never mistakes a RouteNotFound thrown by application code for a miss', async () => {
    const thrower: Application = async () => {
      throw new RouteNotFound('from inside the app');
    };
    const fallback = jest.fn<Promise<void>, Parameters<Application>>(async () => {});
    const router = URLRouter([path('ws/', URLRouter([path('x/', thrower)])), path('ws/<path:rest>', fallback)]);
    await expect(router(scopeFor('/ws/x/'), async () => ({ type: 'websocket.connect' }), async () => {})).rejects.toMatchObject({
      path: 'from inside the app',
    });
    expect(fallback).not.toHaveBeenCalled();
  });

  it('exposes its routes with their names', () => {
    const router = URLRouter([path('a/', app('a'), { name: 'first' }), rePath('^b/$', app('b'))]);
    expect(router.routes.map((route) => route.name)).toEqual(['first', undefined]);
    expect(router.routes.map((route) => route.pattern.source)).toEqual(['a/', '^b/$']);
  });

  it('refuses entries that are not routes and applications that are not functions', () => {
    expect(() => URLRouter([{} as never])).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ROUTE_PATTERN' }));
    expect(() => path('a/', 'nope' as never)).toThrow(expect.objectContaining({ code: 'ERR_NOT_AN_APPLICATION' }));
  });
});
