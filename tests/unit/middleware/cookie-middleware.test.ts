import { CookieMiddleware, parseCookies } from '../../../src/middleware/cookie-middleware';
import { WebsocketCommunicator } from '../../../src/testing/websocket-communicator';
import { reporter } from './apps';

describe('CookieMiddleware', () => {
  it('parses the Cookie header into scope.cookies, decoding values', async () => {
    const comm = new WebsocketCommunicator(CookieMiddleware(reporter((s) => s.cookies)), '/', {
      headers: { cookie: 'theme=dark; name=J%C3%BCrgen; empty=' },
    });
    await comm.connect();
    expect(await comm.receiveJsonFrom()).toEqual({ theme: 'dark', name: 'Jürgen', empty: '' });
    await comm.disconnect();
  });

  it('joins repeated Cookie headers and gives {} without one', async () => {
    const both = new WebsocketCommunicator(CookieMiddleware(reporter((s) => s.cookies)), '/', {
      headers: [['Cookie', 'a=1'], ['Cookie', 'b=2']],
    });
    await both.connect();
    expect(await both.receiveJsonFrom()).toEqual({ a: '1', b: '2' });
    const none = new WebsocketCommunicator(CookieMiddleware(reporter((s) => s.cookies)), '/');
    await none.connect();
    expect(await none.receiveJsonFrom()).toEqual({});
    await Promise.all([both.disconnect(), none.disconnect()]);
  });

  it('keeps the first of duplicate names and treats __proto__ as a plain key', () => {
    const cookies = parseCookies('a=1; a=2; __proto__=x; constructor=y');
    expect(cookies.a).toBe('1');
    expect(Object.getPrototypeOf(cookies)).toBeNull();
    expect(cookies['__proto__']).toBe('x');
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});
