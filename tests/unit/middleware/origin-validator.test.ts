import type { Application } from '../../../src/application';
import { InvalidOption, OriginRejected } from '../../../src/errors';
import { AllowedHostsOriginValidator, OriginValidator, originMatcher, parseOrigin } from '../../../src/middleware/origin-validator';
import { HttpCommunicator } from '../../../src/testing/http-communicator';
import { WebsocketCommunicator } from '../../../src/testing/websocket-communicator';

const accepting: Application = async (scope, receive, send) => {
  await receive();
  await send({ type: 'websocket.accept' });
  await receive();
};

async function handshake(app: Application, origin: string | undefined) {
  const comm = new WebsocketCommunicator(app, '/ws/', { headers: origin === undefined ? {} : { origin } });
  const result = await comm.connect();
  if (result.connected) await comm.disconnect();
  return result;
}

describe('originMatcher (Django Channels rules)', () => {
  // [allowed, origin, expected]
  const matrix: Array<[string[], string | undefined, boolean]> = [
    // exact origins: scheme, host and port all count; default ports normalised
    [['https://example.com'], 'https://example.com', true],
    [['https://example.com:443'], 'https://example.com', true],
    // an explicit default port is not how browsers serialize an origin (finding 5)
    [['https://example.com'], 'https://example.com:443', false],
    [['http://example.com'], 'http://example.com:80', false],
    [['https://example.com'], 'http://example.com', false],
    [['https://example.com'], 'https://example.com:8443', false],
    [['https://example.com:8443'], 'https://example.com:8443', true],
    [['https://example.com:8443'], 'https://example.com', false],
    [['https://example.com'], 'https://www.example.com', false],
    [['https://example.com'], 'https://example.com.evil.net', false],
    [['https://example.com'], 'https://evilexample.com', false],
    [['wss://example.com'], 'wss://example.com', true],
    [['wss://example.com'], 'wss://example.com:443', false],
    [['HTTPS://Example.COM'], 'https://example.com', true],
    // leading dot: the domain and its subdomains
    [['.example.com'], 'https://example.com', true],
    [['.example.com'], 'http://a.b.example.com:9000', true],
    [['.example.com'], 'https://badexample.com', false],
    [['.example.com'], 'https://example.com.evil.net', false],
    [['https://.example.com'], 'https://chat.example.com', true],
    [['https://.example.com'], 'http://chat.example.com', false],
    [['https://.example.com:8443'], 'https://chat.example.com:8443', true],
    [['https://.example.com:8443'], 'https://chat.example.com', false],
    // host only: any scheme and any port (ALLOWED_HOSTS semantics)
    [['example.com'], 'http://example.com:3000', true],
    [['example.com'], 'https://example.com', true],
    [['example.com'], 'https://sub.example.com', false],
    [['localhost'], 'http://localhost:5173', true],
    [['[::1]'], 'http://[::1]:8000', true],
    [['127.0.0.1'], 'http://127.0.0.1:8000', true],
    [['café.example'], 'https://xn--caf-dma.example', true],
    // missing, null and malformed origins: only '*' admits them
    [['https://example.com', '.example.com', 'example.com'], undefined, false],
    [['.example.com'], 'null', false],
    [['.example.com'], 'not a url', false],
    [['.example.com'], 'https://example.com/', false],
    [['.example.com'], 'https://example.com/path', false],
    [['.example.com'], 'https://user@example.com', false],
    [['.example.com'], 'https://a.example.com, https://b.example.com', false],
    [['*'], undefined, true],
    [['*'], 'null', true],
    [['*'], 'garbage', true],
    [['https://example.com', '*'], 'https://anything.net', true],
    [[], 'https://example.com', false],
  ];

  it.each(matrix)('allowed %j, Origin %j -> %s', (allowed, origin, expected) => {
    expect(originMatcher(allowed)(origin)).toBe(expected);
  });

  describe('finding 5: only serialized origins (RFC 6454, as browsers send them) are accepted', () => {
    // Each passed the old check, which normalised through the URL parser.
    const forged: Array<[string[], string]> = [
      [['https://example.com'], 'https:example.com'],
      [['https://example.com'], 'https:/example.com'],
      [['https://example.com'], 'https://exa%6Dple.com'],
      [['https://example.com'], 'https://example.com:0443'],
      [['https://example.com'], 'https://EXAMPLE.com'],
      [['https://example.com'], 'HTTPS://example.com'],
      [['https://example.com'], 'https://example.com.'],
      [['https://example.com'], 'https://example.com:443'],
      [['http://127.0.0.1'], 'http://0x7f.0.0.1'],
      [['http://127.0.0.1'], 'http://2130706433'],
      [['http://127.0.0.1'], 'http://127.1'],
      [['http://127.0.0.1'], 'http://127.0.0.1.'],
      [['http://127.0.0.1'], 'http://127.000.0.1'],
      [['127.0.0.1'], 'http://0x7f.0.0.1'],
      [['127.0.0.1'], 'http://2130706433'],
      [['127.0.0.1'], 'http://127.1'],
      [['127.0.0.1'], 'http://127.0.0.1.'],
      [['localhost'], 'javascript://localhost'],
      [['localhost'], 'file://localhost'],
      [['localhost'], 'http://localhost.'],
      [['localhost'], 'http://localhost:65536'],
      [['[::1]'], 'http://[0:0:0:0:0:0:0:1]'],
      [['.example.com'], 'https://a..example.com'],
    ];
    it.each(forged)('allowed %j refuses Origin %j', (allowed, origin) => {
      expect(originMatcher(allowed)(origin)).toBe(false);
      expect(parseOrigin(origin)).toBeNull();
    });

    it.each([
      ['https://example.com', { scheme: 'https', hostname: 'example.com', port: 443 }],
      ['http://127.0.0.1:8000', { scheme: 'http', hostname: '127.0.0.1', port: 8000 }],
      ['http://[::1]:8000', { scheme: 'http', hostname: '[::1]', port: 8000 }],
      ['https://xn--caf-dma.example', { scheme: 'https', hostname: 'xn--caf-dma.example', port: 443 }],
      ['http://10.0.0.255', { scheme: 'http', hostname: '10.0.0.255', port: 80 }],
    ])('accepts the serialized origin %j', (origin, parsed) => {
      expect(parseOrigin(origin)).toEqual(parsed);
    });

    it('`*` still admits anything, forged or not', () => {
      expect(originMatcher(['*'])('http://0x7f.0.0.1')).toBe(true);
    });
  });

  it('parseOrigin fills in default ports and refuses non-origins', () => {
    expect(parseOrigin('https://example.com')).toEqual({ scheme: 'https', hostname: 'example.com', port: 443 });
    expect(parseOrigin('ws://example.com:81')).toEqual({ scheme: 'ws', hostname: 'example.com', port: 81 });
    expect(parseOrigin('chrome-extension://abcdef')).toEqual({ scheme: 'chrome-extension', hostname: 'abcdef', port: null });
    expect(parseOrigin('file://')).toBeNull();
    expect(parseOrigin('null')).toBeNull();
    expect(parseOrigin(undefined)).toBeNull();
  });

  it('refuses patterns that are not origins', () => {
    expect(() => originMatcher(['https://example.com/app'])).toThrow(InvalidOption);
    expect(() => originMatcher(['https://'])).toThrow(InvalidOption);
    expect(() => originMatcher([''])).toThrow(/non-empty string/);
    expect(() => originMatcher('https://example.com' as unknown as string[])).toThrow(/array/);
  });
});

describe('OriginValidator', () => {
  const app = OriginValidator(accepting, ['https://chat.example.com', 'http://localhost:5173']);

  it('accepts an allowed origin and refuses others with 403 before the inner app runs', async () => {
    expect(await handshake(app, 'https://chat.example.com')).toMatchObject({ connected: true });
    expect(await handshake(app, 'http://localhost:5173')).toMatchObject({ connected: true });
    let innerRan = false;
    const guarded = OriginValidator(async () => void (innerRan = true), ['https://chat.example.com']);
    for (const origin of ['https://evil.example', 'http://localhost:3000', 'null', undefined]) {
      const result = await handshake(guarded, origin);
      expect(result).toMatchObject({ connected: false, status: 403 });
      expect((result as { error?: unknown }).error).toBeInstanceOf(OriginRejected);
      expect((result as { error?: { code: string } }).error?.code).toBe('ERR_ORIGIN_REJECTED');
    }
    expect(innerRan).toBe(false);
  });

  it('lets non-websocket scopes through unchecked', async () => {
    const http = OriginValidator(async (scope, receive, send) => {
      await receive();
      await send({ type: 'http.response.start', status: 204 });
      await send({ type: 'http.response.body' });
    }, ['https://chat.example.com']);
    const comm = new HttpCommunicator(http, 'GET', '/', { headers: { origin: 'https://evil.example' } });
    expect((await comm.getResponse()).status).toBe(204);
  });
});

describe('AllowedHostsOriginValidator', () => {
  it('matches hosts with any scheme and port', async () => {
    const app = AllowedHostsOriginValidator(accepting, ['chat.example.com', '.example.org']);
    expect(await handshake(app, 'https://chat.example.com')).toMatchObject({ connected: true });
    expect(await handshake(app, 'http://chat.example.com:8080')).toMatchObject({ connected: true });
    expect(await handshake(app, 'https://x.example.org')).toMatchObject({ connected: true });
    expect(await handshake(app, 'https://example.com')).toMatchObject({ connected: false, status: 403 });
    expect(await handshake(app, undefined)).toMatchObject({ connected: false, status: 403 });
  });

  it('defaults to localhost only', async () => {
    const app = AllowedHostsOriginValidator(accepting);
    expect(await handshake(app, 'http://localhost:3000')).toMatchObject({ connected: true });
    expect(await handshake(app, 'http://127.0.0.1:3000')).toMatchObject({ connected: true });
    expect(await handshake(app, 'https://example.com')).toMatchObject({ connected: false, status: 403 });
  });

  it('refuses scheme://host entries, pointing at OriginValidator', () => {
    expect(() => AllowedHostsOriginValidator(accepting, ['https://example.com'])).toThrow(/use OriginValidator/);
  });
});
