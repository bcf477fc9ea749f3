import type { IncomingMessage } from 'node:http';
import { checkUpgradeRequest, httpScopeOf, parseSubprotocols, websocketScopeOf } from '../../../src/server/request-scope';

function fakeRequest(url: string, headers: Record<string, string | string[]> = {}, method = 'GET'): IncomingMessage {
  return {
    url,
    method,
    httpVersion: '1.1',
    httpVersionMajor: 1,
    httpVersionMinor: 1,
    headers: {
      host: '10.0.0.1:8000',
      upgrade: 'websocket',
      'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
      'sec-websocket-version': '13',
      ...headers,
    },
    socket: { remoteAddress: '10.0.0.2', remotePort: 5000, localAddress: '10.0.0.1', localPort: 8000 },
  } as unknown as IncomingMessage;
}

describe('parseSubprotocols', () => {
  it('splits, trims and keeps the client order', () => {
    expect(parseSubprotocols(undefined)).toEqual([]);
    expect(parseSubprotocols('v2.chat, v1.chat,json')).toEqual(['v2.chat', 'v1.chat', 'json']);
  });

  it.each(['a,,b', 'a b', '', 'a, a', 'a;b'])('refuses %j', (header) => {
    expect(parseSubprotocols(header)).toBeNull();
  });
});

describe('checkUpgradeRequest', () => {
  it('accepts a valid handshake', () => {
    expect(checkUpgradeRequest(fakeRequest('/'))).toBeNull();
    expect(checkUpgradeRequest(fakeRequest('/', { 'sec-websocket-version': '8' }))).toBeNull();
  });

  it.each([
    ['POST', fakeRequest('/', {}, 'POST'), 405],
    ['no upgrade', fakeRequest('/', { upgrade: 'h2c' }), 400],
    ['a short key', fakeRequest('/', { 'sec-websocket-key': 'abc' }), 400],
    ['a non-numeric version', fakeRequest('/', { 'sec-websocket-version': 'x' }), 400],
    ['version 7', fakeRequest('/', { 'sec-websocket-version': '7' }), 426],
    ['a bad subprotocol list', fakeRequest('/', { 'sec-websocket-protocol': ',' }), 400],
  ])('refuses %s with %i', (_name, req, status) => {
    expect(checkUpgradeRequest(req)?.status).toBe(status);
  });
});

describe('scopes', () => {
  it('builds a websocket scope: decoded path, raw path, query, lower-case headers, addresses', () => {
    const scope = websocketScopeOf(fakeRequest('/ws/caf%C3%A9/%2F?a=1&b=%20', { 'sec-websocket-protocol': 'x, y', cookie: 'a=1; b=2' }));
    expect(scope).toMatchObject({
      type: 'websocket',
      scheme: 'ws',
      path: '/ws/café//',
      rawPath: '/ws/caf%C3%A9/%2F',
      queryString: 'a=1&b=%20',
      rootPath: '',
      subprotocols: ['x', 'y'],
      client: { host: '10.0.0.2', port: 5000 },
      server: { host: '10.0.0.1', port: 8000 },
    });
    expect(scope?.headers.cookie).toBe('a=1; b=2');
  });

  it('joins repeated header values with ", "', () => {
    expect(websocketScopeOf(fakeRequest('/', { 'x-multi': ['a', 'b'] }))?.headers['x-multi']).toBe('a, b');
  });

  it('keeps only path and query of an absolute-form target', () => {
    expect(httpScopeOf(fakeRequest('http://example.com/p?q=1'))).toMatchObject({ path: '/p', queryString: 'q=1', method: 'GET' });
  });

  it('returns null for a path that is not valid percent-encoding', () => {
    expect(websocketScopeOf(fakeRequest('/%E0%A4%A'))).toBeNull();
    expect(httpScopeOf(fakeRequest('/%zz'))).toBeNull();
  });
});
