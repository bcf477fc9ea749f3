import { generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { Application, Scope } from '../../../src/application';
import { AuthenticationFailed, InvalidOption } from '../../../src/errors';
import { AnonymousUser } from '../../../src/middleware/auth-middleware';
import { TokenAuthMiddleware, extractToken, type TokenAuthOptions } from '../../../src/middleware/token-auth-middleware';
import { WebsocketCommunicator, type ConnectResult } from '../../../src/testing/websocket-communicator';

const SECRET = 'jwt-secret';
const T0 = Date.UTC(2030, 0, 1);
const clock = { now: T0 };
const now = () => clock.now;
const sign = (claims: object, options: jwt.SignOptions = {}, key: jwt.Secret = SECRET) =>
  jwt.sign({ iat: Math.floor(clock.now / 1000), ...claims }, key, { expiresIn: 60, ...options });

function app(options: Partial<TokenAuthOptions> = {}, seen: Scope[] = [], accept: { subprotocol?: string | null } = {}): Application {
  const inner: Application = async (scope, receive, send) => {
    seen.push(scope);
    await receive();
    await send({ type: 'websocket.accept', ...accept });
    await send({ type: 'websocket.send', text: JSON.stringify(scope.user) });
    await receive();
  };
  return TokenAuthMiddleware(inner, { secret: SECRET, now, ...options } as TokenAuthOptions);
}

async function connect(application: Application, path: string, options: ConstructorParameters<typeof WebsocketCommunicator>[2] = {}) {
  const comm = new WebsocketCommunicator(application, path, options);
  const result = await comm.connect();
  return { comm, result };
}

function errorOf(result: ConnectResult): unknown {
  return (result as { error?: unknown }).error;
}

describe('TokenAuthMiddleware', () => {
  beforeEach(() => {
    clock.now = T0;
  });

  it('reads Authorization: Bearer and puts the claims in scope.user', async () => {
    const { comm, result } = await connect(app(), '/ws/', { headers: { authorization: `Bearer ${sign({ sub: 'ada' })}` } });
    expect(result.connected).toBe(true);
    expect(await comm.receiveJsonFrom()).toMatchObject({ sub: 'ada' });
    await comm.disconnect();
  });

  it('reads the token from the query parameter and strips it from scope.queryString', async () => {
    const seen: Scope[] = [];
    const token = sign({ sub: 'q' });
    const { comm, result } = await connect(app({}, seen), `/ws/?room=1&token=${token}&x=%20y`);
    expect(result.connected).toBe(true);
    expect(await comm.receiveJsonFrom()).toMatchObject({ sub: 'q' });
    expect(seen[0].queryString).toBe('room=1&x=%20y');
    expect(JSON.stringify(seen[0])).not.toContain(token);
    await comm.disconnect();
  });

  it('reads ["bearer", token] subprotocols, strips the token, and never accepts it as the subprotocol', async () => {
    const token = sign({ sub: 'sp' });
    for (const accept of [{}, { subprotocol: null }, { subprotocol: token }]) {
      const seen: Scope[] = [];
      const { comm, result } = await connect(app({}, seen, accept), '/ws/', {
        subprotocols: ['bearer', token],
        headers: { 'sec-websocket-protocol': `bearer, ${token}` },
      });
      expect(result).toMatchObject({ connected: true, subprotocol: 'bearer' });
      expect(seen[0].subprotocols).toEqual(['bearer']);
      expect(JSON.stringify(seen[0])).not.toContain(token);
      expect((seen[0].headers as Record<string, string>)['sec-websocket-protocol']).toBe('bearer');
      expect(await comm.receiveJsonFrom()).toMatchObject({ sub: 'sp' });
      await comm.disconnect();
    }
  });

  it('leaves a real subprotocol the application chose alone', async () => {
    const seen: Scope[] = [];
    const token = sign({ sub: 'sp' });
    const { comm, result } = await connect(app({}, seen, { subprotocol: 'chat.v2' }), '/', { subprotocols: ['chat.v2', 'bearer', token] });
    expect(result).toMatchObject({ connected: true, subprotocol: 'chat.v2' });
    expect(seen[0].subprotocols).toEqual(['chat.v2', 'bearer']);
    await comm.disconnect();
  });

  it('prefers the header over the subprotocol over the query, and strips all of them', () => {
    const scope = { type: 'websocket', headers: { authorization: 'Bearer H' }, subprotocols: ['bearer', 'S'], queryString: 'token=Q' } as unknown as Scope;
    const where = { header: true, subprotocol: 'bearer', queryParam: 'token' } as const;
    expect(extractToken(scope, where)).toEqual({ token: 'H', source: 'header', subprotocols: ['bearer'], queryString: '', malformed: false });
    expect(extractToken({ ...scope, headers: {} } as Scope, where)).toMatchObject({ token: 'S', source: 'subprotocol' });
    expect(extractToken({ ...scope, headers: {}, subprotocols: [] } as Scope, where)).toMatchObject({ token: 'Q', source: 'query' });
    expect(extractToken({ ...scope, headers: { authorization: 'Basic abc' }, subprotocols: [] } as Scope, where)).toMatchObject({ token: 'Q' });
    expect(extractToken({ ...scope, headers: { authorization: 'Bearer' } } as Scope, where)).toMatchObject({ malformed: true });
    expect(extractToken({ ...scope, headers: {}, subprotocols: ['bearer'] } as Scope, where)).toMatchObject({ malformed: true });
  });

  it.each([
    ['expired', () => ({ headers: { authorization: `Bearer ${sign({ sub: 'a' }, { expiresIn: 10 })}` } }), 11_000, /expired/],
    ['badly signed', () => ({ headers: { authorization: `Bearer ${sign({ sub: 'a' }, {}, 'other secret')}` } }), 0, /rejected/],
    ['not a JWT', () => ({ headers: { authorization: 'Bearer not.a.jwt' } }), 0, /rejected/],
    ['malformed header', () => ({ headers: { authorization: 'Bearer ' } }), 0, /malformed/],
    ['missing', () => ({}), 0, /required.*Authorization.*bearer.*token/],
  ])('refuses a %s token with 401', async (_name, options, advance, message) => {
    const init = options();
    clock.now = T0 + advance;
    let innerRan = false;
    const application = TokenAuthMiddleware(async () => void (innerRan = true), { secret: SECRET, now });
    const { result } = await connect(application, '/', init);
    expect(result).toMatchObject({ connected: false, status: 401 });
    expect(errorOf(result)).toBeInstanceOf(AuthenticationFailed);
    expect((errorOf(result) as Error).message).toMatch(message);
    expect(innerRan).toBe(false);
  });

  it('an expired token is refused at the injected clock, accepted just before expiry', async () => {
    const token = sign({ sub: 'a' }, { expiresIn: 10 });
    clock.now = T0 + 9_000;
    const ok = await connect(app(), '/', { headers: { authorization: `Bearer ${token}` } });
    expect(ok.result.connected).toBe(true);
    await ok.comm.disconnect();
    clock.now = T0 + 10_000;
    expect((await connect(app(), '/', { headers: { authorization: `Bearer ${token}` } })).result).toMatchObject({ status: 401 });
  });

  it('refuses alg=none even when the payload is otherwise fine', async () => {
    const unsigned = jwt.sign({ sub: 'a' }, '', { algorithm: 'none' });
    const { result } = await connect(app(), '/', { headers: { authorization: `Bearer ${unsigned}` } });
    expect(result).toMatchObject({ connected: false, status: 401 });
  });

  it('verifies RS256 tokens with a public key and checks audience', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const options = { secret: undefined, publicKey, algorithms: ['RS256'] as jwt.Algorithm[], verifyOptions: { audience: 'chat' } };
    const good = sign({ sub: 'rs', aud: 'chat' }, { algorithm: 'RS256' }, privateKey);
    const wrongAudience = sign({ sub: 'rs', aud: 'admin' }, { algorithm: 'RS256' }, privateKey);
    const ok = await connect(app(options), '/', { headers: { authorization: `Bearer ${good}` } });
    expect(ok.result.connected).toBe(true);
    await ok.comm.disconnect();
    expect((await connect(app(options), '/', { headers: { authorization: `Bearer ${wrongAudience}` } })).result).toMatchObject({ status: 401 });
    // An HS256 token signed with the public key text must not pass (algorithm confusion).
    const confused = jwt.sign({ sub: 'x' }, publicKey.export({ type: 'spki', format: 'pem' }) as string, { algorithm: 'HS256' });
    expect((await connect(app(options), '/', { headers: { authorization: `Bearer ${confused}` } })).result).toMatchObject({ status: 401 });
  });

  it('a verify function: its user, null rejects (401), other errors propagate (500)', async () => {
    const verify = async (token: string) => {
      if (token === 'good') return { id: 'u1' };
      if (token === 'boom') throw new Error('user store down');
      return null;
    };
    const opts = { secret: undefined, verify };
    const ok = await connect(app(opts), '/?token=good');
    expect(ok.result.connected).toBe(true);
    expect(await ok.comm.receiveJsonFrom()).toEqual({ id: 'u1' });
    await ok.comm.disconnect();
    expect((await connect(app(opts), '/?token=bad')).result).toMatchObject({ status: 401 });
    expect((await connect(app(opts), '/?token=boom')).result).toMatchObject({ status: 500 });
  });

  it('required: false lets a connection without a token in as anonymous (or keeps scope.user)', async () => {
    const seen: Scope[] = [];
    const anon = await connect(app({ required: false }, seen), '/');
    expect(anon.result.connected).toBe(true);
    expect(seen[0].user).toBeInstanceOf(AnonymousUser);
    await anon.comm.disconnect();
    const kept = await connect(app({ required: false }, seen), '/', { scope: { user: { from: 'session' } } });
    expect(seen[1].user).toEqual({ from: 'session' });
    await kept.comm.disconnect();
    // A bad token is still refused.
    expect((await connect(app({ required: false }), '/?token=junk')).result).toMatchObject({ status: 401 });
  });

  it('queryParam: false and subprotocol: false disable those sources', async () => {
    const token = sign({ sub: 'a' });
    expect((await connect(app({ queryParam: false }), `/?token=${token}`)).result).toMatchObject({ status: 401 });
    expect((await connect(app({ subprotocol: false }), '/', { subprotocols: ['bearer', token] })).result).toMatchObject({ status: 401 });
    expect((await connect(app({ header: false }), '/', { headers: { authorization: `Bearer ${token}` } })).result).toMatchObject({ status: 401 });
  });

  it('checks its options', () => {
    const inner: Application = async () => {};
    expect(() => TokenAuthMiddleware(inner, {})).toThrow(InvalidOption);
    expect(() => TokenAuthMiddleware(inner, { secret: 'a', verify: () => 1 })).toThrow(/exactly one/);
    expect(() => TokenAuthMiddleware(inner, { publicKey: 'k' })).toThrow(/algorithms is required/);
    expect(() => TokenAuthMiddleware(inner, { secret: 'a', algorithms: ['none'] })).toThrow(/none/);
    expect(() => TokenAuthMiddleware(inner, { secret: 'a', subprotocol: 'has space' })).toThrow(/subprotocol/);
  });

  it('works on http scopes (header and query)', async () => {
    const { HttpCommunicator } = await import('../../../src/testing/http-communicator');
    const inner: Application = async (scope, receive, send) => {
      await receive();
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body', body: new TextEncoder().encode((scope.user as { sub: string }).sub) });
    };
    const comm = new HttpCommunicator(TokenAuthMiddleware(inner, { secret: SECRET, now }), 'GET', '/', {
      headers: { authorization: `Bearer ${sign({ sub: 'h' })}` },
    });
    expect(Buffer.from((await comm.getResponse()).body).toString()).toBe('h');
  });
});
