/**
 * The middleware through real sockets: statuses on the wire, an express login
 * shared with the websocket, and a rate-limit close that touches nobody else.
 */
import express from 'express';
import session from 'express-session';
import jwt from 'jsonwebtoken';
import WebSocket from 'ws';
import type { Application } from '../../src/application';
import { AuthMiddlewareStack, isAuthenticated, login } from '../../src/middleware/auth-middleware';
import { OriginValidator } from '../../src/middleware/origin-validator';
import { RateLimitMiddleware } from '../../src/middleware/rate-limit';
import { SessionMiddleware } from '../../src/middleware/session-middleware';
import { TokenAuthMiddleware } from '../../src/middleware/token-auth-middleware';
import { ProtocolTypeRouter } from '../../src/routing/protocol-type-router';
import { closeAll } from '../helpers/cleanup';
import { startServer } from '../helpers/start-server';
import { tryConnect, type TestClient } from '../helpers/ws-client';

const SECRET = 'integration secret';

afterEach(closeAll);

type Outcome = { open: true; client: TestClient; protocol: string } | { open: false; status: number };

/** Opens a client; resolves when it is open or the handshake was refused. */
async function connect(url: string, protocols: string[] = [], wsOptions: WebSocket.ClientOptions = {}): Promise<Outcome> {
  const outcome = await tryConnect(url, { protocols, wsOptions });
  return outcome.ok ? { open: true, client: outcome.client, protocol: outcome.client.protocol } : { open: false, status: outcome.status };
}

/** Accepts; answers every text frame with JSON of scope.user; `login:<name>` logs in first. */
const whoami: Application = async (scope, receive, send) => {
  await receive();
  await send({ type: 'websocket.accept' });
  for (;;) {
    const event = await receive();
    if (event.type === 'websocket.disconnect') return;
    const text = String(event.text);
    if (text.startsWith('login:')) await login(scope, { name: text.slice(6) });
    await send({ type: 'websocket.send', text: JSON.stringify({ user: scope.user, authenticated: isAuthenticated(scope.user) }) });
  }
};

describe('sessions shared with express over real sockets', () => {
  it('a user who logged in through express is the same user on the websocket, and back', async () => {
    const store = new session.MemoryStore();
    const web = express();
    web.use(session({ store, secret: SECRET, resave: false, saveUninitialized: false }));
    web.post('/login/:name', (req, res) => {
      (req.session as unknown as Record<string, unknown>).user = { name: req.params.name };
      res.send('ok');
    });
    web.get('/me', (req, res) => res.json((req.session as unknown as Record<string, unknown>).user ?? null));
    const started = await startServer(ProtocolTypeRouter({ http: web, websocket: AuthMiddlewareStack(whoami, { store, secret: SECRET }) }));

    const response = await fetch(`${started.httpUrl}/login/ada`, { method: 'POST' });
    await response.text();
    const cookie = (response.headers.get('set-cookie') as string).split(';')[0];

    const client = await connect(`${started.url}/ws/`, [], { headers: { cookie } });
    if (!client.open) throw new Error(`refused with ${client.status}`);
    client.client.send('who');
    expect(JSON.parse(await client.client.nextText())).toEqual({ user: { name: 'ada' }, authenticated: true });

    client.client.send('login:grace');
    expect(JSON.parse(await client.client.nextText())).toEqual({ user: { name: 'grace' }, authenticated: true });
    expect(await (await fetch(`${started.httpUrl}/me`, { headers: { cookie } })).json()).toEqual({ name: 'grace' });

    const anonymous = await connect(`${started.url}/ws/`);
    if (!anonymous.open) throw new Error('refused');
    anonymous.client.send('who');
    expect(JSON.parse(await anonymous.client.nextText())).toMatchObject({ authenticated: false });
    expect(started.errors).toEqual([]);
  });

  it('a stack in the wrong order refuses with 500 and reports the order error', async () => {
    const store = new session.MemoryStore();
    const started = await startServer(SessionMiddleware(whoami, { store, secret: SECRET }));
    expect(await connect(`${started.url}/ws/`)).toEqual({ open: false, status: 500 });
    expect(started.errors).toHaveLength(1);
    expect(started.errors[0]).toMatchObject({ code: 'ERR_MIDDLEWARE_ORDER' });
  });
});

describe('handshake refusals on the wire', () => {
  const token = () => jwt.sign({ sub: 'ada' }, SECRET, { expiresIn: 60 });
  const expired = () => jwt.sign({ sub: 'ada', exp: Math.floor(Date.now() / 1000) - 10 }, SECRET);

  it('TokenAuthMiddleware: 401 without, with an expired or a bad token; open with a good one', async () => {
    const started = await startServer(TokenAuthMiddleware(whoami, { secret: SECRET }));
    expect(await connect(`${started.url}/ws/`)).toEqual({ open: false, status: 401 });
    expect(await connect(`${started.url}/ws/`, ['bearer', expired()])).toEqual({ open: false, status: 401 });
    expect(await connect(`${started.url}/ws/?token=garbage`)).toEqual({ open: false, status: 401 });

    const viaHeader = await connect(`${started.url}/ws/`, [], { headers: { authorization: `Bearer ${token()}` } });
    expect(viaHeader.open).toBe(true);
    const viaProtocol = await connect(`${started.url}/ws/`, ['bearer', token()]);
    expect(viaProtocol).toMatchObject({ open: true, protocol: 'bearer' });
    if (!viaProtocol.open) return;
    viaProtocol.client.send('who');
    expect(JSON.parse(await viaProtocol.client.nextText())).toMatchObject({ user: { sub: 'ada' } });
    expect(started.errors).toEqual([]); // 4xx refusals are not reported as errors
  });

  it('OriginValidator: 403 for a foreign, missing or null Origin; open for an allowed one', async () => {
    const started = await startServer(OriginValidator(whoami, ['https://chat.example.com', '.example.org']));
    expect(await connect(`${started.url}/ws/`, [], { origin: 'https://evil.example' })).toEqual({ open: false, status: 403 });
    expect(await connect(`${started.url}/ws/`)).toEqual({ open: false, status: 403 });
    expect(await connect(`${started.url}/ws/`, [], { origin: 'null' })).toEqual({ open: false, status: 403 });
    expect((await connect(`${started.url}/ws/`, [], { origin: 'https://chat.example.com' })).open).toBe(true);
    expect((await connect(`${started.url}/ws/`, [], { origin: 'http://a.example.org:8080' })).open).toBe(true);
  });
});

describe('rate limit over real sockets', () => {
  it('closes the flooding client with 1008; another client on the same route is unaffected', async () => {
    let disconnects = 0;
    const echo: Application = async (scope, receive, send) => {
      await receive();
      await send({ type: 'websocket.accept' });
      for (;;) {
        const event = await receive();
        if (event.type === 'websocket.disconnect') {
          disconnects++;
          return;
        }
        await send({ type: 'websocket.send', text: String(event.text) });
      }
    };
    // A slow refill so that the flood cannot be rescued by elapsed time.
    const started = await startServer(RateLimitMiddleware(echo, { messagesPerSecond: 0.01, burst: 5 }));
    const flooder = await connect(`${started.url}/ws/`);
    const calm = await connect(`${started.url}/ws/`);
    if (!flooder.open || !calm.open) throw new Error('refused');

    const closed = flooder.client.closed();
    for (let i = 0; i < 20; i++) flooder.client.send(`f${i}`);
    expect((await closed).code).toBe(1008);

    for (let i = 0; i < 5; i++) {
      calm.client.send(`c${i}`);
      expect(await calm.client.nextText()).toBe(`c${i}`);
    }
    expect(disconnects).toBe(1);
    expect(calm.client.ws.readyState).toBe(WebSocket.OPEN);
    expect(started.errors).toEqual([]);
  });
});
